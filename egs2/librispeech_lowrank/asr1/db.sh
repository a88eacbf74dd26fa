# Corpus locations for this recipe (sourced by local/data.sh).
#
# LIBRISPEECH is the folder that contains LibriSpeech/<part>/ (as the OpenSLR
# archives extract), e.g. LIBRISPEECH=/export/corpora5 when the corpus sits in
# /export/corpora5/LibriSpeech/train-clean-100.
#   * Corpus already on disk: point LIBRISPEECH at it; parts found there are not
#     downloaded again (nothing is written into it unless a part is missing).
#   * No corpus yet: leave the default; stage 1 downloads the .tar.gz archives
#     into ./downloads (relative to the recipe folder) and extracts them there.
# An environment variable of the same name takes precedence.
LIBRISPEECH=${LIBRISPEECH:-downloads}
