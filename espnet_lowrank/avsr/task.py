"""``AVSRTask``: ESPnet's ASR task (low-rank variant) for audio-visual data.

Data: ``speech`` (raw 16 kHz audio, ``wav.scp,speech,sound``), ``video`` (mouth
crops ``(T, 88, 88)`` uint8 ``.npy`` listed in ``video.scp``, read with the
``video_npy`` loader of :mod:`espnet_lowrank.video.data_type` as float32 in
``[0, 1]``; ESPnet's own ``npy`` loader would hand the dataset uint8 arrays,
which it rejects) and ``text``.

Options are ESPnet's ``asr_train`` options with ``--model avsr`` (the default
here): the front-ends, the fusion MLP, modality dropout and the rank maps of the
AV modules are keys of ``model_conf`` (see :class:`~espnet_lowrank.avsr.model.AVSRModel`).
``input_size`` is set to the fusion's output size (no ESPnet feature front-end,
no normalisation); ``encoder_conf.input_layer`` should be ``null`` or
``linear``: the features already are at 25 frames/s.

Because the whole model is built from ``model_conf``, ESPnet's own tools
(``ASRTask.build_model_from_file``, ``Speech2Text``) rebuild a trained AV model
from its ``config.yaml`` once :func:`register` has run (importing this module
runs it: the catalogue lists ``model: avsr`` with the other registered parts).
"""

from __future__ import annotations

import argparse
from typing import Tuple

from espnet_lowrank.avsr.model import AVSRModel, fusion_output_size
from espnet_lowrank.catalogue import AV_MODEL
from espnet_lowrank.registry import register
from espnet_lowrank.tasks.asr import LowRankASRTask
from espnet_lowrank.video.data_type import VIDEO_DATA_TYPE

MODEL_NAME = AV_MODEL
SUBSAMPLING_LAYERS = ("conv2d", "conv2d1", "conv2d2", "conv2d6", "conv2d8", "embed")


# at import (``model: avsr`` is in the catalogue): spawned DDP workers unpickle this first
register(("espnet2.tasks.asr",))


class AVSRTask(LowRankASRTask):
    """ESPnet ASR task whose model reads ``speech`` + ``video`` (see module doc)."""

    @classmethod
    def get_parser(cls) -> argparse.ArgumentParser:
        parser = super().get_parser()
        parser.set_defaults(model=MODEL_NAME, normalize=None, frontend=None)
        return parser

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        # Inference may use one stream (avsr_inference --modality): it checks itself.
        return () if inference else ("speech", "video", "text")

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        extra = ("speech", "video") if inference else ()
        return super().optional_data_names(train, inference) + extra

    @classmethod
    def build_model(cls, args: argparse.Namespace) -> AVSRModel:
        if getattr(args, "model", None) != MODEL_NAME:
            raise ValueError(f"AVSR task: --model must be {MODEL_NAME!r}, got {args.model!r}")
        args.model_conf = dict(args.model_conf or {})
        fused = fusion_output_size(args.model_conf)
        if args.input_size is not None and args.input_size != fused:
            raise ValueError(
                f"AVSR task: input_size {args.input_size} differs from "
                f"model_conf.fusion_conf.output_size {fused}; leave input_size unset"
            )
        enc_conf = dict(getattr(args, "encoder_conf", None) or {})
        layer = enc_conf.get("input_layer", "conv2d")
        if layer in SUBSAMPLING_LAYERS:
            raise ValueError(
                f"AVSR task: encoder_conf.input_layer {layer!r} subsamples or embeds; the "
                "AV features are already at 25 frames/s: use null or linear"
            )
        if layer is None and enc_conf.get("output_size", 256) != fused:
            raise ValueError(
                f"AVSR task: with encoder_conf.input_layer null the fused size "
                f"(model_conf.fusion_conf.output_size = {fused}) must equal "
                f"encoder_conf.output_size ({enc_conf.get('output_size', 256)})"
            )
        args.input_size = fused
        return super().build_model(args)  # inlines the AV parts' rank maps too


__all__ = ["AVSRTask", "VIDEO_DATA_TYPE", "register"]
