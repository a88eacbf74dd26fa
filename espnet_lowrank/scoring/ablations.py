"""The ablation grid of a recipe: its jobs, its results table, verdicts and plot.

The grid is a YAML file of the recipe (``egs2/mini_lowrank/asr1/conf/ablations.yaml``)::

    reference: train_asr_full              # the row every other is tested against
    rows:
      - {config: conf/train_asr_full.yaml, label: full rank, baseline: true}
      - {config: conf/tuning/train_asr_attn012.yaml, label: "attention only, α 0.12"}
    claims:                                # optional
      - claim: attention alone at α 0.12 improves WER
        systems: [train_asr_attn012, train_asr_full]
        expect: better                     # better | worse | not_worse

A row is named by its config's file name without ``.yaml``. The driver trains it once
per seed (:func:`jobs`): seed 0 is the config's own seed and experiment
``asr_<row>_<suffix>``; seed ``N > 0`` gets ``--seed N`` and ``asr_<row>_seedN_<suffix>``.
Results are read from those experiment folders (``exp/`` first, then the recipe's
``results/``, where finished experiments are kept): ESPnet's sclite report and the
hypothesis/reference trn files of ``decode_*/<set>/score_wer/``, ``config.yaml`` for
the parameter count and ``train.log`` for the epoch time.

Each claim is decided on the first test set by NIST ``sc_stats``' matched-pair test of
the two rows' first systems (each row's lowest trained seed: seed 0 unless it failed)
(p < 0.05), with the seeds' mean ± std beside it:

- ``better``: reproduced if the first system is significantly better, contradicted if it
  is significantly worse, otherwise not significant at this size;
- ``worse``: the same with the roles swapped;
- ``not_worse``: reproduced unless the first system is significantly worse.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from espnet_lowrank.errors import InputError
from espnet_lowrank.scoring.sclite import parse_result
from espnet_lowrank.scoring.seeds import mean_std
from espnet_lowrank.scoring.significance import PairTest, matched_pairs
from espnet_lowrank.strict_yaml import load_yaml_mapping

EXPECT = ("better", "worse", "not_worse")
SECTION_BEGIN = "<!-- ablations:begin (written by espnet_lowrank.bin.make_results) -->"
SECTION_END = "<!-- ablations:end -->"


class GridError(InputError):
    """An ablation grid file that cannot be used; the message names the key and value."""


@dataclass(frozen=True)
class Row:
    """One configuration of the grid (``name``: its config's file stem)."""

    name: str
    config: str
    label: str
    baseline: bool = False


@dataclass(frozen=True)
class Claim:
    """A paper's claim: ``systems[0]`` compared with ``systems[1]``, ``expect`` of the first."""

    claim: str
    systems: Tuple[str, str]
    expect: str


@dataclass(frozen=True)
class Grid:
    """A validated grid file (rows in the file's order)."""

    path: Path
    reference: str
    rows: Tuple[Row, ...]
    claims: Tuple[Claim, ...] = ()

    def row(self, name: str) -> Row:
        """The row called ``name`` (``KeyError`` if there is none)."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)


def _require(d: Mapping, key: str, kind: type, where: str):
    if key not in d:
        raise GridError(f"{where}: missing key {key!r}")
    value = d[key]
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise GridError(f"{where}: {key} must be a non-empty {kind.__name__}, not {value!r}")
    return value


def _check_keys(d: Mapping, allowed: Sequence[str], where: str) -> None:
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise GridError(f"{where}: unknown key(s) {unknown} (allowed: {list(allowed)})")


def load_grid(path: Path | str) -> Grid:
    """Read and check a grid file; errors name the file, the entry and the key."""
    path = Path(path)
    if not path.is_file():
        raise GridError(f"ablation grid {str(path)!r} does not exist")
    data = load_yaml_mapping(path, "ablation grid")
    _check_keys(data, ("reference", "rows", "claims"), str(path))
    reference = _require(data, "reference", str, str(path))
    raw_rows = _require(data, "rows", list, str(path))
    rows: List[Row] = []
    for i, entry in enumerate(raw_rows):
        where = f"{path}: rows[{i}]"
        if not isinstance(entry, dict):
            raise GridError(f"{where} must be a mapping, not {entry!r}")
        _check_keys(entry, ("config", "label", "baseline"), where)
        config = _require(entry, "config", str, where)
        if not config.endswith(".yaml"):
            raise GridError(f"{where}: config must be a .yaml file, not {config!r}")
        baseline = entry.get("baseline", False)
        if not isinstance(baseline, bool):
            raise GridError(f"{where}: baseline must be true or false, not {baseline!r}")
        name = Path(config).stem
        if any(r.name == name for r in rows):
            raise GridError(f"{where}: row {name!r} ({config}) is listed twice")
        rows.append(Row(name, config, _require(entry, "label", str, where), baseline))
    names = [r.name for r in rows]
    if reference not in names:
        raise GridError(f"{path}: reference {reference!r} is not a row (rows: {names})")
    claims: List[Claim] = []
    for i, entry in enumerate(data.get("claims") or []):
        where = f"{path}: claims[{i}]"
        if not isinstance(entry, dict):
            raise GridError(f"{where} must be a mapping, not {entry!r}")
        _check_keys(entry, ("claim", "systems", "expect"), where)
        systems = _require(entry, "systems", list, where)
        if len(systems) != 2 or any(s not in names for s in systems) or systems[0] == systems[1]:
            raise GridError(
                f"{where}: systems must be two different rows of {names}, not {systems!r}"
            )
        expect = _require(entry, "expect", str, where)
        if expect not in EXPECT:
            raise GridError(f"{where}: expect must be one of {list(EXPECT)}, not {expect!r}")
        claims.append(Claim(_require(entry, "claim", str, where), (systems[0], systems[1]), expect))
    return Grid(path, reference, tuple(rows), tuple(claims))


def exp_name(row: str, seed: int, suffix: str) -> str:
    """Experiment folder name of ``row`` trained with ``seed`` (``suffix``: ``raw_en_bpe300``)."""
    return f"asr_{row}_{suffix}" if seed == 0 else f"asr_{row}_seed{seed}_{suffix}"


def jobs(grid: Grid, seeds: Sequence[int], ablation_seeds: Sequence[int]) -> List[Tuple[Row, int]]:
    """``(row, seed)`` to train, seed by seed (every row's first seed before any second one,
    so an interrupted grid has whole passes), rows in the file's order within a seed."""
    for s in list(seeds) + list(ablation_seeds):
        if not isinstance(s, int) or s < 0:
            raise GridError(f"seeds must be integers >= 0, not {s!r}")
    out = []
    for seed in sorted(set(seeds) | set(ablation_seeds)):
        for row in grid.rows:
            if seed in (seeds if row.baseline else ablation_seeds):
                out.append((row, seed))
    return out


@dataclass
class System:
    """One trained (row, seed): WER per test set, its trn files, size and epoch time."""

    exp_dir: Path
    wer: Dict[str, float] = field(default_factory=dict)
    trn: Dict[str, Tuple[Path, Path]] = field(default_factory=dict)  # set -> (ref, hyp)
    params: Optional[int] = None
    epoch_s: Optional[float] = None


def _system(exp: Path, test_sets: Sequence[str]) -> Optional[System]:
    """The scored system in ``exp`` (``None`` unless every test set is scored)."""
    sys_ = System(exp)
    for dset in test_sets:
        scored = sorted(exp.glob(f"decode_*/{dset}/score_wer/result.txt"))
        if not scored:
            return None
        score = scored[0].parent
        sys_.wer[dset] = parse_result(score / "result.txt").err
        if (score / "ref.trn").is_file() and (score / "hyp.trn").is_file():
            sys_.trn[dset] = (score / "ref.trn", score / "hyp.trn")
    if (exp / "config.yaml").is_file():
        from espnet_lowrank.count_params import count_config

        sys_.params = count_config(exp / "config.yaml", "asr", [])["total"]["lowrank"]
    if (exp / "train.log").is_file():
        from espnet_lowrank.recipe.measure import epoch_seconds

        try:
            secs = epoch_seconds(exp / "train.log")
            sys_.epoch_s = sum(secs.values()) / len(secs)
        except ValueError:
            pass  # a log without a finished epoch: no epoch time
    return sys_


_SEED_DIR = re.compile(r"^asr_(?P<row>.+?)(?:_seed(?P<seed>\d+))?_raw_")


def collect(
    grid: Grid, dirs: Sequence[Path | str], test_sets: Sequence[str]
) -> Dict[str, Dict[int, System]]:
    """``{row: {seed: System}}`` of the scored experiments under ``dirs`` (the first folder
    holding a (row, seed) wins: ``exp/`` before the kept ``results/``)."""
    names = {r.name for r in grid.rows}
    out: Dict[str, Dict[int, System]] = {r.name: {} for r in grid.rows}
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            continue
        for exp in sorted(p for p in d.glob("asr_*") if p.is_dir()):
            m = _SEED_DIR.match(exp.name)
            if not m or m["row"] not in names:
                continue
            seed = int(m["seed"] or 0)
            if seed in out[m["row"]]:
                continue
            found = _system(exp, test_sets)
            if found is not None:
                out[m["row"]][seed] = found
    return out


def first(systems: Dict[int, System]) -> Optional[System]:
    """The row's system of the lowest seed (``None`` if it has none)."""
    return systems[min(systems)] if systems else None


def pair_test(a: Optional[System], b: Optional[System], dset: str) -> Optional[PairTest]:
    """sc_stats' matched-pair test of two systems on ``dset`` (``None`` if either lacks trn
    files); systems are named ``a`` and ``b``."""
    if a is None or b is None or dset not in a.trn or dset not in b.trn:
        return None
    return matched_pairs(a.trn[dset][0], {"a": a.trn[dset][1], "b": b.trn[dset][1]})[("a", "b")]


def _sig(t: Optional[PairTest]) -> str:
    if t is None:
        return "n/a"
    if t.better is None:
        return f"n.s. (p={t.p})"
    return f"{'better' if t.better == 'a' else 'worse'} {t.stars} (p={t.p})"


def verdict(expect: str, t: Optional[PairTest]) -> str:
    """The claim's verdict from the test of its first system (``a``) against the second."""
    if t is None:
        return "not measured yet"
    a_better, a_worse = t.better == "a", t.better == "b"
    if expect == "not_worse":
        return "contradicted" if a_worse else "reproduced"
    if (expect == "better" and a_better) or (expect == "worse" and a_worse):
        return "reproduced"
    if a_better or a_worse:
        return "contradicted"
    return "not significant at this size"


def render(
    grid: Grid,
    results: Dict[str, Dict[int, System]],
    test_sets: Sequence[str],
    plot_link: Optional[str] = None,
    heading: str = "##",
) -> List[str]:
    """Markdown lines of the "Ablations" section (table, claims, plot link)."""
    ref_row = grid.reference
    ref0 = first(results[ref_row])
    ref_params = next((s.params for s in results[ref_row].values() if s.params), None)
    lines = [f"{heading} Ablations (LR-SMS paper, arXiv 2410.07771)", ""]
    lines.append(
        f"- Grid: `{grid.path.name}`; `./run.sh --ablations true` trains the missing rows. "
        "WER in %: mean ± sample standard deviation over training seeds "
        "(seed 0 is the configs' own). "
        "vs full rank: sc_stats' matched-pair test (MAPSSWE) of the row's first system "
        f"(its lowest seed) against `{ref_row}`'s (`*` p ≤ 0.05, `**` ≤ 0.01, "
        "`***` ≤ 0.001; n.s.: not significant)."
    )
    lines.append(
        "- s/epoch: ESPnet's mean training time per epoch, from runs that may have shared "
        "the machine; the side-by-side step ratio is `bench train`'s job (README)."
    )
    head = ["row", "config", "params", "full / this", "seeds"]
    head += [f"WER {s}" for s in test_sets]
    head += [f"vs full rank ({s})" for s in test_sets] + ["s/epoch"]
    lines += ["", "|" + "|".join(head) + "|", "|" + "|".join(["---"] * len(head)) + "|"]
    for row in grid.rows:
        systems = results[row.name]
        params = next((s.params for s in systems.values() if s.params), None)
        ratio = f"{ref_params / params:.2f}×" if params and ref_params else "n/a"
        cells = [row.label, f"`{row.config}`", f"{params:,}" if params else "n/a", ratio]
        cells.append(", ".join(str(s) for s in sorted(systems)) or "none yet")
        wers = ([s.wer[d] for s in systems.values()] for d in test_sets)
        cells += [mean_std(w, digits=1, show_count=False) for w in wers]
        for d in test_sets:
            cells.append("—" if row.name == ref_row else _sig(pair_test(first(systems), ref0, d)))
        epochs = [s.epoch_s for s in systems.values() if s.epoch_s]
        cells.append(mean_std(epochs, digits=0, show_count=False))
        lines.append("|" + "|".join(cells) + "|")
    if grid.claims:
        dset = test_sets[0]
        intro = f"Claims, decided on `{dset}` by each row's first system (sc_stats, p < 0.05):"
        lines += ["", intro, ""]
        lines += ["|claim|systems|WER (mean ± std)|sc_stats|verdict|", "|---|---|---|---|---|"]
        for c in grid.claims:
            a, b = (results[n] for n in c.systems)
            t = pair_test(first(a), first(b), dset)
            wers = " vs ".join(
                mean_std([s.wer[dset] for s in r.values()], digits=1, show_count=False)
                for r in (a, b)
            )
            names = " vs ".join(f"`{n}`" for n in c.systems)
            lines.append(f"|{c.claim}|{names}|{wers}|{_sig(t)}|**{verdict(c.expect, t)}**|")
    if plot_link:
        lines += ["", f"![WER against parameters]({plot_link})"]
    return lines + [""]


def plot(
    grid: Grid,
    results: Dict[str, Dict[int, System]],
    test_sets: Sequence[str],
    out_png: Path | str,
) -> Optional[Path]:
    """WER against parameters with seed error bars, one panel per test set, one point per
    row (``None``, nothing written, when no row has a result)."""
    rows = [(r, results[r.name]) for r in grid.rows if results[r.name]]
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(test_sets), figsize=(6 * len(test_sets), 4.5), squeeze=False)
    for ax, dset in zip(axes[0], test_sets):
        for row, systems in rows:
            params = next((s.params for s in systems.values() if s.params), None)
            if params is None:
                continue
            wers = [s.wer[dset] for s in systems.values()]
            std = statistics.stdev(wers) if len(wers) > 1 else 0.0
            marker = "s" if row.name == grid.reference else "o"
            ax.errorbar(params / 1e6, statistics.mean(wers), yerr=std, fmt=marker, capsize=3)
            ax.annotate(row.label, (params / 1e6, statistics.mean(wers)), fontsize=7,
                        xytext=(4, 3), textcoords="offset points")  # fmt: skip
        ax.set_xlabel("parameters (millions)")
        ax.set_ylabel(f"WER {dset} (%)")
        ax.set_title(f"{dset}: mean ± std over seeds")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def replace_section(text: str, lines: Sequence[str], where: str) -> str:
    """``text`` with the part between :data:`SECTION_BEGIN` and :data:`SECTION_END` replaced
    by ``lines`` (both markers must be there once: ``where`` names the file)."""
    if text.count(SECTION_BEGIN) != 1 or text.count(SECTION_END) != 1:
        raise GridError(
            f"{where}: needs the lines {SECTION_BEGIN!r} and {SECTION_END!r} once each, "
            "where the ablations section goes"
        )
    before, rest = text.split(SECTION_BEGIN)
    _, after = rest.split(SECTION_END)
    body = "\n".join(lines).rstrip("\n")
    return f"{before}{SECTION_BEGIN}\n{body}\n{SECTION_END}{after}"
