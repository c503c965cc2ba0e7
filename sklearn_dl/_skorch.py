"""Everything that touches skorch lives here: the net, its data plumbing, callbacks.

The estimators own a :class:`DistributionNet` (``net_``) built by :func:`make_net`; they do
not subclass skorch's ``NeuralNet``, so ``get_params``/``clone``/``check_estimator`` keep
scikit-learn's semantics.  skorch does the training loop, history, callbacks (early
stopping, LR schedules, freezing, checkpoints, user callbacks) and prediction batching;
this module adds

* a fast batch iterator for in-memory tensors (skorch's default ``DataLoader`` indexes and
  collates sample by sample, which costs more than a small MLP's forward/backward);
* :class:`TrainingMonitor`: keeps the best weights seen, detects divergence (non-finite
  or exploding losses, non-finite weights) and records why training stopped, so the
  estimator can restore the best weights after a divergence or an interrupt;
* :class:`EpochProgress`: a tqdm progress bar over epochs (``verbose=1``);
* a scoring view of the net (:class:`NetOutputs`): skorch's ``EpochScoring`` with a
  string scorer sees predictions and targets in the estimator's terms (labels, means in
  the target's units), not raw outputs and ``(y, weight)`` pairs.
"""

from __future__ import annotations

import contextlib
import math
import sys

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, Freezer, Unfreezer
from skorch.callbacks.scoring import ScoringBase
from skorch.dataset import Dataset as SkorchDataset
from skorch.helper import predefined_split
from skorch.utils import to_numpy
from torch import nn
from torch.utils.data import DataLoader

__all__ = [
    "ArrayDataset",
    "BatchIterator",
    "DistributionNet",
    "EpochProgress",
    "FamilyNLL",
    "NetOutputs",
    "TrainingMonitor",
    "make_net",
    "seeded",
    "resolve_optimizer",
]

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
# parameters: the same algorithm, 15-25 % less CPU time for the small nets of tabular data
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


@contextlib.contextmanager
def seeded(seed):
    """Seed torch's global RNG (weight init, dropout, augmentation) inside the block and
    restore the caller's RNG state afterwards, so fitting never disturbs user code."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


# -- data ---------------------------------------------------------------------------
class ArrayDataset(SkorchDataset):
    """In-memory tensors ``X`` and optional target ``y`` and sample weights ``w``.

    Items are ``(x, (y, w))`` so that skorch hands ``(y, w)`` to
    :meth:`DistributionNet.get_loss`; without ``y`` an item is ``(x, None)``.  ``w`` may
    be None (no weights: nothing to index and multiply per batch).  A skorch ``Dataset``
    (without its conversions), so skorch's scoring callbacks find ``X`` and ``y``.
    """

    def __init__(self, X, y=None, w=None, length=None):  # noqa: D107 - skorch's signature
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


class ShuffleSeeds:
    """A picklable seed sequence: skorch builds a new iterator every epoch, and each one
    takes the next seed, so epochs see different (but reproducible) batch orders."""

    def __init__(self, seed):
        self.seed = None if seed is None else int(seed)
        self.epoch = 0

    def next(self):
        """The seed for the next pass over the data (None: unseeded)."""
        if self.seed is None:
            return None
        self.epoch += 1
        return (self.seed + 7919 * self.epoch) % (2**63 - 1)


class BatchIterator:
    """Iterate over ``(X_batch, target)`` batches of a dataset, as skorch's iterators do.

    Parameters
    ----------
    dataset : ArrayDataset or torch Dataset
    batch_size : int
    shuffle : bool
        Reshuffle at every pass (epoch).
    seed : int, ShuffleSeeds or None
        Seed of the private generator used for shuffling; a :class:`ShuffleSeeds` gives
        a new seed per pass.
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
        if isinstance(seed, ShuffleSeeds):
            seed = seed.next() if shuffle else None
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


# -- loss, outputs and net -------------------------------------------------------------
class FamilyNLL(nn.Module):
    """The criterion: the family's mean negative log-likelihood of a batch."""

    def __init__(self, family):
        super().__init__()
        self.family = family

    def forward(self, raw, y, sample_weight=None):
        return self.family.nll(raw, y, sample_weight)


