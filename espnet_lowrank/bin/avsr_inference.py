"""AVSR decoding: ESPnet's ``asr_inference`` for the AV model, with ``--modality``.

Same options and outputs as ``python -m espnet2.bin.asr_inference``
(``<output_dir>/{n}best_recog/{text,token,token_int,score}``), plus
``--modality av|audio|video``: ``audio`` or ``video`` decodes the AV model from one
stream (the other is replaced by the model's missing embedding), and needs only
that stream's data (``speech`` from ``wav.scp,speech,sound``, ``video`` from
``video.scp,video,video_npy``). Beam search, scorers and LM fusion are ESPnet's
``Speech2Text``; only the encoding of the inputs is ours (:class:`AVSpeech2Text`).
Batch size 1, one device, no streaming / multi-speaker / enhancement modes.
"""

from __future__ import annotations

import inspect
import logging
import sys
from typing import Any, Dict, Optional, Union

import numpy as np
import torch

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.avsr.model import MODALITIES, AVSRModel
from espnet_lowrank.avsr.task import AVSRTask
from espnet_lowrank.bin._cli import run, setup_logging
from espnet_lowrank.bin._espnet_tool import check_inputs, escape_help
from espnet_lowrank.registry import register

_tool = import_quietly("espnet2.bin.asr_inference")[0]
register()
Speech2Text = _tool.Speech2Text
UNSUPPORTED = {
    "enh_s2t_task": False,
    "multi_asr": False,
    "streaming": False,
    "word_lm_train_config": None,
    "word_lm_file": None,
    "model_tag": None,
}


class AVSpeech2Text(Speech2Text):
    """``Speech2Text`` for an :class:`AVSRModel`: ``speech`` and/or ``video`` in.

    Args:
        modality: ``av``, ``audio`` or ``video`` (which streams the model sees).
        **kwargs: ``Speech2Text``'s arguments.
    """

    def __init__(self, modality: str = "av", **kwargs: Any) -> None:
        if modality not in MODALITIES:
            raise ValueError(f"--modality must be one of {MODALITIES}, got {modality!r}")
        super().__init__(**kwargs)
        if not isinstance(self.asr_model, AVSRModel):
            raise ValueError(
                f"{kwargs.get('asr_train_config')}: not an AVSR model config (model: avsr), "
                f"it built {type(self.asr_model).__name__}"
            )
        self.modality = modality

    @torch.no_grad()
    def __call__(
        self,
        speech: Union[torch.Tensor, np.ndarray, None] = None,
        video: Union[torch.Tensor, np.ndarray, None] = None,
    ):
        """One utterance: ``speech`` ``(S,)`` raw 16 kHz and/or ``video`` ``(T, H, W)``.

        Returns ESPnet's N-best list: ``[(text, tokens, token_ids, hypothesis), ...]``.
        """
        inputs: Dict[str, Optional[torch.Tensor]] = {}
        for name, x in (("speech", speech), ("video", video)):
            if x is None:
                inputs[name] = inputs[f"{name}_lengths"] = None
                continue
            x = torch.as_tensor(x).unsqueeze(0)
            if x.dtype != torch.uint8:
                x = x.to(getattr(torch, self.dtype))
            inputs[name] = x.to(self.device)
            inputs[f"{name}_lengths"] = torch.tensor([x.size(1)], device=self.device)
        enc, _ = self.asr_model.encode(**inputs, modality=self.modality)
        if isinstance(enc, tuple):  # intermediate CTC outputs: decode the final layer
            enc = enc[0]
        assert len(enc) == 1, len(enc)
        return self._decode_single_sample(enc[0])


def get_parser():
    parser = escape_help(_tool.get_parser())
    parser.description = __doc__.splitlines()[0]
    group = parser.add_argument_group("AVSR")
    group.add_argument(
        "--modality",
        choices=MODALITIES,
        default="av",
        help="streams to decode from: both (av), audio only or video only",
    )
    return parser


def inference(args: Dict[str, Any]) -> None:
    """Decode every utterance of the data and write ``{n}best_recog/`` like ESPnet."""
    for key, ok in UNSUPPORTED.items():
        if args.get(key, ok) != ok:
            raise ValueError(f"avsr_inference: --{key} is not supported")
    if args["batch_size"] > 1:
        raise ValueError("avsr_inference: batch decoding is not implemented (--batch_size 1)")
    if args["ngpu"] > 1:
        raise ValueError("avsr_inference: only single-device decoding is supported")
    modality = args["modality"]
    names = [name for _, name, _ in args["data_path_and_name_and_type"]]
    needed = {"av": ("speech", "video"), "audio": ("speech",), "video": ("video",)}[modality]
    missing = [n for n in needed if n not in names]
    if missing:
        raise ValueError(
            f"--modality {modality} needs data named {missing} in "
            f"--data_path_and_name_and_type (got {names})"
        )
    setup_logging(args["log_level"])
    from espnet2.fileio.datadir_writer import DatadirWriter
    from espnet2.torch_utils.set_all_random_seed import set_all_random_seed

    set_all_random_seed(args["seed"])
    device = "cuda" if args["ngpu"] >= 1 else "cpu"
    accepted = set(inspect.signature(Speech2Text.__init__).parameters) - {"self"}
    s2t_kwargs = {k: v for k, v in args.items() if k in accepted}
    s2t_kwargs["device"] = device
    speech2text = AVSpeech2Text(modality=modality, **s2t_kwargs)
    train_args = speech2text.asr_train_args
    loader = AVSRTask.build_streaming_iterator(
        args["data_path_and_name_and_type"],
        dtype=args["dtype"],
        batch_size=1,
        key_file=args["key_file"],
        num_workers=args["num_workers"],
        preprocess_fn=AVSRTask.build_preprocess_fn(train_args, False),
        collate_fn=AVSRTask.build_collate_fn(train_args, False),
        allow_variable_data_keys=args["allow_variable_data_keys"],
        inference=True,
    )
    nbest = args["nbest"]
    with DatadirWriter(args["output_dir"]) as writer:
        for keys, batch in loader:
            key = keys[0]
            inputs = {n: batch[n][0] for n in needed}
            try:
                results = speech2text(**inputs)
            except _tool.TooShortUttError as e:
                logging.warning(f"Utterance {key} {e}")
                hyp = _tool.Hypothesis(score=0.0, scores={}, states={}, yseq=[])
                results = [[" ", ["<space>"], [2], hyp]] * nbest
            for n, (text, token, token_int, hyp) in zip(range(1, nbest + 1), results):
                best = writer[f"{n}best_recog"]
                best["token"][key] = " ".join(token)
                best["token_int"][key] = " ".join(map(str, token_int))
                best["score"][key] = str(hyp.score)
                if text is not None:
                    best["text"][key] = text


def main(cmd=None):
    print(" ".join(sys.argv), file=sys.stderr)
    argv = sys.argv[1:] if cmd is None else list(cmd)
    check_inputs(argv)  # strict YAML, readable weights: a message, not a traceback
    args = vars(get_parser().parse_args(argv))
    args.pop("config", None)
    inference(args)


if __name__ == "__main__":
    run(main)
