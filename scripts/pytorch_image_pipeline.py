#!/usr/bin/python3
"""The public ProCo ImageNet pipeline's side of `proco bench --images --pytorch` (decoding speed).

Runs the training transforms of LeapLabTHU/ProCo's `ProCo/main.py` as published (`--cl_views sim-sim`):
the classification view (RandomResizedCrop 224 with scale 0.08-1, flip, ColorJitter(0.4, 0.4, 0.4, 0),
timm's RandAugment `rand-n2-m10-mstd0.5` from the checkout's `ProCo/randaugment.py`, ToTensor,
Normalize) and two SimCLR views (RandomResizedCrop 224, flip, ColorJitter(0.4, 0.4, 0.4, 0.1) with
p 0.8, grayscale with p 0.2, ToTensor, Normalize) on each file, opened as its dataset class does
(`Image.open(f).convert('RGB')`), and stacks every batch as the DataLoader's collate does.

One worker process per core asked for (`--workers`), each with one torch thread, as the DataLoader's
workers are; they start together, each warms up on `--warmup` images, then decodes for `--seconds`.
Prints one JSON object: images/s of all workers together and per worker. Debian's python3-torchvision
(0.14) and PIL (9.4) are what this repository measured against.
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time


def transforms_of(checkout, crop):
    sys.path.insert(0, os.path.join(checkout, 'ProCo'))
    import torchvision.transforms as T
    from randaugment import rand_augment_transform

    normalize = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    mean = tuple(min(255, round(255 * m)) for m in (0.485, 0.456, 0.406))
    ra = dict(translate_const=int(crop * 0.45), img_mean=mean)
    classification = T.Compose([
        T.RandomResizedCrop(crop, scale=(0.08, 1.)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.0)], p=1.0),
        rand_augment_transform('rand-n2-m10-mstd0.5', ra),
        T.ToTensor(),
        normalize,
    ])
    sim = T.Compose([
        T.RandomResizedCrop(crop),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.ToTensor(),
        normalize,
    ])
    return [classification, sim, sim]


def worker(rank, args, files, start, results):
    import torch
    from PIL import Image
    from torch.utils.data import default_collate

    torch.set_num_threads(1)
    random.seed(rank)
    torch.manual_seed(rank)
    views = transforms_of(args.public, args.crop)

    def sample(path):
        with open(path, 'rb') as f:
            image = Image.open(f).convert('RGB')
        return [view(image) for view in views], 0

    mine = files[rank::args.workers] or files
    position = 0

    def batch():
        nonlocal position
        items = []
        for _ in range(args.batch):
            items.append(sample(mine[position % len(mine)]))
            position += 1
        return default_collate(items)

    for _ in range(max(1, args.warmup // args.batch)):
        batch()
    start.wait()
    began = time.perf_counter()
    done = 0
    while True:
        batch()
        done += args.batch
        elapsed = time.perf_counter() - began
        if elapsed >= args.seconds:
            break
    results.put(done / elapsed)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--public', required=True, help='a checkout of LeapLabTHU/ProCo (the folder holding ProCo/randaugment.py)')
    parser.add_argument('--files', required=True, help='a text file naming one image file a line')
    parser.add_argument('--workers', type=int, default=1, help='worker processes, one per core')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--crop', type=int, default=224)
    parser.add_argument('--warmup', type=int, default=32, help='images each worker decodes before timing')
    parser.add_argument('--seconds', type=float, default=4.0, help='time each worker decodes for')
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.public, 'ProCo', 'randaugment.py')):
        sys.exit(f'{args.public} is not a checkout of LeapLabTHU/ProCo: ProCo/randaugment.py is missing')
    with open(args.files) as f:
        files = [line.strip() for line in f if line.strip()]
    if not files:
        sys.exit(f'{args.files} names no image')

    context = mp.get_context('fork')
    start = context.Barrier(args.workers)
    results = context.Queue()
    processes = [context.Process(target=worker, args=(rank, args, files, start, results)) for rank in range(args.workers)]
    for p in processes:
        p.start()
    import queue
    try:
        rates = [results.get(timeout=args.seconds + 600) for _ in processes]
    except queue.Empty:
        for p in processes:
            p.kill()
        sys.exit('a worker did not report (see its error above)')
    for p in processes:
        p.join()
        if p.exitcode != 0:
            sys.exit(f'a worker failed (exit code {p.exitcode})')
    import PIL
    import torchvision
    print(json.dumps({
        'workers': args.workers,
        'images_per_s': sum(rates),
        'per_worker': rates,
        'torchvision': torchvision.__version__,
        'pil': PIL.__version__,
    }))


if __name__ == '__main__':
    main()
