"""Everything that touches skorch lives here: the net, its data plumbing, callbacks.

The estimators own a :class:`DistributionNet` (``net_``) built by :func:`make_net`; they do
not subclass skorch's ``NeuralNet``, so ``get_params``/``clone``/``check_estimator`` keep
scikit-learn's semantics.  skorch does the training loop, history, callbacks (early
stopping with best weights restored, LR schedules, freezing, checkpoints) and prediction
batching.

Fast path.  skorch's default ``DataLoader`` indexes a dataset sample by sample and collates;
for in-memory tensors that costs more than a small MLP's forward/backward.  Our
:class:`BatchIterator` slices whole batches out of the tensors instead (same shuffling
semantics, seeded by the estimator's ``random_state``); other datasets (e.g. lazily
loaded image files) fall back to a seeded ``DataLoader``.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, Freezer, Unfreezer
from skorch.helper import predefined_split
from torch import nn
from torch.utils.data import DataLoader, Dataset

__all__ = [
    "ArrayDataset",
    "BatchIterator",
    "DistributionNet",
    "DivergenceError",
    "FamilyNLL",
    "make_net",
    "seeded",
    "resolve_optimizer",
]


class DivergenceError(FloatingPointError):
    """Raised when the training loss becomes NaN or infinite."""


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


@contextlib.contextmanager
def seeded(seed):
    """Seed torch's global RNG (weight init, dropout, augmentation) inside the block and
    restore the caller's RNG state afterwards, so fitting never disturbs user code."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


# -- data ---------------------------------------------------------------------------
class ArrayDataset(Dataset):
    """In-memory tensors ``X`` and optional target ``y`` and sample weights ``w``.

    Items are ``(x, (y, w))`` so that skorch hands ``(y, w)`` to
    :meth:`DistributionNet.get_loss`; without ``y`` an item is ``(x, None)``.  ``w`` may
    be None (no weights: nothing to index and multiply per batch).
    """

    def __init__(self, X, y=None, w=None):
        self.X = X
        self.y = y
        self.w = w

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        if self.y is None:
            return self.X[i], None
        return self.X[i], (self.y[i], None if self.w is None else self.w[i])

    def batch(self, idx):
        """The batch at index tensor/slice ``idx``, in the item layout above."""
        if self.y is None:
            return self.X[idx], None
        return self.X[idx], (self.y[idx], None if self.w is None else self.w[idx])


def _collate(items):
    X = torch.stack([x for x, _ in items])
    if items[0][1] is None:
        return X, None
    y = torch.stack([torch.as_tensor(t[1][0]) for t in items])
    if items[0][1][1] is None:
        return X, (y, None)
    w = torch.stack([torch.as_tensor(t[1][1]) for t in items])
    return X, (y, w)


class BatchIterator:
    """Iterate over ``(X_batch, target)`` batches of a dataset, as skorch's iterators do.

    Parameters
    ----------
    dataset : ArrayDataset or torch Dataset
    batch_size : int
    shuffle : bool
        Reshuffle at every pass (epoch).
    seed : int or None
        Seed of the private generator used for shuffling.
    transform : callable or None
        Applied to each input batch (e.g. data augmentation on training batches).
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, seed=None, transform=None,
                 **loader_kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.transform = transform
        self.loader_kwargs = loader_kwargs
        self.generator = torch.Generator()
        if seed is not None:
            self.generator.manual_seed(int(seed))

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def _batches(self):
        if isinstance(self.dataset, ArrayDataset):
            n = len(self.dataset)
            order = torch.randperm(n, generator=self.generator) if self.shuffle else None
            for start in range(0, n, self.batch_size):
                idx = (order[start:start + self.batch_size] if order is not None
                       else slice(start, start + self.batch_size))
                yield self.dataset.batch(idx)
        else:
            loader = DataLoader(self.dataset, batch_size=self.batch_size,
                                shuffle=self.shuffle, generator=self.generator,
                                collate_fn=_collate, **self.loader_kwargs)
            yield from loader

    def __iter__(self):
        for X, target in self._batches():
            if self.transform is not None:
                X = self.transform(X)
            yield X, target


# -- loss and net ---------------------------------------------------------------------
class FamilyNLL(nn.Module):
    """The criterion: the family's mean negative log-likelihood of a batch."""

    def __init__(self, family):
        super().__init__()
        self.family = family

    def forward(self, raw, y, sample_weight=None):
        return self.family.nll(raw, y, sample_weight)


def _l1_penalty(module):
    # Penalise weights only (dim > 1): biases and normalisation scales are not shrunk,
    # as in the usual definition of L1/L2 regularisation of a network.
    return sum(p.abs().sum() for p in module.parameters() if p.requires_grad and p.dim() > 1)


