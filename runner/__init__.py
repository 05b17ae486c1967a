"""pitstop's engine: source, detection, image, container, store. Never prints."""
