"""Corpus preparation: Kaldi-style data directories for the recipes."""
