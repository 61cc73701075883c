#!/usr/bin/python3
"""Reads the side-by-side runs of scripts/bench-accuracy.sh and prints the comparison as Markdown.

A run folder OUT holds, per seed s, for a LABEL that names the regime (E6, or E6_lr0.1 for another learning rate):
  public_{LABEL}_s{s}.log    the public code's output through run_public.py (EPOCHLR, EPOCHTIME, PERCLASS,
                             SCALAR lines)
  ours-{P}_{LABEL}_s{s}/     `proco train --out` of ProCo Studio in precision P (metrics.jsonl, vectors.jsonl),
                             beside ours-{P}_{LABEL}_s{s}.log, its console
The verdict follows the benchmark's rule: the project's mean final top-1 lies within two pooled standard
deviations of the public code's (pooled over both codes' seeds), the same for each class's accuracy, and no
class that the public code learns (mean accuracy of 5% or more) stays at 0 in any of the project's seeds.

Usage: compare.py OUT LABEL E [PRECISION ...]     (E: the runs' epochs; default precision: fp32)
Exits 1 when a verdict fails, 2 when runs are missing.
"""
import glob
import json
import math
import os
import re
import statistics
import sys


def public_run(path):
    text = open(path).read()
    lr = {int(m[1]) + 1: float(m[2]) for m in re.finditer(r'^EPOCHLR (\d+) (\S+)', text, re.M)}
    top1, seconds = {}, {}
    for m in re.finditer(r'^EPOCHTIME (\d+) train_s (\S+) total_s (\S+) val_top1 (\S+)', text, re.M):
        e = int(m[1]) + 1
        seconds[e], top1[e] = float(m[3]), float(m[4])
    # One PERCLASS per evaluation: one per epoch, then main.py's final evaluation of its best checkpoint.
    per_class = [json.loads(m[1])['per_class'] for m in re.finditer(r'^PERCLASS (.*)$', text, re.M)]
    train_top1 = {int(m[1]) + 1: float(m[2]) for m in re.finditer(r'^SCALAR acc/train_top1 (\d+) (\S+)', text, re.M)}
    ce = {int(m[1]) + 1: float(m[2]) for m in re.finditer(r'^SCALAR CE loss/train (\d+) (\S+)', text, re.M)}
    return {'lr': lr, 'top1': top1, 'seconds': seconds, 'per_class': dict(enumerate(per_class[:len(top1)], 1)),
            'train_top1': train_top1, 'train_ce': ce}


def our_run(folder):
    run = {'lr': {}, 'top1': {}, 'seconds': {}, 'per_class': {}, 'train_top1': {}, 'train_ce': {}}
    ce_sum, ce_n = {}, {}
    for line in open(os.path.join(folder, 'metrics.jsonl')):
        d = json.loads(line)
        series, epoch, value = d['series'], d['epoch'], d['value']
        if series == 'acc/val_top1':
            run['top1'][epoch] = value
        elif series == 'acc/train_top1':
            run['train_top1'][epoch] = value
        elif series == 'lr':
            run['lr'][epoch] = value
        elif series == 'CE_loss/train':
            ce_sum[epoch] = ce_sum.get(epoch, 0) + value
            ce_n[epoch] = ce_n.get(epoch, 0) + 1
    run['train_ce'] = {e: ce_sum[e] / ce_n[e] for e in ce_sum}
    for line in open(os.path.join(folder, 'vectors.jsonl')):
        d = json.loads(line)
        run['per_class'][d['epoch']] = d['vectors']['accuracy']
    console = folder + '.log'
    if os.path.exists(console):
        for m in re.finditer(r'^epoch (\d+)/\d+ .*\((\S+) s, ETA', open(console).read(), re.M):
            run['seconds'][int(m[1])] = float(m[2])
    return run


