"""ESPnet tasks whose built models save their resolved rank maps in config.yaml."""
