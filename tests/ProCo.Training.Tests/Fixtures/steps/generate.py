#!/usr/bin/python3
"""Step-equivalence fixtures: the public ProCo CIFAR code's own training step, over fixed batches.

Runs LeapLabTHU/ProCo's `ProCo_cifar` objects themselves (imported from a checkout given on the command
line, nothing of them copied here): `models.resnet_cifar.Model` (ResNet-32, the MLP head, a linear
classifier), `loss.logitadjust.LogitAdjust`, `loss.proco.ProCoLoss` and `torch.optim.SGD`, exactly as
`main.py`'s `train()` composes them: the three views in one forward pass, the ProCo loss called once per
SimCLR view (each call updates both estimators, then refreshes the old one's kappa), the estimators swapped
at every epoch start (`_hook_before_epoch`), loss = LA-CE(view 0) + alpha * mean of the two views' LA-CE of
the contrastive logits, SGD with momentum 0.9 and weight decay 2e-4. The baselines `la` (LA-CE on view 0,
one view per image) and `ce` (plain CE, one view) use the same model and optimizer.

The only changes are those a single CPU process needs: `.cuda()` is the identity, `torch.cuda.FloatTensor`
is `torch.FloatTensor`, and `all_gather` of one process copies its tensor (as `public_cpu.diff` does).

Augmentation is off. The three views of an image are fixed transforms of it, so that they differ:
view 0 the image, view 1 mirrored left-right, view 2 upside down. Images are Fashion-MNIST's first training
images, 28x28 padded by 2 to 32x32 and repeated in three channels (as the side-by-side benchmark's data),
normalised with CIFAR's mean and std in float32 as ToTensor and Normalize do.

Training is chaotic: a float32 rounding in one step grows in the next ones (here by tens of times per step
at first). So the reference is the public code run in float64, and beside it the envelope: how far the public
code's own float32 runs land from it at each step (the unmoved initial weights, and NUDGED copies moved by
one float32 rounding, relative 2^-24). A float32 implementation of the same computation lands within a small
multiple of that envelope; a different computation (a wrong BatchNorm statistic, a missed estimator update)
lands orders of magnitude outside it in the first steps.

Writes, into OUT (default: this folder):
  init.pt           the initial state_dict (PyTorch's initialisation of the public model, seed SEED)
  data.pt           images uint8 [N, 28, 28], labels int64 [N], order int64 [EPOCHS, N] (each epoch's
                    sample order; every class is in each epoch's first batch, so the estimators' random
                    initial directions never reach a logit), class_counts int64 [C]
  expected-M.pt     for M in proco, la, ce, float64, after every step: ce [S], scl [S] (proco), the norm and the
                    sum of every state_dict tensor but num_batches_tracked (norm [S, K], sum [S, K], in
                    meta.json's state_names order), and for proco both estimators' state (old_ave [S, C, p],
                    old_amount, old_kappa, old_logc, new_*); 'env.X': the envelope of X (the float32 runs'
                    largest absolute distance from it, elementwise); 'fp32.ce', 'fp32.scl': the unmoved float32 run
  meta.json         the recipe, versions, the state_dict names, and per method the float64 CE and the unmoved
                    float32 run's relative distance from it per step
Usage: generate.py --public PATH/TO/ProCo [--fashion-mnist DIR] [--out DIR]
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

SEED = 0
CLASSES = 10
BATCH = 32
STEPS_PER_EPOCH = 6
EPOCHS = 4
# The first four epochs of the published 200-epoch recipe (linear warm-up to lr 0.3 over 5 epochs), the learning
# rate scaled to batch 32 by the linear rule: 0.3 * 32 / 256 = 0.0375, warmed up over 5 epochs.
LRS = [0.0075, 0.015, 0.0225, 0.03]
MOMENTUM = 0.9
WEIGHT_DECAY = 2e-4
ALPHA = 1.0
TEMPERATURE = 0.1
FEAT_DIM = 128
# A long tail over the N = 192 training images (60 of class 0 ... 5 of class 9): 6 batches an epoch.
COUNTS = [60, 40, 28, 19, 13, 9, 7, 6, 5, 5]
# Float32 runs from initial weights moved by one rounding, beside the unmoved one, for the envelope.
NUDGED = 4
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2023, 0.1994, 0.2010)


def public_modules(root):
    """The public code's model and losses, made to run in one CPU process."""
    torch.Tensor.cuda = lambda self, *a, **k: self
    # LogitAdjust's prior in the default type: float32, or float64 for the float64 run.
    torch.cuda.FloatTensor = lambda values: torch.tensor(values, dtype=torch.get_default_dtype())
    import torch.distributed as dist
    dist.all_gather = lambda out, t, *a, **k: out[0].copy_(t)
    sys.path.insert(0, os.path.join(root, 'ProCo_cifar'))
    from models import resnet_cifar
    from loss.logitadjust import LogitAdjust
    from loss.proco import ProCoLoss
    return resnet_cifar, LogitAdjust, ProCoLoss


