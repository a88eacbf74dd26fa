"""``int8``: trained models decoded in float and with dynamic int8 quantization.

Four variants of two trained experiment folders (full rank and low rank), each a
``Speech2Text`` built from the folder's ``config.yaml`` and weights (checked to fit, as
:func:`espnet_lowrank.hub.load.check_weights_match` does): float dense, int8 dense,
float low-rank, int8 low-rank. int8 is :func:`espnet_lowrank.layers.quantized.quantize_dynamic`
(every ``nn.Linear``, as ESPnet's ``--quantize_asr_model`` does, plus the factorized
linears and pointwise convolutions, which ESPnet's flag leaves in float).

Utterances are decoded one at a time and interleaved (utterance k by every variant
before utterance k + 1, after one untimed warm-up utterance each), so the load of a
shared machine falls on all variants alike. RTF = wall time of the ``Speech2Text``
calls (frontend, encoder, beam search) / audio seconds; WER = word errors (edit
distance on whitespace-split words) / reference words, over the same utterances.
Relative paths in the configs (statistics, BPE model, token list) are resolved from
the current folder: run it from the recipe folder, as ``asr.sh`` does.
"""

from __future__ import annotations

import inspect
import io
import logging
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import yaml

from espnet_lowrank.rescoring.wer import word_errors

VARIANTS = (
    ("dense", "float"),
    ("dense", "int8"),
    ("lowrank", "float"),
    ("lowrank", "int8"),
)


def read_data(data_dir: Path | str, utterances: Optional[int] = None) -> List[Tuple[str, str, str]]:
    """``(utt_id, wav_path, reference)`` of a Kaldi-style folder, sorted by id; the first
    ``utterances`` of them if given. ``wav.scp`` entries must be audio files (no pipes)."""
    data_dir = Path(data_dir)
    tables = {}
    for name in ("wav.scp", "text"):
        path = data_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: --data_dir must be a Kaldi-style folder")
        table = {}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            key, _, value = line.partition(" ")
            if name == "wav.scp" and (not value or value.rstrip().endswith("|")):
                raise ValueError(f"{path}:{n}: expected 'utt_id path', got {line!r}")
            table[key] = value.strip()
        tables[name] = table
    missing = sorted(set(tables["wav.scp"]) - set(tables["text"]))
    if missing:
        raise ValueError(
            f"{data_dir}/text has no reference for {len(missing)} id(s): {missing[:3]}"
        )
    ids = sorted(tables["wav.scp"])[:utterances]
    if not ids:
        raise ValueError(f"{data_dir}/wav.scp lists no utterance")
    return [(k, tables["wav.scp"][k], tables["text"][k]) for k in ids]


def read_decode_config(path: Optional[Path | str]) -> Dict[str, Any]:
    """``Speech2Text`` keyword arguments from an ESPnet decode config (YAML mapping)."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"decode config not found: {path}")
    conf = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(conf, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    from espnet_lowrank._espnet_import import import_quietly

    (asr_inference,) = import_quietly("espnet2.bin.asr_inference")
    known = set(inspect.signature(asr_inference.Speech2Text.__init__).parameters) - {"self"}
    fixed = {"asr_train_config", "asr_model_file", "device", "nbest", "quantize_asr_model"}
    bad = sorted(set(conf) - (known - fixed))
    if bad:
        raise ValueError(f"{path}: key(s) {bad} are not Speech2Text options this bench accepts")
    return conf


def load_speech2text(
    exp_dir: Path | str, model_file: str, decode_conf: Mapping[str, Any], int8: bool
):
    """``Speech2Text`` of ``exp_dir/config.yaml`` + ``exp_dir/model_file``, int8 if asked."""
    import espnet_lowrank  # noqa: F401  (registers the low-rank classes)
    from espnet_lowrank._espnet_import import import_quietly
    from espnet_lowrank.hub.load import check_weights_match
    from espnet_lowrank.layers.quantized import quantize_dynamic

    exp_dir = Path(exp_dir)
    config, weights = exp_dir / "config.yaml", exp_dir / model_file
    for path in (config, weights):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found (--exp_dirs, --model_file)")
    (asr_inference,) = import_quietly("espnet2.bin.asr_inference")
    s2t = asr_inference.Speech2Text(
        asr_train_config=str(config), asr_model_file=str(weights), device="cpu", nbest=1,
        **decode_conf,
    )  # fmt: skip
    check_weights_match(s2t.asr_model, weights)
    if int8:  # in place: the beam search's scorers hold the same decoder and CTC modules
        quantize_dynamic(s2t.asr_model.eval(), inplace=True)
    return s2t


def state_megabytes(model: torch.nn.Module) -> float:
    """Size of ``torch.save(model.state_dict())`` in MB (int8 weights are packed)."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.tell() / 1e6


