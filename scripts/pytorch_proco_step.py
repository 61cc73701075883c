#!/usr/bin/python3
"""PyTorch's side of the side-by-side training benchmark (scripts/bench-vs-pytorch.sh).

One ProCo training step as the public code runs it, on random data of CIFAR's shape and without
augmentation: ResNet-32 (option-A shortcuts) with the ProCo heads, the three views of a batch in
one forward pass, logit-adjusted cross-entropy on the first view, the vMF contrastive loss of the
other two (per-class running means in float64, the log-normaliser by a backward ratio recurrence
started at 2*nu as the public code's Miller recurrence is), backward, and SGD with momentum.

Prints one JSON object per precision: every timed step (after the warm-up), their median and
images/s, counting source images (the batch size) as an epoch does. Runs on Debian's python3-torch.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin if (stride != 1 or cin != cout) else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        short = x
        if self.pad is not None:
            half = self.pad // 2
            short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, half, self.pad - half))
        return F.relu(out + short)


class ProCoNet(nn.Module):
    def __init__(self, depth, width, channels, classes, feat_dim):
        super().__init__()
        n = (depth - 2) // 6
        w = 16 * width
        self.conv1 = nn.Conv2d(channels, w, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        stages, cin = [], w
        for cout, stride in ((w, 1), (2 * w, 2), (4 * w, 2)):
            blocks = [Block(cin, cout, stride)] + [Block(cout, cout, 1) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = cout
        self.layers = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.Linear(4 * w, 512), nn.BatchNorm1d(512), nn.ReLU(inplace=True), nn.Linear(512, feat_dim))
        self.fc = nn.Linear(4 * w, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.adaptive_avg_pool2d(self.layers(x), 1).flatten(1)
        return F.normalize(self.head(x), dim=1), self.fc(x)


def log_bessel_and_ratio(kappa, nu):
    """log I_nu(kappa) and I_{nu+1}(kappa) / I_nu(kappa), float64, by r_{n-1} = 1 / (2n/k + r_n) from n = 2*nu."""
    ratio = torch.zeros_like(kappa)
    log_sum = torch.zeros_like(kappa)
    top = None
    for n in range(2 * nu, 0, -1):
        ratio = 1.0 / (2.0 * n / kappa + ratio)  # I_n / I_{n-1}
        if n == nu + 1:
            top = ratio
        if n <= nu:
            log_sum = log_sum + torch.log(ratio)
    return torch.log(torch.special.i0e(kappa)) + kappa + log_sum, top


class LogC(torch.autograd.Function):
    @staticmethod
    def forward(ctx, kappa, nu):
        log_i, ratio = log_bessel_and_ratio(kappa, nu)
        ctx.save_for_backward(ratio)
        return log_i - nu * torch.log(kappa)

    @staticmethod
    def backward(ctx, grad):
        (ratio,) = ctx.saved_tensors
        return grad * ratio, None


class Estimator:
    def __init__(self, classes, dim):
        self.ave = F.normalize(torch.randn(classes, dim, dtype=torch.float64), dim=1) * 0.9
        self.amount = torch.zeros(classes, dtype=torch.float64)
        self.dim = dim
        self.classes = classes
        self.update_kappa()

    def update(self, z, labels):
        onehot = F.one_hot(labels, self.classes).double()
        counts = onehot.sum(0)
        means = onehot.t() @ z.detach().double() / counts.clamp_min(1).unsqueeze(1)
        weight = (counts / (counts + self.amount)).nan_to_num(0).unsqueeze(1)
        self.ave = self.ave * (1 - weight) + means * weight
        self.amount = self.amount + counts

    def update_kappa(self):
        r = self.ave.norm(dim=1)
        kappa = self.dim * r / (1 - r * r)
        self.kappa = torch.where((kappa > 1e5) | (kappa < 0), torch.full_like(kappa, 1e5), kappa)
        with torch.no_grad():
            self.logc = LogC.apply(self.kappa, self.dim // 2 - 1)


def contrast_logits(old, new, z, labels, temperature):
    old.update(z, labels)
    new.update(z, labels)
    old.update_kappa()
    kappa_mu = old.kappa.unsqueeze(1) * F.normalize(old.ave, dim=1)
    norm = (kappa_mu.unsqueeze(0) + z.double().unsqueeze(1) / temperature).norm(dim=2)
    return (LogC.apply(norm, old.dim // 2 - 1) - old.logc.unsqueeze(0)).to(z.dtype)


def run(precision, args):
    torch.manual_seed(0)
    model = ProCoNet(args.depth, args.width, args.channels, args.classes, args.feat_dim)
    model.train()
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4)
    counts = torch.tensor([max(1.0, 500 * 0.01 ** (i / (args.classes - 1))) for i in range(args.classes)])
    adjust = torch.log(counts / counts.sum())
    old, new = Estimator(args.classes, args.feat_dim), Estimator(args.classes, args.feat_dim)
    batch = args.batch_size
    views = torch.randn(3 * batch, args.channels, args.size, args.size)
    if args.channels_last:
        views = views.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, args.classes, (batch,))
    times = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            features, logits = model(views)
        features, logits = features.float(), logits.float()
        ce = F.cross_entropy(logits[:batch] + adjust, labels)
        c1 = contrast_logits(old, new, features[batch:2 * batch], labels, 0.1)
        c2 = contrast_logits(old, new, features[2 * batch:], labels, 0.1)
        scl = (F.cross_entropy(c1 + adjust, labels) + F.cross_entropy(c2 + adjust, labels)) / 2
        loss = ce + scl
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"side": "pytorch", "version": torch.__version__, "precision": precision, "threads": torch.get_num_threads(),
            "channels_last": args.channels_last, "median_s": median, "images_per_s": batch / median, "times_s": times}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", default="fp32,bf16", help="comma-separated: fp32, bf16 (autocast)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--width", type=int, default=1)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--feat-dim", type=int, default=128)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: one per CPU core)")
    parser.add_argument("--channels-last", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads or os.cpu_count())
    for precision in args.precision.split(","):
        print(json.dumps(run(precision.strip(), args)), flush=True)


if __name__ == "__main__":
    main()
