"""Model sizes used by the benchmarks and builders for ASR models, LMs and batches.

ASR models are built the way training builds them: an ESPnet YAML config (written
to a temporary folder with a synthetic token list) parsed by
``LowRankASRTask.get_parser()`` and built by ``LowRankASRTask.build_model``; the two
variants differ only in ``rank_map`` (``lr_sms`` vs ``dense``). Inputs are raw 16 kHz
audio through ESPnet's default frontend (80 log-mel), as in a recipe.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import torch

from espnet_lowrank import catalogue
from espnet_lowrank.strict_yaml import load_yaml_mapping
from espnet_lowrank.tasks.build import model_from_config

FS = 16000
_OURS = catalogue.conversions("asr")  # ESPnet name -> ours, per part


@dataclass(frozen=True)
class AsrSize:
    """An ASR model size and its benchmark batch."""

    name: str
    d: int
    heads: int
    ffn: int
    blocks: int
    kernel: int
    dec_blocks: int
    vocab: int
    n_mels: int
    batch: int
    seconds: float
    tokens_per_second: float = 5.0

    def describe(self) -> str:
        return (
            f"{self.name}: Conformer d={self.d}, {self.heads} heads, FFN {self.ffn}, "
            f"{self.blocks} blocks (macaron, conv kernel {self.kernel}), decoder "
            f"{self.dec_blocks} blocks, vocab {self.vocab}; batch {self.batch} x "
            f"{self.seconds:g} s raw audio ({self.n_mels} mel)"
        )


ASR_SIZES = {
    # what the test suite can afford
    "tiny": AsrSize("tiny", 32, 2, 64, 2, 3, 1, 40, 20, 2, 0.5),
    # --quick
    "quick": AsrSize("quick", 64, 4, 256, 2, 15, 1, 100, 40, 4, 2.0),
    # a CPU-sized model the mini recipe might train: d=256, 6 blocks
    "mini": AsrSize("mini", 256, 4, 1024, 6, 15, 3, 300, 80, 8, 4.0),
    # LibriSpeech Conformer (ESPnet's librispeech_100-like, 12 blocks)
    "librispeech": AsrSize("librispeech", 512, 8, 2048, 12, 31, 6, 5000, 80, 8, 8.0),
}


def asr_size(name: str, batch: Optional[int] = None, seconds: Optional[float] = None) -> AsrSize:
    """The named size, with the batch size and/or utterance length overridden."""
    if name not in ASR_SIZES:
        raise ValueError(f"unknown ASR size {name!r}; choose from {sorted(ASR_SIZES)}")
    size = ASR_SIZES[name]
    if batch is not None:
        size = replace(size, batch=batch)
    if seconds is not None:
        size = replace(size, seconds=seconds)
    return size


def asr_config(size: AsrSize, rank_map: str, token_list: Path) -> Dict[str, Any]:
    """An ESPnet ASR training config dict for ``size`` with ``rank_map``."""
    return {
        "token_list": str(token_list),
        "token_type": "bpe",
        "frontend": "default",
        "frontend_conf": {"fs": "16k", "n_fft": 512, "hop_length": 160, "n_mels": size.n_mels},
        "specaug": None,
        "normalize": "utterance_mvn",
        "encoder": _OURS["encoder"]["conformer"],
        "encoder_conf": {
            "output_size": size.d,
            "attention_heads": size.heads,
            "linear_units": size.ffn,
            "num_blocks": size.blocks,
            "input_layer": "conv2d",
            "normalize_before": True,
            "macaron_style": True,
            "rel_pos_type": "latest",
            "pos_enc_layer_type": "rel_pos",
            "selfattention_layer_type": "rel_selfattn",
            "activation_type": "swish",
            "use_cnn_module": True,
            "cnn_module_kernel": size.kernel,
            "rank_map": rank_map,
        },
        "decoder": _OURS["decoder"]["transformer"],
        "decoder_conf": {
            "attention_heads": size.heads,
            "linear_units": size.ffn,
            "num_blocks": size.dec_blocks,
            "rank_map": rank_map,
        },
        "model_conf": {"ctc_weight": 0.3, "lsm_weight": 0.1, "length_normalized_loss": False},
        "optim": "adam",
        "optim_conf": {"lr": 0.001},
        "ngpu": 0,
        "seed": 0,
    }


def token_list(vocab: int) -> list:
    """``<blank>``, ``<unk>``, synthetic pieces, ``<sos/eos>``: ``vocab`` entries."""
    if vocab < 4:
        raise ValueError(f"vocab must be >= 4, got {vocab}")
    return ["<blank>", "<unk>"] + [f"▁p{i}" for i in range(vocab - 3)] + ["<sos/eos>"]


def build_asr(size: AsrSize, rank_map: str, device: str = "cpu", seed: int = 0):
    """A full ``ESPnetASRModel`` of ``size`` with ``rank_map``, in train mode."""
    with tempfile.TemporaryDirectory(prefix="bench_asr_") as tmp:
        tokens = Path(tmp) / "tokens.txt"
        tokens.write_text("\n".join(token_list(size.vocab)) + "\n", encoding="utf-8")
        torch.manual_seed(seed)
        model, _ = model_from_config(asr_config(size, rank_map, tokens), "asr", saved=False)
    return model.to(device).train()


def asr_batch(size: AsrSize, device: str = "cpu", seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random audio ``speech`` (B, S) and token ids ``text`` (B, L), full lengths."""
    return random_asr_batch(
        size.batch, size.seconds, size.vocab, size.tokens_per_second, device, seed
    )


