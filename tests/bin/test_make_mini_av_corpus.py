"""``python -m espnet_lowrank.bin.make_mini_av_corpus``: options reach the config, bad ones fail."""

import pytest

from espnet_lowrank.bin import make_mini_av_corpus as cli


def test_bad_options_are_clear_errors(tmp_path):
    base = ["--out_dir", str(tmp_path / "d"), "--wav_dir", str(tmp_path / "w"),
            "--video_dir", str(tmp_path / "v")]  # fmt: skip
    with pytest.raises(SystemExit, match="--nj must be >= 1"):
        cli.main([*base, "--nj", "0"])
    with pytest.raises(SystemExit, match="snr range is empty: 5.0 > -5.0"):
        cli.main([*base, "--snr_range", "5", "-5"])
    with pytest.raises(SystemExit, match="train_utts must be positive"):
        cli.main([*base, "--smoke", "--train_utts", "0"])
    assert not (tmp_path / "d").exists()


def test_parser_defaults_leave_the_config_defaults():
    args = cli.get_parser().parse_args(["--out_dir", "d", "--wav_dir", "w", "--video_dir", "v"])
    assert args.train_utts is None and args.snr_range is None and args.seed == 1
