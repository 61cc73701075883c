#!/usr/bin/python3
"""The public ProCo augmentation as distributions: how often each operation fires, with what parameters, and
what the views' pixels look like, over a few thousand draws (AugmentDistributionTests holds ours against it).

The pipelines are the public code's own: `ProCo_cifar/autoaug.py` (CIFAR10Policy, Cutout) and
`ProCo/randaugment.py` (timm's rand_augment_transform) imported from a checkout of LeapLabTHU/ProCo, with
torchvision 0.14 and Pillow 9.4 (Debian's python3-torchvision), composed with the arguments of the public
main.py files:
  cifar-regular  RandomCrop(32, padding=4), RandomHorizontalFlip, CIFAR10Policy, ToTensor, Cutout(1, 16)
  cifar-sim      RandomResizedCrop(32), RandomHorizontalFlip, RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], 0.8),
                 RandomGrayscale(0.2)
  imagenet-cls   RandomResizedCrop(224, scale=(0.08, 1)), RandomHorizontalFlip,
                 RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.0)], 1.0), rand_augment_transform('rand-n2-m10-mstd0.5',
                 translate_const 100, img_mean (124, 116, 104))
  imagenet-sim   as cifar-sim at 224 pixels
Each draw is recorded by wrapping the pipeline's own functions (torchvision's get_params, hflip and
rgb_to_grayscale, each AutoAugment and RandAugment operation, the random module those modules draw signs
and filters from); nothing of the pipelines is rewritten.

Inputs: 64 colour 32x32 images (images.pt; Fashion-MNIST training images tinted by position and grey level,
so that hue, saturation and grayscale matter) and 6 photo-like JPEGs (photo-*.jpg, 320x240 and 240x320,
quality 90), written here.

Writes augment.json: per pipeline, per recorded name, the draws' count, mean and standard deviation. Names:
crop.top/left, cutout.y/x, flip, aa.<Op> (times it fired on an image), aa.<Op>.sign, rrc.area, rrc.logratio,
rrc.centre.y/x, jitter (applied), jitter.brightness/contrast/saturation/hue, jitter.first (the first of the
four adjustments in its random order), gray, ra.<Op>, ra.level, ra.negate, ra.bicubic; and per view image
px.mean, px.std (over its 0..255 values), px.zero (share of black pixels), px.fill (share of pixels of the
geometric operations' fill colour).
Usage: generate.py --public PATH/TO/ProCo [--fashion-mnist DIR] [--draws N]
"""
import argparse
import gzip
import json
import math
import os
import random
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 0
OPS_AA = ['Invert', 'Contrast', 'Rotate', 'TranslateX', 'TranslateY', 'Sharpness', 'ShearX', 'ShearY', 'AutoContrast',
          'Equalize', 'Posterize', 'Color', 'Brightness', 'Solarize']
