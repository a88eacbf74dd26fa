"""Python logic behind the stages of ``egs2/TEMPLATE/asr1/asr.sh``.

The shell driver only orchestrates; each stage calls
``python -m espnet_lowrank.bin.recipe_tools <command>`` which uses these modules:
:mod:`.format_data` (stage 2), :mod:`.token_list` (stage 3), :mod:`.split` (``--nj``),
:mod:`.shapes` (stats), :mod:`.resume` (stage 8), :mod:`.merge_decode` (stage 9).
"""
