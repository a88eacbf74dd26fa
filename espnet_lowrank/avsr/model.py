"""``AVSRModel``: ESPnet's hybrid CTC/attention ASR model fed by audio and video.

Only the encoding of the inputs differs from ``ESPnetASRModel``: :meth:`AVSRModel.encode`
runs the audio front-end on ``speech`` (raw 16 kHz), the video front-end on
``video`` (mouth crops), aligns the two 25 frames/s streams, fuses them and runs
ESPnet's encoder. Losses, decoding and everything else are ESPnet's, unchanged.

Length mismatch: the two streams of an utterance may differ by a frame or two
(rounding of audio and video durations). ``length_mismatch="trim"`` (default)
cuts both to the shorter stream; ``"pad"`` zero-pads the shorter one to the
longer. A difference above ``max_length_mismatch`` frames is an error (the
streams probably do not belong together).

Modality dropout (training only): for each utterance, with probability
``audio_dropout_prob`` the audio features are replaced by the *missing*
embedding, otherwise with probability ``video_dropout_prob`` the video features
are (one draw ``u ~ U(0, 1)`` per utterance: ``u < p_a`` drops audio,
``p_a <= u < p_a + p_v`` drops video; never both, so ``p_a + p_v <= 1``).
The missing embedding is zeros (``missing_embedding="zero"``) or a learned vector
per stream (``"learned"``); it is also what stands in for the absent stream in
audio-only or video-only inference (``encode(..., modality="audio"|"video")``).

Single-stream models: ``streams="audio"`` or ``"video"`` builds only that stream's
front-end (the other stream is always the missing embedding, in training and
decoding), so an audio-only or video-only baseline shares everything else with
the AV model and its parameter count and speed are its own.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, Dict, Iterator, Optional, Tuple

import torch
from espnet2.asr.espnet_model import ESPnetASRModel
from torch import nn

from espnet_lowrank.avsr.frontends import ResNet1dAudioFrontend, ResNet2dVideoFrontend
from espnet_lowrank.avsr.fusion import MLPFusion
from espnet_lowrank.mixin import signature_with

MODALITIES = ("av", "audio", "video")
MISSING_EMBEDDINGS = ("zero", "learned")
LENGTH_MISMATCH = ("trim", "pad")

_AV_DEFAULTS: Dict[str, Any] = dict(
    audio_frontend_conf=None,
    video_frontend_conf=None,
    fusion_conf=None,
    audio_dropout_prob=0.0,
    video_dropout_prob=0.0,
    missing_embedding="zero",
    length_mismatch="trim",
    max_length_mismatch=3,
    streams="av",
)


def fusion_output_size(model_conf: Optional[Dict[str, Any]]) -> int:
    """The fused feature size a ``model_conf`` gives (= the encoder's input size)."""
    fusion_conf = _conf((model_conf or {}).get("fusion_conf"), "fusion_conf")
    default = inspect.signature(MLPFusion.__init__).parameters["output_size"].default
    return int(fusion_conf.get("output_size", default))


class AVSRModel(ESPnetASRModel):
    """``ESPnetASRModel`` whose input is ``speech`` (B, S) and ``video`` (B, T, H, W).

    Args:
        (ESPnet's): all of ``ESPnetASRModel``'s arguments; ``frontend``,
            ``specaug``, ``normalize`` and ``preencoder`` must be ``None``.
        audio_frontend_conf: kwargs of :class:`ResNet1dAudioFrontend`.
        video_frontend_conf: kwargs of :class:`ResNet2dVideoFrontend`.
        fusion_conf: kwargs of :class:`MLPFusion` except the input sizes.
        audio_dropout_prob, video_dropout_prob: modality dropout (see module doc).
        missing_embedding: ``zero`` or ``learned``.
        length_mismatch: ``trim`` or ``pad``; max_length_mismatch: frames allowed.
    """

    def __init__(self, *args, **kwargs) -> None:
        av = {k: kwargs.pop(k, v) for k, v in _AV_DEFAULTS.items()}
        super().__init__(*args, **kwargs)
        for name in ("frontend", "specaug", "normalize", "preencoder"):
            if getattr(self, name) is not None:
                raise ValueError(
                    f"AVSR model: {name} must be null (the audio/video front-ends "
                    f"replace it), got {type(getattr(self, name)).__name__}"
                )
        p_a, p_v = float(av["audio_dropout_prob"]), float(av["video_dropout_prob"])
        if not (0.0 <= p_a <= 1.0 and 0.0 <= p_v <= 1.0 and p_a + p_v <= 1.0):
            raise ValueError(
                "model_conf.audio_dropout_prob and video_dropout_prob must be in [0, 1] "
                f"with a sum <= 1, got {p_a} and {p_v}"
            )
        for key, allowed in (
            ("missing_embedding", MISSING_EMBEDDINGS),
            ("length_mismatch", LENGTH_MISMATCH),
        ):
            if av[key] not in allowed:
                raise ValueError(f"model_conf.{key} must be one of {allowed}, got {av[key]!r}")
        if int(av["max_length_mismatch"]) < 0:
            raise ValueError(
                f"model_conf.max_length_mismatch must be >= 0, got {av['max_length_mismatch']}"
            )
        self.audio_dropout_prob = p_a
        self.video_dropout_prob = p_v
        self.length_mismatch = av["length_mismatch"]
        self.max_length_mismatch = int(av["max_length_mismatch"])
        if av["streams"] not in MODALITIES:
            raise ValueError(
                f"model_conf.streams must be one of {MODALITIES}, got {av['streams']!r}"
            )
        self.streams = av["streams"]
        audio_conf = _conf(av["audio_frontend_conf"], "audio_frontend_conf")
        video_conf = _conf(av["video_frontend_conf"], "video_frontend_conf")
        self.audio_frontend = self.video_frontend = None
        if self.streams in ("av", "audio"):
            self.audio_frontend = ResNet1dAudioFrontend(**audio_conf)
        if self.streams in ("av", "video"):
            self.video_frontend = ResNet2dVideoFrontend(**video_conf)
        sizes = (
            _output_size(self.audio_frontend, ResNet1dAudioFrontend, audio_conf),
            _output_size(self.video_frontend, ResNet2dVideoFrontend, video_conf),
        )
        self.fusion = MLPFusion(*sizes, **_conf(av["fusion_conf"], "fusion_conf"))
        self.missing_embedding = av["missing_embedding"]
        if self.missing_embedding == "learned":
            self.audio_missing = nn.Parameter(torch.zeros(sizes[0]))
            self.video_missing = nn.Parameter(torch.zeros(sizes[1]))
        else:
            self.register_buffer("audio_missing", torch.zeros(sizes[0]), persistent=False)
            self.register_buffer("video_missing", torch.zeros(sizes[1]), persistent=False)
        self._pending_video: Optional[Tuple[torch.Tensor, torch.Tensor]] = None

    __init__.__signature__ = signature_with(ESPnetASRModel.__init__, **_AV_DEFAULTS)

    # ------------------------------------------------------------------ training
    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        video: Optional[torch.Tensor] = None,
        video_lengths: Optional[torch.Tensor] = None,
        **kwargs,
    ):
        """ESPnet's forward (losses unchanged) with ``video`` (B, T, H, W) beside ``speech``."""
        if (video is None or video_lengths is None) and self.streams != "audio":
            raise ValueError("AVSR model: the batch has no 'video' (check video.scp in the data)")
        with self._with_video(video, video_lengths):
            return super().forward(speech, speech_lengths, text, text_lengths, **kwargs)

    @contextlib.contextmanager
    def _with_video(self, video: torch.Tensor, lengths: torch.Tensor) -> Iterator[None]:
        """ESPnet's forward calls ``self.encode(speech, speech_lengths)``: hand it the video."""
        self._pending_video = (video, lengths)
        try:
            yield
        finally:
            self._pending_video = None

    # ------------------------------------------------------------------ encoding
    def encode(
        self,
        speech: Optional[torch.Tensor],
        speech_lengths: Optional[torch.Tensor],
        video: Optional[torch.Tensor] = None,
        video_lengths: Optional[torch.Tensor] = None,
        modality: str = "av",
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Front-ends + fusion + ESPnet's encoder (and post-encoder).

        Args:
            speech: ``(B, S)`` raw 16 kHz audio (may be ``None`` if ``modality="video"``).
            speech_lengths: ``(B,)``.
            video: ``(B, T, H, W)`` mouth crops (may be ``None`` if ``modality="audio"``).
            video_lengths: ``(B,)``.
            modality: ``av``, or ``audio`` / ``video`` to use one stream only (the
                other is replaced by the missing embedding).

        Returns:
            ``encoder_out`` ``(B, T', d_model)`` and ``encoder_out_lens`` ``(B,)``.
        """
        if video is None and self._pending_video is not None:
            video, video_lengths = self._pending_video
        feats, feats_lengths = self.fuse(speech, speech_lengths, video, video_lengths, modality)
        if getattr(self.encoder, "interctc_use_conditioning", False) or getattr(
            self.encoder, "ctc_trim", False
        ):
            out, out_lens, _ = self.encoder(feats, feats_lengths, ctc=self.ctc)
        else:
            out, out_lens, _ = self.encoder(feats, feats_lengths)
        inter = None
        if isinstance(out, tuple):
            out, inter = out
        if self.postencoder is not None:
            out, out_lens = self.postencoder(out, out_lens)
        return ((out, inter) if inter is not None else out), out_lens

    def fuse(
        self,
        speech: Optional[torch.Tensor],
        speech_lengths: Optional[torch.Tensor],
        video: Optional[torch.Tensor],
        video_lengths: Optional[torch.Tensor],
        modality: str = "av",
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Both streams -> fused features ``(B, T, d_model)`` and lengths ``(B,)``."""
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
        if self.streams != "av":  # a single-stream model always decodes from its stream
            if modality not in ("av", self.streams):
                raise ValueError(
                    f"this model was built with model_conf.streams {self.streams!r}: "
                    f"it cannot decode with modality {modality!r}"
                )
            modality = self.streams
        need_audio, need_video = modality in ("av", "audio"), modality in ("av", "video")
        if need_audio and (speech is None or speech_lengths is None):
            raise ValueError(f"modality {modality!r} needs 'speech' (audio), got none")
        if need_video and (video is None or video_lengths is None):
            raise ValueError(f"modality {modality!r} needs 'video', got none")
        if need_audio:
            speech = speech[:, : speech_lengths.max()]
            a, a_lens = self.audio_frontend(speech, speech_lengths)
        if need_video:
            video = video[:, : video_lengths.max()]
            v, v_lens = self.video_frontend(video, video_lengths)
        if modality == "audio":
            v, v_lens = self._missing(self.video_missing, a), a_lens
        elif modality == "video":
            a, a_lens = self._missing(self.audio_missing, v), v_lens
        a, v, lengths = self.align(a, a_lens, v, v_lens)
        if self.training and modality == "av":
            a, v = self.modality_dropout(a, v)
        return self.fusion(a, v), lengths

    @staticmethod
    def _missing(embedding: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """``embedding`` ``(d,)`` broadcast to ``like``'s ``(B, T)``: ``(B, T, d)``."""
        return embedding.to(like.dtype).expand(like.size(0), like.size(1), -1)

    def align(
        self, a: torch.Tensor, a_lens: torch.Tensor, v: torch.Tensor, v_lens: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Bring ``(B, T_a, d_a)`` and ``(B, T_v, d_v)`` to one length (``trim`` or ``pad``).

        Frames past each utterance's own length are zeroed first, so padding
        and batch padding look the same to the fusion MLP.
        """
        diff = (a_lens - v_lens).abs()
        if bool((diff > self.max_length_mismatch).any()):
            i = int(diff.argmax())
            raise ValueError(
                f"audio and video lengths differ by {int(diff[i])} frames (audio "
                f"{int(a_lens[i])}, video {int(v_lens[i])} at 25 fps) in batch item {i}; "
                f"model_conf.max_length_mismatch is {self.max_length_mismatch}"
            )
        if self.length_mismatch == "trim":
            t = min(a.size(1), v.size(1))
            lengths = torch.minimum(a_lens, v_lens)
        else:
            t = max(a.size(1), v.size(1))
            lengths = torch.maximum(a_lens, v_lens)
        a = _fit(a, a_lens, t)
        v = _fit(v, v_lens, t)
        return a, v, lengths.clamp(max=t)

    def modality_dropout(
        self, a: torch.Tensor, v: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Replace whole utterances' audio or video by the missing embedding (see module doc)."""
        if self.audio_dropout_prob == 0.0 and self.video_dropout_prob == 0.0:
            return a, v
        u = torch.rand(a.size(0), device=a.device)
        drop_a = (u < self.audio_dropout_prob)[:, None, None]
        drop_v = (
            (u >= self.audio_dropout_prob) & (u < self.audio_dropout_prob + self.video_dropout_prob)
        )[:, None, None]
        a = torch.where(drop_a, self._missing(self.audio_missing, a), a)
        v = torch.where(drop_v, self._missing(self.video_missing, v), v)
        return a, v


def _fit(x: torch.Tensor, lengths: torch.Tensor, t: int) -> torch.Tensor:
    """Zero frames of ``x`` ``(B, T, d)`` past ``lengths``, then trim or zero-pad to ``t``."""
    mask = torch.arange(x.size(1), device=x.device)[None, :, None] < lengths[:, None, None]
    x = x * mask.to(x.dtype)
    if x.size(1) >= t:
        return x[:, :t]
    return nn.functional.pad(x, (0, 0, 0, t - x.size(1)))


def _output_size(frontend: Optional[nn.Module], cls: type, conf: Dict[str, Any]) -> int:
    """A front-end's output size, from the built module or (not built) its config."""
    if frontend is not None:
        return frontend.output_size()
    return int(
        conf.get("output_size", inspect.signature(cls.__init__).parameters["output_size"].default)
    )


def _conf(value: Any, name: str) -> Dict[str, Any]:
    if value is None:
        conf: Dict[str, Any] = {}
    elif isinstance(value, dict):
        conf = dict(value)
    else:
        raise ValueError(f"model_conf.{name} must be a mapping, got {value!r}")
    conf.setdefault("rank_map_where", f"model_conf.{name}.rank_map")
    return conf
