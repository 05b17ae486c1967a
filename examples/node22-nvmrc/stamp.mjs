// Records which Node and package manager ran the build, next to the page.
import { writeFileSync } from "node:fs";

const agent = process.env.npm_config_user_agent ?? "unknown";
writeFileSync("dist/built-with.txt", `node ${process.version}\n${agent}\n`);
