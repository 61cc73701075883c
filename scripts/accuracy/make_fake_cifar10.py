#!/usr/bin/python3
"""Writes a CIFAR-10-format copy of Fashion-MNIST (the Python distribution, cifar-10-batches-py/), so that
the public ProCo code and ProCo Studio can train on the same real images where CIFAR cannot be downloaded.

Training: the first 5,000 images of each class in file order (50,000), in file order, as data_batch_1..5.
Test: all 10,000 test images, as test_batch. Each 28x28 image is padded with 2 black pixels on every side to
32x32 and repeated in the three colour planes; rows are uint8 N x 3072 (R, G, B planes), as CIFAR's are.
Pickle protocol 4 with str keys, which torchvision and ProCo Studio's reader both read.

Usage: make_fake_cifar10.py FASHION_MNIST_DIR OUT_ROOT      (writes OUT_ROOT/cifar-10-batches-py)
"""
import gzip
import os
import pickle
import sys

import numpy as np

CLASSES = ['tshirt_top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle_boot']
PER_CLASS = 5000


def read_idx(folder, stem):
    for name in (stem + '.gz', stem):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with (gzip.open if name.endswith('.gz') else open)(path, 'rb') as f:
                raw = f.read()
            dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(raw[3])]
            return np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)
    raise FileNotFoundError(os.path.join(folder, stem + '[.gz]'))


def cifar_rows(images):
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return np.ascontiguousarray(np.repeat(padded[:, None], 3, axis=1).reshape(len(images), 3 * 32 * 32))


def write(path, obj):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=4)


def main(source, out_root):
    train_x, train_y = read_idx(source, 'train-images-idx3-ubyte'), read_idx(source, 'train-labels-idx1-ubyte')
    test_x, test_y = read_idx(source, 't10k-images-idx3-ubyte'), read_idx(source, 't10k-labels-idx1-ubyte')
    keep = np.sort(np.concatenate([np.flatnonzero(train_y == c)[:PER_CLASS] for c in range(len(CLASSES))]))
    rows, labels = cifar_rows(train_x[keep]), train_y[keep].astype(int)
    out = os.path.join(out_root, 'cifar-10-batches-py')
    os.makedirs(out, exist_ok=True)
    size = len(keep) // 5
    for b in range(5):
        part = slice(b * size, (b + 1) * size)
        write(os.path.join(out, f'data_batch_{b + 1}'),
              {'batch_label': f'training batch {b + 1} of 5 (Fashion-MNIST)', 'labels': labels[part].tolist(),
               'data': rows[part], 'filenames': [f'fashion_mnist_train_{i}.png' for i in keep[part]]})
    write(os.path.join(out, 'test_batch'),
          {'batch_label': 'testing batch 1 of 1 (Fashion-MNIST)', 'labels': test_y.astype(int).tolist(),
           'data': cifar_rows(test_x), 'filenames': [f'fashion_mnist_test_{i}.png' for i in range(len(test_y))]})
    write(os.path.join(out, 'batches.meta'), {'num_cases_per_batch': size, 'num_vis': 3072, 'label_names': CLASSES})
    print(f'{out}: {len(keep)} training images ({PER_CLASS} per class), {len(test_y)} test images')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
