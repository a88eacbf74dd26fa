"""LM training text and shape files for the rescoring stages' LMs.

The base LM (general domain) and the LoRA adaptation runs (in-domain) train
through ESPnet's LM task, which reads a Kaldi text and shape files
``<utt> <n_tokens>,<vocab size>``. ESPnet's own recipes get the token counts from a
``--collect_stats`` run; here they are counted directly with the tokenizer the LM
uses (``LMTokenizer``, the same settings as ESPnet's preprocessor), which gives the
same numbers in one process.

Written to ``out_dir``: ``train.txt`` (all input texts, lines without words
dropped, as the driver's stage 4 does), ``valid.txt`` (same filter),
``train_shape.<token_type>``, ``valid_shape.<token_type>``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, List, Sequence

from espnet_lowrank.rescoring.lm_scorer import LMTokenizer


def read_texts(paths: Sequence[Path | str]) -> Dict[str, str]:
    """Concatenate Kaldi texts, dropping lines without words.

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: an utterance id appears twice (names both files), or no line
            has words.
    """
    out: Dict[str, str] = {}
    origin: Dict[str, Path] = {}
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"LM text {path} does not exist")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            parts = line.split(maxsplit=1)
            if len(parts) < 2 or not parts[1].strip():
                continue
            key, text = parts[0], parts[1].strip()
            if key in out:
                raise ValueError(
                    f"utterance id {key!r} appears twice: {origin[key]} and {path}:{n}"
                )
            out[key], origin[key] = text, path
    if not out:
        raise ValueError(f"no line with words in {[str(p) for p in paths]}")
    return out


def write_lm_data(
    texts: Sequence[Path | str],
    valid_texts: Sequence[Path | str],
    tokenizer_args: argparse.Namespace,
    out_dir: Path | str,
) -> Dict[str, int]:
    """Write ``train.txt``, ``valid.txt`` and their shape files into ``out_dir``.

    Args:
        texts: training Kaldi texts (concatenated).
        valid_texts: validation Kaldi texts (concatenated).
        tokenizer_args: ``token_type``, ``token_list`` (file), ``bpemodel``, ... as
            given to the LM task (see ``LMTokenizer``).
        out_dir: output directory (created).

    Returns:
        ``{"train": n_lines, "valid": n_lines, "train_tokens": n, "valid_tokens": n}``.

    Raises:
        ValueError: a line tokenizes to no token (names it).
    """
    to_ids = LMTokenizer(tokenizer_args)
    vocab = len(to_ids.converter.token_list)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts: Dict[str, int] = {}
    for part, paths in (("train", texts), ("valid", valid_texts)):
        table = read_texts(paths)
        text_lines: List[str] = []
        shape_lines: List[str] = []
        total = 0
        for key, text in table.items():
            n = len(to_ids(text))
            if n == 0:
                raise ValueError(f"{key}: {text!r} gives no token with {tokenizer_args.token_type}")
            text_lines.append(f"{key} {text}")
            shape_lines.append(f"{key} {n},{vocab}")
            total += n
        (out / f"{part}.txt").write_text("\n".join(text_lines) + "\n", encoding="utf-8")
        shape = out / f"{part}_shape.{tokenizer_args.token_type}"
        shape.write_text("\n".join(shape_lines) + "\n", encoding="utf-8")
        counts[part] = len(table)
        counts[f"{part}_tokens"] = total
    return counts
