"""ESPnet's ``pack`` with the low-rank classes registered (same options)."""

from espnet_lowrank.bin._espnet_tool import wrap

get_parser, main = wrap("espnet2.bin.pack")

if __name__ == "__main__":
    main()
