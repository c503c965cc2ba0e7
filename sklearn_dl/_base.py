"""Private estimator base: parameters, validation, the fit skeleton, predict plumbing.

The public estimators are thin: they choose the family (``_get_family``), encode the
target, and turn distribution parameters into their predictions.  Everything else is here,
as scikit-learn's ``_GeneralizedLinearRegressor`` holds the logic for ``PoissonRegressor``.
"""

from __future__ import annotations

import copy
import numbers
import weakref

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _skorch
from ._modules import BodyHead, Standardize
from ._parallel import worker_threads
from .bodies import get_activation, make_mlp


def _check_number(name, value, *, low=None, high=None, integer=False, low_open=False,
                  high_open=False, allow_none=False):
    """Raise a ValueError/TypeError naming ``name`` unless ``value`` is in range."""
    if value is None and allow_none:
        return
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, got {value!r}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lo}{low}, {high}{hi}, got {value!r}.")


def weighted_mean_std(a, w):
    """Column means and standard deviations of ``a`` under weights ``w`` (float64).

    Zero deviations (constant columns) are replaced by one, so dividing is safe.
    """
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    mean = np.average(a, axis=0, weights=w)
    std = np.sqrt(np.average((a - mean) ** 2, axis=0, weights=w))
    std[~(std > 1e-12)] = 1.0
    return mean, std


# module -> (version key, converted copy).  Weak keys: the cache dies with the module; kept
# outside the estimator so predict leaves the estimator's __dict__ unchanged and pickles
# carry no second copy of the weights.
_CONVERTED = weakref.WeakKeyDictionary()


def _converted_copy(module, dtype):
    """A copy of ``module`` in ``dtype``, re-made only when its weights changed."""
    tensors = list(module.parameters()) + list(module.buffers())
    key = (dtype, tuple(t._version for t in tensors), tuple(t.data_ptr() for t in tensors))
    cached = _CONVERTED.get(module)
    if cached is None or cached[0] != key:
        cached = (key, copy.deepcopy(module).to(dtype))
        _CONVERTED[module] = cached
    return cached[1]


