export default {
  async fetch() {
    return new Response("Hello from a Worker bundled by pitstop");
  },
};
