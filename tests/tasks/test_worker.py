"""``ReleaseDistributedMixin``: the worker ends with the process group destroyed."""

import argparse

import pytest
import torch.distributed as dist

from espnet_lowrank.tasks.worker import ReleaseDistributedMixin


class _Base:
    calls: list = []

    @classmethod
    def main_worker(cls, args: argparse.Namespace) -> None:
        cls.calls.append((cls.__name__, args.fail, dist.is_initialized()))
        if args.fail:
            raise RuntimeError("training failed")


class _Task(ReleaseDistributedMixin, _Base):
    pass


def _init(tmp_path, name: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / name}", rank=0, world_size=1)


@pytest.mark.parametrize("fail", [False, True])
def test_process_group_is_destroyed_after_the_worker(tmp_path, fail: bool) -> None:
    _Base.calls.clear()
    _init(tmp_path, "pg")
    try:
        if fail:
            with pytest.raises(RuntimeError, match="training failed"):
                _Task.main_worker(argparse.Namespace(fail=True))
        else:
            _Task.main_worker(argparse.Namespace(fail=False))
        # the parent's worker ran once, for the subclass, inside the process group
        assert _Base.calls == [("_Task", fail, True)]
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_without_process_group_the_worker_just_runs() -> None:
    _Base.calls.clear()
    assert not dist.is_initialized()
    _Task.main_worker(argparse.Namespace(fail=False))
    assert _Base.calls == [("_Task", False, False)]


def test_our_tasks_use_the_mixin_worker() -> None:
    from espnet_lowrank.tasks.asr import LowRankASRTask
    from espnet_lowrank.tasks.lm import LowRankLMTask

    for task in (LowRankASRTask, LowRankLMTask):
        assert task.main_worker.__func__ is ReleaseDistributedMixin.main_worker.__func__
        assert task.__mro__.index(ReleaseDistributedMixin) == 1