class _BaseNN(BaseEstimator):
    """Shared parameters and logic of all sklearn_dl network estimators.

    Subclasses implement ``_get_family(y)``, may override ``_prepare_target`` (encode or
    scale y before training) and ``_make_body(n_inputs)`` (the body axis).
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        batchnorm=False,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size=128,
        max_epochs=100,
        early_stopping=False,
        patience=10,
        validation_fraction=None,
        standardize=True,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.l1 = l1
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- parameter validation (in fit, never in __init__) --------------------------------
    def _check_params(self):
        """Validate the training parameters; returns the body's checked settings."""
        _check_number("lr", self.lr, low=0, low_open=True)
        _check_number("weight_decay", self.weight_decay, low=0)
        _check_number("l1", self.l1, low=0)
        _check_number("batch_size", self.batch_size, low=1, integer=True)
        _check_number("max_epochs", self.max_epochs, low=1, integer=True)
        _check_number("patience", self.patience, low=1, integer=True)
        _check_number("validation_fraction", self.validation_fraction, low=0, high=1,
                      high_open=True, allow_none=True)
        _skorch.resolve_optimizer(self.optimizer)
        if str(self.device).startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device={self.device!r} but CUDA is not available; use 'cpu'.")
        return self._check_body_params()

    def _check_body_params(self):
        """The MLP body's parameters, checked (image estimators override this)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(
                f"hidden_layer_sizes must be a sequence of ints, got {sizes!r}.") from None
        for s in sizes:
            _check_number("each entry of hidden_layer_sizes", s, low=1, integer=True)
        _check_number("dropout", self.dropout, low=0, high=1, high_open=True)
        get_activation(self.activation)
        return sizes

    def _valid_fraction(self):
        if self.validation_fraction is not None:
            return self.validation_fraction
        return 0.1 if self.early_stopping else 0.0

    # -- hooks for subclasses ------------------------------------------------------------
    def _get_family(self, y):
        raise NotImplementedError

    def _validate_xy(self, X, y):
        # regressors: numeric y, one or several targets
        return validate_data(self, X, y, dtype=np.float32, multi_output=True,
                             y_numeric=True)

    def _prepare_target(self, y):
        """Validate/encode y (numpy) before training; may set fitted attributes."""
        return y

    def _scale_target(self, y, w, family):
        """Transform the (validated, weighted) target for training (default: as is)."""
        return y

    def _make_body(self, X, body_params):
        """Build the body for training inputs ``X``: ``(module, n_features)``."""
        return make_mlp(X.shape[1], body_params, self.activation, self.dropout,
                        self.batchnorm)

    def _fine_tuning(self, module):
        """``freeze``/``unfreeze_at``/``param_groups`` for :func:`_skorch.make_net`
        (default: train everything at one learning rate)."""
        return {}

    def _train_transform(self, X):
        """Callable applied to training batches only (e.g. augmentation), or None."""
        return None

    def _stratify(self, y):
        return None

    def _fit_sample_weight(self, sample_weight, X, y):
        return _check_sample_weight(sample_weight, X, dtype=np.float64,
                                    ensure_non_negative=True)

    # -- fit -------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``(X, y)``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights multiplying each sample's negative log-likelihood.

        Returns
        -------
        self
        """
        # Fitting either completes or leaves the estimator exactly as it was.
        before = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit(self, X, y, sample_weight):
        body_params = self._check_params()
        X, y = self._validate_xy(X, y)
        y = self._prepare_target(y)
        family = self._get_family(y)
        y = family.check_target(y)
        w = self._fit_sample_weight(sample_weight, X, y)
        if not np.any(w > 0):
            raise ValueError("sample_weight must have at least one positive entry.")
        y = self._scale_target(y, w, family)

        rng = check_random_state(self.random_state)
        init_seed, shuffle_seed, split_seed = rng.randint(0, 2**31 - 1, size=3)

        train_idx, valid_idx = self._split(len(X), y, split_seed)
        X_train, y_train, w_train = X[train_idx], y[train_idx], w[train_idx]
        # Mean-one weights: the loss is then a weighted mean whose scale does not depend
        # on the weights' scale, and all-ones weights give exactly the unweighted loss.
        w_train = w_train / w_train.mean()

        n_targets = self._n_targets(y)
        with _skorch.seeded(init_seed):
            preprocess = self._make_preprocess(X_train, w_train)
            body, n_features = self._make_body(X, body_params)
            head = family.make_head(n_features, n_targets)
            family.init_head(head, y_train, w_train)
            module = BodyHead(body, head, preprocess)

        train_data = self._dataset(X_train, y_train, w_train, family)
        valid_data = None
        if valid_idx is not None:
            w_valid = w[valid_idx] / w[valid_idx].mean() if w[valid_idx].any() else w[valid_idx]
            valid_data = self._dataset(X[valid_idx], y[valid_idx], w_valid, family)

        net = _skorch.make_net(
            module, family,
            train_data=train_data, valid_data=valid_data,
            optimizer=self.optimizer, lr=self.lr, weight_decay=self.weight_decay,
            l1=self.l1, batch_size=min(self.batch_size, len(X_train)),
            max_epochs=self.max_epochs, early_stopping=self.early_stopping,
            patience=self.patience, callbacks=self.callbacks, device=self.device,
            shuffle_seed=shuffle_seed, train_transform=self._train_transform(X),
            verbose=self.verbose, **self._fine_tuning(module),
        )
        with _skorch.seeded(init_seed + 1), worker_threads():  # a Dask worker's threads
            _skorch.fit_net(net, train_data)

        self.net_ = net
        self.family_ = family
        self.history_ = net.history
        self.n_epochs_ = len(net.history)
        self.best_epoch_ = self._best_epoch(net.history)
        return self

    def _n_targets(self, y):
        return 1 if y.ndim == 1 else y.shape[1]

    def _make_preprocess(self, X_train, w_train):
        """The network's first layer, fitted on the training inputs, or None."""
        if not self.standardize:
            return None
        # weighted, so that integer weights act like repeated samples
        mean, scale = weighted_mean_std(X_train, w_train)
        return Standardize(mean, scale)

    def _dataset(self, X, y, w, family):
        # unit weights are no weights: nothing to index and multiply per batch
        w = None if np.all(w == 1) else torch.as_tensor(w, dtype=torch.float32)
        return _skorch.ArrayDataset(_skorch.as_float_tensor(X), family.target_tensor(y), w)

    def _split(self, n, y, seed):
        frac = self._valid_fraction()
        if frac == 0:
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

    @staticmethod
    def _best_epoch(history):
        key = "valid_loss" if "valid_loss" in history[0] else "train_loss"
        losses = np.array([row[key] for row in history], dtype=float)
        return int(np.nanargmin(losses)) + 1

    # -- predict plumbing -----------------------------------------------------------------
    # Tabular networks are tiny, so prediction runs a float64 copy of the trained module:
    # float32 BLAS kernels differ with the batch size, and a prediction should not
    # depend (even in the 7th digit) on which other rows were predicted with it.
    _predict_dtype = torch.float64
    _predict_batch_size = 4096

    def _raw_output(self, X):
        check_is_fitted(self, "net_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        module = self.net_.module_
        if self._predict_dtype != torch.float32:
            module = _converted_copy(module, self._predict_dtype)
        module.eval()
        X = torch.as_tensor(X).to(device=self.net_.device, dtype=self._predict_dtype)
        bs = self._predict_batch_size
        with torch.inference_mode():
            raw = [module(X[i:i + bs]) for i in range(0, len(X), bs)]
        return torch.cat(raw).cpu() if raw else torch.empty(0)

    def _dist_params(self, X):
        """Distribution parameters (numpy, float64) for X, in the target's units."""
        raw = self._raw_output(X)  # checks fittedness before family_ is read
        return self.family_.params_numpy(raw)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
