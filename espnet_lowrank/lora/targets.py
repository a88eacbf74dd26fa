"""Resolve LoRA target patterns to exact module names, and check coverage.

Patterns are shell-style globs on the dotted module names of the language model
(relative to the ``AbsLM``), e.g. ``encoder.encoders.*.self_attn.linear_{q,k,v,out}``:
``*`` matches any characters (dots included) and ``{a,b}`` expands to alternatives.
peft itself matches ``target_modules`` by suffix and silently skips names that do
not exist, so every pattern here must match at least one ``nn.Linear``; a pattern
that matches nothing is an error naming it.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Dict, List, Mapping, Sequence

import torch

_BRACE = re.compile(r"\{([^{}]*)\}")


def expand_braces(pattern: str) -> List[str]:
    """Expand ``{a,b}`` alternatives: ``w_{1,2}`` -> ``["w_1", "w_2"]``."""
    m = _BRACE.search(pattern)
    if m is None:
        return [pattern]
    out: List[str] = []
    for alt in m.group(1).split(","):
        out.extend(expand_braces(pattern[: m.start()] + alt + pattern[m.end() :]))
    return out


def pattern_matches(pattern: str, name: str) -> bool:
    """True when the glob ``pattern`` (with brace alternatives) matches ``name``."""
    return any(fnmatch.fnmatchcase(name, p) for p in expand_braces(pattern))


def linear_names(model: torch.nn.Module) -> List[str]:
    """Dotted names of every ``nn.Linear`` in ``model`` (module order)."""
    return [n for n, m in model.named_modules() if type(m) is torch.nn.Linear]


def resolve_targets(model: torch.nn.Module, patterns: Sequence[str]) -> List[str]:
    """Return the sorted exact names of the ``nn.Linear`` modules that ``patterns`` match.

    Raises:
        ValueError: a pattern matches no module, or matches a module that is not an
            ``nn.Linear`` (only dense linears can carry a LoRA adapter here).
    """
    if not patterns:
        raise ValueError("lora_conf.target_modules is empty: name the layers to adapt")
    modules = dict(model.named_modules())
    linears = set(linear_names(model))
    found: List[str] = []
    for pat in patterns:
        hits = [n for n in modules if n and pattern_matches(pat, n)]
        if not hits:
            raise ValueError(
                f"target pattern {pat!r} matches no module of {type(model).__name__}; "
                f"linear layers are e.g. {sorted(linears)[:6]}"
            )
        bad = [n for n in hits if n not in linears]
        if bad:
            raise ValueError(
                f"target pattern {pat!r} matches modules that are not nn.Linear: "
                f"{bad[:4]} (types {[type(modules[n]).__name__ for n in bad[:4]]})"
            )
        found.extend(hits)
    return sorted(set(found))


def resolve_rank_pattern(targets: Sequence[str], rank_pattern: Mapping[str, int]) -> Dict[str, int]:
    """Map each target name to its rank from a ``{glob: rank}`` pattern.

    Every pattern must match at least one target, every target must be matched by
    exactly one pattern, and ranks must be integers >= 1.

    Raises:
        ValueError: naming the pattern that matches nothing, the target no pattern
            covers, the target two patterns claim, or the bad rank.
    """
    if not rank_pattern:
        raise ValueError("lora_conf.rank_pattern is empty for strategy 'mixed'")
    ranks: Dict[str, int] = {}
    owner: Dict[str, str] = {}
    for pat, r in rank_pattern.items():
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise ValueError(f"rank_pattern[{pat!r}] = {r!r}: ranks must be ints >= 1")
        hits = [t for t in targets if pattern_matches(pat, t)]
        if not hits:
            raise ValueError(
                f"rank_pattern key {pat!r} matches none of the {len(targets)} target "
                f"modules (e.g. {list(targets)[:3]})"
            )
        for t in hits:
            if t in owner:
                raise ValueError(
                    f"target {t!r} is matched by two rank_pattern keys: "
                    f"{owner[t]!r} and {pat!r}; make the patterns disjoint"
                )
            owner[t] = pat
            ranks[t] = r
    missing = [t for t in targets if t not in ranks]
    if missing:
        raise ValueError(
            f"target modules not covered by any rank_pattern key: {missing}; "
            "add a pattern for them or drop them from target_modules"
        )
    return ranks
