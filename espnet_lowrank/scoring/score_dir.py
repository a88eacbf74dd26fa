"""Score one decode: Kaldi ``text`` → ``ref.trn``/``hyp.trn`` → sclite ``result.txt``.

The output directory matches ESPnet's ``<decode>/<set>/score_{wer,cer,ter}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from espnet_lowrank.errors import ExternalError
from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.scoring.alignment import ErrorCounts, count_errors
from espnet_lowrank.scoring.sclite import ScliteSummary, parse_result, run_sclite
from espnet_lowrank.scoring.trn import check_same_ids, read_text, tokenize, write_trn


@dataclass(frozen=True)
class ScoreResult:
    """Paths written and numbers read for one scored decode."""

    out_dir: Path
    ref_trn: Path
    hyp_trn: Path
    result_txt: Path
    summary: ScliteSummary
    ref_tokens: Dict[str, List[str]]
    hyp_tokens: Dict[str, List[str]]


def load_utt2spk(path: Optional[Path | str], utt_ids: Sequence[str]) -> Dict[str, str]:
    """Speakers for the trn ids: read ``path``, or each utterance is its own speaker.

    ``path=None`` means "no speaker table" and uses the utterance id as speaker.
    """
    if path is None:
        return {u: u for u in utt_ids}
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"utt2spk not found: {p}")
    table = {k: v.strip() for k, v in read_table(p).items()}
    bad = [k for k, v in table.items() if not v or len(v.split()) != 1]
    if bad:
        raise ValueError(f"{p}: speaker id must be one token for: {' '.join(bad[:10])}")
    missing = sorted(set(utt_ids) - set(table))
    if missing:
        raise ValueError(
            f"{p} has no speaker for {len(missing)} scored utterance(s): " + " ".join(missing[:10])
        )
    return {u: table[u] for u in utt_ids}


def score_text_files(
    ref_text: Path | str,
    hyp_text: Path | str,
    out_dir: Path | str,
    unit: str = "word",
    utt2spk: Optional[Path | str] = None,
    bpe_model: Optional[Path | str] = None,
    non_linguistic_symbols: Optional[Path | str] = None,
    cleaner: Optional[str] = None,
    hyp_cleaner: Optional[str] = None,
    sclite_options: Sequence[str] = (),
    sclite_command: Optional[Sequence[str]] = None,
    cross_check: bool = False,
) -> ScoreResult:
    """Write ``ref.trn``, ``hyp.trn`` and sclite's ``result.txt`` into ``out_dir``.

    Args:
        ref_text, hyp_text: Kaldi ``text`` files (``<uttid> <transcript>``).
        out_dir: e.g. ``exp/asr_x/decode_y/test/score_wer``.
        unit: ``word`` | ``char`` | ``token`` (see :func:`trn.tokenize`).
        utt2spk: speaker table for the ``(<spk>-<uttid>)`` tags; ``None``: none.
        cross_check: also align in Python with sclite's weights and raise if the
            counts differ from sclite's ``Sum`` row.
    """
    ref = read_text(ref_text)
    hyp = read_text(hyp_text)
    check_same_ids(ref, hyp, str(ref_text), str(hyp_text))
    ref_tokens = tokenize(ref, unit, bpe_model, non_linguistic_symbols, cleaner)
    hyp_tokens = tokenize(hyp, unit, bpe_model, non_linguistic_symbols, hyp_cleaner)
    if sum(len(t) for t in ref_tokens.values()) == 0:
        raise ValueError(f"{ref_text}: every reference is empty; {unit} error rate is undefined")
    speakers = load_utt2spk(utt2spk, sorted(ref))
    out = Path(out_dir)
    ref_trn = write_trn(out / "ref.trn", ref_tokens, speakers)
    hyp_trn = write_trn(out / "hyp.trn", hyp_tokens, speakers)
    result_txt = run_sclite(ref_trn, hyp_trn, out / "result.txt", sclite_options, sclite_command)
    summary = parse_result(result_txt)
    if cross_check:
        mine: ErrorCounts = count_errors(ref_tokens, hyp_tokens)
        if summary.counts != mine.as_sclite_counts():
            raise ExternalError(
                f"sclite counts {summary.counts} (corr, sub, del, ins, err, s_err) "
                f"in {result_txt} differ from the Python alignment "
                f"{mine.as_sclite_counts()}"
            )
    return ScoreResult(out, ref_trn, hyp_trn, result_txt, summary, ref_tokens, hyp_tokens)
