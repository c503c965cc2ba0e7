"""Private estimator base: shared parameters, the fit skeleton, the one forward path.

The public estimators are thin.  The *family side* (``regression.py``,
``classification.py``) chooses the family and encodes the target; the *input side*
(``_tabular.py``: MLP on tables, ``_image_base.py``: CNNs on images) validates inputs,
builds the body and yields prediction batches.  Everything else is here, as
scikit-learn's ``_GeneralizedLinearRegressor`` holds the logic for ``PoissonRegressor``:
parameter checks, the training plan (what ``"auto"`` means), the seeded split, warm
starts and ``partial_fit``, what happens after training (best weights, divergence,
interrupts, convergence warnings), and ``_forward`` -- the single forward pass that
every prediction, MC dropout and the ensembles go through.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import _skorch
from ._modules import BodyHead
from ._parallel import worker_threads
from ._plan import resolve_plan
from ._rstyle import _RStyleMixin
from ._validation import allocation_failure, check_random_state_param, memory_error
from .distributions import MixtureDistribution, ParametricDistribution


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


_DROPOUT_TYPES = (torch.nn.Dropout, torch.nn.Dropout1d, torch.nn.Dropout2d,
                  torch.nn.Dropout3d, torch.nn.AlphaDropout, torch.nn.FeatureAlphaDropout)


def _check_number(name, value, *, low=None, high=None, integer=False, low_open=False,
                  high_open=False, allow_none=False):
    """Raise a ValueError/TypeError naming ``name`` unless ``value`` is in range."""
    if value is None and allow_none:
        return
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, got {value!r}.")
    if not math.isfinite(value):  # NaN passes every comparison below, inf every bound
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lo}{low}, {high}{hi}, got {value!r}.")


def _check_auto(name, value, **kwargs):
    """``"auto"`` or a number checked by :func:`_check_number`."""
    if isinstance(value, str) and value == "auto":
        return
    if isinstance(value, str):
        raise ValueError(f"{name} must be 'auto' or a number, got {value!r}.")
    _check_number(name, value, **kwargs)


def weighted_mean_std(a, w):
    """Column means and standard deviations of ``a`` under weights ``w`` (float64).

    Zero deviations (constant columns) are replaced by one, so dividing is safe.
    """
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    mean = np.average(a, axis=0, weights=w)
    std = np.sqrt(np.average((a - mean) ** 2, axis=0, weights=w))
    # a constant column of large values has a rounding-noise sd of about n * eps * |mean|
    # (as in scikit-learn's StandardScaler); dividing by it would blow the noise up
    noise = len(a) * np.finfo(np.float64).eps * np.abs(mean)
    std[~(std > np.maximum(1e-12, noise))] = 1.0
    return mean, std


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when available else ``"cpu"``; other strings checked."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a device torch knows; use 'cpu', "
                         "'cuda', 'cuda:<index>' or 'auto'.") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available; use 'cpu' or 'auto'.")
    if dev.type not in ("cpu", "cuda"):
        # torch names many device types ("meta", "mps", "xla", ...); training on one
        # that is absent here (or holds no data, as "meta") would fail deep in torch
        backend = getattr(torch, dev.type, None)
        available = getattr(backend, "is_available", None)
        if dev.type == "meta" or available is None or not available():
            raise ValueError(f"device={device!r} is not available on this machine; use "
                             "'cpu', 'cuda' (when available) or 'auto'.")
    return str(device)


class _BaseNN(_RStyleMixin, BaseEstimator):
    """Shared logic of all sklearn_dl network estimators (no parameters of its own).

    The family side implements ``_get_family(y)``, ``_check_y``, ``_prepare_target``
    and ``_scale_target``; the input side implements ``_check_body_params``,
    ``_validate_xy``, ``_make_preprocess``, ``_make_body``, ``_dataset``,
    ``_predict_module`` and ``_predict_batches``.
    """

    # -- parameter validation (in fit, never in __init__) --------------------------------
    def _check_params(self):
        """Validate the training parameters; returns the body's checked settings."""
        _check_number("lr", self.lr, low=0, low_open=True)
        _check_number("weight_decay", self.weight_decay, low=0)
        _check_number("l1", self.l1, low=0)
        _check_auto("batch_size", self.batch_size, low=1, integer=True)
        _check_auto("max_epochs", self.max_epochs, low=1, integer=True)
        _check_auto("patience", self.patience, low=1, integer=True)
        _check_number("validation_fraction", self.validation_fraction, low=0, high=1,
                      high_open=True, allow_none=True)
        _check_number("mc_samples", self.mc_samples, low=0, integer=True)
        _check_number("verbose", self.verbose, low=0, integer=True)
        if not (self.early_stopping == "auto" or isinstance(self.early_stopping,
                                                             (bool, np.bool_))):
            raise ValueError(f"early_stopping must be True, False or 'auto', got "
                             f"{self.early_stopping!r}.")
        if self.early_stopping is True and self.validation_fraction == 0:
            raise ValueError("early_stopping=True needs validation data, but "
                             "validation_fraction=0 holds out nothing; set "
                             "validation_fraction (e.g. 0.1) or early_stopping=False.")
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise ValueError(f"warm_start must be True or False, got {self.warm_start!r}.")
        check_random_state_param(self.random_state)
        _skorch.resolve_optimizer(self.optimizer)
        self._device = resolve_device(self.device)
        return self._check_body_params()

    # -- hooks for the family side ----------------------------------------------------------
    def _get_family(self, y):
        raise NotImplementedError

    def _prepare_target(self, y, classes=None, reset=True):
        """Validate/encode y (numpy) before training; may set fitted attributes."""
        return y

    def _scale_target(self, y, w, family, reset=True):
        """Transform the (validated, weighted) target for training (default: as is)."""
        return y

    def _target_scaling(self):
        """``(shift, scale)`` of the target standardisation, or ``(None, None)``."""
        return None, None

    def _n_targets(self, y):
        return 1 if y.ndim == 1 else y.shape[1]

    def _stratify(self, y):
        return None

    # -- hooks for the input side -------------------------------------------------------------
    def _fine_tuning(self, module):
        """``freeze``/``unfreeze_at``/``param_groups`` for :func:`_skorch.make_net`
        (default: train everything at one learning rate)."""
        return {}

    def _train_transform(self, X):
        """Callable applied to training batches only (e.g. augmentation), or None."""
        return None

    def _fit_sample_weight(self, sample_weight, X, y):
        try:
            return _check_sample_weight(sample_weight, X, dtype=np.float64,
                                        ensure_non_negative=True)
        except (TypeError, ValueError) as exc:
            if "convert" not in str(exc):
                raise
            raise ValueError(f"sample_weight must hold numbers ({exc}).") from None

    def _input_kind(self):
        """``"tabular"`` or ``"image"``: which defaults the training plan uses."""
        return "tabular"

    def _body_can_overfit(self):
        """False for a body without hidden layers (a GLM): ``early_stopping="auto"``
        then trains the whole budget on all rows (see ``_plan``)."""
        return True

    #: training rows on which the start and end losses are compared (never-improved check)
    _check_rows = 2048

    # -- fit -------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``(X, y)``.

        With ``warm_start=True`` and a previous fit, training continues from the fitted
        weights and optimizer state (``n_iter_`` adds up); otherwise it starts afresh.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (images for the image estimators).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights multiplying each sample's negative log-likelihood.

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> reg.n_iter_, len(reg.loss_curve_)
        (10, 10)
        """
        return self._atomic_fit(X, y, sample_weight, partial=False, classes=None)

    def _atomic_fit(self, X, y, sample_weight, partial, classes):
        # Fitting either completes or leaves the estimator exactly as it was (including a
        # warm-started network, whose weights, optimizer state and history are restored).
        before = dict(self.__dict__)
        snapshot = _NetSnapshot(self.net_) if hasattr(self, "net_") else None
        try:
            return self._fit(X, y, sample_weight, partial=partial, classes=classes)
        except BaseException as exc:
            detail = allocation_failure(exc)
            # worded before the rollback, which drops what this fit learned (the shapes)
            oom = None if detail is None else memory_error(
                self, "partial_fit" if partial else "fit", detail,
                self.__dict__.get("_batch_in_fit"))  # set once training starts
            if snapshot is not None:
                snapshot.restore()
            self.__dict__.clear()
            self.__dict__.update(before)
            if oom is None:
                raise
            raise oom from exc
        finally:
            self.__dict__.pop("_batch_in_fit", None)

    # -- out of memory: what the input side names in the message ------------------------
    _batch_unit = "rows"

    def _size_settings(self):
        """The settings besides ``batch_size`` that decide memory use, as "the ... (...)"."""
        return "the network's size"

    def _predict_memory_advice(self):
        """What to lower when prediction runs out of memory."""
        return f"Lower {self._size_settings()}."

    def _fit(self, X, y, sample_weight, partial=False, classes=None):
        body_params = self._check_params()
        continuing = hasattr(self, "net_") and (partial or self.warm_start)
        X, y = self._validate_xy(X, y, reset=not continuing)
        y = self._prepare_target(y, classes=classes, reset=not continuing)
        family = self.family_ if continuing else self._get_family(y)
        y = family.check_target(y)
        w = self._fit_sample_weight(sample_weight, X, y)
        if not np.any(w > 0):
            raise ValueError("sample_weight must have at least one positive entry.")
        y = self._scale_target(y, w, family, reset=not continuing)
        n_targets = self._n_targets(y)

        plan = resolve_plan(self, len(y), partial=partial)
        rng = check_random_state(self.random_state)
        init_seed, shuffle_seed, split_seed = rng.randint(0, 2**31 - 1, size=3)
        if continuing:  # a continued fit must not replay the first fit's random draws
            init_seed = (init_seed + 1009 * self.n_iter_) % (2**31 - 1)
            split_seed = (split_seed + 1009 * self.n_iter_) % (2**31 - 1)

        train_idx, valid_idx = self._split(len(y), y, split_seed,
                                           plan.validation_fraction)
        X_train, y_train, w_train = X[train_idx], y[train_idx], w[train_idx]
        # Mean-one weights: the loss is then a weighted mean whose scale does not depend
        # on the weights' scale, and all-ones weights give exactly the unweighted loss.
        w_train = w_train / w_train.mean()
        marginal = family.marginal_raw(y_train, w_train, n_targets)  # the null model
        null_loss = family.null_nll(y_train, w_train, n_targets, raw=marginal)

        train_data = self._dataset(X_train, y_train, w_train, family)
        valid_data = None
        if valid_idx is not None:
            w_valid = w[valid_idx] / w[valid_idx].mean() if w[valid_idx].any() else w[valid_idx]
            valid_data = self._dataset(X[valid_idx], y[valid_idx], w_valid, family)
        monitor_key = "valid_loss" if valid_data is not None else "train_loss"

        if continuing:
            net = self.net_
            monitor = _skorch.callback(net, "monitor")
            monitor.initialize()
            monitor.null_loss, monitor.monitor = null_loss, monitor_key
            _skorch.set_validation(net, valid_data)
            if net.lr != self.lr:  # the one training setting a warm start may change
                for group in net.optimizer_.param_groups:
                    group["lr"] *= self.lr / net.lr
                net.lr = self.lr
        else:
            with _skorch.seeded(init_seed):
                preprocess = self._make_preprocess(X_train, w_train)
                module = self._build_module(X, preprocess, family, n_targets, body_params)
                family.init_head(module.head, y_train, w_train, n_targets, raw=marginal)
            monitor = _skorch.TrainingMonitor(null_loss=null_loss, monitor=monitor_key,
                                              check_rows=self._check_rows)
            net = self._make_net(module, family, train_data, valid_data, plan,
                                 batch_size=min(plan.batch_size, len(X_train)),
                                 monitor=monitor, shuffle_seed=shuffle_seed,
                                 train_transform=self._train_transform(X))

        epochs_before = len(net.history) if continuing else 0
        self._batch_in_fit = net.batch_size  # for an out-of-memory message
        with _skorch.seeded(init_seed + 1), worker_threads():
            if partial:
                _skorch.partial_epoch(net, train_data)
            else:
                _skorch.fit_net(net, train_data, epochs=plan.max_epochs, warm=continuing)

        self.net_ = net
        self.family_ = family
        self._after_training(net, monitor, plan, epochs_before, partial, train_data)
        order = train_idx if valid_idx is None else np.r_[train_idx, valid_idx]
        self._fit_statistics([train_data, valid_data], w[order])
        return self

    def _build_module(self, X, preprocess, family, n_targets, body_params):
        """The network ``BodyHead(body, head, preprocess)`` for inputs like ``X``."""
        body, n_features = self._make_body(X, body_params)
        head = family.make_head(n_features, n_targets)
        return BodyHead(body, head, preprocess)

    def _make_net(self, module, family, train_data, valid_data, plan, *, batch_size,
                  monitor, shuffle_seed=None, train_transform=None):
        shift, scale = self._target_scaling()
        outputs = _skorch.NetOutputs(family, shift, scale,
                                     n_classes=len(getattr(self, "classes_", ())) or None,
                                     squeeze=getattr(self, "_y_ndim", 2) == 1)
        return _skorch.make_net(
            module, family,
            train_data=train_data, valid_data=valid_data,
            optimizer=self.optimizer, lr=self.lr, weight_decay=self.weight_decay,
            l1=self.l1, batch_size=batch_size,
            max_epochs=plan.max_epochs, early_stopping=plan.early_stopping,
            patience=plan.patience, converge=plan.converge, callbacks=self.callbacks,
            device=self._device,
            shuffle_seed=shuffle_seed, train_transform=train_transform,
            verbose=self.verbose, monitor=monitor, outputs=outputs,
            progress_desc=type(self).__name__, **self._fine_tuning(module))

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

    def _split(self, n, y, seed, frac):
        if not frac:
            return np.arange(n), None
        n_valid = int(np.ceil(frac * n))
        if n - n_valid < 1 or n_valid < 1:
            raise ValueError(
                f"Cannot hold out validation_fraction={frac} of {n} sample(s) for "
                "validation and still train; provide more samples or set "
                "early_stopping=False and validation_fraction=0.")
        from sklearn.model_selection import train_test_split

        stratify = self._stratify(y)
        try:
            return train_test_split(np.arange(n), test_size=n_valid, random_state=seed,
                                    stratify=stratify)
        except ValueError:
            # too few members in some class to stratify: fall back to a plain split
            return train_test_split(np.arange(n), test_size=n_valid, random_state=seed)

    # -- the one forward path ----------------------------------------------------------------
    def _forward(self, X, mc_samples=0, random_state=None):
        """Raw network outputs for ``X``, in float64.

        Parameters
        ----------
        X : input accepted by the estimator's ``predict``
        mc_samples : int, default=0
            0: one deterministic pass (dropout off).  k > 0: k passes with the dropout
            layers (and only them: batch normalisation stays in eval mode) active,
            seeded by ``random_state``.
        random_state : int or None
            Seed of the MC dropout masks; None uses the estimator's ``random_state``
            (or 0), so predictions are reproducible.

        Returns
        -------
        list of torch.Tensor
            One ``(n_samples, n_outputs)`` tensor per pass.
        """
        check_is_fitted(self, "net_")
        _check_number("mc_samples", mc_samples, low=0, integer=True)
        module = self._predict_module()
        batches = self._predict_batches(X)  # validates X before any forward pass
        passes = max(1, mc_samples)
        dropouts = [m for m in module.modules() if isinstance(m, _DROPOUT_TYPES)]
        if mc_samples and not any(m.p > 0 for m in dropouts):
            raise ValueError(
                f"mc_samples={mc_samples} needs dropout layers, but this "
                f"{type(self).__name__}'s network has no dropout with p > 0; fit it with "
                "dropout > 0 (or use a DeepEnsemble for uncertainty without dropout).")
        outs = [[] for _ in range(passes)]
        seed = self._mc_seed(random_state)
        module.eval()
        batch = None
        try:
            if mc_samples:
                for m in dropouts:
                    m.train()
            with _skorch.seeded(seed), torch.inference_mode():
                for batch in batches:
                    for k in range(passes):
                        outs[k].append(module(batch))
        except RuntimeError as exc:
            detail = allocation_failure(exc)
            if detail is None:
                raise
            raise memory_error(self, "predict", detail,
                               None if batch is None else len(batch)) from exc
        finally:
            module.eval()
        if not outs[0]:
            return [torch.empty((0, 0), dtype=torch.float64)]
        # float64 before the family maps outputs to probabilities or means, so class
        # probabilities sum to one to float64 precision
        return [torch.cat(o).to(dtype=torch.float64, device="cpu") for o in outs]

    def _mc_seed(self, random_state):
        if random_state is None:
            random_state = self.random_state
        if isinstance(random_state, numbers.Integral):
            return int(random_state)
        if random_state is None:
            return 0
        return int(check_random_state(random_state).randint(0, 2**31 - 1))

    def _user_params(self, raw):
        """Distribution parameters (numpy, float64) in the target's units."""
        return self.family_.params_numpy(raw)

    def _predictive(self, X, mc_samples=None, random_state=None):
        """The predictive distribution: single, or a mixture over MC dropout passes."""
        if mc_samples is None:
            check_is_fitted(self, "net_")
            mc_samples = self.mc_samples
        raws = self._forward(X, mc_samples=mc_samples, random_state=random_state)
        classes = getattr(self, "classes_", None)
        comps = [ParametricDistribution(self.family_, self._user_params(raw), classes)
                 for raw in raws]
        return comps[0] if len(comps) == 1 else MixtureDistribution(comps)

    # -- callbacks' parameters as nested parameters -------------------------------------------
    def _named_callbacks(self):
        cbs = [c[1] if isinstance(c, tuple) else c for c in (self.callbacks or ())]
        return dict(zip(_skorch.callback_names(self.callbacks), cbs))

    def get_params(self, deep=True):
        """Get parameters; with ``deep=True`` also ``callbacks__<name>__<param>``.

        Parameters
        ----------
        deep : bool, default=True
            Include the parameters of the callbacks (named as skorch names them).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.

        Examples
        --------
        >>> from skorch.callbacks import EpochScoring
        >>> from sklearn_dl import NNClassifier
        >>> clf = NNClassifier(lr=0.01, callbacks=[("acc", EpochScoring("accuracy"))])
        >>> params = clf.get_params()
        >>> params["lr"], params["callbacks__acc__scoring"]
        (0.01, 'accuracy')
        """
        params = super().get_params(deep=deep)
        if deep and isinstance(self.callbacks, (list, tuple)):
            for name, cb in self._named_callbacks().items():
                if hasattr(cb, "get_params"):
                    for key, value in cb.get_params(deep=False).items():
                        params[f"callbacks__{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set parameters, including ``callbacks__<name>__<param>`` of the callbacks.

        Parameters
        ----------
        **params : dict
            Estimator parameters, and callback parameters named as skorch names the
            callbacks (the tuple's name, else the class name, numbered when repeated).

        Returns
        -------
        self : object
            The estimator, changed in place.

        Examples
        --------
        >>> from skorch.callbacks import EpochScoring
        >>> from sklearn_dl import NNClassifier
        >>> clf = NNClassifier(callbacks=[("acc", EpochScoring("accuracy"))])
        >>> clf = clf.set_params(lr=0.01, callbacks__acc__lower_is_better=False)
        >>> clf.lr, clf.callbacks[0][1].lower_is_better
        (0.01, False)
        """
        nested = {k: v for k, v in params.items() if k.startswith("callbacks__")}
        super().set_params(**{k: v for k, v in params.items() if k not in nested})
        if nested:
            named = self._named_callbacks()
            for key, value in nested.items():
                parts = key.split("__", 2)
                if len(parts) != 3 or parts[1] not in named:
                    raise ValueError(f"Invalid parameter {key!r} for {type(self).__name__}: "
                                     f"callbacks are named {sorted(named)} (use "
                                     "callbacks__<name>__<param>).")
                named[parts[1]].set_params(**{parts[2]: value})
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


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


class _NetSnapshot:
    """Weights, optimizer state and history length of a fitted net, to undo a failed
    warm-started fit."""

    def __init__(self, net):
        self.net = net
        self.module = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        opt = getattr(net, "optimizer_", None)
        self.optimizer = None if opt is None else _clone_state(opt.state_dict())
        self.n_history = len(net.history)
        self.train_split = net.train_split

    def restore(self):
        self.net.module_.load_state_dict(self.module)
        if self.optimizer is not None:
            self.net.optimizer_.load_state_dict(self.optimizer)
        del self.net.history[self.n_history:]
        self.net.train_split = self.train_split


def _clone_state(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone_state(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone_state(v) for v in obj]
    return obj
