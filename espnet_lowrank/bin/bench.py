"""Side-by-side benchmarks, low-rank vs dense, measured interleaved in one run.

    python -m espnet_lowrank.bin.bench {layer,train,decode,lm,lm_width,profile} \
        [--quick] [--device cpu|cuda] [--threads N] [--repeats K] --json OUT
    python -m espnet_lowrank.bin.bench int8 --exp_dirs FULL LOWRANK --data_dir DIR \
        [--decode_config YAML] [--utterances N] [--threads N] --json OUT

Prints a Markdown table (and, for ``layer``, the missed targets with reasons) and
writes a JSON list of records. See ``bench/README.md`` for the method.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from espnet_lowrank.bench import report
from espnet_lowrank.bench.timing import pin_threads
from espnet_lowrank.bin._cli import ArgumentParser, run

COMMANDS = ("layer", "train", "decode", "lm", "lm_width", "profile", "int8")
DTYPES = {"float32": None, "bfloat16": "bfloat16", "float16": "float16"}


def _sizes(value: Optional[str], quick: bool, default: List[str], known) -> List[str]:
    if value is None:
        return ["quick"] if quick else default
    sizes = [s for s in value.split(",") if s]
    for s in sizes:
        if s not in known:
            raise SystemExit(f"--sizes: unknown size {s!r}; choose from {sorted(known)}")
    return sizes


def _shapes(value: str) -> List[tuple]:
    shapes = []
    for item in value.split(","):
        try:
            i, o = item.lower().split("x")
            shapes.append((int(i), int(o)))
        except ValueError:
            raise SystemExit(f"--shapes: {item!r} is not IN x OUT (e.g. 512x2048)") from None
    return shapes


def _numbers(value: str, kind, flag: str) -> list:
    try:
        return [kind(v) for v in value.split(",") if v]
    except ValueError:
        raise SystemExit(f"{flag}: cannot parse {value!r}") from None


def _step_table(records: List[dict], columns) -> str:
    """The Markdown of ``train``/``lm`` records: table, model list, memory method."""
    text = report.markdown_table(records, columns)
    text += "\n\n" + "\n".join(f"- {r['model']}" for r in records)
    if records and records[0]["memory_method"]:
        text += f"\n\nPeak memory method: {records[0]['memory_method']}."
    return text


def get_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m espnet_lowrank.bin.bench",
        description="Low-rank vs dense speed, measured side by side (interleaved).",
    )
    p.add_argument("command", choices=COMMANDS)
    p.add_argument("--quick", action="store_true", help="small sizes for a fast look")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument(
        "--dtype",
        choices=tuple(DTYPES),
        default="float32",
        help="layer/train/decode/lm: run under torch.autocast in this dtype on --device "
        "(float32 weights, as use_amp training); float32 = no autocast",
    )
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N)")
    p.add_argument("--repeats", type=int, default=5, help="timed samples per variant (>= 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    p.add_argument("--json", required=True, help="write the records here")
    p.add_argument(
        "--sizes",
        default=None,
        help="model sizes (train/decode/lm/profile), comma-separated: "
        "tiny, quick, mini, librispeech; default mini,librispeech (--quick: quick)",
    )
    p.add_argument("--shapes", default=None, help="layer: IN x OUT list, e.g. 512x512,512x2048")
    p.add_argument(
        "--ratios", default=None, help="layer: rank ratios of min(in,out); lm_width: FFN rank / d"
    )
    p.add_argument(
        "--widths",
        default=None,
        help="lm_width: model widths d (FFN 4d), default 256,512,1024,1536,2048 (--quick: 64,128)",
    )
    p.add_argument("--tokens", default=None, help="layer: token counts, e.g. 1,16,256,4096")
    p.add_argument(
        "--batch", type=int, default=None, help="ASR benches, lm_width: batch size override"
    )
    p.add_argument(
        "--seconds", type=float, default=None, help="ASR benches: utterance seconds override"
    )
    p.add_argument(
        "--asr_configs",
        nargs=2,
        default=None,
        metavar=("FULL", "LOWRANK"),
        help="train: time two recipe training configs (YAML) instead of --sizes, e.g. in "
        "egs2/mini_lowrank/asr1: conf/train_asr_full.yaml conf/train_asr_lr_sms.yaml "
        "--token_list data/token_list/bpe_unigram300/tokens.txt (recipe configs name no "
        "token list: asr.sh passes it)",
    )
    p.add_argument(
        "--token_list",
        "--token_list",
        default=None,
        help="with --asr_configs: instead of the configs' own; with --lm_configs: required",
    )
    p.add_argument(
        "--lm_configs",
        nargs="+",
        default=None,
        metavar="CONFIG",
        help="lm: time the LMs of these recipe LM configs (YAML), each against the first, "
        "e.g. in egs2/mini_lowrank/asr1: conf/tuning/train_lm_dense.yaml "
        "conf/tuning/train_lm_ffn_r2.yaml --token_list data/token_list/bpe_unigram300/tokens.txt",
    )
    p.add_argument("--no_memory", action="store_true", help="train/lm: skip peak memory")
    p.add_argument("--beam", type=int, default=5, help="decode: beam size")
    p.add_argument("--rank_map", default="lr_sms", help="profile: rank map for the ceiling")
    p.add_argument(
        "--exp_dirs",
        nargs=2,
        default=None,
        metavar=("FULL", "LOWRANK"),
        help="int8: two trained experiment folders (config.yaml + --model_file each)",
    )
    p.add_argument("--model_file", default="valid.acc.ave.pth", help="int8: weights file")
    p.add_argument("--data_dir", default=None, help="int8: Kaldi-style test folder")
    p.add_argument("--decode_config", default=None, help="int8: ESPnet decode config YAML")
    p.add_argument(
        "--utterances",
        type=int,
        default=None,
        help="decode: utterances (default 3); int8: the first N of --data_dir (default all)",
    )
    p.add_argument(
        "--allow_few_repeats",
        action="store_true",
        help="accept --repeats < 5 (tests only; numbers are then not reportable)",
    )
    return p


def _autocast(device: str, dtype: str):
    """``torch.autocast(device, dtype)``, or no context for float32."""
    import contextlib

    import torch

    if DTYPES[dtype] is None:
        return contextlib.nullcontext()
    return torch.autocast(device, dtype=getattr(torch, DTYPES[dtype]))


def _run(args, common: dict, log) -> tuple:
    """``(records, markdown)`` of ``args.command``."""
    if args.command == "layer":
        from espnet_lowrank.bench import layer

        shapes = (
            _shapes(args.shapes)
            if args.shapes
            else (list(layer.QUICK_SHAPES) if args.quick else layer.full_shapes())
        )
        ratios = (
            _numbers(args.ratios, float, "--ratios")
            if args.ratios
            else list(layer.QUICK_RATIOS if args.quick else layer.RATIOS)
        )
        tokens = (
            _numbers(args.tokens, int, "--tokens")
            if args.tokens
            else list(layer.QUICK_TOKENS if args.quick else layer.TOKENS)
        )
        records = layer.run(
            shapes, ratios, tokens, min_sample_s=0.005 if args.quick else 0.02, **common
        )
        text = report.markdown_table(records, layer.COLUMNS) + "\n\n" + layer.summary(records)
    elif args.command == "train" and args.asr_configs:
        from espnet_lowrank.bench import train

        if args.sizes:
            raise SystemExit("train: give --sizes or --asr_configs, not both")
        records = train.run_configs(
            *args.asr_configs,
            token_list=args.token_list,
            measure_memory=not args.no_memory,
            threads=args.threads,
            batch=args.batch,
            seconds=args.seconds,
            **common,
        )
        text = _step_table(records, train.COLUMNS)
    elif args.command == "lm" and args.lm_configs:
        from espnet_lowrank.bench import lm

        records = lm.run_configs(args.lm_configs, args.token_list, batch=args.batch or 16, **common)
        text = report.markdown_table(records, lm.COLUMNS)
        text += "\n\n" + "\n".join(f"- {r['model']}" for r in records)
    elif args.command == "lm_width":
        from espnet_lowrank.bench import lm_width

        widths = _numbers(args.widths, int, "--widths") if args.widths else (
            [64, 128] if args.quick else [256, 512, 1024, 1536, 2048]
        )  # fmt: skip
        ratios = _numbers(args.ratios, float, "--ratios") if args.ratios else [0.5, 0.25]
        records = lm_width.run(
            widths,
            ratios,
            layers=2 if args.quick else 4,
            batch=args.batch or 4,
            length=32 if args.quick else 128,
            vocab=500 if args.quick else 5000,
            **common,
        )
        text = report.markdown_table(records, lm_width.COLUMNS)
    elif args.command in ("train", "lm"):
        from espnet_lowrank.bench import lm, models, train

        mod, known = (train, models.ASR_SIZES) if args.command == "train" else (lm, models.LM_SIZES)
        sizes = _sizes(args.sizes, args.quick, ["mini", "librispeech"], known)
        extra = dict(batch=args.batch, seconds=args.seconds) if mod is train else {}
        records = mod.run(
            sizes, measure_memory=not args.no_memory, threads=args.threads, **extra, **common
        )
        text = _step_table(records, mod.COLUMNS)
    elif args.command == "decode":
        from espnet_lowrank.bench import decode, models

        sizes = _sizes(args.sizes, args.quick, ["mini", "librispeech"], models.ASR_SIZES)
        records = decode.run(
            sizes,
            beam=args.beam,
            utterances=3 if args.utterances is None else args.utterances,
            batch=args.batch,
            seconds=args.seconds,
            **common,
        )
        text = report.markdown_table(records, decode.COLUMNS)
        text += "\n\n" + "\n".join(f"- {r['model']}" for r in records)
    elif args.command == "int8":
        from espnet_lowrank.bench import int8

        try:
            records = int8.run(
                args.exp_dirs,
                args.data_dir,
                model_file=args.model_file,
                decode_config=args.decode_config,
                utterances=args.utterances,
                log=log,
            )
        except (FileNotFoundError, ValueError) as e:
            raise SystemExit(f"int8: {e}") from None
        text = report.markdown_table(records, int8.COLUMNS)
        text += f"\n\n{records[0]['utterances']} utterances of {args.data_dir}"
        text += f" ({records[0]['audio_seconds']:.0f} s), decode config {args.decode_config}."
    else:
        from espnet_lowrank.bench import models, profile

        if args.device != "cpu":
            raise SystemExit("profile: only --device cpu is supported")
        sizes = _sizes(args.sizes, args.quick, ["mini", "librispeech"], models.ASR_SIZES)
        records = profile.run(
            sizes, rank_map=args.rank_map, batch=args.batch, seconds=args.seconds, **common
        )
        text = profile.markdown(records)
    return records, text


def main(argv=None) -> List[dict]:
    args = get_parser().parse_args(argv)
    if args.asr_configs and args.command != "train":
        raise SystemExit("--asr_configs/--token_list are options of bench train")
    if args.token_list and not (args.asr_configs or args.lm_configs):
        raise SystemExit("--token_list goes with --asr_configs or --lm_configs")
    if args.lm_configs and (args.command != "lm" or not args.token_list):
        raise SystemExit("--lm_configs is an option of bench lm and needs --token_list")
    int8_only = {"--exp_dirs": args.exp_dirs, "--data_dir": args.data_dir,
                 "--decode_config": args.decode_config}  # fmt: skip
    if args.command == "int8":
        if not (args.exp_dirs and args.data_dir):
            raise SystemExit("int8: --exp_dirs FULL LOWRANK and --data_dir are required")
        if args.device != "cpu":
            raise SystemExit("int8: dynamic int8 quantization runs on --device cpu only")
    elif any(v is not None for v in int8_only.values()):
        raise SystemExit(
            f"{', '.join(k for k, v in int8_only.items() if v)}: options of bench int8"
        )
    if args.dtype != "float32":
        if args.command in ("profile", "int8"):
            raise SystemExit(f"--dtype {args.dtype}: {args.command} runs in float32 only")
        if args.command in ("train", "lm") and not args.no_memory:
            raise SystemExit(
                f"--dtype {args.dtype}: peak memory is measured in float32 (a fresh process "
                "per variant); add --no_memory"
            )
    if args.repeats < 5 and not args.allow_few_repeats:
        raise SystemExit(f"--repeats must be >= 5, got {args.repeats}")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device available")
    threads = pin_threads(args.threads)
    env = report.environment(threads, args.device)
    print(
        f"# bench {args.command}: torch {env['torch']}, {threads} thread(s), "
        f"device {args.device}, {args.dtype}, load average {env['loadavg']}",
        file=sys.stderr,
    )
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    common = dict(repeats=args.repeats, warmup=args.warmup, device=args.device, log=log)

    # every model forward (and backward) of the benchmark runs under autocast: the path
    # use_amp training and mixed-precision inference take
    with _autocast(args.device, args.dtype):
        records, text = _run(args, common, log)

    for rec in records:
        rec["environment"] = env
        rec["repeats"] = args.repeats
        rec["dtype"] = args.dtype
    report.write_json(args.json, records)
    load = env["loadavg"]
    if load and load[0] > threads:
        text += (
            f"\n\nNote: measured under load (1-min load average {load[0]:.1f} > {threads}"
            " threads at start): min times are the better guide, medians are noisy."
        )
    print(text)
    return records


if __name__ == "__main__":
    run(main)
