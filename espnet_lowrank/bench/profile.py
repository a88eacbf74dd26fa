"""``profile``: where a full-rank ASR training step spends its time, and the
Amdahl ceiling a rank map implies.

Method: ``torch.profiler`` (CPU) over training steps of the *dense* model. Forward
and full-backward module hooks open and close a ``record_function`` range around
each module of interest, so a range covers that module's forward and its backward
(weight and input gradients). Ranges:

- every factorizable layer (the layers the encoder/decoder rank schemas match:
  attention q/k/v/out/pos, FFN and macaron w1/w2, conv-module pointwise convs,
  subsampling output projection, the subsampling's channel-mixing 3x3 convolution
  (``subsampling_conv``, opt-in), decoder attention/FFN linears, and the decoder
  output layer; the last two are allowed by the schemas but ``lr_sms`` keeps them dense);
- the rest by region: frontend + normalisation, the subsampling's first convolution
  (one input channel: nothing to factorize), whole attention
  modules (minus their linears = scores, softmax, relative-position shift), depthwise
  conv, decoder embedding, CTC (projection + loss), optimizer step;
- ``other`` = step total minus all of the above (layer norms, activations, residuals,
  dropout, positional encodings, attention loss, autograd bookkeeping, and the
  embedding backward, whose module input is integer ids so no backward hook fires).

Amdahl ceiling: if each factorizable layer ``l`` sped up by exactly its FLOP ratio
``ρ_l = r_l (in + out) / (in · out)`` under the rank map (``ρ = 1`` where it stays
dense) and nothing else changed, the step would take ``T − Σ t_l (1 − ρ_l)``; the
ceiling is ``T`` over that. ``ceiling_all_factorizable_free`` is the bound if every
factorizable layer cost nothing. Profiler and hook overhead inflate small ops, so
shares are approximate.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from espnet_lowrank import catalogue
from espnet_lowrank.bench import models, steps
from espnet_lowrank.layers.lowrank_linear import LowRankLayer
from espnet_lowrank.rank_map import find_slots

PREFIX = "bench::"
COARSE = ("attention", "feed_forward", "conv_pointwise")
REST_REGIONS: Tuple[Tuple[str, str], ...] = (
    ("frontend", r"(frontend|normalize)"),
    ("subsampling_first_conv", r"encoder\.embed\.conv\.0"),
    ("attention_modules", r"(encoder\.encoders|decoder\.decoders)\.\d+\.(self_attn|src_attn)"),
    ("depthwise_conv", r"encoder\.encoders\.\d+\.conv_module\.depthwise_conv"),
    ("embeddings", r"decoder\.embed"),
    ("ctc", r"ctc"),
)


def factorizable_layers(model: nn.Module) -> Dict[str, str]:
    """Full module name -> category for every layer the part schemas can factorize."""
    out = {}
    for part in catalogue.part_names("asr"):
        module = getattr(model, part)
        schema = type(module).RANK_SCHEMA
        for slot in find_slots(module, schema):
            cat = next((a for a in COARSE if slot.group in schema.aliases.get(a, ())), slot.group)
            out[f"{part}.{slot.name}"] = cat
    return out


def rank_ratios(lowrank_model: nn.Module) -> Dict[str, float]:
    """Full module name -> FLOP ratio ``ρ`` of every factorized layer of a built model."""
    return {
        name: m.weight_params / m.dense_weight_params
        for name, m in lowrank_model.named_modules()
        if isinstance(m, LowRankLayer)
    }


class _Ranges:
    """Forward + backward ``record_function`` ranges around chosen modules."""

    def __init__(self) -> None:
        self.handles: List[Any] = []
        self.open: Dict[int, List[Any]] = {}
        self.unclosed = 0

    def _enter(self, key: int, label: str) -> None:
        rf = torch.autograd.profiler.record_function(label)
        rf.__enter__()
        self.open.setdefault(key, []).append(rf)

    def _exit(self, key: int) -> None:
        stack = self.open.get(key)
        if stack:
            stack.pop().__exit__(None, None, None)

    def add(self, module: nn.Module, label: str, grad_input: bool = False) -> None:
        fkey, bkey = id(module) * 2, id(module) * 2 + 1

        def pre(mod, args):
            self._enter(fkey, label)
            if grad_input and args and torch.is_tensor(args[0]) and torch.is_grad_enabled():
                if args[0].is_floating_point() and not args[0].requires_grad:
                    return (args[0].detach().requires_grad_(True),) + tuple(args[1:])
            return None

        self.handles += [
            module.register_forward_pre_hook(pre),
            module.register_forward_hook(lambda mod, args, out: self._exit(fkey)),
            module.register_full_backward_pre_hook(lambda mod, go: self._enter(bkey, label)),
            module.register_full_backward_hook(lambda mod, gi, go: self._exit(bkey)),
        ]

    def close(self) -> None:
        for stack in self.open.values():
            while stack:
                self.unclosed += 1
                stack.pop().__exit__(None, None, None)
        for h in self.handles:
            h.remove()
        self.handles = []


def _instrument(model: nn.Module, fact: Dict[str, str]) -> _Ranges:
    """Ranges around the factorizable layers and the rest's regions of ``model``.

    In-place activations (``nn.ReLU(inplace=True)`` after the subsampling convolutions
    in ESPnet 202611) are switched off in the profiled model: the output of a module with
    a full backward hook must not be modified in place. The model is the profile's own
    dense copy and computes the same function.
    """
    for module in model.modules():
        if getattr(module, "inplace", False) is True:
            module.inplace = False
    ranges = _Ranges()
    compiled = [(cat, re.compile(rx)) for cat, rx in REST_REGIONS]
    for name, module in model.named_modules():
        if name in fact:
            ranges.add(module, f"{PREFIX}fact::{name}")
            continue
        for cat, rx in compiled:
            if rx.fullmatch(name):
                first_conv = cat == "subsampling_first_conv"  # its input needs no grad
                ranges.add(module, f"{PREFIX}rest::{cat}", grad_input=first_conv)
                break
    return ranges


def _profile_step(step: Callable[[], None], n_steps: int) -> Dict[str, float]:
    """Total inclusive CPU µs per range label over ``n_steps`` profiled steps."""
    acts = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=acts) as prof:
        for _ in range(n_steps):
            with torch.autograd.profiler.record_function(f"{PREFIX}step"):
                step()
    return {e.key: e.cpu_time_total for e in prof.key_averages() if e.key.startswith(PREFIX)}


def analyse(
    times_us: Dict[str, float],
    fact: Dict[str, str],
    ratios: Dict[str, float],
    param_fraction: float = 1.0,
) -> Dict[str, Any]:
    """Shares per category (summing to 1) and the Amdahl ceilings, from range times.

    ``param_fraction`` (low-rank / dense parameters) scales the optimizer step for
    ``speedup_with_optimizer_scaled`` (Adam's cost is linear in the parameter count).
    """
    total = times_us[f"{PREFIX}step"]
    per_layer = {n: times_us.get(f"{PREFIX}fact::{n}", 0.0) for n in fact}
    cats: Dict[str, Dict[str, Any]] = {}
    for name, t in per_layer.items():
        c = cats.setdefault(
            fact[name], {"kind": "factorizable", "us": 0.0, "us_after": 0.0, "layers": 0}
        )
        rho = ratios.get(name, 1.0)
        c["us"] += t
        c["us_after"] += t * rho
        c["layers"] += 1
        c["factorized_layers"] = c.get("factorized_layers", 0) + (name in ratios)
    rest = {cat: times_us.get(f"{PREFIX}rest::{cat}", 0.0) for cat, _ in REST_REGIONS}
    attn_linears = cats.get("attention", {}).get("us", 0.0)
    rest["attention_scores_softmax"] = max(0.0, rest.pop("attention_modules") - attn_linears)
    rest["optimizer"] = times_us.get(f"{PREFIX}optimizer", 0.0)
    for cat, t in rest.items():
        cats[cat] = {"kind": "rest", "us": t, "us_after": t}
    accounted = sum(c["us"] for c in cats.values())
    other = total - accounted
    cats["other"] = {"kind": "rest", "us": other, "us_after": other}
    fact_us = sum(c["us"] for c in cats.values() if c["kind"] == "factorizable")
    saved = sum(c["us"] - c["us_after"] for c in cats.values())
    categories = [
        {
            "category": name,
            "kind": c["kind"],
            "ms_per_step": c["us"] / 1e3,
            "share": c["us"] / total,
            "share_after_rank_map": c["us_after"] / total,
            "flop_ratio": (c["us_after"] / c["us"])
            if c["kind"] == "factorizable" and c["us"]
            else None,
            "factorized_layers": c.get("factorized_layers"),
            "layers": c.get("layers"),
        }
        for name, c in sorted(cats.items(), key=lambda kv: -kv[1]["us"])
    ]
    opt_saved = rest["optimizer"] * (1.0 - param_fraction)
    return {
        "total_us": total,
        "param_fraction": param_fraction,
        "speedup_with_optimizer_scaled": total / (total - saved - opt_saved),
        "factorizable_share": fact_us / total,
        "ceiling_all_factorizable_free": total / max(total - fact_us, 1e-9),
        "speedup": total / (total - saved),
        "speedup_kind": "amdahl_ideal",
        "categories": categories,
    }


def run(
    sizes: Sequence[str],
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    rank_map: str = "lr_sms",
    batch: Optional[int] = None,
    seconds: Optional[float] = None,
    log=print,
) -> List[Dict[str, Any]]:
    records = []
    for name in sizes:
        size = models.asr_size(name, batch, seconds)
        data = models.asr_batch(size, "cpu")
        lowrank = models.build_asr(size, rank_map, "cpu")
        ratios = rank_ratios(lowrank)
        model = models.build_asr(size, "dense", "cpu")
        param_fraction = models.n_params(lowrank) / models.n_params(model)
        del lowrank
        fact = factorizable_layers(model)
        step_fn = steps.asr_train_step(model, data)
        for _ in range(warmup):
            step_fn()
        ranges = _instrument(model, fact)
        optimizer = _find_optimizer(step_fn)
        optimizer.step = _wrapped(optimizer.step, f"{PREFIX}optimizer")
        n_steps = max(1, min(repeats, 3))
        try:
            times = _profile_step(step_fn, n_steps)
        finally:
            ranges.close()
            del optimizer.step
        res = analyse(times, fact, ratios, param_fraction)
        rec = {
            "bench": "profile",
            "size": name,
            "model": size.describe(),
            "device": "cpu",
            "rank_map": rank_map,
            "profiled_steps": n_steps,
            "ms_per_step": res.pop("total_us") / 1e3 / n_steps,
            "unclosed_ranges": ranges.unclosed,
        }
        rec.update(res)
        for c in rec["categories"]:
            c["ms_per_step"] /= n_steps
        records.append(rec)
        log(
            f"profile {name}: factorizable share {rec['factorizable_share']:.2f}, "
            f"Amdahl ceiling for {rank_map} {rec['speedup']:.2f}x "
            f"(all factorizable free: {rec['ceiling_all_factorizable_free']:.2f}x)"
        )
    return records


def _find_optimizer(step_fn) -> torch.optim.Optimizer:
    for cell in step_fn.__closure__ or ():
        if isinstance(cell.cell_contents, torch.optim.Optimizer):
            return cell.cell_contents
    raise RuntimeError("training step closure holds no optimizer")


def _wrapped(fn, label: str):
    def call(*args, **kwargs):
        with torch.autograd.profiler.record_function(label):
            return fn(*args, **kwargs)

    return call


def markdown(records: Sequence[Dict[str, Any]]) -> str:
    from espnet_lowrank.bench.report import markdown_table

    parts = []
    for rec in records:
        parts.append(
            f"**{rec['size']}** ({rec['model']}): {rec['ms_per_step']:.0f} ms/step under the "
            f"profiler; factorizable linears {100 * rec['factorizable_share']:.1f}% of the step. "
            f"Amdahl ceiling for `{rec['rank_map']}` (factorizable layers at their FLOP "
            f"ratio): **{rec['speedup']:.2f}x**; if every factorizable layer were free: "
            f"{rec['ceiling_all_factorizable_free']:.2f}x. Also counting the optimizer step "
            f"shrinking with the parameter count (x{rec['param_fraction']:.2f}): "
            f"{rec['speedup_with_optimizer_scaled']:.2f}x."
        )
        parts.append(
            markdown_table(
                rec["categories"],
                [
                    ("category", "category"),
                    ("kind", "kind"),
                    ("ms_per_step", "ms/step"),
                    ("share", "share"),
                    ("flop_ratio", "ρ under rank map"),
                    ("share_after_rank_map", "share after (of old total)"),
                ],
            )
        )
    return "\n\n".join(parts)