def decode_interleaved(
    decoders: Mapping[str, Callable[[torch.Tensor], str]],
    utts: Sequence[Tuple[str, torch.Tensor]],
    clock: Callable[[], float] = time.perf_counter,
) -> Dict[str, Dict[str, Any]]:
    """Per variant: ``{"hyps": {utt: text}, "seconds": total}``; the first utterance is
    decoded once untimed by each variant first (lazy initialisation, allocator)."""
    out = {name: {"hyps": {}, "seconds": 0.0} for name in decoders}
    for fn in decoders.values():
        fn(utts[0][1])
    for uid, audio in utts:
        for name, fn in decoders.items():
            start = clock()
            text = fn(audio)
            out[name]["seconds"] += clock() - start
            out[name]["hyps"][uid] = text
    return out


def _decoder(s2t) -> Callable[[torch.Tensor], str]:
    def run(audio: torch.Tensor) -> str:
        results = s2t(audio)
        return results[0][0] if results else ""

    return run


def run(
    exp_dirs: Sequence[Path | str],
    data_dir: Path | str,
    model_file: str = "valid.acc.ave.pth",
    decode_config: Optional[Path | str] = None,
    utterances: Optional[int] = None,
    log=print,
) -> List[Dict[str, Any]]:
    """One record per variant (see :data:`VARIANTS`), in that order."""
    import soundfile

    from espnet_lowrank.bench.decode import _espnet_nets

    for mod in ("beam_search", "batch_beam_search"):  # per-utterance INFO and length notes
        logging.getLogger(f"{_espnet_nets()}.{mod}").setLevel(logging.ERROR)
    if len(exp_dirs) != 2:
        raise ValueError(f"give two experiment folders (full rank, low rank), got {len(exp_dirs)}")
    conf = read_decode_config(decode_config)
    data = read_data(data_dir, utterances)
    utts, refs, audio_s = [], {}, 0.0
    for uid, wav, ref in data:
        audio, fs = soundfile.read(wav, dtype="float32")
        utts.append((uid, torch.from_numpy(audio)))
        refs[uid] = ref
        audio_s += len(audio) / fs
    models, decoders = {}, {}
    for (kind, precision), exp in zip(VARIANTS, [d for d in exp_dirs for _ in range(2)]):
        name = f"{kind} {precision}"
        s2t = load_speech2text(exp, model_file, conf, precision == "int8")
        models[name] = (exp, s2t.asr_model)
        decoders[name] = _decoder(s2t)
        log(f"int8 bench: loaded {name} from {exp}")
    log(f"int8 bench: decoding {len(utts)} utterances ({audio_s:.0f} s of audio) x 4 variants")
    res = decode_interleaved(decoders, utts)
    words = sum(len(r.split()) for r in refs.values())
    records = []
    for (kind, precision), name in zip(VARIANTS, decoders):
        exp, model = models[name]
        errors = sum(word_errors(refs[k], res[name]["hyps"][k]) for k in refs)
        rec = {
            "bench": "int8",
            "model": kind,
            "precision": precision,
            "exp_dir": str(exp),
            "model_file": model_file,
            "data_dir": str(data_dir),
            "decode_config": None if decode_config is None else str(decode_config),
            "decode_conf": conf,
            "utterances": len(utts),
            "audio_seconds": audio_s,
            "decode_seconds": res[name]["seconds"],
            "rtf": res[name]["seconds"] / audio_s,
            "words": words,
            "word_errors": errors,
            "wer": 100.0 * errors / words if words else None,
            "state_mb": state_megabytes(model),
            "device": "cpu",
        }
        records.append(rec)
    base = records[0]
    for rec in records:
        rec["speedup_vs_float_dense"] = base["rtf"] / rec["rtf"]
        rec["size_ratio_vs_float_dense"] = base["state_mb"] / rec["state_mb"]
        wer = "n/a" if rec["wer"] is None else f"{rec['wer']:.1f}"
        log(f"int8 bench: {rec['model']} {rec['precision']}: RTF {rec['rtf']:.4f}, WER {wer}")
    return records


COLUMNS = [
    ("model", "model"),
    ("precision", "weights"),
    ("state_mb", "state MB"),
    ("rtf", "RTF"),
    ("speedup_vs_float_dense", "speed-up vs float dense"),
    ("wer", "WER %"),
    ("word_errors", "errors"),
    ("utterances", "utts"),
]