AA_NAMES = {n.lower(): n for n in OPS_AA}
OPS_RA = ['AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeTpu', 'Solarize', 'SolarizeAdd', 'Color', 'Contrast',
          'Brightness', 'Sharpness', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel']
IMAGENET_MEAN_255 = (124, 116, 104)


class Recorder:
    def __init__(self):
        self.values = {}
        self.image = None

    def record(self, name, value):
        self.values.setdefault(name, []).append(float(value))

    def begin(self):
        self.image = {}

    def count(self, name):
        self.image[name] = self.image.get(name, 0) + 1

    def end(self, names):
        for name in names:
            self.record(name, self.image.get(name, 0))
        self.image = None

    def summary(self):
        return {k: {'n': len(v), 'mean': float(np.mean(v)), 'sd': float(np.std(v, ddof=1)) if len(v) > 1 else 0.0}
                for k, v in sorted(self.values.items())}


REC = Recorder()


def instrument(checkout):
    import torchvision.transforms as T
    import torchvision.transforms.functional as F
    sys.path.insert(0, os.path.join(checkout, 'ProCo_cifar'))
    sys.path.insert(0, os.path.join(checkout, 'ProCo'))
    import autoaug
    import randaugment

    crop_params = T.RandomCrop.get_params

    def random_crop_params(img, output_size):
        i, j, h, w = crop_params(img, output_size)
        REC.record('crop.top', i)
        REC.record('crop.left', j)
        return i, j, h, w
    T.RandomCrop.get_params = staticmethod(random_crop_params)

    rrc_params = T.RandomResizedCrop.get_params

    def resized_crop_params(img, scale, ratio):
        i, j, h, w = rrc_params(img, scale, ratio)
        width, height = F.get_image_size(img)
        REC.record('rrc.area', h * w / (height * width))
        REC.record('rrc.logratio', math.log(w / h))
        REC.record('rrc.centre.y', (i + h / 2) / height)
        REC.record('rrc.centre.x', (j + w / 2) / width)
        return i, j, h, w
    T.RandomResizedCrop.get_params = staticmethod(resized_crop_params)

    hflip, gray = F.hflip, F.rgb_to_grayscale

    def counted_hflip(img):
        REC.count('flip')
        return hflip(img)

    def counted_gray(img, num_output_channels=1):
        REC.count('gray')
        return gray(img, num_output_channels)
    F.hflip, F.rgb_to_grayscale = counted_hflip, counted_gray

    jitter_params = T.ColorJitter.get_params

    def jitter(brightness, contrast, saturation, hue):
        order, b, c, s, h = jitter_params(brightness, contrast, saturation, hue)
        REC.count('jitter')
        REC.record('jitter.brightness', b)
        REC.record('jitter.contrast', c)
        REC.record('jitter.saturation', s)
        if h is not None:
            REC.record('jitter.hue', h)
        REC.record('jitter.first', int(order[0]))
        return order, b, c, s, h
    T.ColorJitter.get_params = staticmethod(jitter)

    # AutoAugment: each sub-policy's two operations, counted when they run; the sign of the signed ones is the
    # random.choice([-1, 1]) their functions draw, seen through the random module autoaug uses.
    sub_init = autoaug.SubPolicy.__init__

    def counted_sub_policy(self, p1, operation1, magnitude_idx1, p2, operation2, magnitude_idx2, fillcolor=(128, 128, 128)):
        sub_init(self, p1, operation1, magnitude_idx1, p2, operation2, magnitude_idx2, fillcolor)
        self.operation1 = counted_op(self.operation1, AA_NAMES[operation1.lower()])
        self.operation2 = counted_op(self.operation2, AA_NAMES[operation2.lower()])
    autoaug.SubPolicy.__init__ = counted_sub_policy

    def counted_op(op, name):
        def run(img, magnitude):
            REC.count('aa.' + name)
            SIGNS.clear()
            out = op(img, magnitude)
            if SIGNS and magnitude != 0:
                REC.record(f'aa.{name}.sign', SIGNS[-1])
            return out
        return run

    SIGNS = []

    class SignedRandom:
        def __getattr__(self, name):
            return getattr(random, name)

        @staticmethod
        def choice(seq):
            value = random.choice(seq)
            SIGNS.append(value)
            return value
    autoaug.random = SignedRandom()

    cutout_call = autoaug.Cutout.__call__

    class CutoutNumpy:
        def __getattr__(self, name):
            return getattr(np, name)

        class random:
            @staticmethod
            def randint(*a, **k):
                value = np.random.randint(*a, **k)
                CUTOUT.append(value)
                return value
    CUTOUT = []

    def counted_cutout(self, img):
        CUTOUT.clear()
        out = cutout_call(self, img)
        REC.record('cutout.y', CUTOUT[0])
        REC.record('cutout.x', CUTOUT[1])
        return out
    autoaug.np = CutoutNumpy()
    autoaug.Cutout.__call__ = counted_cutout

    # RandAugment (timm): an operation counted when its function runs, its level when its level function
    # takes it, the sign and the filter when the module draws them.
    op_init = randaugment.AutoAugmentOp.__init__

    def counted_ra_op(self, name, prob=0.5, magnitude=10, hparams=None):
        op_init(self, name, prob, magnitude, hparams)
        fn, level_fn = self.aug_fn, self.level_fn

        def run(img, *args, **kwargs):
            REC.count('ra.' + name)
            return fn(img, *args, **kwargs)
        self.aug_fn = run
        if level_fn is not None:
            def level(magnitude, hparams):
                REC.record('ra.level', magnitude)
                return level_fn(magnitude, hparams)
            self.level_fn = level
    randaugment.AutoAugmentOp.__init__ = counted_ra_op
    negate = randaugment._randomly_negate

    def counted_negate(v):
        out = negate(v)
        REC.record('ra.negate', 1 if out != v else 0)
        return out
    randaugment._randomly_negate = counted_negate
    interpolation = randaugment._interpolation

    def counted_interpolation(kwargs):
        out = interpolation(kwargs)
        REC.record('ra.bicubic', 1 if out == Image.BICUBIC else 0)
        return out
    randaugment._interpolation = counted_interpolation
    return T, autoaug, randaugment


def pipelines(T, autoaug, randaugment):
    ra = randaugment.rand_augment_transform('rand-n2-m10-mstd0.5', dict(translate_const=int(224 * 0.45), img_mean=IMAGENET_MEAN_255))
    return {
        'cifar-regular': (T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), autoaug.CIFAR10Policy(),
                                     T.ToTensor(), autoaug.Cutout(n_holes=1, length=16)]), (128, 128, 128),
                          ['flip'] + ['aa.' + n for n in OPS_AA]),
        'cifar-sim': (T.Compose([T.RandomResizedCrop(size=32), T.RandomHorizontalFlip(p=0.5),
                                 T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), T.RandomGrayscale(p=0.2),
                                 T.ToTensor()]), (128, 128, 128), ['flip', 'jitter', 'gray']),
        'imagenet-cls': (T.Compose([T.RandomResizedCrop(224, scale=(0.08, 1.)), T.RandomHorizontalFlip(),
                                    T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.0)], p=1.0), ra, T.ToTensor()]),
                         IMAGENET_MEAN_255, ['flip', 'jitter'] + ['ra.' + n for n in OPS_RA]),
        'imagenet-sim': (T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(),
                                    T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), T.RandomGrayscale(p=0.2),
                                    T.ToTensor()]), IMAGENET_MEAN_255, ['flip', 'jitter', 'gray']),
    }


