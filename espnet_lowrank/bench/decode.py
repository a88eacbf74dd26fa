"""``decode``: encoder forward time and beam-search real-time factor, LR-SMS vs full rank.

The models are built in-process with random weights (timing does not need trained
ones) and decoded with ESPnet's ``BatchBeamSearch`` set up as ``Speech2Text`` sets it
up (decoder + CTC prefix scorer + length bonus, ``pre_beam_score_key="full"``). A
random model never stops on its own at a predictable point, so every hypothesis is
forced to the same length (``maxlenratio = -L``, ``minlenratio = -(L - 1)``, L = the batch's
tokens per utterance): both variants do the same number of decoder steps.

RTF = decoding wall time (encoder + beam search, one utterance at a time) / audio seconds.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any, Dict, List, Optional, Sequence

import torch

from espnet_lowrank.bench import models
from espnet_lowrank.bench.timing import speedups, time_interleaved, timing_fields


def _espnet_nets() -> str:
    """Where ESPnet keeps its beam search: ``espnet.nets`` (202511) or
    ``espnet2.legacy.nets`` (202611 moved it)."""
    for name in ("espnet.nets", "espnet2.legacy.nets"):
        if importlib.util.find_spec(name.split(".")[0]) is None:
            continue
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        return name
    raise ImportError("ESPnet's beam search: neither espnet.nets nor espnet2.legacy.nets found")


def _beam_search(model, beam: int, vocab: int, ctc_weight: float = 0.3):
    nets = _espnet_nets()
    BatchBeamSearch = importlib.import_module(f"{nets}.batch_beam_search").BatchBeamSearch
    CTCPrefixScorer = importlib.import_module(f"{nets}.scorers.ctc").CTCPrefixScorer
    LengthBonus = importlib.import_module(f"{nets}.scorers.length_bonus").LengthBonus

    scorers = {
        "decoder": model.decoder,
        "ctc": CTCPrefixScorer(ctc=model.ctc, eos=model.eos),
        "length_bonus": LengthBonus(vocab),
    }
    weights = {"decoder": 1.0 - ctc_weight, "ctc": ctc_weight, "length_bonus": 0.0}
    return BatchBeamSearch(
        scorers=scorers,
        weights=weights,
        beam_size=beam,
        vocab_size=vocab,
        sos=model.sos,
        eos=model.eos,
        token_list=None,
        pre_beam_score_key="full",
    ).eval()


def _encode(model, speech: torch.Tensor, lengths: torch.Tensor):
    """Batched encoder forward. ``speech``: (B, S) audio, ``lengths``: (B,)."""

    def run_enc() -> None:
        with torch.inference_mode():
            model.encode(speech, lengths)

    return run_enc


def _decode(
    model, search, speech: torch.Tensor, lengths: torch.Tensor, out_len: int, hyp_lens: list
):
    """Encode and beam-search each utterance alone, forced to ``out_len`` tokens;
    the best hypotheses' token counts of the last call are left in ``hyp_lens``."""

    def run_dec() -> None:
        hyp_lens.clear()
        with torch.no_grad():  # as Speech2Text
            for k in range(speech.size(0)):
                enc, _ = model.encode(speech[k : k + 1], lengths[k : k + 1])
                hyps = search(x=enc[0], maxlenratio=-out_len, minlenratio=-(out_len - 1))
                if not hyps:
                    raise RuntimeError("beam search returned no hypothesis")
                hyp_lens.append(len(hyps[0].yseq) - 2)  # without <sos>, <eos>

    return run_dec


def run(
    sizes: Sequence[str],
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    beam: int = 5,
    utterances: int = 3,
    batch: Optional[int] = None,
    seconds: Optional[float] = None,
    log=print,
) -> List[Dict[str, Any]]:
    for mod in ("beam_search", "batch_beam_search"):
        logging.getLogger(f"{_espnet_nets()}.{mod}").setLevel(logging.WARNING)
    records = []
    for name in sizes:
        size = models.asr_size(name, batch, seconds)
        data = models.asr_batch(size, device)
        n_utt = min(utterances, size.batch)
        speech = data["speech"][:n_utt]
        lengths = data["speech_lengths"][:n_utt]
        out_len = int(data["text_lengths"][0])
        built = {rm: models.build_asr(size, rm, device).eval() for rm in ("dense", "lr_sms")}
        searchers = {rm: _beam_search(m, beam, size.vocab) for rm, m in built.items()}

        hyp_lens = {rm: [] for rm in built}
        t_enc = time_interleaved(
            {rm: _encode(m, speech, lengths) for rm, m in built.items()},
            repeats=repeats,
            warmup=warmup,
            number=1,
            device=device,
        )
        t_dec = time_interleaved(
            {
                rm: _decode(built[rm], searchers[rm], speech, lengths, out_len, hyp_lens[rm])
                for rm in built
            },
            repeats=repeats,
            warmup=warmup,
            number=1,
            device=device,
        )
        audio_s = n_utt * size.seconds
        rec: Dict[str, Any] = {
            "bench": "decode",
            "size": name,
            "model": size.describe(),
            "device": device,
            "beam": beam,
            "utterances": n_utt,
            "audio_seconds": audio_s,
            "output_tokens": out_len,
            "dense_hyp_tokens": list(hyp_lens["dense"]),
            "lowrank_hyp_tokens": list(hyp_lens["lr_sms"]),
        }
        rec.update(timing_fields("dense_encoder", t_enc["dense"]))
        rec.update(timing_fields("lowrank_encoder", t_enc["lr_sms"]))
        enc_sp = speedups(t_enc["dense"], t_enc["lr_sms"])
        rec["encoder_speedup"] = enc_sp["speedup"]
        rec["encoder_speedup_median"] = enc_sp["speedup_median"]
        rec.update(timing_fields("dense", t_dec["dense"]))
        rec.update(timing_fields("lowrank", t_dec["lr_sms"]))
        rec.update(speedups(t_dec["dense"], t_dec["lr_sms"]))
        rec["dense_rtf"] = t_dec["dense"].min / audio_s
        rec["lowrank_rtf"] = t_dec["lr_sms"].min / audio_s
        rec["slower_than_dense"] = rec["speedup"] < 1.0 or rec["encoder_speedup"] < 1.0
        records.append(rec)
        log(
            f"decode {name}: encoder {rec['encoder_speedup']:.2f}x, decoding "
            f"{rec['speedup']:.2f}x (RTF {rec['dense_rtf']:.3f} -> {rec['lowrank_rtf']:.3f})"
        )
    return records


COLUMNS = [
    ("size", "size"),
    ("beam", "beam"),
    ("dense_encoder_min_ms", "dense enc ms"),
    ("lowrank_encoder_min_ms", "LR-SMS enc ms"),
    ("encoder_speedup", "enc speed-up"),
    ("dense_rtf", "dense RTF"),
    ("lowrank_rtf", "LR-SMS RTF"),
    ("speedup", "decode speed-up (min)"),
    ("speedup_median", "(median)"),
]
