"""Read Kaldi ``text`` files and write NIST ``trn`` files the way ESPnet's asr.sh does.

asr.sh scores a decode by tokenizing the reference ``data/<set>/text`` and the
hypothesis ``<decode>/<set>/text`` (words for WER, characters for CER, BPE pieces
for TER) with ``espnet2.bin.tokenize_text`` and pasting a ``(<spk>-<uttid>)`` tag
after each line. This module does the same in-process with ESPnet's own tokenizers,
so the ``ref.trn`` / ``hyp.trn`` files are identical to the ones asr.sh would write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

from espnet_lowrank.kaldi_dir import read_table

#: ``--unit`` of the scoring tool → (ESPnet token type, score directory suffix).
UNITS: Dict[str, tuple] = {
    "word": ("word", "wer"),
    "char": ("char", "cer"),
    "token": ("bpe", "ter"),
}


def read_text(path: Path | str) -> Dict[str, str]:
    """Read a Kaldi ``text`` file into ``{utt_id: transcript}``.

    An utterance line with an id and no words is an empty transcript (valid for a
    hypothesis). A file with no utterance at all is an error that names the file.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"text file not found: {p}")
    table = read_table(p)
    if not table:
        raise ValueError(f"{p} is empty: it holds no utterance")
    return {k: " ".join(v.split()) for k, v in table.items()}


def check_same_ids(
    ref: Mapping[str, str], hyp: Mapping[str, str], ref_path: str, hyp_path: str
) -> None:
    """Raise ``ValueError`` naming the ids present in only one of ``ref`` / ``hyp``."""
    only_ref = sorted(set(ref) - set(hyp))
    only_hyp = sorted(set(hyp) - set(ref))
    if not only_ref and not only_hyp:
        return

    def show(ids: List[str]) -> str:
        head = " ".join(ids[:10])
        return head + (f" ... ({len(ids)} in all)" if len(ids) > 10 else "")

    parts = []
    if only_ref:
        parts.append(f"missing from the hypothesis {hyp_path}: {show(only_ref)}")
    if only_hyp:
        parts.append(f"not in the reference {ref_path}: {show(only_hyp)}")
    raise ValueError("utterance ids differ; " + "; ".join(parts))


def tokenize(
    texts: Mapping[str, str],
    unit: str,
    bpe_model: Optional[Path | str] = None,
    non_linguistic_symbols: Optional[Path | str] = None,
    cleaner: Optional[str] = None,
) -> Dict[str, List[str]]:
    """Split each transcript into scoring units with ESPnet's tokenizers.

    Args:
        texts: ``{utt_id: transcript}``.
        unit: ``word``, ``char`` (spaces become ``<space>``, as ESPnet's CER) or
            ``token`` (SentencePiece pieces; needs ``bpe_model``).
        bpe_model: SentencePiece model for ``unit="token"``.
        non_linguistic_symbols: file with one symbol per line (asr.sh ``nlsyms_txt``);
            those symbols are removed before scoring, as asr.sh does.
        cleaner: ESPnet text cleaner name (e.g. ``tacotron``; asr.sh's ``cleaner``
            for the reference, ``hyp_cleaner`` for the hypothesis); ``None``: none.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {sorted(UNITS)}, got {unit!r}")
    token_type = UNITS[unit][0]
    if token_type == "bpe":
        if bpe_model is None:
            raise ValueError("unit 'token' needs a SentencePiece model (--bpe_model)")
        if not Path(bpe_model).is_file():
            raise FileNotFoundError(f"SentencePiece model not found: {bpe_model}")
    if non_linguistic_symbols is not None and not Path(non_linguistic_symbols).is_file():
        raise FileNotFoundError(f"non-linguistic symbol list not found: {non_linguistic_symbols}")
    # The tokenizer classes asr.sh's tokenize_text builds, imported one by one:
    # espnet2.text.build_tokenizer would also import the g2p stack (slow, noisy).
    from espnet2.text.cleaner import TextCleaner

    nlsyms = str(non_linguistic_symbols) if non_linguistic_symbols is not None else None
    remove = non_linguistic_symbols is not None
    if token_type == "word":
        from espnet2.text.word_tokenizer import WordTokenizer

        tokenizer = WordTokenizer(
            non_linguistic_symbols=nlsyms, remove_non_linguistic_symbols=remove
        )
    elif token_type == "char":
        from espnet2.text.char_tokenizer import CharTokenizer

        tokenizer = CharTokenizer(
            non_linguistic_symbols=nlsyms, remove_non_linguistic_symbols=remove
        )
    else:
        from espnet2.text.sentencepiece_tokenizer import SentencepiecesTokenizer

        tokenizer = SentencepiecesTokenizer(str(bpe_model))
    clean = TextCleaner(cleaner)
    return {k: tokenizer.text2tokens(clean(v)) for k, v in texts.items()}


def trn_tag(utt_id: str, spk_id: str) -> str:
    """The ``(<spk>-<uttid>)`` id asr.sh appends to each trn line (sclite ``-i rm``)."""
    return f"({spk_id}-{utt_id})"


def write_trn(
    path: Path | str,
    tokens: Mapping[str, Sequence[str]],
    utt2spk: Mapping[str, str],
) -> Path:
    """Write ``tokens`` as trn, one ``<units> (<spk>-<uttid>)`` line per utterance.

    Lines are sorted by utterance id; ``utt2spk`` must name a speaker for each id.
    """
    p = Path(path)
    missing = sorted(set(tokens) - set(utt2spk))
    if missing:
        raise ValueError(
            f"utt2spk has no speaker for {len(missing)} utterance(s): " + " ".join(missing[:10])
        )
    lines = []
    for utt_id in sorted(tokens):
        words = " ".join(tokens[utt_id])
        tag = trn_tag(utt_id, utt2spk[utt_id])
        lines.append(f"{words} {tag}" if words else tag)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p
