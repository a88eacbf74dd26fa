"""The low-rank FFN LM study section of RESULTS.md (``./run.sh --lm_study true``).

Read from the recipe's ``exp/`` (as the driver's stages 4-6, 9-10 and the study's
rescoring write them)::

    exp/lm_<config>_seed<S>_<suffix>/config.yaml, train.log
    exp/lm_<config>_seed<S>_<suffix>/perplexity_<set>/ppl       one number
    exp/asr_<tag>/decode_*_lm_lm_<config>_seed<S>_<suffix>_*/<set>/score_wer/result.txt
    exp/asr_<tag>/rescoring_lm_study/<config>/<set>/rescore_result.yaml

Perplexities are mean ± sample standard deviation over seeds (the number of seeds
is given); parameters come from the saved config (``count_params``); the epoch
time is ESPnet's ``[train] time=`` mean over epochs, from runs that may have shared
the machine (the side-by-side step is ``bench``'s job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from espnet_lowrank.recipe.measure import epoch_seconds
from espnet_lowrank.scoring.sclite import parse_result
from espnet_lowrank.scoring.seeds import mean_std
from espnet_lowrank.strict_yaml import load_yaml_mapping

_LM_DIR = re.compile(r"^lm_(?P<config>.+)_seed(?P<seed>\d+)_(?P<suffix>[^_]+_[^_]+)$")


@dataclass
class StudyLM:
    """One LM configuration of the study, every seed."""

    config: str
    params: Optional[int] = None
    ppl: Dict[str, Dict[int, float]] = field(default_factory=dict)  # set -> seed -> ppl
    epoch_s: Dict[int, float] = field(default_factory=dict)  # seed -> mean s/epoch
    dirs: Dict[int, Path] = field(default_factory=dict)


def collect(exp_dir: Path | str) -> List[StudyLM]:
    """Every ``exp/lm_<config>_seed<S>_*`` dir with at least one perplexity, by config."""
    by_config: Dict[str, StudyLM] = {}
    for d in sorted(Path(exp_dir).glob("lm_*_seed*_*")):
        m = _LM_DIR.match(d.name)
        ppls = sorted(d.glob("perplexity_*/ppl"))
        if not m or not d.is_dir() or not ppls:
            continue
        lm = by_config.setdefault(m["config"], StudyLM(m["config"]))
        seed = int(m["seed"])
        lm.dirs[seed] = d
        for p in ppls:
            dset = p.parent.name[len("perplexity_") :]
            try:
                lm.ppl.setdefault(dset, {})[seed] = float(p.read_text().split()[0])
            except (IndexError, ValueError):
                raise ValueError(f"{p}: expected one number (the perplexity)") from None
        if (d / "train.log").is_file():
            secs = epoch_seconds(d / "train.log")
            lm.epoch_s[seed] = sum(secs.values()) / len(secs)
        if lm.params is None and (d / "config.yaml").is_file():
            from espnet_lowrank.count_params import count_config

            lm.params = count_config(d / "config.yaml", "lm", [])["total"]["lowrank"]
    return list(by_config.values())


def _wer(result_txt: Path) -> Optional[float]:
    return parse_result(result_txt).err if result_txt.is_file() else None


def render(exp_dir: Path | str, sets: Sequence[str] = ("dev", "test", "test_unseen")) -> List[str]:
    """Markdown lines of the section (empty when the study has not run)."""
    exp_dir = Path(exp_dir)
    lms = collect(exp_dir)
    if not lms:
        return []
    reference = next((lm for lm in lms if "dense" in lm.config), lms[0])
    lines = ["## LM study: low-rank FFN LMs (arXiv 2407.09835)", ""]
    lines.append(
        "- `./run.sh --lm_study true`: configs in `conf/tuning/train_lm_*.yaml`; perplexity "
        "mean ± standard deviation over training seeds (number of seeds in brackets)."
    )
    lines.append(
        "- s/epoch: ESPnet's mean training time per epoch; these runs shared the machine "
        "with other jobs, so compare steps with `bench` (README) instead."
    )
    head = ["LM", "params", "dense / this"] + [f"PPL {s}" for s in sets] + ["s/epoch"]
    lines += ["", "|" + "|".join(head) + "|", "|" + "|".join(["---"] * len(head)) + "|"]
    for lm in lms:
        ratio = f"{reference.params / lm.params:.2f}×" if lm.params and reference.params else "n/a"
        cells = [lm.config, f"{lm.params:,}" if lm.params else "n/a", ratio]
        cells += [mean_std(list(lm.ppl.get(s, {}).values())) for s in sets]
        cells.append(mean_std(list(lm.epoch_s.values())).replace(" (", " s (", 1))
        lines.append("|" + "|".join(cells) + "|")
    same = [
        (a, b)
        for i, a in enumerate(sets)
        for b in sets[i + 1 :]
        if all(lm.ppl.get(a) and lm.ppl.get(a).keys() == lm.ppl.get(b, {}).keys() for lm in lms)
        and all(
            abs(lm.ppl[a][k] - lm.ppl[b][k]) <= 1e-4 * lm.ppl[a][k] for lm in lms for k in lm.ppl[a]
        )
    ]
    for a, b in same:
        lines.append(
            f"\n`{b}` gives `{a}`'s perplexity to 4 digits for every LM: the same sentences."
        )
    lines += _recognition(exp_dir, lms, [s for s in sets if s != "dev"])
    return lines + [""]


def _recognition(exp_dir: Path, lms: List[StudyLM], test_sets: Sequence[str]) -> List[str]:
    """WER of the ASR model with each seed-1 LM: shallow fusion and 10-best rescoring."""
    rows = []
    for asr in sorted(exp_dir.glob("asr_*")):
        for lm in lms:
            seed = min(lm.dirs)
            tag = lm.dirs[seed].name[len("lm_") :]
            fusion = sorted(asr.glob(f"decode_*_lm_{tag}_*"))
            resc = asr / "rescoring_lm_study" / lm.config
            if not fusion and not resc.is_dir():
                continue
            cells = [asr.name, lm.config, str(seed)]
            for dset in test_sets:
                w = _wer(fusion[0] / dset / "score_wer" / "result.txt") if fusion else None
                cells.append("n/a" if w is None else f"{w:.1f}")
            for dset in test_sets:
                path = resc / dset / "rescore_result.yaml"
                if path.is_file():
                    res = load_yaml_mapping(path, "rescoring result")
                    cells.append(f"{100 * res['wer_rescored']:.1f}")
                else:
                    cells.append("n/a")
            rows.append("|" + "|".join(cells) + "|")
    if not rows:
        return []
    head = ["ASR model", "LM", "seed"]
    head += [f"fusion WER {s}" for s in test_sets] + [
        f"10-best rescoring WER {s}" for s in test_sets
    ]
    return [
        "",
        "### The LMs in recognition",
        "",
        "- Shallow fusion: `conf/tuning/decode_asr_lm.yaml` (beam 12, CTC 0.5, LM weight 0.1, "
        "the same for every LM); rescoring: the model's 10-best lists decoded without LM, "
        "λ and β tuned on dev per LM (`lora_rescoring rescore`).",
        "",
        "|" + "|".join(head) + "|",
        "|" + "|".join(["---"] * len(head)) + "|",
        *rows,
    ]
