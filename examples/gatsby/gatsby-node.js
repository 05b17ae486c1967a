const path = require("path");
const circuits = require("./content/pitstops.json");

exports.createPages = ({ actions }) => {
  const template = path.resolve("src/templates/circuit.js");
  for (const circuit of circuits) {
    actions.createPage({
      path: `/circuits/${circuit.slug}/`,
      component: template,
      context: circuit,
    });
  }
};
