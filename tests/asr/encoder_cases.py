"""ESPnet's encoder unit-test setups, shared by the tests of the low-rank encoders.

The cases follow ESPnet's own tests (``test/espnet2/asr/encoder/test_*_encoder.py``):
tiny encoders (``output_size`` 2 to 4) built with each input layer and attention type.
"""

from __future__ import annotations

from typing import Optional

import torch


def run_forward_backward(encoder: torch.nn.Module, input_layer: Optional[str]) -> torch.Tensor:
    """ESPnet's check: a forward pass on ``(2, 32, 20)`` features (token ids for
    ``embed``) and a backward pass; returns the output ``(2, T', output_size)``."""
    if input_layer == "embed":
        x = torch.randint(0, 10, [2, 32])
    else:
        x = torch.randn(2, 32, 20, requires_grad=True)
    y, olens, _ = encoder(x, torch.LongTensor([32, 28]))
    y.sum().backward()
    assert olens.shape == (2,)
    return y


# rel_pos_type, pos_enc_layer_type, attention_layer_type: the combinations ESPnet tests
ATTENTION_TYPES = [
    ("legacy", "abs_pos", "selfattn"),
    ("latest", "rel_pos", "rel_selfattn"),
    ("legacy", "rel_pos", "rel_selfattn"),
    ("legacy", "legacy_rel_pos", "legacy_rel_selfattn"),
    ("legacy", "abs_pos", "fast_selfattn"),
]


def branch_conf(input_layer="conv2d", attention=ATTENTION_TYPES[1], **kw) -> dict:
    """ESPnet's tiny (E-)Branchformer test options: d=2, cgMLP 4 units, 2 blocks."""
    rel_pos_type, pos_enc_layer_type, attention_layer_type = attention
    conf = dict(
        output_size=2,
        attention_heads=2,
        attention_layer_type=attention_layer_type,
        pos_enc_layer_type=pos_enc_layer_type,
        rel_pos_type=rel_pos_type,
        cgmlp_linear_units=4,
        cgmlp_conv_kernel=3,
        gate_activation="identity",
        num_blocks=2,
        input_layer=input_layer,
    )
    conf.update(kw)
    return conf
