"""Stage 3: token lists (``bpe``, ``char``, ``word``) in ESPnet's layout.

``tokens.txt`` is ``<blank>``, ``<unk>``, the tokens of the training text by falling
frequency (ties by token), then ``<sos/eos>`` -- the order ESPnet's ``asr.sh`` gets
from ``tokenize_text --write_vocabulary true --add_symbol '<blank>:0' --add_symbol
'<unk>:1' --add_symbol '<sos/eos>:-1'``. Tokenization uses ESPnet's own tokenizers,
so training (ESPnet's preprocessor) splits text the same way.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, List, Optional

from espnet_lowrank._espnet_import import import_quietly

BLANK, UNK, SOS_EOS = "<blank>", "<unk>", "<sos/eos>"
TOKEN_TYPES = ("bpe", "char", "word")


def read_text_column(text_file: Path | str) -> List[str]:
    """Transcripts of a Kaldi ``text`` table (the key column dropped)."""
    p = Path(text_file)
    if not p.is_file():
        raise FileNotFoundError(f"text file {p} not found")
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        _, _, text = line.partition(" ")
        if text.strip():
            out.append(text.strip())
    if not out:
        raise ValueError(f"{p} has no non-empty transcript")
    return out


def train_bpe(
    texts: Iterable[str], model_prefix: Path | str, nbpe: int, bpemode: str = "unigram"
) -> Path:
    """Train a SentencePiece model ``<model_prefix>.model``; return its path.

    Raises ``ValueError`` when the text is too small for ``nbpe`` pieces.
    """
    import sentencepiece as spm

    prefix = Path(model_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    train_txt = prefix.parent / "train.txt"
    train_txt.write_text("".join(f"{t}\n" for t in texts), encoding="utf-8")
    try:
        spm.SentencePieceTrainer.train(
            input=str(train_txt),
            model_prefix=str(prefix),
            vocab_size=nbpe,
            model_type=bpemode,
            character_coverage=1.0,
            input_sentence_size=100_000_000,
            minloglevel=2,
        )
    except RuntimeError as e:
        raise ValueError(
            f"SentencePiece could not train {nbpe} {bpemode} pieces on {train_txt}: {e}"
        ) from e
    return prefix.with_suffix(".model")


def build_token_list(
    texts: Iterable[str],
    token_type: str,
    out_file: Path | str,
    bpemodel: Optional[Path | str] = None,
) -> List[str]:
    """Tokenize ``texts`` with ESPnet's tokenizer and write ``out_file`` (one token a line)."""
    if token_type not in TOKEN_TYPES:
        raise ValueError(f"token_type must be one of {TOKEN_TYPES}, not {token_type!r}")
    if token_type == "bpe" and bpemodel is None:
        raise ValueError("token_type 'bpe' needs a SentencePiece model (bpemodel)")
    (mod,) = import_quietly("espnet2.text.build_tokenizer")
    tokenizer = mod.build_tokenizer(
        token_type=token_type, bpemodel=str(bpemodel) if bpemodel else None
    )
    counts: Counter = Counter()
    for t in texts:
        counts.update(tokenizer.text2tokens(t))
    for special in (BLANK, UNK, SOS_EOS):
        counts.pop(special, None)
    tokens = [BLANK, UNK] + sorted(counts, key=lambda k: (-counts[k], k)) + [SOS_EOS]
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{t}\n" for t in tokens), encoding="utf-8")
    return tokens
