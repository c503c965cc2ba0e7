"""What happens once skorch returns: can the fit be trusted?

The best weights are restored after a divergence, an interrupt or early stopping; a fit
that diverged, was interrupted, never improved on its starting point (the marginal
model) or stopped while still improving says so with a warning; and the fitted
attributes (``history_``, ``n_iter_``, ``loss_curve_``, ...) are set from the history.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _skorch, _warn
from ._plan import is_auto


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
        # any EarlyStopping that fired ended the fit as asked: the plan's own early
        # stopping, a GLM's convergence rule or a user's callback
        early = _skorch.stopped_early(net)
        reason = monitor.stop_reason
        interrupted = reason is None and not early and n_run < planned
        message = None
        if reason is not None:
            best = monitor.restore_best(net, train_data)
            kept = (self._null_model() if best is None
                    else f"the weights of epoch {best}")
            message = (DivergenceWarning, (
                f"The loss diverged: lower the learning rate (lr={self.lr:g}). In "
                f"{type(self).__name__}.fit {monitor.detail}; training stopped and the model "
                f"keeps {kept}. Standardised inputs and a smaller network also help."))
        elif interrupted:
            best = monitor.restore_best(net, train_data)
            kept = (self._null_model() if best is None
                    else f"the best weights so far (epoch {best}, by {monitor.monitor})")
            message = (FitInterruptedWarning, (
                f"{type(self).__name__}.fit was interrupted after {n_run} of {planned} "
                f"epoch(s); the model keeps {kept}."))
        elif (plan.early_stopping or plan.converge) and not partial:
            monitor.restore_best(net)  # the best epoch, as early stopping means
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
            message = self._fit_quality_message(history[epochs_before:], monitor, plan,
                                                start, final, n_run, planned, early)
        if message is not None:
            _warn.warn(message[1], message[0])

    def _fit_quality_message(self, rows, monitor, plan, start, final, n_run, planned,
                             early):
        """The warning (category, text) a completed fit gets, or None.

        Three cases, checked in this order: the training loss did not fall below its
        start (the learning rate, or inputs without information); it fell but ended no
        better than the marginal model (the best constant prediction of y: out of
        epochs, or no information in the inputs); the budget ran out while the monitored
        loss still improved.  The start is not the marginal model itself: the head's
        bias starts at the marginal fit, its weights are small and random.
        """
        name = type(self).__name__
        null = monitor.null_loss
        tol = 1e-3 * max(1.0, abs(null))
        if not math.isfinite(final) or n_run <= 1:
            return None
        losses = (f"training loss {start:.4g} at the start, {final:.4g} at the end; "
                  f"{self._null_model(short=True)} has {null:.4g}")
        if final > start - tol:
            return (DivergenceWarning, (
                f"{name}.fit never improved on its starting point ({losses}): the "
                f"learning rate (lr={self.lr:g}) may be too large or too small, or the "
                "inputs carry no information about y."))
        out_of_epochs = not early and n_run >= planned
        if final > null - tol:
            if out_of_epochs:
                return (ConvergenceWarning, (
                    f"{name}: max_epochs={planned} reached with the training loss still "
                    f"above {self._null_model(short=True)}'s ({losses}); consider a "
                    f"larger max_epochs or learning rate (lr={self.lr:g})."))
            return (DivergenceWarning, (
                f"{name}.fit ended no better than {self._null_model()} ({losses}): "
                "the inputs may carry no information about y, or the learning rate "
                f"(lr={self.lr:g}) is too large or too small."))
        # the auto budget of a net without a validation split (below 100 rows) is the
        # plan's choice: its training loss keeps falling as it fits the few rows closer,
        # which is no sign of an unfinished fit and has no remedy to suggest
        budget_is_the_plan = (is_auto(self.max_epochs) and not plan.early_stopping
                              and not plan.converge)
        if (out_of_epochs and not budget_is_the_plan
                and _still_improving(rows, monitor.monitor, plan.patience)):
            advice = ("a larger max_epochs" if is_auto(self.max_epochs) else
                      "a larger max_epochs (or max_epochs='auto', which stops early on a "
                      "validation split from 100 rows)")
            return (ConvergenceWarning, (
                f"{name}: max_epochs={planned} reached while the "
                f"{monitor.monitor.replace('_', ' ')} still improves; consider {advice}."))
        return None

    def _null_model(self, short=False):
        """The model the fit must beat, as the warnings name it: what the head gives
        with zero weights (``_FitMixin._marginal_raw``)."""
        if self._fits_intercept():
            return "the marginal model" + ("" if short else
                                           " (the best constant prediction of y)")
        return "the null model" + ("" if short else
                                   " (without intercept: linear predictors 0)")

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
