"""Small ``nn.Module`` building blocks shared by all estimators (pure torch)."""

import torch
from torch import nn


class Standardize(nn.Module):
    """``(x - mean) / scale`` with fixed buffers: input standardisation learned in
    ``fit`` that travels with the network (pickles, moves to the device)."""

    def __init__(self, mean, scale):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, x):
        return (x - self.mean) / self.scale


class BodyHead(nn.Module):
    """``head(body(preprocess(x)))``: the network of every estimator.

    Keeping the three parts as named children makes them addressable by name, e.g. for
    freezing the body (``body.*``) or giving it a smaller learning rate.
    """

    def __init__(self, body, head, preprocess=None):
        super().__init__()
        self.preprocess = preprocess if preprocess is not None else nn.Identity()
        self.body = body
        self.head = head
        self._skip_preprocess = preprocess is None  # saves a module call per batch

    def forward(self, x):
        if not self._skip_preprocess:
            x = self.preprocess(x)
        return self.head(self.body(x))
