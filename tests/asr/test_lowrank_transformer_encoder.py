"""ESPnet's Transformer encoder tests, run on the low-rank class (only the class swapped)."""

import pytest

from espnet_lowrank.asr.lowrank_transformer_encoder import LowRankTransformerEncoder
from tests.asr.encoder_cases import run_forward_backward

Encoder = LowRankTransformerEncoder


@pytest.mark.parametrize("input_layer", ["linear", "conv2d", "embed", None])
@pytest.mark.parametrize("positionwise_layer_type", ["linear", "conv1d", "conv1d-linear"])
def test_forward_backward(input_layer, positionwise_layer_type):
    enc = Encoder(
        20,
        output_size=40,
        input_layer=input_layer,
        positionwise_layer_type=positionwise_layer_type,
        num_blocks=2,
        linear_units=32,
    )
    run_forward_backward(enc, input_layer)  # input_layer None: a linear 20 -> 40
    ffn = {s.group for s in enc.rank_plan.slots if s.group.startswith("ffn")}
    # conv1d feed-forward layers (kernel > 1) are not linears: only Linear ones are slots
    assert ffn == {"linear": {"ffn_w1", "ffn_w2"}, "conv1d": set(),
                   "conv1d-linear": {"ffn_w2"}}[positionwise_layer_type]  # fmt: skip


def test_output_size():
    assert Encoder(20, output_size=256, num_blocks=1).output_size() == 256


def test_invalid_input_layer_raises_espnets_value_error():
    with pytest.raises(ValueError):
        Encoder(20, input_layer="fff")
