"""The net: its criterion (the family NLL), its scoring view, and :func:`make_net`."""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, Freezer, Unfreezer
from skorch.helper import predefined_split
from skorch.utils import to_numpy
from torch import nn

from .callbacks import EpochProgress, EpochTable, _user_callbacks
from .data import ArrayDataset, BatchIterator, ShuffleSeeds, eval_batch_size
from .monitor import TrainingMonitor
from .optim import optimizer_options, resolve_optimizer


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


#: attribute on a module: the train/eval mode ``DistributionNet`` last set on it
_MODE_MARK = "_sklearn_dl_mode_set"


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

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # Fused optimizers (Adam/AdamW, see optim.py) update the weights without bumping
        # their tensors' ``_version``: count the training runs on the module instead, so
        # caches keyed on the weights (the float64 predict copy) see every update.
        try:
            return super().partial_fit(X, y, classes=classes, **fit_params)
        finally:
            if getattr(self, "module_", None) is not None:
                self.module_.sklearn_dl_updates = getattr(
                    self.module_, "sklearn_dl_updates", 0) + 1

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
        # through nn.Module.__setattr__; switch only when the mode changes.  The mode this
        # net last set is marked on the module itself (a module may keep parts in eval
        # mode on purpose, a frozen backbone's batchnorm, so the submodules' flags cannot
        # tell; a new module carries no mark); a switch by anyone else shows in the
        # module's own flag.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if not isinstance(module, torch.nn.Module):
                continue
            if module.training == training and module.__dict__.get(_MODE_MARK) == training:
                continue
            module.train(training)
            module.__dict__[_MODE_MARK] = training

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
    # verbose=2: skorch's table, without colour codes in logs and pipes
    extra["callbacks__print_log"] = EpochTable() if verbose >= 2 else None
    if valid_data is None:
        extra["callbacks__valid_loss"] = None
    else:  # the validation pass needs no gradients: a small table in one or two batches
        extra["iterator_valid__batch_size"] = eval_batch_size(valid_data, batch_size)
    if early_stopping and valid_data is None:
        raise ValueError("early_stopping needs validation data.")
    # one stopping rule: on the validation loss (early stopping) or, without validation,
    # on the training loss (convergence); the monitor keeps and restores the best weights
    stop = None
    if early_stopping:
        stop = ("early_stopping", "valid_loss")
    elif converge:
        stop = ("convergence", "train_loss")
    # verbose=1: the bar prints the stopping message once it is closed, not into its line
    progress = EpochProgress(desc=progress_desc) if verbose == 1 else None
    if stop is not None:
        cbs.append((stop[0], EarlyStopping(
            monitor=stop[1], patience=patience, threshold=LOSS_TOLERANCE,
            threshold_mode="abs", lower_is_better=True, load_best=False,
            sink=progress.note if progress is not None else print)))
    if progress is not None:
        cbs.append(("progress", progress))
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
        # batch norm cannot normalise a one-row batch in training mode
        iterator_train__no_single_row=any(
            isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules()),
        iterator_valid=BatchIterator,
        train_split=predefined_split(valid_data) if valid_data is not None else None,
        callbacks=cbs,
        device=device,
        verbose=verbose,
        **extra,
    )
