"""Low-rank language models registered with ESPnet's LM task."""
