"""Hugging Face model folders (ESPnet zoo layout), model cards and uploads."""