def mean_sd(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def fmt(values, digits=2):
    m, s = mean_sd(values)
    return '–' if m is None else f'{m:.{digits}f} ± {s:.{digits}f}'


def within(ours, public):
    """|mean difference| <= 2 pooled sd (pooled over both codes' seeds); and the numbers."""
    (mo, so), (mp, sp) = mean_sd(ours), mean_sd(public)
    pooled = math.sqrt((so ** 2 + sp ** 2) / 2)
    return abs(mo - mp) <= 2 * pooled, mo - mp, pooled


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, label, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    precisions = sys.argv[4:] or ['fp32']
    groups = {'public': [public_run(p) for p in sorted(glob.glob(os.path.join(out, f'public_{label}_s*.log')))]}
    for p in precisions:
        groups[f'ours {p}'] = [our_run(f) for f in sorted(glob.glob(os.path.join(out, f'ours-{p}_{label}_s*'))) if os.path.isdir(f)]
    for name, runs in groups.items():
        finished = [r for r in runs if epochs in r['top1']]
        if len(finished) < 2:
            print(f'{name}: {len(finished)} finished run(s) of {epochs} epochs in {out}; at least two seeds are needed.')
            sys.exit(2)
        groups[name] = finished
    names = list(groups)
    classes = len(groups['public'][0]['per_class'][epochs])
    rows = ['| | ' + ' | '.join(f'{n} ({len(groups[n])} seeds)' for n in names) + ' |', '|---|' + '---|' * len(names)]

    def row(label, f):
        rows.append(f'| {label} | ' + ' | '.join(f(groups[n]) for n in names) + ' |')

    row(f'final (epoch {epochs}) test top-1', lambda runs: fmt([r['top1'][epochs] for r in runs]))
    row('… per seed', lambda runs: ', '.join(f"{r['top1'][epochs]:.2f}" for r in runs))
    row('best test top-1', lambda runs: fmt([max(r['top1'].values()) for r in runs]))
    for c in range(classes):
        row(f'final accuracy of class {c}', lambda runs, c=c: fmt([r['per_class'][epochs][c] for r in runs], 1))
    row('test top-1 by epoch (mean)', lambda runs: ' '.join(
        f"{statistics.fmean(r['top1'][e] for r in runs):.1f}" for e in range(1, epochs + 1)))
    row('train top-1 by epoch (mean)', lambda runs: ' '.join(
        f"{statistics.fmean(r['train_top1'].get(e, float('nan')) for r in runs):.1f}" for e in range(1, epochs + 1)))
    row('train CE by epoch (mean)', lambda runs: ' '.join(
        f"{statistics.fmean(r['train_ce'].get(e, float('nan')) for r in runs):.2f}" for e in range(1, epochs + 1)))
    row('learning rate by epoch', lambda runs: ' '.join(f"{runs[0]['lr'].get(e, float('nan')):g}" for e in range(1, epochs + 1)))
    row('seconds per epoch (median)', lambda runs: f"{statistics.median(s for r in runs for s in r['seconds'].values()):.0f}"
        if any(r['seconds'] for r in runs) else '–')
    print('\n'.join(rows))
    print()

    failed = False
    public = groups['public']
    learned = [c for c in range(classes) if statistics.fmean(r['per_class'][epochs][c] for r in public) >= 5]
    for name in names[1:]:
        ours = groups[name]
        ok, diff, pooled = within([r['top1'][epochs] for r in ours], [r['top1'][epochs] for r in public])
        verdicts = [f'final top-1 {diff:+.2f} points from the public mean, 2 pooled sd = {2 * pooled:.2f}: {"within" if ok else "OUTSIDE"}']
        failed |= not ok
        outside = []
        for c in range(classes):
            ok_c, diff_c, pooled_c = within([r['per_class'][epochs][c] for r in ours], [r['per_class'][epochs][c] for r in public])
            if not ok_c:
                outside.append(f'class {c} ({diff_c:+.1f}, 2 pooled sd {2 * pooled_c:.1f})')
        verdicts.append('every class within 2 pooled sd' if not outside else 'classes outside 2 pooled sd: ' + ', '.join(outside))
        failed |= bool(outside)
        stuck = [c for c in learned if any(r['per_class'][epochs][c] == 0 for r in ours)]
        verdicts.append('no class the public code learns stays at 0' if not stuck else f'at 0 in a seed although the public code learns them: classes {stuck}')
        failed |= bool(stuck)
        spread = max(r['top1'][epochs] for r in public) - min(r['top1'][epochs] for r in public)
        spread_ours = max(r['top1'][epochs] for r in ours) - min(r['top1'][epochs] for r in ours)
        verdicts.append(f'seed spread of final top-1: public {spread:.1f}, {name} {spread_ours:.1f} points')
        print(f'{name}: ' + '; '.join(verdicts) + '.')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
