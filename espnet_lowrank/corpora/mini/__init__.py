"""The embedded speech corpus of egs2/mini_lowrank: fortunes sentences + espeak-ng.

Modules: :mod:`.text` (fortune files -> normalised sentences, domains, source
and licence), :mod:`.vocab` (closed vocabulary), :mod:`.tts` (espeak-ng,
resampling, noise, WAV), :mod:`.voices` (speakers, seen/held-out accents),
:mod:`.corpus` (splits, data dirs, LM text, corpus_info). Command line:
``python -m espnet_lowrank.bin.make_mini_corpus``.
"""