def pixel_stats(x, fill):
    """x: float 0..1, 3 x H x W, as ToTensor (and Cutout) leave it."""
    v = (x * 255).round()
    fill = torch.tensor(fill, dtype=v.dtype).view(3, 1, 1)
    REC.record('px.mean', v.mean().item())
    REC.record('px.std', v.std().item())
    REC.record('px.zero', (v == 0).all(0).float().mean().item())
    REC.record('px.fill', (v == fill).all(0).float().mean().item())


def idx(path):
    with gzip.open(path) as f:
        raw = f.read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(raw[3])]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def cifar_images(fmnist):
    """64 colour 32x32 images: Fashion-MNIST's first training images, padded, tinted by position and grey level."""
    grey = np.pad(idx(os.path.join(fmnist, 'train-images-idx3-ubyte.gz'))[:64].astype(np.float64), ((0, 0), (2, 2), (2, 2)))
    yy, xx = np.mgrid[0:32, 0:32] / 31.0
    r = grey * (0.55 + 0.45 * xx) + 40 * yy
    g = grey * (0.35 + 0.5 * yy) + 70 * (1 - xx)
    b = 255 - grey * 0.8 - 30 * xx * yy
    return np.clip(np.stack([r, g, b], 1).round(), 0, 255).astype(np.uint8)


def photos():
    """Six photo-like images: smooth colour fields with a few shapes and fine noise."""
    rng = np.random.RandomState(SEED)
    out = []
    for k in range(6):
        w, h = (320, 240) if k % 2 == 0 else (240, 320)
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([120 + 80 * np.sin(xx / (17 + 5 * k) + k), 110 + 70 * np.cos(yy / (23 + 3 * k)),
                         100 + 60 * np.sin((xx + yy) / (31 + 7 * k))], -1)
        for _ in range(5):
            cx, cy, rad = rng.randint(0, w), rng.randint(0, h), rng.randint(15, 70)
            base[(xx - cx) ** 2 + (yy - cy) ** 2 < rad ** 2] = rng.randint(0, 256, 3)
        base += rng.normal(0, 6, base.shape)
        out.append(Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--public', required=True)
    parser.add_argument('--fashion-mnist', default='/usr/share/datasets/fashion-mnist')
    parser.add_argument('--draws', type=int, default=10000, help='views drawn per CIFAR pipeline (ImageNet: a fifth)')
    a = parser.parse_args()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    cifar = cifar_images(a.fashion_mnist)
    torch.save({'images': torch.from_numpy(cifar)}, os.path.join(HERE, 'images.pt'))
    photo_images = photos()
    for k, im in enumerate(photo_images):
        im.save(os.path.join(HERE, f'photo-{k}.jpg'), quality=90)
    photo_images = [Image.open(os.path.join(HERE, f'photo-{k}.jpg')).convert('RGB') for k in range(len(photo_images))]
    cifar_pil = [Image.fromarray(c.transpose(1, 2, 0)) for c in cifar]
    result = {}
    for name, (pipeline, fill, counted) in pipelines(*instrument(a.public)).items():
        global REC
        REC = Recorder()
        inputs, draws = (cifar_pil, a.draws) if name.startswith('cifar') else (photo_images, a.draws // 5)
        for d in range(draws):
            REC.begin()
            x = pipeline(inputs[d % len(inputs)])
            REC.end(counted)
            pixel_stats(x, fill)
        result[name] = REC.summary()
        print(name, draws, 'draws,', len(result[name]), 'quantities', flush=True)
    meta = {'pytorch': torch.__version__, 'seed': SEED, 'draws': a.draws}
    import torchvision
    import PIL
    meta['torchvision'], meta['pillow'] = torchvision.__version__, PIL.__version__
    with open(os.path.join(HERE, 'augment.json'), 'w') as f:
        json.dump({'meta': meta, 'pipelines': result}, f, indent=1)


if __name__ == '__main__':
    main()
