"""The ``README.md`` model card of an uploaded espnet_lowrank model.

Numbers come from the packed files only: parameter counts and the per-layer factor
ranks from the model's state dict (``<layer>.U`` ``(out, r)`` / ``<layer>.V``
``(r, in)``), the rank maps from the packed config (``encoder_conf.rank_map``,
``decoder_conf.rank_map``), and WER/CER tables from RESULTS.md when given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Mapping, Optional, Sequence

import yaml

from espnet_lowrank import catalogue


@dataclass(frozen=True)
class FactorRow:
    """One factorized layer: ``W ≈ U V`` with ``U`` (out, rank), ``V`` (rank, in)."""

    name: str
    in_features: int
    out_features: int
    rank: int

    @property
    def params(self) -> int:
        return self.rank * (self.in_features + self.out_features)

    @property
    def dense_params(self) -> int:
        return self.in_features * self.out_features


@dataclass(frozen=True)
class ParameterReport:
    """Counts per part; ``exact``: parameters only (else buffers are counted too)."""

    total: int
    by_part: Dict[str, int]  # first name component (encoder, decoder, ctc, ...) -> count
    factors: List[FactorRow]
    exact: bool = True


def parameter_report(
    state_dict: Mapping[str, Any], parameter_names: Optional[Collection[str]] = None
) -> ParameterReport:
    """Count parameters per top-level part and find ``U``/``V`` factor pairs.

    ``state_dict`` values need only ``.shape`` and ``.numel()`` (torch tensors).
    ``parameter_names`` (``dict(model.named_parameters())``'s keys) restricts the
    counts to parameters; without it buffers (e.g. normalisation statistics) count.
    """
    by_part: Dict[str, int] = {}
    total = 0
    for name, tensor in state_dict.items():
        if parameter_names is not None and name not in parameter_names:
            continue
        n = int(tensor.numel())
        total += n
        part = name.split(".", 1)[0]
        by_part[part] = by_part.get(part, 0) + n
    factors = []
    for name, u in state_dict.items():
        if not name.endswith(".U"):
            continue
        v = state_dict.get(name[:-2] + ".V")
        if v is None or len(u.shape) != 2 or len(v.shape) != 2 or u.shape[1] != v.shape[0]:
            continue
        factors.append(FactorRow(name[:-2], int(v.shape[1]), int(u.shape[0]), int(u.shape[1])))
    factors.sort(key=lambda r: r.name)
    return ParameterReport(total, by_part, factors, parameter_names is not None)


def _m(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1_000_000 else f"{n:,}"


def render_parameters(report: ParameterReport) -> List[str]:
    what = "parameters" if report.exact else "state-dict entries (buffers included)"
    lines = ["## Parameters", "", f"|part|{what}|", "|---|---|"]
    for part in sorted(report.by_part):
        lines.append(f"|{part}|{_m(report.by_part[part])}|")
    lines += [f"|**total**|**{_m(report.total)}**|", ""]
    if report.factors:
        low = sum(r.params for r in report.factors)
        dense = sum(r.dense_params for r in report.factors)
        dense_total = report.total - low + dense
        lines += [
            f"{len(report.factors)} linear layers are factorized as `W ≈ U V`: "
            f"{_m(low)} weights instead of {_m(dense)} dense "
            f"({dense / low:.2f}× fewer); the whole model has {_m(report.total)} "
            f"parameters against {_m(dense_total)} for the same model with dense "
            f"layers ({dense_total / report.total:.2f}×).",
            "",
            "<details><summary>Rank of every factorized layer (from the weights)</summary>",
            "",
            "|layer|in|out|rank|rank / min(in, out)|params|dense params|",
            "|---|---|---|---|---|---|---|",
        ]
        for r in report.factors:
            ratio = r.rank / min(r.in_features, r.out_features)
            lines.append(
                f"|{r.name}|{r.in_features}|{r.out_features}|{r.rank}|{ratio:.3f}|"
                f"{r.params:,}|{r.dense_params:,}|"
            )
        lines += ["", "</details>", ""]
    else:
        lines += [
            "No factorized (`U`/`V`) layer in this model: all weights are dense.",
            "",
        ]
    return lines


def render_rank_maps(config: Mapping[str, Any]) -> List[str]:
    """The ``rank_map`` of every low-rank part (catalogue) in the config, as YAML blocks."""
    lines: List[str] = []
    for entry in catalogue.rank_map_options():
        rank_map = entry.conf(config).get("rank_map")
        if rank_map is None:
            continue
        key = f"{entry.conf_key}.rank_map"
        cls = config.get(entry.part if entry.registered else "model")
        if isinstance(rank_map, str):
            lines += [f"`{key}` ({cls}): `{rank_map}`", ""]
            continue
        text = yaml.safe_dump(rank_map, sort_keys=False).rstrip()
        lines += [
            f"`{key}` ({cls}):",
            "",
            "```yaml",
            text,
            "```",
            "",
        ]
    if lines:
        lines = ["## Rank maps (from the packed config)", ""] + lines
    return lines


def results_section(results_md: str, asr_tag: str) -> List[str]:
    """The environment header and the ``## <asr_tag>`` section of a RESULTS.md text."""
    lines = results_md.splitlines()
    try:
        start = lines.index(f"## {asr_tag}")
    except ValueError as e:
        found = [line[3:] for line in lines if line.startswith("## ")]
        raise ValueError(f"RESULTS.md has no section '## {asr_tag}'; sections: {found}") from e
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    env: List[str] = []
    if "## Environments" in lines:
        i = lines.index("## Environments") + 1
        while i < len(lines) and lines[i].lstrip().startswith("- "):
            env.append(lines[i])
            i += 1
    body = ["## Results", ""]
    if env:
        body += ["Environment of the run:", "", *env, ""]
    body += _comparison_rows(lines, asr_tag)
    section = lines[start + 1 : end]
    while section and not section[0].strip():
        section = section[1:]
    return body + section + [""]


def _comparison_rows(lines: List[str], asr_tag: str) -> List[str]:
    """Header, rows of ``asr_tag`` and footnote of the RESULTS.md comparison table."""
    if "## Comparison" not in lines:
        return []
    i = lines.index("## Comparison") + 1
    while i < len(lines) and not lines[i].startswith("|"):
        i += 1
    table = []
    while i < len(lines) and lines[i].startswith("|"):
        table.append(lines[i])
        i += 1
    rows = [r for r in table[2:] if r.startswith(f"|{asr_tag}|")]
    if len(table) < 2 or not rows:
        return []
    notes = []
    while i < len(lines) and not lines[i].startswith("#"):
        if lines[i].startswith("n/a:"):
            notes = ["", lines[i]]
        i += 1
    return table[:2] + rows + notes + [""]


def render_card(
    repo_id: str,
    asr_config: Mapping[str, Any],
    config_path: str,
    report: ParameterReport,
    results: Optional[str] = None,
    asr_tag: Optional[str] = None,
    license_name: str = "cc-by-4.0",
    language: Optional[str] = None,
    datasets: Sequence[str] = (),
) -> str:
    """Model card Markdown with the Hugging Face metadata block ESPnet cards carry."""
    front = ["---", "library_name: espnet", "tags:", "- espnet", "- audio"]
    front += ["- automatic-speech-recognition", "- low-rank"]
    if language:
        front.append(f"language: {language}")
    if datasets:
        front += ["datasets:"] + [f"- {d}" for d in datasets]
    front += [f"license: {license_name}", "---", ""]
    encoder, decoder = asr_config.get("encoder"), asr_config.get("decoder")
    body = [
        f"# ESPnet2 ASR model with low-rank weights: `{repo_id}`",
        "",
        f"Encoder `{encoder}`, decoder `{decoder}`, trained with ESPnet and "
        "[espnet_lowrank](https://pypi.org/project/espnet-lowrank/), which factorizes "
        "linear layers as `W ≈ U V` and trains them from scratch.",
        "",
        "## Use it",
        "",
        "The low-rank encoder/decoder classes live in `espnet_lowrank`: import it "
        "before building the model, or ESPnet stops with `--encoder must be one of`.",
        "",
        "```bash",
        "pip install espnet espnet_model_zoo espnet_lowrank",
        "```",
        "",
        "```python",
        "import soundfile",
        "",
        "import espnet_lowrank  # registers the low-rank classes with ESPnet",
        "from espnet2.bin.asr_inference import Speech2Text",
        "",
        f'speech2text = Speech2Text.from_pretrained("{repo_id}")',
        'speech, rate = soundfile.read("speech.wav")  # the sampling rate of training',
        "text, tokens, token_ids, hyp = speech2text(speech)[0]",
        "print(text)",
        "```",
        "",
        "From the command line, use the package's entry point (it imports "
        "`espnet_lowrank` first) with the files of this repo, e.g. "
        "`python -m espnet_lowrank.bin.asr_inference "
        f"--asr_train_config {config_path} ...`.",
        "",
    ]
    body += render_parameters(report)
    body += render_rank_maps(asr_config)
    if results is not None:
        if asr_tag is None:
            raise ValueError("asr_tag is needed to pick the model's RESULTS.md section")
        body += results_section(results, asr_tag)
    config_text = yaml.safe_dump(dict(asr_config), sort_keys=False, allow_unicode=True)
    body += [
        "## Training config",
        "",
        "<details><summary>config.yaml</summary>",
        "",
        "```yaml",
        config_text.rstrip(),
        "```",
        "",
        "</details>",
        "",
        "## Citing",
        "",
        "ESPnet:",
        "",
        "```bibtex",
        "@inproceedings{watanabe2018espnet,",
        "  author={Shinji Watanabe and Takaaki Hori and Shigeki Karita and Tomoki "
        "Hayashi and Jiro Nishitoba and Yuya Unno and Nelson {Enrique Yalta Soplin} "
        "and Jahn Heymann and Matthew Wiesner and Nanxin Chen and Adithya "
        "Renduchintala and Tsubasa Ochiai},",
        "  title={{ESPnet}: End-to-End Speech Processing Toolkit},",
        "  booktitle={Proc. Interspeech},",
        "  year={2018},",
        "  pages={2207--2211},",
        "}",
        "```",
        "",
        'Low-rank training from scratch of speech models: "Full-Rank No More: '
        'Low-Rank Weight Training for Modern Speech Recognition Models", '
        "arXiv:2410.07771 (ICASSP 2025).",
        "",
    ]
    return "\n".join(front + body)
