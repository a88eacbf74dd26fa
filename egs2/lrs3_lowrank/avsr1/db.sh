# Corpus locations for this recipe. LRS3 is obtained by the user under licence
# (https://www.robots.ox.ac.uk/~vgg/data/lip_reading/lrs3.html); nothing is downloaded.
# Fill in here, or export the variables before running.

# Folder holding pretrain/ (optional), trainval/ and test/.
LRS3=${LRS3:-}
# Landmark files mirroring the LRS3 layout: <dir>/<subset>/<speaker>/<clip>.npy|.landmarks.txt
# (see espnet_lowrank/video/landmarks.py for the format). Empty: next to each mp4.
LRS3_LANDMARKS=${LRS3_LANDMARKS:-}
