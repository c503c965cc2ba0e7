"""The fit skeleton: validate, encode, weigh, split, build, train -- atomically.

``fit`` and ``partial_fit`` either complete or leave the estimator exactly as it was
(a warm-started network's weights, optimizer state and history included).  A continued
fit (``warm_start``, ``partial_fit``) trains the fitted module, with its optimizer state,
under a net built from the current parameters (so ``lr``, ``batch_size``, ``l1``, early
stopping, callbacks ... are this fit's), refuses a change to a parameter the network was
built from (``_docstrings.ARCHITECTURE``), and never replays the first fit's random
draws.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import check_random_state

from . import _skorch
from ._forward import refuse_mc_without_dropout
from ._modules import BodyHead
from ._docstrings import ARCHITECTURE
from ._parallel import worker_threads
from ._plan import is_auto, resolve_plan
from ._validation import allocation_failure, memory_error
from .families._heads import remove_intercept, zero_outputs


class _FitMixin:
    """``fit`` and its machinery for :class:`~sklearn_dl._base._BaseNN`; the hooks it
    calls (``_validate_xy``, ``_dataset``, ``_make_body``, ...) are the base's."""

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``(X, y)``.

        With ``warm_start=True`` and a previous fit, training continues from the fitted
        weights and optimizer state (``n_iter_`` adds up) with the current training
        settings; a parameter the network is built from (layers, activation, dropout,
        family, ...) must not have changed since.  Otherwise it starts afresh.

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

    def _fit(self, X, y, sample_weight, partial=False, classes=None):
        body_params = self._check_params()
        continuing = hasattr(self, "net_") and (partial or self.warm_start)
        if continuing:
            self._check_same_network(partial)
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
        seeds = rng.randint(0, 2**31 - 1, size=3)
        if continuing:  # a continued fit must not replay the first fit's random draws
            seeds = (seeds + 1009 * self.n_iter_) % (2**31 - 1)
        init_seed, shuffle_seed, split_seed = (int(s) for s in seeds)

        train_idx, valid_idx = self._split(len(y), y, split_seed,
                                           plan.validation_fraction)
        X_train, y_train, w_train = X[train_idx], y[train_idx], w[train_idx]
        # Mean-one weights: the loss is then a weighted mean whose scale does not depend
        # on the weights' scale, and all-ones weights give exactly the unweighted loss.
        w_train = w_train / w_train.mean()

        train_data = self._dataset(X_train, y_train, w_train, family)
        valid_data = None
        if valid_idx is not None:
            w_valid = w[valid_idx] / w[valid_idx].mean() if w[valid_idx].any() else w[valid_idx]
            valid_data = self._dataset(X[valid_idx], y[valid_idx], w_valid, family)
        monitor_key = "valid_loss" if valid_data is not None else "train_loss"

        if continuing:
            # the fitted module, trained with this fit's settings (see _check_same_network)
            module = self.net_.module_
            if not is_auto(self.weight_decay):  # "auto" was resolved for the network
                self.weight_decay_ = float(self.weight_decay)
            marginal = self._marginal_raw(module.head, family, y_train, w_train,
                                          n_targets)
        else:
            self.weight_decay_ = self._resolve_weight_decay(len(X))
            with _skorch.seeded(init_seed):
                preprocess = self._make_preprocess(X_train, w_train)
                module = self._build_module(X, preprocess, family, n_targets, body_params)
                marginal = self._marginal_raw(module.head, family, y_train, w_train,
                                              n_targets)
                family.init_head(module.head, y_train, w_train, n_targets, raw=marginal)
            self._built_with = self._network_params()
        null_loss = family.null_nll(y_train, w_train, n_targets, raw=marginal)
        refuse_mc_without_dropout(self, module, self.mc_samples)  # before training
        monitor = _skorch.TrainingMonitor(null_loss=null_loss, monitor=monitor_key,
                                          check_rows=self._check_rows,
                                          null_name=self._null_model())
        net = self._make_net(module, family, train_data, valid_data, plan,
                             batch_size=min(plan.batch_size, len(X_train)),
                             monitor=monitor, shuffle_seed=shuffle_seed,
                             train_transform=self._train_transform(X))
        if continuing:
            _skorch.continue_from(net, self.net_)

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

    def _network_params(self):
        """The parameters the network is built from (``_docstrings.ARCHITECTURE``) that
        this estimator has, with their values."""
        params = self.get_params(deep=False)
        return {name: params[name] for name in ARCHITECTURE if name in params}

    def _check_same_network(self, partial):
        """Refuse to continue the fitted network when a parameter it was built from
        changed since (a ValueError naming each, raised before any training).  A value
        equal to what an "auto" was resolved to (``dropout_``, ...) is no change."""
        built = getattr(self, "_built_with", None)
        if built is None:  # a model saved before the network's parameters were kept
            return
        now = self._network_params()
        changes = []
        for name, before in built.items():
            after = now.get(name, before)
            resolved = getattr(self, name + "_", _MISSING)
            if _same(before, after) or _same(resolved, after):
                continue
            unresolved = is_auto(before) or before is None
            shown = f" (built as {resolved!r})" if unresolved and resolved is not _MISSING \
                else ""
            changes.append(f"{name} changed from {before!r}{shown} to {after!r}")
        if changes:
            how = ("partial_fit continues the fitted network" if partial else
                   "warm_start=True continues the fitted network")
            raise ValueError(f"{how}, but {' and '.join(changes)} since; fit with "
                             "warm_start=False to start afresh.")

    def _resolve_weight_decay(self, n_rows):
        """The L2 penalty a new network trained on ``n_rows`` rows gets: ``"auto"`` is 0
        here (the tabular side overrides it, see ``_auto_body``)."""
        return 0.0 if isinstance(self.weight_decay, str) else float(self.weight_decay)

    def _fitted_weight_decay(self):
        # a model saved before ``weight_decay_`` existed had a number as its parameter
        return getattr(self, "weight_decay_", self.weight_decay)

    def _marginal_raw(self, head, family, y, w, n_targets):
        """Raw outputs of the null model: what the head gives with its weight matrices
        at zero (the marginal model; the divergence checks compare with its loss).  A
        head without intercept then gives 0 for its linear predictors, so only its
        constant outputs are fitted."""
        n_zero = zero_outputs(head)
        if n_zero:
            return family._marginal_without_intercept(y, w, n_targets, n_zero)
        return family.marginal_raw(y, w, n_targets)

    def _build_module(self, X, preprocess, family, n_targets, body_params):
        """The network ``BodyHead(body, head, preprocess)`` for inputs like ``X``."""
        body, n_features = self._make_body(X, body_params)
        head = family.make_head(n_features, n_targets)
        if not self._fits_intercept():
            head = remove_intercept(head)
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
            optimizer=self.optimizer, lr=self.lr, weight_decay=self._fitted_weight_decay(),
            l1=self.l1, batch_size=batch_size,
            max_epochs=plan.max_epochs, early_stopping=plan.early_stopping,
            patience=plan.patience, converge=plan.converge, callbacks=self.callbacks,
            device=self._device,
            shuffle_seed=shuffle_seed, train_transform=train_transform,
            verbose=self.verbose, monitor=monitor, outputs=outputs,
            progress_desc=self._progress_desc(), **self._fine_tuning(module))

    def _progress_desc(self):
        """The progress bar's title: the estimator, and which compared body it fits."""
        label = getattr(self, "_candidate_label", None)
        return type(self).__name__ + (f" [{label}]" if label else "")

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


_MISSING = object()


def _same(a, b):
    """Whether two parameter values are the same setting (a list and a tuple of equal
    items are; an object is only itself, unless it defines equality)."""
    if a is b:
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:  # arrays, objects whose comparison fails: not the same
        return False


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
