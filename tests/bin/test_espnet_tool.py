"""The ESPnet tool wrapper's help escaping (ESPnet 202611's asr_inference has a bare ``%``)."""

import argparse

from espnet_lowrank.bin._espnet_tool import escape_help


def test_bare_percent_is_escaped_and_argparse_specifiers_kept():
    p = argparse.ArgumentParser()
    p.add_argument("--a", default=3, help="10% of %(default)s, 100%% sure")
    text = escape_help(p).format_help()
    assert "10% of 3, 100% sure" in " ".join(text.split())
