#!/usr/bin/python3
"""PyTorch fixtures for ProCo.Training.Tests (run with Debian's python3-torch; the outputs are committed).

Builds the ProCo CIFAR model with the public code's module names (encoder = ResNet-32 with option-A
shortcuts, head = Linear-BN-ReLU-Linear, fc = Linear or the cosine NormedLinear stored [in, out]),
gives it random weights and BatchNorm statistics, and writes:
  state_dict.pt       torch.save(model.state_dict())                         (linear classifier)
  checkpoint.pth.tar  a dict laid out like the authors' released checkpoints: 'state_dict' with
                      DistributedDataParallel's 'module.' prefix, beside an optimizer state and a
                      pickled loss object                                      (cosine classifier)
  expected.pt         inputs and, for each model, eval-mode features and logits
With an argument (a state_dict written by ProCo Studio) it loads that file into the linear model and
prints the largest difference of its logits from expected.pt's, for the export test.
"""
import os
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))


class Block(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.pad = (out - inp) // 2 if stride != 1 or inp != out else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(y + s)


class Encoder(nn.Module):
    def __init__(self, n=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(*[Block(16, 16, 1) for _ in range(n)])
        self.layer2 = nn.Sequential(Block(16, 32, 2), *[Block(32, 32, 1) for _ in range(n - 1)])
        self.layer3 = nn.Sequential(Block(32, 64, 2), *[Block(64, 64, 1) for _ in range(n - 1)])

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


class Cosine(nn.Module):
    def __init__(self, inp, out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(inp, out).uniform_(-1, 1))

    def forward(self, x):
        return 30 * F.normalize(x, dim=1).mm(F.normalize(self.weight, dim=0))


class Model(nn.Module):
    def __init__(self, classes=100, use_norm=False, feat_dim=128):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Sequential(nn.Linear(64, 512), nn.BatchNorm1d(512), nn.ReLU(inplace=True), nn.Linear(512, feat_dim))
        self.fc = Cosine(64, classes) if use_norm else nn.Linear(64, classes)

    def forward(self, x):
        feat = self.encoder(x)
        return F.normalize(self.head(feat), dim=1), self.fc(feat)


class EstimatorLike:
    """Stands for the pickled loss object of the released checkpoints: a class this program must not build."""
    def __init__(self):
        self.kappa = torch.rand(100)
        self.name = "ProCoLoss"


def randomised(use_norm):
    model = Model(use_norm=use_norm)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(1234)
    return model.eval()


if len(sys.argv) > 1:
    model = Model(use_norm=False).eval()
    model.load_state_dict(torch.load(sys.argv[1]))
    expected = torch.load(os.path.join(here, "expected.pt"))
    with torch.no_grad():
        features, logits = model(expected["inputs"])
    print(max((logits - expected["logits"]).abs().max().item(), (features - expected["features"]).abs().max().item()))
    sys.exit(0)

torch.manual_seed(20241129)
inputs = torch.randn(8, 3, 32, 32)
linear, cosine = randomised(False), randomised(True)
with torch.no_grad():
    features, logits = linear(inputs)
    cos_features, cos_logits = cosine(inputs)
torch.save(linear.state_dict(), os.path.join(here, "state_dict.pt"))
optimizer = torch.optim.SGD(cosine.parameters(), lr=0.3, momentum=0.9)
torch.save({
    "epoch": 200, "arch": "resnet32", "best_acc1": 52.3,
    "state_dict": {"module." + k: v for k, v in cosine.state_dict().items()},
    "optimizer": optimizer.state_dict(),
    "criterion_scl": EstimatorLike(),
}, os.path.join(here, "checkpoint.pth.tar"))
torch.save({"inputs": inputs, "features": features, "logits": logits, "cos_features": cos_features, "cos_logits": cos_logits},
           os.path.join(here, "expected.pt"))
print("torch", torch.__version__)
