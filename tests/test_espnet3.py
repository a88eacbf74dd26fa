"""ESPnet3 (shipped with ESPnet 202611, the Python 3.12 leg) builds our classes from its
own model configuration: a ``task:`` dotted path and a ``model:`` section, built by
``espnet3.utils.task_utils.get_espnet_model`` as its training system does."""

import pytest
import torch

import espnet_lowrank  # noqa: F401  (registers; after pip install the start-up hook does it)
from tests.tiny_corpus import CHARS

task_utils = pytest.importorskip(
    "espnet3.utils.task_utils", reason="ESPnet3 ships with ESPnet 202611 (Python 3.12 leg)"
)

MODEL = {
    "token_list": CHARS,
    "input_size": 20,
    "frontend": None,
    "normalize": None,
    "specaug": None,
    "encoder": "lowrank_e_branchformer",
    "encoder_conf": {"output_size": 16, "attention_heads": 2, "cgmlp_linear_units": 32,
                     "cgmlp_conv_kernel": 3, "num_blocks": 2, "rank_map": "lr_sms"},
    "decoder": "lowrank_transformer",
    "decoder_conf": {"attention_heads": 2, "linear_units": 24, "num_blocks": 1},
    "model_conf": {"ctc_weight": 0.3},
}  # fmt: skip


@pytest.mark.parametrize(
    "task", ["espnet2.tasks.asr.ASRTask", "espnet_lowrank.tasks.asr.LowRankASRTask"]
)
def test_espnet3_builds_and_trains_a_step_of_our_model(task):
    model = task_utils.get_espnet_model(task, dict(MODEL))
    enc = model.encoder
    assert type(enc).__name__ == "LowRankEBranchformerEncoder"
    assert any(r is not None for r in enc.rank_plan.ranks.values())
    torch.manual_seed(0)
    speech = torch.randn(2, 40, 20)
    text = torch.tensor([[3, 4, 3], [5, 3, -1]])
    loss, stats, _ = model(
        speech=speech, speech_lengths=torch.tensor([40, 32]),
        text=text, text_lengths=torch.tensor([3, 2]),
    )  # fmt: skip
    loss.backward()
    assert torch.isfinite(loss) and enc.encoders[0].attn.linear_q.U.grad is not None
