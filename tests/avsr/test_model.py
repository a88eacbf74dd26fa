import pytest
import torch

from espnet_lowrank.layers import LowRankLinear
from tests.avsr.tiny_av import tiny_model

NO_DROPOUT = dict(audio_dropout_prob=0.0, video_dropout_prob=0.0)


def _batch(audio_frames, video_frames, seed=0):
    g = torch.Generator().manual_seed(seed)
    a_lens = torch.tensor([f * 640 for f in audio_frames])
    v_lens = torch.tensor(video_frames)
    speech = torch.randn(len(audio_frames), int(a_lens.max()), generator=g)
    video = torch.rand(len(video_frames), int(v_lens.max()), 88, 88, generator=g)
    text = torch.tensor([[3, 4, 5], [4, 3, -1]])[: len(audio_frames)]
    t_lens = (text >= 0).sum(1)
    return dict(
        speech=speech,
        speech_lengths=a_lens,
        text=text,
        text_lengths=t_lens,
        video=video,
        video_lengths=v_lens,
    )


@pytest.mark.parametrize("mode", ["trim", "pad"])
@pytest.mark.parametrize("delta", [-2, 2])
def test_forward_backward_with_mismatched_lengths(mode, delta):
    torch.manual_seed(0)
    model = tiny_model(length_mismatch=mode, **NO_DROPOUT)
    batch = _batch([8, 6], [8 + delta, 6 + delta])
    loss, stats, _ = model(**batch)
    assert torch.isfinite(loss).all() and stats["loss_ctc"] is not None
    loss.sum().backward()
    for part in ("audio_frontend", "video_frontend", "fusion", "encoder"):
        grads = [p.grad for p in getattr(model, part).parameters() if p.grad is not None]
        assert grads and any(g.abs().sum() > 0 for g in grads), part
    model.eval()
    out, lens = model.encode(batch["speech"], batch["speech_lengths"], batch["video"],
                             batch["video_lengths"])  # fmt: skip
    pick = min if mode == "trim" else max
    assert lens.tolist() == [pick(8, 8 + delta), pick(6, 6 + delta)]
    assert out.shape[1] == pick(8, 8 + delta)


def test_too_large_mismatch_is_an_error():
    model = tiny_model(max_length_mismatch=1)
    with pytest.raises(ValueError, match="differ by 2 frames.*max_length_mismatch is 1"):
        model(**_batch([8, 6], [8, 4]))


def test_padding_beyond_each_stream_is_zeroed_before_fusion():
    model = tiny_model(length_mismatch="pad", **NO_DROPOUT).eval()
    a = torch.randn(1, 5, 4)
    v = torch.randn(1, 7, 4)
    a2, v2, lens = model.align(a, torch.tensor([5]), v, torch.tensor([6]))
    assert a2.shape[1] == v2.shape[1] == 7 and lens.tolist() == [6]
    assert a2[0, 5:].abs().sum() == 0 and v2[0, 6:].abs().sum() == 0
    torch.testing.assert_close(a2[0, :5], a[0])


@pytest.mark.parametrize("missing", ["zero", "learned"])
def test_modality_dropout_replaces_whole_utterances(missing):
    torch.manual_seed(0)
    model = tiny_model(missing_embedding=missing, audio_dropout_prob=1.0, video_dropout_prob=0.0)
    if missing == "learned":
        with torch.no_grad():
            model.audio_missing.normal_()
            model.video_missing.normal_()
    a, v = torch.randn(4, 5, 16), torch.randn(4, 5, 16)
    a2, v2 = model.modality_dropout(a, v)
    assert torch.equal(v2, v)
    assert torch.equal(a2, model.audio_missing.expand(4, 5, 16))
    model.audio_dropout_prob, model.video_dropout_prob = 0.0, 1.0
    a2, v2 = model.modality_dropout(a, v)
    assert torch.equal(a2, a) and torch.equal(v2, model.video_missing.expand(4, 5, 16))
    # half and half: every utterance loses exactly one stream, both kinds happen
    model.audio_dropout_prob, model.video_dropout_prob = 0.5, 0.5
    a2, v2 = model.modality_dropout(torch.randn(200, 3, 16), torch.randn(200, 3, 16))
    drop_a = (a2 == model.audio_missing).all(-1).all(-1)
    drop_v = (v2 == model.video_missing).all(-1).all(-1)
    assert torch.equal(drop_a, ~drop_v) and 60 < int(drop_a.sum()) < 140


def test_modality_dropout_only_in_training_and_equals_one_stream_input():
    torch.manual_seed(0)
    model = tiny_model(audio_dropout_prob=1.0, video_dropout_prob=0.0)
    model.fusion.mlp[3].p = 0.0
    b = _batch([6, 6], [6, 6])
    args = (b["speech"], b["speech_lengths"], b["video"], b["video_lengths"])
    model.train()
    dropped, _ = model.fuse(*args)
    video_only, _ = model.fuse(None, None, b["video"], b["video_lengths"], modality="video")
    torch.testing.assert_close(dropped, video_only)
    model.eval()
    assert not torch.allclose(model.fuse(*args)[0], model.fuse(*args, modality="video")[0])


