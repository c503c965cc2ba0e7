"""What happens once skorch returns: can the fit be trusted?

The best weights are restored after a divergence, an interrupt or early stopping; a fit
that diverged, was interrupted, never improved on its starting point (the marginal
model) or stopped while still improving says so with a warning; and the fitted
attributes (``history_``, ``n_iter_``, ``loss_curve_``, ...) are set from the history.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _skorch


class DivergenceWarning(UserWarning):
    """Training diverged or never improved on its starting point.

    The fit keeps the best weights seen and warns.  To make this an error instead, as
    for any warning: ``warnings.simplefilter("error", sklearn_dl.DivergenceWarning)``
    (the estimator is then left exactly as it was before ``fit``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import sklearn_dl
    >>> X = np.random.RandomState(0).normal(size=(100, 1)); y = X[:, 0]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     reg = sklearn_dl.NNRegressor(lr=1e3, max_epochs=20, random_state=0).fit(X, y)
    >>> [w.category.__name__ for w in caught], reg.n_iter_ < 20  # stopped early
    (['DivergenceWarning'], True)
    """


class FitInterruptedWarning(UserWarning):
    """``fit`` was interrupted (e.g. Ctrl-C); the model keeps the best weights so far.

    Examples
    --------
    A callback that interrupts the fit after three epochs, as Ctrl-C would:

    >>> import warnings
    >>> import numpy as np
    >>> from skorch.callbacks import Callback
    >>> import sklearn_dl
    >>> class StopAfterThree(Callback):
    ...     def on_epoch_end(self, net, **kwargs):
    ...         if len(net.history) == 3:
    ...             raise KeyboardInterrupt
    >>> X = np.random.RandomState(0).normal(size=(100, 1)); y = X[:, 0]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     reg = sklearn_dl.NNRegressor(max_epochs=20, callbacks=[StopAfterThree()],
    ...                                  random_state=0).fit(X, y)
    >>> [w.category.__name__ for w in caught], reg.n_iter_
    (['FitInterruptedWarning'], 3)
    """


class _TrainingTrustMixin:
    """``_after_training`` of :class:`~sklearn_dl._base._BaseNN` (called by ``_fit``)."""

    def _after_training(self, net, monitor, plan, epochs_before, partial, train_data):
        """Best weights, warnings and fitted attributes once skorch returned."""
        history = net.history
        if len(history) > epochs_before and "train_loss" not in history[-1]:
            del history[-1]  # an epoch cut short (divergence, interrupt) is not an epoch
        n_run = len(history) - epochs_before
        planned = 1 if partial else plan.max_epochs
        early = plan.early_stopping and _skorch.stopped_early(net)
        reason = monitor.stop_reason
        interrupted = reason is None and not early and n_run < planned
        message = None
        if reason is not None:
            best = monitor.restore_best(net, train_data)
            kept = ("the marginal model (the best constant prediction of y)" if best is None
                    else f"the weights of epoch {best}")
            message = (DivergenceWarning, (
                f"The loss diverged: lower the learning rate (lr={self.lr:g}). In "
                f"{type(self).__name__}.fit {monitor.detail}; training stopped and the model "
                f"keeps {kept}. Standardised inputs and a smaller network also help."))
        elif interrupted:
            best = monitor.restore_best(net, train_data)
            kept = ("the marginal model (the best constant prediction of y)" if best is None
                    else f"the best weights so far (epoch {best}, by {monitor.monitor})")
            message = (FitInterruptedWarning, (
                f"{type(self).__name__}.fit was interrupted after {n_run} of {planned} "
                f"epoch(s); the model keeps {kept}."))
        elif plan.early_stopping and not partial:
            monitor.restore_best(net)  # the best validation epoch, as early stopping means
        start = getattr(monitor, "start_loss", math.nan)
        final = (_skorch.dataset_loss(net, train_data, max_rows=self._check_rows)
                 if message is None and not partial and math.isfinite(start) else math.nan)
        monitor.best_state = monitor.start_state = None  # the copy of the weights is not kept in pickles

        self.history_ = history
        self.n_iter_ = self.n_epochs_ = len(history)
        self.best_epoch_ = self._best_epoch(history)
        self.loss_curve_ = [float(row["train_loss"]) for row in history]
        if len(history) and "valid_loss" in history[-1]:
            self.validation_scores_ = [-float(row.get("valid_loss", np.nan)) for row in history]
            self.best_validation_score_ = float(np.nanmax(self.validation_scores_))
        else:
            self.validation_scores_ = self.best_validation_score_ = None
        self.best_loss_ = float(np.nanmin(self.loss_curve_)) if self.loss_curve_ else np.nan
        self.null_loss_ = monitor.null_loss

        if message is None and not partial:
            null = monitor.null_loss
            tol = 1e-3 * max(1.0, abs(null))
            if math.isfinite(final) and final > min(start, null) - tol and n_run > 1:
                message = (DivergenceWarning, (
                    f"{type(self).__name__}.fit never improved on its starting point "
                    f"(training loss {start:.4g} at the start, {final:.4g} at the end; the "
                    f"marginal distribution of y has {null:.4g}): the learning rate "
                    f"(lr={self.lr:g}) may be too large or too small, or the inputs carry "
                    "no information about y."))
            elif not early and n_run >= planned and _still_improving(
                    history[epochs_before:], monitor.monitor, plan.patience):
                message = (ConvergenceWarning, (
                    f"{type(self).__name__}: max_epochs={planned} reached while the "
                    f"{monitor.monitor.replace('_', ' ')} still improves; consider a larger "
                    "max_epochs (or max_epochs='auto' with early stopping)."))
        if message is not None:
            warnings.warn(message[1], message[0], stacklevel=4)

    @staticmethod
    def _best_epoch(history):
        if not len(history):
            return 0
        key = "valid_loss" if "valid_loss" in history[-1] else "train_loss"
        losses = np.array([row.get(key, np.nan) for row in history], dtype=float)
        return int(np.nanargmin(losses)) + 1 if np.isfinite(losses).any() else len(history)


def _still_improving(rows, key, patience):
    """Whether the monitored loss improved (by 1e-4 relative) in the last ``patience``
    epochs of ``rows`` (the last tenth of them when the run is not longer than that:
    an improvement from the first epoch alone is no sign of an unfinished fit)."""
    losses = np.array([row.get(key, row["train_loss"]) for row in rows], dtype=float)
    if len(losses) < 2 or not np.isfinite(losses).all():
        return False
    window = patience if len(losses) > patience else max(1, len(losses) // 10)
    before = losses[:-window].min()
    return losses[-window:].min() < before - 1e-4 * abs(before)
