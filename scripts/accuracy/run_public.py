#!/usr/bin/python3
"""Runs the public ProCo CIFAR code (LeapLabTHU/ProCo, ProCo_cifar/main.py) unchanged, in one CPU process.

Nothing of the public code is copied or edited: its main.py is imported from the checkout and run with its
own arguments. What a CPU-only host without torchrun needs is supplied around it:
  - one distributed process (world size 1, rank 0) on the gloo backend instead of NCCL, so that its
    DistributedSampler, DistributedDataParallel and all_gather run as they do on one GPU;
  - .cuda() and torch.cuda.set_device are the identity, and DDP gets no device_ids (a CPU module);
  - tensorboardX, if missing, is replaced by a writer that prints each scalar (SCALAR tag step value);
  - torchvision's CIFAR checksum is skipped, so it reads a CIFAR-format copy of other images
    (make_fake_cifar10.py) instead of downloading CIFAR.
It also prints, for compare.py: each epoch's learning rate (EPOCHLR epoch lr), its training and total time
and test top-1 (EPOCHTIME), and the per-class test accuracy of every evaluation (PERCLASS json).

Usage: run_public.py PUBLIC_CHECKOUT [main.py's arguments ...]
"""
import json
import os
import sys
import time
import types


def prepare(checkout):
    import torch
    import torch.distributed as dist
    import torch.nn as nn
    import torchvision.datasets as datasets

    os.environ.setdefault('WORLD_SIZE', '1')
    os.environ.setdefault('RANK', '0')
    os.environ.setdefault('LOCAL_RANK', '0')
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    if 'MASTER_PORT' not in os.environ:
        import socket
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            os.environ['MASTER_PORT'] = str(s.getsockname()[1])

    init = dist.init_process_group
    dist.init_process_group = lambda backend=None, **kw: init(backend='gloo', **kw)
    torch.Tensor.cuda = lambda self, *a, **k: self
    nn.Module.cuda = lambda self, *a, **k: self
    torch.cuda.set_device = lambda *a, **k: None
    torch.cuda.FloatTensor = torch.FloatTensor
    ddp = nn.parallel.DistributedDataParallel

    class CpuDistributedDataParallel(ddp):
        def __init__(self, module, device_ids=None, **kw):
            super().__init__(module, **kw)

    nn.parallel.DistributedDataParallel = CpuDistributedDataParallel
    import torchvision.datasets.cifar as cifar
    cifar.check_integrity = lambda *a, **k: True
    datasets.CIFAR10._check_integrity = lambda self: True

    try:
        import tensorboardX  # noqa: F401
    except ImportError:
        class PrintingWriter:
            def __init__(self, log_dir=None, **kw):
                os.makedirs(log_dir, exist_ok=True)

            def add_scalar(self, tag, value, step):
                print(f'SCALAR {tag} {step} {value}', flush=True)

        sys.modules['tensorboardX'] = types.SimpleNamespace(SummaryWriter=PrintingWriter)
    sys.path.insert(0, os.path.join(checkout, 'ProCo_cifar'))


def instrument(main):
    """Wraps main.py's own functions to print what compare.py reads; their results are unchanged."""
    adjust_lr, train, validate, shot_acc = main.adjust_lr, main.train, main.validate, main.shot_acc
    started = {}

    def timed_adjust_lr(optimizer, epoch, args):
        adjust_lr(optimizer, epoch, args)
        print(f"EPOCHLR {epoch} {optimizer.param_groups[0]['lr']}", flush=True)
        started['epoch'] = time.time()

    def timed_train(*a, **k):
        train(*a, **k)
        started['train_s'] = time.time() - started['epoch']

    def timed_validate(train_loader, val_loader, model, criterion_ce, epoch, args, tf_writer=None, flag='val'):
        result = validate(train_loader, val_loader, model, criterion_ce, epoch, args, tf_writer, flag)
        if tf_writer is not None:
            print(f"EPOCHTIME {epoch} train_s {started['train_s']:.1f} total_s {time.time() - started['epoch']:.1f} "
                  f"val_top1 {result[0]:.3f}", flush=True)
        return result

    def per_class_shot_acc(preds, labels, train_data, many_shot_thr=100, low_shot_thr=20, acc_per_cls=False):
        many, medium, few, per_class = shot_acc(preds, labels, train_data, many_shot_thr, low_shot_thr, acc_per_cls=True)
        print('PERCLASS ' + json.dumps({'per_class': [100 * float(a) for a in per_class]}), flush=True)
        return (many, medium, few, per_class) if acc_per_cls else (many, medium, few)

    main.adjust_lr, main.train, main.validate, main.shot_acc = timed_adjust_lr, timed_train, timed_validate, per_class_shot_acc


if __name__ == '__main__':
    if len(sys.argv) < 2 or not os.path.isdir(os.path.join(sys.argv[1], 'ProCo_cifar')):
        sys.exit(__doc__)
    prepare(sys.argv[1])
    sys.argv = ['main.py'] + sys.argv[2:]
    import main as public_main
    instrument(public_main)
    public_main.main()