class DistributionNet(NeuralNet):
    """skorch ``NeuralNet`` whose loss is a family NLL with sample weights and L1.

    Parameters
    ----------
    l1 : float
        Weight of the L1 penalty on the module's weight matrices (added to the training
        loss only; the recorded validation loss is the pure NLL).
    """

    def __init__(self, *args, l1=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.l1 = l1

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y, w = y_true
        if w is not None:
            w = w.to(self.device)
        loss = self.criterion_(y_pred, y.to(self.device), w)
        if training and self.l1:
            loss = loss + self.l1 * _l1_penalty(self.module_)
        return loss

    def _set_training(self, training=True):
        # skorch calls module.train(mode) before every batch, which walks all submodules
        # through nn.Module.__setattr__; only switch when some submodule needs it
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and any(
                    m.training != training for m in module.modules()):
                module.train(training)


class DivergenceCheck(Callback):
    """Stop with a helpful error as soon as a training batch gives a non-finite loss."""

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        # skorch has just recorded loss.item(): check that float, no extra tensor op
        value = net.history[-1]["batches"][-1]["train_loss"]
        if not math.isfinite(value):
            epoch = len(net.history)
            raise DivergenceError(
                f"Training diverged in epoch {epoch}: the loss became {value}. "
                f"Try a smaller learning rate (lr={net.lr:g} now), standardized inputs "
                "(standardize=True, or 'channel' for images) or a smaller network."
            )


def _named_callbacks(callbacks):
    named = []
    for i, cb in enumerate(callbacks or ()):
        if isinstance(cb, tuple) and len(cb) == 2 and isinstance(cb[0], str):
            named.append(cb)
        elif isinstance(cb, Callback):
            named.append((f"user_{i}_{type(cb).__name__}", cb))
        else:
            raise TypeError(
                "callbacks must be skorch Callback instances or (name, Callback) tuples; "
                f"got {cb!r}."
            )
    return named


def make_net(module, family, *, train_data, valid_data=None, optimizer="adam", lr=1e-3,
             weight_decay=0.0, l1=0.0, batch_size=128, max_epochs=100,
             early_stopping=False, patience=10, callbacks=None, device="cpu",
             shuffle_seed=None, train_transform=None, freeze=(), unfreeze_at=None,
             param_groups=None, verbose=0):
    """Build a :class:`DistributionNet` for ``module`` trained on ``family``'s NLL.

    ``train_data`` and ``valid_data`` are datasets (see :class:`ArrayDataset`); the
    validation data is skorch's ``predefined_split``, so its loss is ``valid_loss`` in
    the history.  With ``early_stopping`` skorch's ``EarlyStopping`` monitors it and
    restores the weights of the best epoch at the end.

    Fine-tuning uses skorch's ``Freezer``/``Unfreezer`` and optimizer param groups:
    ``freeze`` lists parameter-name patterns frozen from the first epoch;
    ``unfreeze_at=(patterns, epoch)`` unfreezes some of them at that epoch; and
    ``param_groups`` is skorch's ``optimizer__param_groups`` (per-pattern learning rates).
    """
    cbs = [("divergence", DivergenceCheck())]
    if freeze:
        cbs.append(("freezer", Freezer(list(freeze), at=1)))
    if unfreeze_at is not None:
        patterns, epoch = unfreeze_at
        cbs.append(("unfreezer", Unfreezer(list(patterns), at=epoch)))
    extra = {"optimizer__param_groups": list(param_groups)} if param_groups else {}
    # skorch's default callbacks run on every batch: drop those with nothing to do
    if not verbose:
        extra["callbacks__print_log"] = None
    if valid_data is None:
        extra["callbacks__valid_loss"] = None
    if early_stopping:
        if valid_data is None:
            raise ValueError("early_stopping needs validation data.")
        cbs.append(("early_stopping", EarlyStopping(
            monitor="valid_loss", patience=patience, threshold=1e-4,
            threshold_mode="rel", lower_is_better=True, load_best=True)))
    cbs.extend(_named_callbacks(callbacks))
    return DistributionNet(
        module=module,
        criterion=FamilyNLL,
        criterion__family=family,
        optimizer=resolve_optimizer(optimizer),
        optimizer__weight_decay=weight_decay,
        lr=lr,
        l1=l1,
        max_epochs=max_epochs,
        batch_size=batch_size,
        dataset=ArrayDataset,
        iterator_train=BatchIterator,
        iterator_train__shuffle=True,
        iterator_train__seed=shuffle_seed,
        iterator_train__transform=train_transform,
        iterator_valid=BatchIterator,
        train_split=predefined_split(valid_data) if valid_data is not None else None,
        callbacks=cbs,
        device=device,
        verbose=verbose,
        **extra,
    )


def fit_net(net, train_data):
    """Train; returns the fitted net (a separate function so callers need no skorch)."""
    return net.fit(train_data, None)


def history_frame(history):
    """Per-epoch history without the per-batch records, as a list of dicts."""
    return [{k: v for k, v in row.items() if k != "batches"} for row in history]


def as_float_tensor(X):
    """float32 tensor view of a numpy array (no copy when already float32)."""
    return torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
