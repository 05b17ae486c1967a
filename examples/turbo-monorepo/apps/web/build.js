const fs = require("fs");
const { banner } = require("@repo/ui");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.html", `<!doctype html>\n${banner("web")}\n`);
console.log("built web");