def idx(path):
    with (gzip.open if path.endswith('.gz') else open)(path, 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(folder, stem):
    for name in (stem + '.gz', stem):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(os.path.join(folder, stem))


def make_data(fmnist):
    images, labels = idx(find(fmnist, 'train-images-idx3-ubyte')), idx(find(fmnist, 'train-labels-idx1-ubyte'))
    picked = np.concatenate([np.where(labels == c)[0][:COUNTS[c]] for c in range(CLASSES)])
    images, labels = images[picked], labels[picked].astype(np.int64)
    rng = np.random.RandomState(SEED)
    orders = []
    for _ in range(EPOCHS):
        while True:
            order = rng.permutation(len(labels))
            if len(set(labels[order[:BATCH]].tolist())) == CLASSES:
                break
        orders.append(order)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels), torch.from_numpy(np.stack(orders))


def views(images):
    """The three views of uint8 28x28 images: float32 [3B, 3, 32, 32], normalised as ToTensor + Normalize."""
    x = F.pad(images, (2, 2, 2, 2)).unsqueeze(1).expand(-1, 3, -1, -1)
    x = torch.cat([x, x.flip(3), x.flip(2)], 0)
    mean = torch.tensor(MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).view(1, 3, 1, 1)
    return x.to(torch.float32).div(255).sub(mean).div(std)


