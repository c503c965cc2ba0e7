"""The training monitor: best weights, divergence detection, why training stopped."""

from __future__ import annotations

import math

import torch
from skorch.callbacks import Callback

from .data import ArrayDataset, BatchIterator, eval_batch_size


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
    null_name : str
        What the divergence message calls the null model (the head with zero weights).

    Attributes
    ----------
    stop_reason : None, "diverged" or "nonfinite"
    detail : str
    best_loss, best_epoch, best_state
    """

    def __init__(self, null_loss=None, monitor="train_loss", diverge_factor=10.0,
                 diverge_epochs=3, check_rows=2048,
                 null_name="the marginal model (the best constant prediction of y)"):
        self.null_loss = null_loss
        self.null_name = null_name
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
        if not _all_finite(net.module_.parameters()):
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
                               f"{self.null_name}")
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
        batch_size = eval_batch_size(subset, net.batch_size)
        for X, target in BatchIterator(subset, batch_size=batch_size):
            raw = net.module_(X.to(net.device))
            loss = net.get_loss(raw, target, X=X, training=False)
            total += float(loss) * len(X)
            count += len(X)
    value = total / max(count, 1)
    return value if math.isfinite(value) or math.isnan(value) else math.inf


def _all_finite(tensors):
    """Whether every entry is finite: one fused max-abs over all tensors (a quarter of
    the cost of a check per tensor; the max norm cannot overflow on large finite
    values, and NaN and inf propagate into it)."""
    tensors = list(tensors)
    if not tensors:
        return True
    return math.isfinite(torch.nn.utils.get_total_norm(
        tensors, norm_type=math.inf, foreach=True).item())


def _state_copy(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
