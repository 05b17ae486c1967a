import { greet } from "@example/lib";

document.querySelector("#greeting").textContent = greet("apps/web");
