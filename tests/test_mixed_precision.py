"""The registered models under CPU autocast (bfloat16): training step, eval, and back.

ESPnet's trainer wraps forward in ``torch.cuda.amp.autocast`` when ``use_amp: true``
(a no-op on CPU, see ``tests/tasks/test_amp_training.py``); on a GPU the same code
runs the path tested here, with the CUDA device type.
"""

import torch

from espnet_lowrank.bench import models
from espnet_lowrank.layers import LowRankLayer
from espnet_lowrank.lm.lowrank_transformer_lm import LowRankTransformerLM

BF16 = dict(device_type="cpu", dtype=torch.bfloat16)


def _check_training_step(model, loss_of) -> None:
    """An autocast forward + backward gives finite float32 gradients on every factor."""
    model.train()
    with torch.autocast(**BF16):
        loss = loss_of(model)
    loss.backward()
    factors = [m for m in model.modules() if isinstance(m, LowRankLayer)]
    assert factors
    for layer in factors:
        for p in (layer.U, layer.V):
            assert p.dtype == torch.float32 and p.grad is not None
            assert torch.isfinite(p.grad).all()


def _check_eval_switching(model, output_of) -> None:
    """Eval outputs under autocast and without it, alternating, stay what they were."""
    model.eval()
    with torch.no_grad():
        assert any(m._use_merged() for m in model.modules() if isinstance(m, LowRankLayer))
        ref = output_of(model)
        assert ref.dtype == torch.float32
        for _ in range(2):
            with torch.autocast(**BF16):
                low = output_of(model)
            again = output_of(model)
            torch.testing.assert_close(again, ref)
            err = (low.float() - ref).abs().max() / ref.abs().max()
            assert err < 0.1, f"bfloat16 output differs from float32 by {err:.3f} (relative)"


def _mixed_map_model(size):
    """A tiny ASR model with the lr_sms map and one merged-path (rho >= 0.8) layer."""
    model = models.build_asr(size, "lr_sms")
    # the subsampling projection: embed.out.0 in ESPnet 202511, embed.out in 202611
    proj = next(
        m for n, m in model.encoder.named_modules()
        if n.startswith("embed.out") and isinstance(m, LowRankLayer)
    )  # fmt: skip
    proj.merge_min_rho = 0.0  # its merged path, whatever the tiny shape's rho
    return model


def test_asr_model_encoder_and_decoder():
    size = models.asr_size("tiny")
    torch.manual_seed(0)
    model = _mixed_map_model(size)
    batch = models.asr_batch(size)
    _check_training_step(model, lambda m: m(**batch)[0])

    def encoder_out(m):
        return m.encode(batch["speech"], batch["speech_lengths"])[0]

    _check_eval_switching(model, encoder_out)

    def decoder_out(m):
        enc, enc_lens = m.encode(batch["speech"], batch["speech_lengths"])
        ys = batch["text"]
        return m.decoder(enc.float(), enc_lens, ys, batch["text_lengths"])[0].float()

    _check_eval_switching(model, decoder_out)


def test_lm():
    torch.manual_seed(0)
    lm = LowRankTransformerLM(30, embed_unit=8, att_unit=16, head=2, unit=64, layer=2)
    lm.get_submodule("encoder.encoders.1.feed_forward.w_1").merge_min_rho = 0.0
    ids = torch.randint(1, 29, (2, 6))

    def loss(m):
        logits = m(ids[:, :-1], None)[0]
        return torch.nn.functional.cross_entropy(logits.float().transpose(1, 2), ids[:, 1:])

    _check_training_step(lm, loss)
    _check_eval_switching(lm, lambda m: m(ids, None)[0].float())


def test_av_model():
    from tests.avsr.test_model import NO_DROPOUT, _batch
    from tests.avsr.tiny_av import tiny_model

    torch.manual_seed(0)
    model = tiny_model(**NO_DROPOUT)
    for m in model.modules():
        if isinstance(m, LowRankLayer):
            m.merge_min_rho = 0.0
            break
    batch = _batch([8, 6], [8, 6])
    _check_training_step(model, lambda m: m(**batch)[0])

    def encoder_out(m):
        keys = ("speech", "speech_lengths", "video", "video_lengths")
        return m.encode(**{k: batch[k] for k in keys})[0].float()

    _check_eval_switching(model, encoder_out)
