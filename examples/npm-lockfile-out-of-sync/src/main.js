import { greet } from "./greet.js";

document.querySelector("#greeting").textContent = greet("pitstop");
