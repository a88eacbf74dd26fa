"""Markdown tables and the JSON record list shared by every benchmark."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import torch

Column = Tuple[str, str]  # (record key, header)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def markdown_table(records: Sequence[Dict[str, Any]], columns: Sequence[Column]) -> str:
    """A GitHub-Markdown table of ``records`` with ``columns`` (key, header)."""
    lines = [
        "| " + " | ".join(h for _, h in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for rec in records:
        lines.append("| " + " | ".join(_fmt(rec.get(k)) for k, _ in columns) + " |")
    return "\n".join(lines)


def environment(threads: int, device: str) -> Dict[str, Any]:
    """Machine facts saved beside the numbers."""
    try:
        load = list(__import__("os").getloadavg())
    except OSError:
        load = None
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "threads": threads,
        "device": device,
        "loadavg": load,
    }


def write_json(path: Path | str, records: List[Dict[str, Any]]) -> None:
    """Write the record list (each record is self-describing) as indented JSON."""
    Path(path).write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