def run(method, public, init, data, dtype=torch.float32):
    """The public code's training steps in float32 (as published) or, as the reference, in float64."""
    resnet_cifar, LogitAdjust, ProCoLoss = public
    torch.set_default_dtype(dtype)
    torch.manual_seed(SEED)
    images, labels, orders = data
    model = resnet_cifar.Model(name='resnet32', num_classes=CLASSES, feat_dim=FEAT_DIM, use_norm=False).to(dtype)
    model.load_state_dict(init)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), LRS[0], momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    counts = torch.bincount(labels, minlength=CLASSES).tolist()
    criterion_ce = LogitAdjust(counts) if method != 'ce' else LogitAdjust(counts, tau=0)
    criterion_scl = ProCoLoss(contrast_dim=FEAT_DIM, temperature=TEMPERATURE, num_classes=CLASSES) if method == 'proco' else None
    args = argparse.Namespace(world_size=1, alpha=ALPHA)
    out = {k: [] for k in ('ce', 'scl', 'norm', 'sum')}
    for e in range(EPOCHS):
        for group in optimizer.param_groups:
            group['lr'] = LRS[e]
        if criterion_scl is not None:
            criterion_scl._hook_before_epoch(e, EPOCHS)
        for s in range(STEPS_PER_EPOCH):
            batch = orders[e, s * BATCH:(s + 1) * BATCH]
            targets = labels[batch]
            x = views(images[batch]).to(dtype)
            if method == 'proco':
                # main.py's train(), line for line.
                feat_mlp, ce_logits, _ = model(x)
                _, f2, f3 = torch.split(feat_mlp, [BATCH, BATCH, BATCH], dim=0)
                ce_logits, _, __ = torch.split(ce_logits, [BATCH, BATCH, BATCH], dim=0)
                contrast_logits1 = criterion_scl(f2, targets, args=args)
                contrast_logits2 = criterion_scl(f3, targets, args=args)
                scl_loss = (criterion_ce(contrast_logits1, targets) + criterion_ce(contrast_logits2, targets)) / 2
                ce_loss = criterion_ce(ce_logits, targets)
                loss = ce_loss + args.alpha * scl_loss
                out['scl'].append(scl_loss.item())
            else:
                _, ce_logits, _ = model(x[:BATCH])
                ce_loss = criterion_ce(ce_logits, targets)
                loss = ce_loss
            out['ce'].append(ce_loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
            out['norm'].append([v.double().norm().item() for v in state.values()])
            out['sum'].append([v.double().sum().item() for v in state.values()])
            if criterion_scl is not None:
                for name, est in (('old', criterion_scl.estimator_old), ('new', criterion_scl.estimator)):
                    for field, value in (('ave', est.Ave), ('amount', est.Amount), ('kappa', est.kappa), ('logc', est.logc)):
                        out.setdefault(f'{name}_{field}', []).append(value.detach().double().clone())
    names = [k for k in model.state_dict() if not k.endswith('num_batches_tracked')]
    result = {'ce': torch.tensor(out['ce'], dtype=torch.float64), 'norm': torch.tensor(out['norm'], dtype=torch.float64),
              'sum': torch.tensor(out['sum'], dtype=torch.float64)}
    if method == 'proco':
        result['scl'] = torch.tensor(out['scl'], dtype=torch.float64)
        for key in [k for k in out if k.startswith(('old_', 'new_'))]:
            result[key] = torch.stack(out[key])
    torch.set_default_dtype(torch.float32)
    return result, names


def perturbed(state, seed):
    """The state with every float tensor moved by about one float32 rounding (relative 2^-24, Gaussian)."""
    g = torch.Generator().manual_seed(seed)
    return {k: v * (1 + 2.0 ** -24 * torch.randn(v.shape, generator=g)) if v.is_floating_point() else v.clone()
            for k, v in state.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--public', required=True, help='a checkout of LeapLabTHU/ProCo (the folder holding ProCo_cifar/)')
    parser.add_argument('--fashion-mnist', default='/usr/share/datasets/fashion-mnist')
    parser.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    a = parser.parse_args()
    torch.set_num_threads(1)
    public = public_modules(a.public)
    torch.manual_seed(SEED)
    model = public[0].Model(name='resnet32', num_classes=CLASSES, feat_dim=FEAT_DIM, use_norm=False)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    data = make_data(a.fashion_mnist)
    os.makedirs(a.out, exist_ok=True)
    torch.save(init, os.path.join(a.out, 'init.pt'))
    images, labels, orders = data
    torch.save({'images': images, 'labels': labels, 'order': orders,
                'class_counts': torch.bincount(labels, minlength=CLASSES)}, os.path.join(a.out, 'data.pt'))
    names = None
    summary = {}
    for method in ('proco', 'la', 'ce'):
        truth, names = run(method, public, init, data, torch.float64)
        plain, _ = run(method, public, init, data)
        expected = dict(truth)
        for key in truth:
            expected['env.' + key] = (plain[key] - truth[key]).abs()
        # The spread of float32 runs around float64: the published weights and NUDGED copies moved by one rounding.
        for seed in range(1, NUDGED + 1):
            nudged, _ = run(method, public, perturbed(init, seed), data)
            for key in truth:
                expected['env.' + key] = torch.maximum(expected['env.' + key], (nudged[key] - truth[key]).abs())
        expected['fp32.ce'] = plain['ce']
        if 'scl' in plain:
            expected['fp32.scl'] = plain['scl']
        torch.save(expected, os.path.join(a.out, f'expected-{method}.pt'))
        rel = lambda k: ((plain[k] - truth[k]).abs() / truth[k].abs().clamp_min(1e-12)).tolist()
        summary[method] = {'ce': truth['ce'].tolist(), 'fp32_relative_error_ce': rel('ce')}
        print(method, 'ce     ', ' '.join(f'{v:.5f}' for v in truth['ce'].tolist()))
        print(method, 'fp32 err', ' '.join(f'{v:.0e}' for v in rel('ce')))
    meta = {'pytorch': torch.__version__, 'numpy': np.__version__, 'seed': SEED, 'classes': CLASSES, 'batch': BATCH,
            'steps_per_epoch': STEPS_PER_EPOCH, 'epochs': EPOCHS, 'lr_per_epoch': LRS, 'momentum': MOMENTUM,
            'weight_decay': WEIGHT_DECAY, 'alpha': ALPHA, 'temperature': TEMPERATURE, 'feat_dim': FEAT_DIM,
            'mean': MEAN, 'std': STD, 'nudged_runs': NUDGED, 'state_names': names, 'summary': summary}
    with open(os.path.join(a.out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)


if __name__ == '__main__':
    main()
