"""Shape-file helpers for the stats stages (as ESPnet's asr.sh does with awk)."""

from __future__ import annotations

from pathlib import Path


def count_tokens(token_list: Path | str) -> int:
    """Number of non-empty lines of a ``tokens.txt``."""
    p = Path(token_list)
    n = sum(1 for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip())
    if n == 0:
        raise ValueError(f"token list {p} is empty")
    return n


def append_vocab_size(text_shape: Path | str, token_list: Path | str, out: Path | str) -> None:
    """Write ``out`` with each ``<key> <len>`` line of ``text_shape`` as ``<key> <len>,<V>``.

    ESPnet's trainer reads the shape ``(len, V)`` of the one-hot token sequence from it.
    """
    vocab = count_tokens(token_list)
    src = Path(text_shape)
    lines = []
    for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{src}:{n}: expected '<key> <length>', got {line!r}")
        lines.append(f"{parts[0]} {parts[1]},{vocab}")
    if not lines:
        raise ValueError(f"shape file {src} is empty")
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
