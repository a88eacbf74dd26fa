from espnet_lowrank.count_params import resolve_config
from espnet_lowrank.rank_plot import plot_config_ranks
from tests.tiny_corpus import write_asr_config, write_corpus


def test_plot_and_resolved_parts_of_a_config(tmp_path):
    data = write_corpus(tmp_path / "data", n_utts=2)
    config = write_asr_config(tmp_path / "c.yaml", data)
    total, parts = resolve_config(config)
    assert set(parts) == {"encoder", "decoder"}
    enc = parts["encoder"]
    assert enc.plan.num_blocks == 2 and enc.lowrank_params < enc.dense_params
    dense = [name for name, r in enc.plan.ranks.items() if r is None]
    assert dense == ["embed.conv.2"]  # lr_sms factorizes every group but opt-in subsampling_conv
    png = plot_config_ranks(config, tmp_path / "ranks.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
