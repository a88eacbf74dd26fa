"""The package's import structure: no cycles, nothing imports the tools, no feature
imports upward (a simple scan of the source's import statements, lazy ones included)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import espnet_lowrank

ROOT = Path(espnet_lowrank.__file__).parent


def _modules() -> Dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> Set[str]:
    """Our modules ``path`` imports (at module level or inside functions)."""
    out: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            subs = {f"{node.module}.{a.name}" for a in node.names} & set(MODULES)
            out |= subs or {node.module}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return {m for m in out if m in MODULES}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _cycles() -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert _cycles() == []


def test_nothing_imports_the_tools():
    bad = [
        (m, t)
        for m, targets in GRAPH.items()
        if not m.startswith("espnet_lowrank.bin")
        for t in targets
        if t.startswith("espnet_lowrank.bin")
    ]
    assert bad == []


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def test_no_upward_imports():
    # data and media helpers sit below the corpora that use them
    below = {"video": {"corpora", "recipe", "scoring", "rescoring", "bench", "hub", "analysis"}}
    bad = [
        (m, t)
        for m, targets in GRAPH.items()
        for t in targets
        if _package(t) in below.get(_package(m), set())
    ]
    assert bad == []


def test_kaldi_dir_is_a_base_module():
    assert "espnet_lowrank.kaldi_dir" in MODULES
    assert GRAPH["espnet_lowrank.kaldi_dir"] <= {"espnet_lowrank.atomic", "espnet_lowrank.errors"}
    users = {m for m, targets in GRAPH.items() if "espnet_lowrank.kaldi_dir" in targets}
    assert len(users) >= 10 and not any(
        m.startswith("espnet_lowrank.corpora.kaldi") for m in MODULES
    )
