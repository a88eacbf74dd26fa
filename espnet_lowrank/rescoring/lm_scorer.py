"""Batched LM log-probabilities of hypothesis texts with an ESPnet (LoRA) LM.

Texts are tokenized with the LM's own training settings (``token_type``,
``bpemodel``, ``cleaner``, ``non_linguistic_symbols`` from its ``config.yaml``),
mapped to ids with ``<unk>`` for unknown tokens, and scored as
``log P(tokens, <eos> | <sos>)`` through ``ESPnetLanguageModel.nll``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import torch
from espnet2.lm.espnet_model import ESPnetLanguageModel
from espnet2.text.build_tokenizer import build_tokenizer
from espnet2.text.cleaner import TextCleaner
from espnet2.text.token_id_converter import TokenIDConverter

from espnet_lowrank.checkpoint import WeightsMismatchError, load_state_dict_file
from espnet_lowrank.rescoring.combine import Scored, ScoredHyp
from espnet_lowrank.rescoring.nbest import NBest
from espnet_lowrank.strict_yaml import load_yaml_mapping

LENGTH_UNITS = ("word", "token")


def load_lm(config_file: Path | str, model_file: Path | str, device: str = "cpu"):
    """Build an ESPnet LM or LoRA LM from ``config.yaml`` + weights, loaded strictly.

    A config with ``lora_conf`` is a ``LoRALMTask`` model (adapter checkpoint,
    base weights from its ``base_lm_file``); otherwise an ``LMTask`` model.

    Returns:
        (model in eval mode, config namespace)
    """
    config_file, model_file = Path(config_file), Path(model_file)
    for p in (config_file, model_file):
        if not p.is_file():
            what = "LM config" if p == config_file else "LM weights file"
            raise FileNotFoundError(f"{what} {str(p)!r} does not exist")
    # not tasks.build.model_from_config yet: an AdaLoRA LM's pruned ranks do not survive it
    args = argparse.Namespace(**load_yaml_mapping(config_file, "LM config"))
    if getattr(args, "lora_conf", None) is not None:
        from espnet_lowrank.lora.task import LoRALMTask as task
    else:
        from espnet2.tasks.lm import LMTask as task
    model = task.build_model(args)
    state = load_state_dict_file(model_file, "LM weights file", weights_only=False)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise WeightsMismatchError(f"{model_file} does not fit {config_file}: {e}") from None
    return model.to(device).eval(), args


class LMTokenizer:
    """Text -> token ids with an LM's training settings (as ESPnet's preprocessor).

    Args:
        args: a config namespace with ``token_list`` (file or list), ``token_type``
            and optionally ``bpemodel``, ``non_linguistic_symbols``, ``cleaner``,
            ``g2p`` (``None`` or ``"none"`` for unused ones).
    """

    def __init__(self, args: argparse.Namespace):
        token_list = args.token_list
        if isinstance(token_list, (str, Path)):
            with open(token_list, encoding="utf-8") as f:
                token_list = [line.rstrip() for line in f]

        def opt(name: str):
            value = getattr(args, name, None)
            return None if value in (None, "none") else value

        self.tokenizer = build_tokenizer(
            token_type=args.token_type,
            bpemodel=opt("bpemodel"),
            non_linguistic_symbols=opt("non_linguistic_symbols"),
            g2p_type=opt("g2p"),
        )
        cleaner = opt("cleaner")
        self.cleaner = TextCleaner(cleaner) if cleaner else None
        self.converter = TokenIDConverter(token_list=token_list)

    def __call__(self, text: str) -> List[int]:
        """Token ids of ``text`` (no ``<sos>``/``<eos>``)."""
        if self.cleaner is not None:
            text = self.cleaner(text)
        return self.converter.tokens2ids(self.tokenizer.text2tokens(text))


class LMScorer:
    """Scores texts with an ``ESPnetLanguageModel``.

    Args:
        model: the LM model (``nll`` is used).
        args: its training config (tokenizer settings, ``token_list``).
        batch_size: hypotheses per forward pass.
        device: torch device of ``model``.
    """

    def __init__(
        self,
        model: ESPnetLanguageModel,
        args: argparse.Namespace,
        batch_size: int = 64,
        device: str = "cpu",
    ):
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.text_to_ids = LMTokenizer(args)
        self._cache: Dict[str, Tuple[float, int]] = {}
        self.tokenizer = self.text_to_ids.tokenizer
        self.converter = self.text_to_ids.converter

    @classmethod
    def from_files(
        cls,
        config_file: Path | str,
        model_file: Path | str,
        device: str = "cpu",
        batch_size: int = 64,
    ) -> LMScorer:
        """Load the LM with ``load_lm`` and wrap it."""
        model, args = load_lm(config_file, model_file, device)
        return cls(model, args, batch_size=batch_size, device=device)

    def token_ids(self, text: str) -> List[int]:
        """Token ids of ``text`` under the LM's tokenizer."""
        return self.text_to_ids(text)

    def save_cache(self, path: Path | str) -> None:
        """Write every score computed so far (``{text: [logprob, n_tokens]}``, JSON)."""
        Path(path).write_text(json.dumps(self._cache, ensure_ascii=False), encoding="utf-8")

    def load_cache(self, path: Path | str) -> int:
        """Reuse scores saved by ``save_cache`` with the *same* LM; returns their number."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        self._cache.update({t: (float(v[0]), int(v[1])) for t, v in data.items()})
        return len(data)

    @torch.no_grad()
    def score(self, texts: Sequence[str]) -> Tuple[List[float], List[int]]:
        """Log-probabilities (natural log, incl. ``<eos>``) and token counts.

        Each distinct text is scored once per scorer and remembered: N-best lists
        repeat texts across systems' tuning and their perturbed copies (NPRR)
        share most hypotheses with the clean lists.

        Returns:
            (logprobs, n_tokens), each of ``len(texts)``.
        """
        todo = sorted({t for t in texts if t not in self._cache})
        ids = {t: self.token_ids(t) for t in todo}
        order = sorted(todo, key=lambda t: len(ids[t]))
        for s in range(0, len(order), self.batch_size):
            batch = order[s : s + self.batch_size]
            lens = torch.tensor([len(ids[t]) for t in batch], dtype=torch.long)
            width = max(1, int(lens.max()))
            pad = torch.zeros(len(batch), width, dtype=torch.long)
            for row, t in enumerate(batch):
                pad[row, : len(ids[t])] = torch.tensor(ids[t], dtype=torch.long)
            nll, _ = self.model.nll(pad.to(self.device), lens.to(self.device))
            for row, t in enumerate(batch):
                self._cache[t] = (-float(nll[row].sum()), len(ids[t]))
        return [self._cache[t][0] for t in texts], [self._cache[t][1] for t in texts]


def score_nbest(nbest: NBest, scorer: LMScorer, length_unit: str = "word") -> Scored:
    """Attach LM log-probabilities and lengths to every hypothesis.

    Args:
        nbest: ``{utt: [Hypothesis, ...]}``.
        scorer: the LM scorer.
        length_unit: ``word`` (whitespace words of the text) or ``token`` (LM tokens).
    """
    if length_unit not in LENGTH_UNITS:
        raise ValueError(f"unknown length unit {length_unit!r}; valid: {', '.join(LENGTH_UNITS)}")
    flat = [(u, h) for u, hyps in nbest.items() for h in hyps]
    logp, ntok = scorer.score([h.text for _, h in flat])
    out: Scored = {u: [] for u in nbest}
    for (u, h), lp, nt in zip(flat, logp, ntok):
        length = len(h.text.split()) if length_unit == "word" else nt
        out[u].append(ScoredHyp(text=h.text, asr_score=h.score, lm_score=lp, length=length))
    return out
