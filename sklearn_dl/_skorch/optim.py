"""What ``optimizer="adam"``, ``"sgd"``, ... name, and the options the package adds."""

from __future__ import annotations

import torch

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}


def resolve_optimizer(optimizer):
    """Map ``"adam"``, ``"sgd"``, ... or a ``torch.optim.Optimizer`` subclass to a class."""
    if isinstance(optimizer, str):
        try:
            return OPTIMIZERS[optimizer.lower()]
        except KeyError:
            pass
    elif isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        return optimizer
    raise ValueError(
        f"Unknown optimizer {optimizer!r}; use one of {sorted(OPTIMIZERS)} or a "
        "torch.optim.Optimizer subclass."
    )


# Adam and AdamW in one fused kernel per step instead of a Python loop over the
# parameters: the same algorithm, about 20 % less CPU time for the small nets of tabular data
# (benchmarks/RESULTS.md, "fused Adam").  Results differ from the loop in the last digits.
_FUSED_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW)
_FUSED_DEVICES = ("cpu", "cuda")


def optimizer_options(optimizer_cls, device):
    """Keyword arguments the package adds to the optimizer: ``fused=True`` for Adam and
    AdamW on the CPU and CUDA (``{}`` elsewhere)."""
    kind = str(device).split(":")[0]
    if optimizer_cls in _FUSED_OPTIMIZERS and kind in _FUSED_DEVICES:
        return {"optimizer__fused": True}
    return {}
