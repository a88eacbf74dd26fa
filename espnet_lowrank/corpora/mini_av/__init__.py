"""Audio-visual mini corpus: the mini corpus' speech, noisier, plus synthetic mouth video.

:mod:`.visemes` maps espeak-ng phonemes to mouth shapes, :mod:`.track` turns the
phone timings espeak-ng reports into a per-frame mouth-shape trajectory,
:mod:`.mouth` draws 88x88 grayscale frames, :mod:`.corpus` assembles the corpus
on top of :func:`espnet_lowrank.corpora.mini.corpus.build_corpus`.
"""
