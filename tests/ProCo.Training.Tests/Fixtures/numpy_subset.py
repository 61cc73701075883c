#!/usr/bin/python3
"""Writes the long-tailed CIFAR subsets the public ProCo code keeps, as numpy draws them.

The public code (LeapLabTHU/ProCo, ProCo_cifar/dataset/cifar.py, after LDAM-DRW) seeds numpy's
legacy global RandomState with 0, then for each class in label order shuffles the ascending indices
of that class and keeps the first int(n_max * f ** (c / (C - 1))). Which images are kept depends
only on the labels array; here it is synthetic (label of image i = i % C, the class sizes of CIFAR),
and ProCo.Training.Tests reads the same labels back and must keep exactly these indices.

Run with Debian's python3-numpy:  /usr/bin/python3 numpy_subset.py   (writes the two .txt files here)
"""
import os
import numpy as np


def kept(classes, imb_factor, images=50000):
    np.random.seed(0)
    targets = np.arange(images, dtype=np.int64) % classes
    n_max = images / classes
    rows = []
    for c in np.unique(targets):
        count = int(n_max * (imb_factor ** (c / (classes - 1.0))))
        idx = np.where(targets == c)[0]
        np.random.shuffle(idx)
        rows.append((int(c), count, idx[:count].tolist()))
    return rows


here = os.path.dirname(os.path.abspath(__file__))
for name, classes, factor in (("cifar100-imb100", 100, 0.01), ("cifar10-imb10", 10, 0.1)):
    with open(os.path.join(here, f"numpy-subset-{name}.txt"), "w") as out:
        out.write(f"# numpy {np.__version__}, seed 0, labels i % {classes} over 50000 images, imbalance factor {factor}\n")
        out.write("# class count kept-indices (in the order numpy's shuffle leaves them)\n")
        for c, count, indices in kept(classes, factor):
            out.write(f"{c} {count} {' '.join(map(str, indices))}\n")
