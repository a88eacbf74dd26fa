# Corpus locations for this recipe. LRS3 is obtained by the user under licence
# (https://www.robots.ox.ac.uk/~vgg/data/lip_reading/lrs3.html); nothing is downloaded.
# Fill in here, or export the variable before running.

# Folder holding pretrain/ (optional), trainval/ and test/.
LRS3=${LRS3:-}
