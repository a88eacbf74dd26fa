"""ESPnet's ``asr_inference`` with the low-rank classes registered (same options)."""

from espnet_lowrank.bin._cli import run
from espnet_lowrank.bin._espnet_tool import wrap

get_parser, main = wrap("espnet2.bin.asr_inference")

if __name__ == "__main__":
    run(main)
