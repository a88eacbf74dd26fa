"""``layer``: ``LowRankLinear`` vs ``nn.Linear``, training and inference, per shape.

Training = forward + backward (input and weight gradients); inference = forward under
``torch.inference_mode``. Inference is measured for the factorized path ``U (V x)``
and, where the layer offers it, the merged path (cached dense ``U V``); the record with
``default_path: true`` is what the layer picks on its own for that token count.

Target (DESIGN): realised speed-up ≥ 0.85 × ideal ``1/ρ``, ``ρ = r(in+out)/(in·out)``,
for in, out ≥ 512, rank ≥ 64, ≥ 256 tokens (min times); inference never slower than dense.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import torch
from torch import nn

from espnet_lowrank.bench.timing import speedups, time_interleaved, timing_fields
from espnet_lowrank.layers.lowrank_linear import LowRankLinear

TARGET_EFFICIENCY = 0.85
NOISY_SPREAD = 1.25  # median / min above this marks a record as disturbed
NOISE_FLOOR = 0.97  # summary: "slower" by more than 3% (every slower case is still listed)
SQUARE = (256, 512, 768, 1024, 2048, 3072)
FFN_WIDTHS = (256, 512, 768)  # d -> 4d and 4d -> d
RATIOS = (0.12, 0.25, 0.5)
TOKENS = (1, 16, 256, 4096)
QUICK_SHAPES = ((256, 256), (512, 512), (512, 2048))
QUICK_RATIOS = (0.25,)
QUICK_TOKENS = (1, 256)


def full_shapes() -> List[Tuple[int, int]]:
    shapes = [(d, d) for d in SQUARE]
    for d in FFN_WIDTHS:
        shapes += [(d, 4 * d), (4 * d, d)]
    return shapes


def ideal_speedup(in_features: int, out_features: int, rank: int) -> float:
    """``1/ρ`` with ``ρ = r (in + out) / (in · out)``: dense over low-rank FLOPs."""
    return in_features * out_features / (rank * (in_features + out_features))


def rank_for(in_features: int, out_features: int, ratio: float) -> int:
    """``round(ratio · min(in, out))``, at least 1."""
    return max(1, round(ratio * min(in_features, out_features)))


def in_target_scope(in_features: int, out_features: int, rank: int, tokens: int) -> bool:
    return min(in_features, out_features) >= 512 and rank >= 64 and tokens >= 256


def has_merged_path(layer: nn.Module) -> bool:
    return hasattr(layer, "merge_min_rho") and hasattr(layer, "cached_merged_weight")


def miss_reason(rec: Dict[str, Any]) -> str:
    """A short, rule-based explanation of why a case misses its ideal."""
    i, o, r, t = rec["in_features"], rec["out_features"], rec["rank"], rec["tokens"]
    if rec["path"] == "merged":
        return (
            "merged path is one dense GEMM like nn.Linear: the gap is the layer's Python"
            " overhead (cache check, path choice), visible only when the GEMM is tiny"
        )

    # arithmetic intensity (FLOP/byte, fp32) of the thinner of the two GEMMs vs the dense GEMM
    def intensity(m: int, k: int, n: int) -> float:
        return 2 * m * k * n / (4 * (m * k + k * n + m * n))

    thin = min(intensity(t, i, r), intensity(t, r, o))
    dense = intensity(t, i, o)
    parts = []
    if r < 128:
        parts.append(f"small rank {r}: GEMMs with a {r}-wide side run below BLAS peak")
    if thin < 0.5 * dense:
        parts.append(
            f"thin GEMM intensity {thin:.0f} vs dense {dense:.0f} FLOP/B (more memory-bound)"
        )
    if rec["mode"] == "train":
        parts.append(
            "backward runs 4 thin GEMMs instead of 2 dense ones, plus the r-wide intermediate"
        )
    if rec["ideal_speedup"] > 4:
        parts.append(f"ideal {rec['ideal_speedup']:.1f}x leaves fixed costs (bias, launch) exposed")
    return "; ".join(parts) or "two kernels instead of one (launch and bias overhead)"


def _case(
    in_f: int,
    out_f: int,
    rank: int,
    tokens: int,
    repeats: int,
    warmup: int,
    device: str,
    min_sample_s: float,
) -> List[Dict[str, Any]]:
    dev = torch.device(device)
    dense = nn.Linear(in_f, out_f, device=dev)
    lowrank = LowRankLinear(in_f, out_f, rank, init="random", device=dev)
    merged_available = has_merged_path(lowrank)
    default_merged = merged_available and lowrank.weight_params >= (
        lowrank.merge_min_rho * lowrank.dense_weight_params
    )
    merged = None
    if merged_available:
        lowrank.merge_min_rho = float("inf")  # always factorized
        merged = LowRankLinear(in_f, out_f, rank, init="random", device=dev)
        merged.load_state_dict(lowrank.state_dict())
        merged.merge_min_rho = 0.0  # always merged
    x = torch.randn(tokens, in_f, device=dev)
    xg = x.clone().requires_grad_(True)
    gy = torch.randn(tokens, out_f, device=dev)

    def train(layer: nn.Module):
        def step() -> None:
            layer.zero_grad(set_to_none=True)
            xg.grad = None
            layer(xg).backward(gy)

        return step

    def infer(layer: nn.Module):
        def run() -> None:
            with torch.inference_mode():
                layer(x)

        return run

    base = {
        "bench": "layer",
        "in_features": in_f,
        "out_features": out_f,
        "rank": rank,
        "tokens": tokens,
        "ideal_speedup": ideal_speedup(in_f, out_f, rank),
        "device": device,
    }
    recs = []
    t = time_interleaved(
        {"dense": train(dense), "lowrank": train(lowrank)},
        repeats=repeats,
        warmup=warmup,
        device=device,
        min_sample_s=min_sample_s,
    )
    recs.append(_record(base, "train", "factorized", True, t["dense"], t["lowrank"]))
    variants = {"dense": infer(dense), "factorized": infer(lowrank)}
    if merged is not None:
        variants["merged"] = infer(merged)
    t = time_interleaved(
        variants, repeats=repeats, warmup=warmup, device=device, min_sample_s=min_sample_s
    )
    default_path = "merged" if default_merged else "factorized"
    for path in [p for p in ("factorized", "merged") if p in t]:
        recs.append(_record(base, "inference", path, path == default_path, t["dense"], t[path]))
    return recs


def _record(base, mode, path, default_path, t_dense, t_lr) -> Dict[str, Any]:
    rec = dict(base, mode=mode, path=path, default_path=default_path, number=t_dense.number)
    rec.update(timing_fields("dense", t_dense))
    rec.update(timing_fields("lowrank", t_lr))
    rec.update(speedups(t_dense, t_lr))
    rec["efficiency"] = rec["speedup"] / rec["ideal_speedup"]
    # a median far above the min means the samples were disturbed (shared machine)
    rec["noisy"] = max(t.median / t.min for t in (t_dense, t_lr)) > NOISY_SPREAD
    rec["in_target_scope"] = in_target_scope(
        rec["in_features"], rec["out_features"], rec["rank"], rec["tokens"]
    )
    # the FLOP target applies to the factorized path (merged does dense FLOPs)
    in_scope = rec["in_target_scope"] and path == "factorized"
    rec["meets_target"] = rec["efficiency"] >= TARGET_EFFICIENCY if in_scope else None
    rec["slower_than_dense"] = rec["speedup"] < 1.0
    rec["miss_reason"] = (
        miss_reason(rec) if rec["meets_target"] is False or rec["slower_than_dense"] else None
    )
    return rec


def run(
    shapes: Sequence[Tuple[int, int]],
    ratios: Sequence[float],
    tokens: Sequence[int],
    repeats: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    min_sample_s: float = 0.02,
    log=print,
) -> List[Dict[str, Any]]:
    """All cases, one record per (shape, rank, tokens, mode, path)."""
    records: List[Dict[str, Any]] = []
    for in_f, out_f in shapes:
        ranks = sorted({rank_for(in_f, out_f, a) for a in ratios})
        for rank in ranks:
            for n in tokens:
                recs = _case(in_f, out_f, rank, n, repeats, warmup, device, min_sample_s)
                for r in recs:
                    r["ratio"] = rank / min(in_f, out_f)
                records += recs
                tr = recs[0]
                log(
                    f"layer {in_f}x{out_f} r={rank} T={n}: train {tr['speedup']:.2f}x"
                    f" (ideal {tr['ideal_speedup']:.2f}x) inference "
                    + ", ".join(f"{r['path']} {r['speedup']:.2f}x" for r in recs[1:])
                )
    return records


COLUMNS = [
    ("in_features", "in"),
    ("out_features", "out"),
    ("rank", "r"),
    ("tokens", "T"),
    ("mode", "mode"),
    ("path", "path"),
    ("dense_min_ms", "dense ms"),
    ("lowrank_min_ms", "low-rank ms"),
    ("speedup", "speed-up (min)"),
    ("speedup_median", "(median)"),
    ("ideal_speedup", "ideal 1/ρ"),
    ("efficiency", "eff."),
    ("meets_target", "≥0.85 ideal"),
]


def summary(records: Sequence[Dict[str, Any]]) -> str:
    """Markdown: the missed targets with reasons, and inference cases slower than dense."""
    lines = []
    scope = [r for r in records if r["in_target_scope"] and r["path"] == "factorized"]
    missed = [r for r in scope if not r["meets_target"]]
    lines.append(
        f"Target (in,out ≥ 512, r ≥ 64, T ≥ 256, factorized path): "
        f"{len(scope) - len(missed)}/{len(scope)} cases reach ≥ {TARGET_EFFICIENCY} × ideal."
    )
    for r in missed:
        lines.append(
            f"- MISS {r['mode']} {r['in_features']}x{r['out_features']} r={r['rank']} "
            f"T={r['tokens']}: {r['speedup']:.2f}x of ideal {r['ideal_speedup']:.2f}x "
            f"(eff. {r['efficiency']:.2f}) — {r['miss_reason']}"
        )
    noisy = [r for r in records if r["noisy"]]
    if noisy:
        lines.append(
            f"{len(noisy)}/{len(records)} records are noisy (median > {NOISY_SPREAD} x min):"
            " the machine was disturbed while they ran; re-run those before trusting them."
        )
    slow = [r for r in records if r["mode"] == "inference" and r["slower_than_dense"]]
    slow_default = [r for r in slow if r["default_path"]]
    beyond = [r for r in slow_default if r["speedup"] < NOISE_FLOOR]
    lines.append(
        f"Inference slower than dense: {len(slow_default)} case(s) on the layer's default path"
        f" ({len(beyond)} by more than {100 * (1 - NOISE_FLOOR):.0f}%),"
        f" {len(slow)} counting both paths."
    )
    for r in slow:
        tag = "DEFAULT PATH" if r["default_path"] else "not default"
        lines.append(
            f"- SLOWER ({tag}) {r['path']} {r['in_features']}x{r['out_features']} "
            f"r={r['rank']} T={r['tokens']}: {r['speedup']:.2f}x — {r['miss_reason']}"
        )
    return "\n".join(lines)
