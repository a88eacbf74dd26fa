"""Convert a trained model between dense ESPnet classes and low-rank ones.

Examples::

    # dense Conformer/Transformer ASR model -> low-rank by truncated SVD
    python -m espnet_lowrank.bin.convert to_lowrank --task asr \\
        --config exp/asr_dense/config.yaml --model exp/asr_dense/valid.acc.ave.pth \\
        --rank_map encoder=lr_sms --rank_map decoder=lr_sms --out_dir exp/asr_svd

    # low-rank model -> stock ESPnet classes (no plugin needed to load it)
    python -m espnet_lowrank.bin.convert to_dense --task asr \\
        --config exp/asr_lowrank/config.yaml --model exp/asr_lowrank/valid.acc.ave.pth \\
        --out_dir exp/asr_lowrank_dense

    # dense weights onto a low-rank model's names (for --init_param): exp/init/model.pth
    python -m espnet_lowrank.bin.convert svd_transfer --task asr \
        --config exp/asr_lowrank/config.yaml --model exp/asr_dense/valid.acc.ave.pth \
        --out_dir exp/init
    # ... onto the model of a training config not trained yet (it has no saved config)
    python -m espnet_lowrank.bin.convert svd_transfer --task asr \
        --config conf/train_asr_lowrank.yaml --token_list data/token_list/bpe/tokens.txt \
        --model exp/asr_dense/valid.acc.ave.pth --out_dir exp/init
"""

import argparse

from espnet_lowrank.bin._cli import ArgumentParser, run, setup_logging
from espnet_lowrank.convert import parse_rank_map_args, svd_transfer, to_dense, to_lowrank


def get_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("direction", choices=["to_lowrank", "to_dense", "svd_transfer"])
    parser.add_argument("--task", choices=["asr", "lm"], required=True)
    parser.add_argument("--config", required=True, help="config.yaml of the model")
    parser.add_argument("--model", required=True, help="weights (.pth)")
    parser.add_argument("--out_dir", required=True)
    parser.add_argument(
        "--rank_map",
        action="append",
        help="PART=MAP for to_lowrank (PART: encoder, decoder or lm; MAP: preset or YAML)",
    )
    parser.add_argument(
        "--token_list",
        default=None,
        help="svd_transfer: --config is a training config, built with this token list",
    )
    return parser


def main(cmd=None) -> None:
    args = get_parser().parse_args(cmd)
    setup_logging()
    if args.direction == "to_lowrank":
        maps = parse_rank_map_args(args.rank_map)
        if not maps:
            raise SystemExit("to_lowrank needs at least one --rank_map PART=MAP")
        paths = to_lowrank(args.task, args.config, args.model, args.out_dir, maps)
        print(f"wrote {paths[0]} and {paths[1]}")
        return
    if args.rank_map:
        raise SystemExit("--rank_map is only for to_lowrank")
    if args.token_list and args.direction != "svd_transfer":
        raise SystemExit("--token_list is only for svd_transfer")
    if args.direction == "svd_transfer":
        out = f"{args.out_dir}/model.pth"
        report = svd_transfer(args.task, args.config, args.model, out, args.token_list)
        print(f"wrote {out}: {len(report['copied'])} copied, {len(report['factorized'])} "
              f"factorized by SVD, {len(report['missing'])} not in {args.model}")  # fmt: skip
        return
    paths = to_dense(args.task, args.config, args.model, args.out_dir)
    print(f"wrote {paths[0]} and {paths[1]}")


if __name__ == "__main__":
    run(main)