def random_asr_batch(
    batch: int,
    seconds: float,
    vocab: int,
    tokens_per_second: float = 5.0,
    device: str = "cpu",
    seed: int = 0,
) -> Dict[str, torch.Tensor]:
    """``batch`` utterances of ``seconds`` of random 16 kHz audio, ``speech`` (B, S), and
    ``seconds * tokens_per_second`` random token ids each, ``text`` (B, L); full lengths."""
    g = torch.Generator().manual_seed(seed)
    samples = int(seconds * FS)
    n_tok = max(2, int(seconds * tokens_per_second))
    speech = 0.1 * torch.randn(batch, samples, generator=g)
    text = torch.randint(2, vocab - 1, (batch, n_tok), generator=g)
    return {
        "speech": speech.to(device),
        "speech_lengths": torch.full((batch,), samples, dtype=torch.long, device=device),
        "text": text.to(device),
        "text_lengths": torch.full((batch,), n_tok, dtype=torch.long, device=device),
    }


def build_asr_from_config(
    config: Path | str,
    token_list: Optional[Path | str] = None,
    device: str = "cpu",
    seed: int = 0,
) -> Tuple[torch.nn.Module, int]:
    """The model a recipe's training config builds, in train mode, and its vocabulary size.

    The token list is ``token_list`` if given, else the config's own ``token_list``
    entry (a path relative to the current folder, as in a recipe). Normalisation is
    per utterance unless the config names one (recipe configs do not: the driver adds
    global MVN with the statistics of stage 7, which costs the same). Raises
    ``FileNotFoundError`` naming the config, the token list or the statistics file it needs.
    """
    config = Path(config)
    if not config.is_file():
        raise FileNotFoundError(f"ASR config not found: {config}")
    cfg = load_yaml_mapping(config, "ASR config")
    tokens = Path(token_list) if token_list is not None else cfg.get("token_list")
    if tokens is None:
        raise ValueError(f"{config} names no token_list: pass one (bench --token_list)")
    tokens = Path(tokens)
    if not tokens.is_file():
        raise FileNotFoundError(
            f"token list {tokens} (for {config}) not found: pass one with --token_list"
        )
    vocab = sum(1 for line in tokens.read_text(encoding="utf-8").splitlines() if line.strip())
    cfg["token_list"] = str(tokens)
    cfg.setdefault("token_type", "bpe")
    stats = (cfg.get("normalize_conf") or {}).get("stats_file")
    if cfg.get("normalize") == "global_mvn" and (stats is None or not Path(stats).is_file()):
        raise FileNotFoundError(
            f"{config}: normalize global_mvn needs its stats_file ({stats}): run the "
            "recipe's statistics stage first, or drop normalize from the config"
        )
    cfg.setdefault("normalize", "utterance_mvn")  # asr.sh passes global_mvn on its command line
    cfg["ngpu"] = 0
    torch.manual_seed(seed)
    model, _ = model_from_config(cfg, "asr", saved=False)
    return model.to(device).train(), vocab


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class LmSize:
    """A Transformer LM size and its benchmark batch (``batch`` x ``length`` tokens)."""

    name: str
    embed: int
    d: int
    heads: int
    ffn: int
    layers: int
    vocab: int
    batch: int
    length: int

    def describe(self) -> str:
        return (
            f"{self.name}: Transformer LM embed {self.embed}, d={self.d}, {self.heads} heads, "
            f"FFN {self.ffn}, {self.layers} layers, vocab {self.vocab}; batch {self.batch} x "
            f"{self.length} tokens"
        )


LM_SIZES = {
    "tiny": LmSize("tiny", 16, 32, 2, 64, 2, 50, 2, 16),
    "quick": LmSize("quick", 64, 128, 4, 512, 2, 500, 4, 64),
    "mini": LmSize("mini", 128, 256, 4, 1024, 4, 300, 16, 128),
    # ESPnet's LibriSpeech Transformer LM shape
    "librispeech": LmSize("librispeech", 128, 512, 8, 2048, 16, 5000, 16, 128),
}


def build_lm(size: LmSize, rank_map: str, device: str = "cpu", seed: int = 0):
    """A ``LowRankTransformerLM`` of ``size`` with ``rank_map``, in train mode."""
    from espnet_lowrank.lm.lowrank_transformer_lm import LowRankTransformerLM

    torch.manual_seed(seed)
    lm = LowRankTransformerLM(
        vocab_size=size.vocab,
        pos_enc=None,
        embed_unit=size.embed,
        att_unit=size.d,
        head=size.heads,
        unit=size.ffn,
        layer=size.layers,
        dropout_rate=0.1,
        rank_map=rank_map,
    )
    return lm.to(device).train()


def lm_batch(size: LmSize, device: str = "cpu", seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Input and target token ids, each ``(batch, length)``."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, size.vocab - 1, (size.batch, size.length + 1), generator=g)
    return ids[:, :-1].to(device), ids[:, 1:].to(device)
