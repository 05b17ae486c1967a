module.exports = {
  siteMetadata: {
    title: "pitstop Gatsby example",
  },
};
