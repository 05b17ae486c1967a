document.querySelector("#greeting").dataset.built = "pitstop";
