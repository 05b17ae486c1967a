// A package that must be built before the app can use it (as tsc or tsup would).
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync(
  "dist/index.js",
  "exports.banner = (name) => `<h1>Hello from ${name}, built by @repo/ui</h1>`;\n",
);
console.log("built @repo/ui");
