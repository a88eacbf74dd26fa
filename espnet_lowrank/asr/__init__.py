"""Low-rank ASR model parts registered with ESPnet's ASR task."""