def test_learned_missing_embedding_trains():
    torch.manual_seed(0)
    model = tiny_model(missing_embedding="learned", audio_dropout_prob=0.5, video_dropout_prob=0.5)
    loss, _, _ = model(**_batch([6, 6], [6, 6]))
    loss.sum().backward()
    assert model.audio_missing.grad is not None or model.video_missing.grad is not None
    grads = [g for g in (model.audio_missing.grad, model.video_missing.grad) if g is not None]
    assert any(g.abs().sum() > 0 for g in grads)


def test_audio_only_and_video_only_encoding():
    torch.manual_seed(0)
    model = tiny_model().eval()
    b = _batch([7, 5], [8, 5])
    out_a, lens_a = model.encode(b["speech"], b["speech_lengths"], modality="audio")
    out_v, lens_v = model.encode(None, None, b["video"], b["video_lengths"], modality="video")
    assert lens_a.tolist() == [7, 5] and out_a.shape == (2, 7, 16)
    assert lens_v.tolist() == [8, 5] and out_v.shape == (2, 8, 16)
    # audio-only ignores any video passed along
    again, _ = model.encode(b["speech"], b["speech_lengths"], b["video"] * 0, b["video_lengths"],
                            modality="audio")  # fmt: skip
    torch.testing.assert_close(again, out_a)
    with pytest.raises(ValueError, match="needs 'video'"):
        model.encode(b["speech"], b["speech_lengths"], modality="av")
    with pytest.raises(ValueError, match="modality must be one of"):
        model.encode(b["speech"], b["speech_lengths"], modality="lips")


def test_rank_maps_reach_the_av_modules():
    rank_map = {"groups": {"hidden": 4, "output": 0.25}}
    model = tiny_model(fusion_conf={"hidden_size": 32, "output_size": 16, "rank_map": rank_map})
    assert isinstance(model.fusion.mlp[0], LowRankLinear) and model.fusion.mlp[0].rank == 4
    assert isinstance(model.fusion.mlp[4], LowRankLinear) and model.fusion.mlp[4].rank == 4
    assert isinstance(model.audio_frontend.proj, LowRankLinear)
    assert model.audio_frontend.proj.rank == 4  # tiny config: 0.5 * min(8, 16)
    assert isinstance(model.encoder.encoders[0].self_attn.linear_q, LowRankLinear)


def test_bad_model_conf_is_a_clear_error():
    with pytest.raises(ValueError, match="sum <= 1"):
        tiny_model(audio_dropout_prob=0.7, video_dropout_prob=0.7)
    with pytest.raises(ValueError, match="missing_embedding must be one of"):
        tiny_model(missing_embedding="noise")
    with pytest.raises(ValueError, match="fusion_conf must be a mapping"):
        tiny_model(fusion_conf=[1, 2])


@pytest.mark.parametrize("streams,other", [("audio", "video"), ("video", "audio")])
def test_single_stream_model_builds_and_uses_only_its_front_end(streams, other):
    torch.manual_seed(0)
    full = tiny_model(**NO_DROPOUT)
    model = tiny_model(streams=streams, **NO_DROPOUT)
    assert getattr(model, f"{other}_frontend") is None
    own = sum(p.numel() for p in getattr(full, f"{other}_frontend").parameters())
    assert (
        sum(p.numel() for p in model.parameters())
        == sum(p.numel() for p in full.parameters()) - own
    )
    batch = _batch([8, 6], [8, 6])
    if streams == "audio":
        batch["video"] = batch["video_lengths"] = None  # not needed at all
    loss, _, _ = model(**batch)
    loss.sum().backward()
    model.eval()
    with torch.no_grad():
        enc, _ = model.encode(batch["speech"], batch["speech_lengths"], batch["video"],
                              batch["video_lengths"])  # fmt: skip
        assert enc.shape[:2] == (2, 8)
        # the absent stream's data does not matter
        if streams == "video":
            enc2, _ = model.encode(batch["speech"] * 0, batch["speech_lengths"], batch["video"],
                                   batch["video_lengths"])  # fmt: skip
            assert torch.allclose(enc, enc2)
    with pytest.raises(ValueError, match=f"streams '{streams}'"):
        model.encode(batch["speech"], batch["speech_lengths"], batch["video"],
                     batch["video_lengths"], modality=other)  # fmt: skip


def test_bad_streams_is_an_error():
    with pytest.raises(ValueError, match="model_conf.streams must be one of"):
        tiny_model(streams="lips")
