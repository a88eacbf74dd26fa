"""Audio-visual speech recognition (LRS3-style) on top of ESPnet's ASR task.

* :mod:`~espnet_lowrank.avsr.frontends`: 1-D ResNet-18 on raw 16 kHz audio and
  Conv3d + 2-D ResNet-18 on 88x88 mouth crops, both at 25 frames/s.
* :mod:`~espnet_lowrank.avsr.fusion`: concatenation + MLP.
* :mod:`~espnet_lowrank.avsr.model`: ``AVSRModel``, ESPnet's ``ESPnetASRModel``
  with its own input encoding (both streams, modality dropout, one-stream inference).
* :mod:`~espnet_lowrank.avsr.task`: ``AVSRTask`` (data ``speech``, ``video``, ``text``).

Importing this package stays light; the ESPnet-facing modules import ESPnet.
"""
