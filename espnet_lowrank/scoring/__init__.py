"""Scoring decodes with NIST sclite (ESPnet's ``score_{wer,cer}``); RESULTS.md."""