class NetOutputs:
    """How the estimator reads the net's raw outputs, for skorch's scoring callbacks.

    Parameters
    ----------
    family : Family
    shift, scale : ndarray or None
        Target standardisation (location-scale families): the user's target is
        ``shift + scale * y_train``.
    n_classes : int or None
        Number of classes for classifiers.
    squeeze : bool
        Regression with a 1-D target: predictions are 1-D.
    """

    def __init__(self, family, shift=None, scale=None, n_classes=None, squeeze=True):
        self.family, self.shift, self.scale = family, shift, scale
        self.n_classes, self.squeeze = n_classes, squeeze

    @property
    def is_classifier(self):
        return self.family.task == "classification"

    def params(self, raw):
        params = self.family.params_numpy(torch.as_tensor(raw, dtype=torch.float64))
        if self.scale is not None:
            params = self.family.rescale(params, self.shift, self.scale)
        if self.squeeze and not self.is_classifier:
            params = {k: v[:, 0] if v.ndim == 2 and v.shape[1] == 1 else v
                      for k, v in params.items()}
        return params

    def predict_proba(self, raw):
        return np.asarray(self.family.mean(self.params(raw)), dtype=np.float64)

    def predict(self, raw):
        out = self.predict_proba(raw)
        return out.argmax(axis=1) if self.is_classifier else out

    def target_tensor(self, y):
        """A target (or a batch's ``(y, w)`` pair) as a tensor in the user's units
        (class indices for classifiers)."""
        if isinstance(y, (tuple, list)):
            y = y[0]
        if self.scale is None or self.is_classifier:
            return y
        y64 = torch.as_tensor(y, dtype=torch.float64)
        scale = torch.as_tensor(self.scale, dtype=torch.float64)
        shift = torch.as_tensor(self.shift, dtype=torch.float64)
        return (y64.reshape(len(y64), -1) * scale + shift).reshape(y64.shape)


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
    outputs : NetOutputs or None
        Maps raw outputs to predictions for ``predict``/``predict_proba`` (used by
        skorch's scoring callbacks with scikit-learn scorers).
    """

    def __init__(self, *args, l1=0.0, outputs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.l1 = l1
        self.outputs = outputs

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

    # -- the estimator's view, for scoring callbacks --------------------------------------
    def _raw(self, X):
        return np.concatenate([to_numpy(yp) for yp in self.forward_iter(X, training=False)])

    def predict_proba(self, X):
        if self.outputs is None:
            return super().predict_proba(X)
        return self.outputs.predict_proba(self._raw(X))

    def predict(self, X):
        if self.outputs is None:
            return super().predict(X)
        return self.outputs.predict(self._raw(X))

    @property
    def classes_(self):
        if self.outputs is None or not self.outputs.is_classifier:
            raise AttributeError("classes_ is only defined for classification nets.")
        return np.arange(self.outputs.n_classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.outputs is not None:
            tags.estimator_type = "classifier" if self.outputs.is_classifier else "regressor"
        return tags


# -- callbacks ----------------------------------------------------------------------------
class TrainingMonitor(Callback):
    """Keep the best weights, detect divergence, and record why training stopped.

    Parameters
    ----------
    null_loss : float
        Mean training NLL of the marginal (null) model, the loss the network starts at.
    monitor : {"valid_loss", "train_loss"}
        Which loss decides the "best" weights.
    diverge_factor : float
        An epoch's training loss counts as exploding when it exceeds the null loss by more
        than ``diverge_factor * max(1, |null_loss|)`` nats per sample.
    diverge_epochs : int
        Consecutive exploding epochs that declare divergence.
    check_rows : int
        Training rows on which the starting weights' loss is measured (0: not measured),
        to tell at the end whether training improved on it.

    Attributes
    ----------
    stop_reason : None, "diverged" or "nonfinite"
    detail : str
    best_loss, best_epoch, best_state
    """

    def __init__(self, null_loss=None, monitor="train_loss", diverge_factor=10.0,
                 diverge_epochs=3, check_rows=2048):
        self.null_loss = null_loss
        self.check_rows = check_rows
        self.monitor = monitor
        self.diverge_factor = diverge_factor
        self.diverge_epochs = diverge_epochs

    def initialize(self):
        self.stop_reason = None
        self.detail = ""
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_state = None
        self.exploding_ = 0
        return self

    def on_train_begin(self, net, X=None, **kwargs):
        self.stop_reason, self.detail, self.exploding_ = None, "", 0
        # the loss of the starting weights (eval mode, on up to check_rows training rows)
        self.start_loss = (dataset_loss(net, X, max_rows=self.check_rows)
                           if isinstance(X, ArrayDataset) else math.nan)
        self.start_epoch = len(net.history)
        self.start_state = _state_copy(net.module_)
        if self.best_state is None:
            self.best_state, self.best_epoch = self.start_state, self.start_epoch

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        # skorch has just recorded loss.item(): check that float, no extra tensor op
        value = net.history[-1]["batches"][-1]["train_loss"]
        if not math.isfinite(value):
            self.stop_reason = "nonfinite"
            self.detail = f"the training loss became {value} in epoch {len(net.history)}"
            raise KeyboardInterrupt  # skorch's way to end training (caught in fit)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        train = row["train_loss"]
        if not all(torch.isfinite(p).all() for p in net.module_.parameters()):
            self.stop_reason = "nonfinite"
            self.detail = f"the network's weights became non-finite in epoch {len(net.history)}"
            raise KeyboardInterrupt
        if self.null_loss is not None and math.isfinite(self.null_loss):
            limit = self.null_loss + self.diverge_factor * max(1.0, abs(self.null_loss))
            self.exploding_ = self.exploding_ + 1 if train > limit else 0
            if self.exploding_ >= self.diverge_epochs:
                self.stop_reason = "diverged"
                self.detail = (f"the training loss rose to {train:.4g} per sample in epoch "
                               f"{len(net.history)}, far above the {self.null_loss:.4g} of "
                               "the starting point (the marginal distribution of y)")
                raise KeyboardInterrupt
        loss = row.get(self.monitor, train) if self.monitor in row else train
        if math.isfinite(loss) and loss < self.best_loss:
            self.best_loss, self.best_epoch = loss, len(net.history)
            self.best_state = _state_copy(net.module_)

    def restore_best(self, net, data=None):
        """Load the best weights seen into ``net.module_``; returns that epoch.

        With ``data`` (after a divergence or an interrupt, when the epoch's average
        loss may flatter weights that blew up at its end), the best epoch's weights are
        checked on ``data`` against the marginal model (the head's weights zeroed, so
        the network predicts the best constant); the lower loss wins and ``None`` is
        returned for the marginal model.
        """
        if self.best_state is None:
            return self.best_epoch
        net.module_.load_state_dict(self.best_state)
        if data is None:
            return self.best_epoch
        best_loss = dataset_loss(net, data)
        null_state = _marginal_state(net.module_, self.start_state)
        net.module_.load_state_dict(null_state)
        null = dataset_loss(net, data)
        if math.isnan(best_loss) or (math.isfinite(best_loss) and best_loss <= null):
            net.module_.load_state_dict(self.best_state)
            return self.best_epoch
        return None


def _marginal_state(module, state):
    """``state`` with the head's weight matrices zeroed: with the head's bias at the
    marginal fit (``Family.init_head``) the network then predicts the marginal model."""
    out = dict(state)
    for name, value in state.items():
        if name.startswith("head.") and name.endswith("weight") and value.dim() > 1:
            out[name] = torch.zeros_like(value)
    return out


def dataset_loss(net, data, max_rows=20_000):
    """Mean NLL of the net on (the first ``max_rows`` of) ``data``, in eval mode."""
    n = min(len(data), max_rows)
    subset = ArrayDataset(data.X[:n], data.y[:n], None if data.w is None else data.w[:n])
    if not isinstance(data.X, torch.Tensor):  # lazily loaded images
        return math.nan
    net.module_.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for X, target in BatchIterator(subset, batch_size=max(1, net.batch_size)):
            raw = net.module_(X.to(net.device))
            loss = net.get_loss(raw, target, X=X, training=False)
            total += float(loss) * len(X)
            count += len(X)
    value = total / max(count, 1)
    return value if math.isfinite(value) or math.isnan(value) else math.inf


def _state_copy(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class EpochProgress(Callback):
    """A tqdm progress bar over epochs with the latest training and validation loss.

    tqdm writes plain text (no colour codes) to stderr; in a notebook ``tqdm.auto`` shows
    a widget.  When stderr is not a terminal the bar refreshes at most every few seconds.
    """

    def __init__(self, desc="fit", total=None):
        self.desc = desc
        self.total = total

    def initialize(self):
        self.bar_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.bar_ = tqdm(total=self.total or net.max_epochs, desc=self.desc, unit="epoch",
                         file=sys.stderr, leave=True, dynamic_ncols=tty,
                         mininterval=0.1 if tty else 5.0, ascii=not tty)

    def on_epoch_end(self, net, **kwargs):
        if self.bar_ is None:
            return
        row = net.history[-1]
        post = {"train_loss": f"{row['train_loss']:.4g}"}
        if "valid_loss" in row:
            post["valid_loss"] = f"{row['valid_loss']:.4g}"
        self.bar_.set_postfix(post, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        if self.bar_ is not None:
            self.bar_.close()
            self.bar_ = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["bar_"] = None  # a tqdm bar holds a stream: never pickled
        return state


class _UserTargets(Callback):
    """Hands a user's scoring callback the targets in the estimator's terms.

    skorch's ``EpochScoring``/``BatchScoring`` read ``y`` from the batches and datasets,
    where the net keeps ``(standardised y, weight)`` pairs; this wrapper passes them the
    target in the user's units (class indices for classifiers) and forwards everything
    else, so ``EpochScoring("r2")`` or ``EpochScoring("accuracy", on_train=True)`` work.
    The user's callback object itself is the one that runs (its state is readable
    after ``fit``); attribute access is forwarded to it.
    """

    def __init__(self, inner, outputs):
        self.inner = inner
        self.outputs = outputs

    def initialize(self):
        self.inner.initialize()
        return self

    def _view(self, dataset):
        if isinstance(dataset, ArrayDataset) and dataset.y is not None:
            return ArrayDataset(dataset.X, self.outputs.target_tensor(dataset.y))
        return dataset

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.inner.on_train_begin(net, X=X, y=y, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.inner.on_train_end(net, X=X, y=y, **kwargs)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.inner.on_epoch_begin(net, dataset_train=self._view(dataset_train),
                                  dataset_valid=self._view(dataset_valid), **kwargs)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.inner.on_epoch_end(net, dataset_train=self._view(dataset_train),
                                dataset_valid=self._view(dataset_valid), **kwargs)

    def on_batch_begin(self, net, batch=None, **kwargs):
        self.inner.on_batch_begin(net, batch=self._batch(batch), **kwargs)

    def on_batch_end(self, net, batch=None, **kwargs):
        self.inner.on_batch_end(net, batch=self._batch(batch), **kwargs)

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.inner.on_grad_computed(net, named_parameters, **kwargs)

    def _batch(self, batch):
        if batch is None:
            return batch
        X, target = batch
        return X, (None if target is None else self.outputs.target_tensor(target))

    def get_params(self, deep=True):
        return self.inner.get_params(deep=deep)

    def __getattr__(self, name):
        if name in ("inner", "outputs") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def _user_callbacks(callbacks, outputs):
    """The user's callbacks under the names skorch would give them; scoring callbacks
    are wrapped by :class:`_UserTargets`."""
    out = []
    for item, name in zip(callbacks or (), callback_names(callbacks)):
        cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        if not isinstance(cb, Callback):
            raise TypeError("callbacks must be skorch Callback instances or (name, Callback) "
                            f"tuples; got {item!r}.")
        if isinstance(cb, ScoringBase):
            cb = _UserTargets(cb, outputs)
        out.append((name, cb))
    return out


def callback_names(callbacks):
    """The names skorch gives these user callbacks (tuple names, else the class name,
    numbered when repeated): the keys of ``set_params(callbacks__<name>__<param>=...)``."""
    names = [item[0] if isinstance(item, tuple) else type(item).__name__
             for item in callbacks or ()]
    counts = {n: names.count(n) for n in names}
    seen, out = {}, []
    for item, n in zip(callbacks or (), names):
        if isinstance(item, tuple) or counts[n] == 1:
            out.append(n)
        else:
            seen[n] = seen.get(n, 0) + 1
            out.append(f"{n}_{seen[n]}")
    return out


#: an improvement of the mean NLL smaller than this (nats per observation, whatever the
#: target's unit) is no improvement: early stopping and convergence stop on it, as
#: scikit-learn's MLP does with ``tol=1e-4``
LOSS_TOLERANCE = 1e-4


def make_net(module, family, *, train_data, valid_data=None, optimizer="adam", lr=1e-3,
             weight_decay=0.0, l1=0.0, batch_size=128, max_epochs=100,
             early_stopping=False, patience=10, converge=False, callbacks=None, device="cpu",
             shuffle_seed=None, train_transform=None, freeze=(), unfreeze_at=None,
             param_groups=None, verbose=0, monitor=None, outputs=None, progress_desc="fit"):
    """Build a :class:`DistributionNet` for ``module`` trained on ``family``'s NLL.

    ``train_data`` and ``valid_data`` are datasets (see :class:`ArrayDataset`); the
    validation data is skorch's ``predefined_split``, so its loss is ``valid_loss`` in
    the history.  With ``early_stopping`` skorch's ``EarlyStopping`` monitors it; the
    estimator restores the best weights from ``monitor`` (:class:`TrainingMonitor`).

    Fine-tuning uses skorch's ``Freezer``/``Unfreezer`` and optimizer param groups:
    ``freeze`` lists parameter-name patterns frozen from the first epoch;
    ``unfreeze_at=(patterns, epoch)`` unfreezes some of them at that epoch; and
    ``param_groups`` is skorch's ``optimizer__param_groups`` (per-pattern learning rates).

    ``converge``: without early stopping, stop once the training loss has not improved
    by :data:`LOSS_TOLERANCE` for ``patience`` epochs (a GLM has converged).

    ``verbose``: 0 silent, 1 a progress bar over epochs, 2 skorch's per-epoch table.
    """
    cbs = [("monitor", monitor or TrainingMonitor())]
    if freeze:
        cbs.append(("freezer", Freezer(list(freeze), at=1)))
    if unfreeze_at is not None:
        patterns, epoch = unfreeze_at
        cbs.append(("unfreezer", Unfreezer(list(patterns), at=epoch)))
    optimizer = resolve_optimizer(optimizer)
    extra = optimizer_options(optimizer, device)
    if param_groups:
        extra["optimizer__param_groups"] = list(param_groups)
    # skorch's default callbacks run on every batch: drop those with nothing to do
    if verbose < 2:
        extra["callbacks__print_log"] = None
    if valid_data is None:
        extra["callbacks__valid_loss"] = None
    if early_stopping and valid_data is None:
        raise ValueError("early_stopping needs validation data.")
    # one stopping rule: on the validation loss (early stopping) or, without validation,
    # on the training loss (convergence); the monitor keeps and restores the best weights
    stop = None
    if early_stopping:
        stop = ("early_stopping", "valid_loss")
    elif converge:
        stop = ("convergence", "train_loss")
    if stop is not None:
        cbs.append((stop[0], EarlyStopping(
            monitor=stop[1], patience=patience, threshold=LOSS_TOLERANCE,
            threshold_mode="abs", lower_is_better=True, load_best=False)))
    if verbose == 1:
        cbs.append(("progress", EpochProgress(desc=progress_desc)))
    cbs.extend(_user_callbacks(callbacks, outputs or NetOutputs(family)))
    return DistributionNet(
        module=module,
        criterion=FamilyNLL,
        criterion__family=family,
        optimizer=optimizer,
        optimizer__weight_decay=weight_decay,
        lr=lr,
        l1=l1,
        outputs=outputs,
        max_epochs=max_epochs,
        batch_size=batch_size,
        dataset=ArrayDataset,
        iterator_train=BatchIterator,
        iterator_train__shuffle=True,
        iterator_train__seed=ShuffleSeeds(shuffle_seed),
        iterator_train__transform=train_transform,
        iterator_valid=BatchIterator,
        train_split=predefined_split(valid_data) if valid_data is not None else None,
        callbacks=cbs,
        device=device,
        verbose=verbose,
        **extra,
    )


def set_validation(net, valid_data):
    """Point an initialised net at new validation data (warm starts)."""
    net.train_split = predefined_split(valid_data) if valid_data is not None else None


def fit_net(net, train_data, epochs=None, warm=False):
    """Train; returns the net.  ``warm=True`` continues an initialised net
    (skorch's ``partial_fit``); ``epochs`` overrides ``max_epochs`` for this call."""
    if warm:
        return net.partial_fit(train_data, None, epochs=epochs)
    if epochs is not None:
        net.max_epochs = epochs
    return net.fit(train_data, None)


def partial_epoch(net, train_data):
    """One epoch over ``train_data`` (``partial_fit``): no validation split, no early
    stopping, even when the net was first fitted with them."""
    if not net.initialized_:
        net.initialize()
    saved_split, saved_callbacks = net.train_split, net.callbacks_
    net.train_split = None
    net.callbacks_ = [(name, cb) for name, cb in net.callbacks_
                      if not isinstance(cb, EarlyStopping) and name != "valid_loss"]
    try:
        net.partial_fit(train_data, None, epochs=1)
    finally:
        net.train_split, net.callbacks_ = saved_split, saved_callbacks
    return net


def stopped_early(net):
    """Whether skorch's EarlyStopping (ours or a user's) ended training."""
    for _, cb in getattr(net, "callbacks_", ()):
        if isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience:
            return True
    return False


def callback(net, name):
    """The initialised callback called ``name`` in a fitted net."""
    return dict(net.callbacks_)[name]


def history_from_rows(rows):
    """A skorch ``History`` holding the given per-epoch rows (a loaded model's)."""
    from skorch.history import History

    history = History()
    for row in rows:
        history.new_epoch()
        for key, value in row.items():
            history.record(key, value)
    return history


def history_frame(history):
    """Per-epoch history without the per-batch records, as a list of dicts."""
    return [{k: v for k, v in row.items() if k != "batches"} for row in history]


def as_float_tensor(X):
    """float32 tensor view of a numpy array (no copy when already float32)."""
    return torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
