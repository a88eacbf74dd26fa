"""Run under torchrun (2 processes, gloo): DDP synchronises the factor gradients."""

import os
import sys

import torch
import torch.distributed as dist

from espnet_lowrank.asr.lowrank_conformer_encoder import LowRankConformerEncoder


def main(out_dir: str) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)  # same initial weights on every rank
    enc = LowRankConformerEncoder(
        20, output_size=16, attention_heads=2, linear_units=32, num_blocks=2,
        cnn_module_kernel=3, dropout_rate=0.0, positional_dropout_rate=0.0,
    )  # fmt: skip
    model = torch.nn.parallel.DistributedDataParallel(enc)
    probe = torch.randn(16)  # same on every rank; LayerNorm makes out.pow(2) constant
    torch.manual_seed(100 + rank)  # different data per rank
    x = torch.randn(2, 40, 20)
    lens = torch.tensor([40, 33])
    # local gradient without synchronisation
    with model.no_sync():
        (model(x, lens)[0] @ probe).sin().sum().backward()
    local = {n: p.grad.clone() for n, p in enc.named_parameters() if n.endswith((".U", ".V"))}
    enc.zero_grad()
    (model(x, lens)[0] @ probe).sin().sum().backward()
    synced = {n: p.grad.clone() for n, p in enc.named_parameters() if n.endswith((".U", ".V"))}
    torch.save({"local": local, "synced": synced}, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
