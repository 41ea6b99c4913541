"""A bare PyTorch script that trains the course's shapes MLP: the yardstick for what
`nnstudio train` costs on top of the arithmetic (see checkpoint_cost.py).

Usage: python bench/bare_shapes.py FILE.dat EPOCHS

Same network as the shapes-mlp preset (25-25-20-15-10-5, relu, dropout 0.2), SGD with
learning rate 0.01, gradient norm clipped at 1.0, batch size 1, no validation, and a
shuffle per epoch; it writes nothing but the final loss.
"""

import sys

import numpy as np
import torch
from torch import nn


def main() -> None:
    path, epochs = sys.argv[1], int(sys.argv[2])
    rows = np.array([[float(v) for v in line.split()] for line in open(path) if line.strip()
                     and not line.startswith("#")], dtype=np.float32)
    x, y = torch.from_numpy(rows[:, :25]), torch.from_numpy(rows[:, 25:].argmax(axis=1))
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    width = 25
    for units in (25, 20, 15, 10):
        layers += [nn.Linear(width, units), nn.ReLU(), nn.Dropout(0.2)]
        width = units
    net = nn.Sequential(*layers, nn.Linear(width, 5))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    net.train()
    for _ in range(epochs):
        for i in torch.randperm(len(y)):
            optimizer.zero_grad()
            loss = loss_fn(net(x[i:i + 1]), y[i:i + 1])
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
    print(f"loss {float(loss):.4f}")


if __name__ == "__main__":
    main()
