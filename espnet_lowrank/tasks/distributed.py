"""Tear down DDP cleanly at the end of a training worker.

ESPnet's trainer leaves the ``DistributedDataParallel`` wrapper and the process
group to interpreter teardown. With gloo (CPU DDP under torchrun) on ESPnet
202611 a worker then aborts at exit ("terminate called without an active
exception") after training finished, and torchrun reports the run as failed.
Collecting the wrapper and destroying the process group before returning avoids it.
"""

import gc

import torch.distributed as dist


def release_distributed() -> None:
    """Free unreachable DDP wrappers, then destroy the default process group."""
    gc.collect()
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
