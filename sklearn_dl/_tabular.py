"""The tabular input side: MLP (or a user module) body on in-memory tables.

:class:`_TabularMixin` owns the MLP's parameters and everything that depends on inputs
being a numeric table: validation, input standardisation, the body, datasets and the
float64 prediction batches.  The image side (``_image_base.py``) plays the same role for
CNNs, and the family side (``regression.py``, ``classification.py``) is shared.
"""

from __future__ import annotations

import copy
import inspect
import numbers
import weakref

import numpy as np
import torch
from sklearn.utils.validation import validate_data

from . import _skorch
from ._auto_body import (
    auto_activation,
    auto_dropout,
    auto_hidden_layer_sizes,
    auto_weight_decay,
    fit_choosing_body,
    num_rows,
)
from ._base import _check_number, weighted_mean_std
from ._fitting import _FitMixin
from ._modules import Standardize
from ._plan import is_auto
from ._validation import check_flag, numeric_input, refuse_sparse
from .bodies import get_activation, make_mlp
from .bodies.custom import make_custom_body

# module -> (version key, converted copy).  Weak keys: the cache dies with the module; kept
# outside the estimator so predict leaves the estimator's __dict__ unchanged and pickles
# carry no second copy of the weights.
_CONVERTED = weakref.WeakKeyDictionary()

_MLP_PARAMS = ("hidden_layer_sizes", "activation", "dropout", "batchnorm")


def _converted_copy(module, dtype):
    """A copy of ``module`` in ``dtype``, re-made only when its weights changed."""
    tensors = list(module.parameters()) + list(module.buffers())
    # _version sees in-place changes (load_state_dict, a user's edits); the training
    # counter of DistributionNet.partial_fit sees fused-optimizer steps, which it misses
    key = (dtype, getattr(module, "sklearn_dl_updates", 0),
           tuple(t._version for t in tensors), tuple(t.data_ptr() for t in tensors))
    cached = _CONVERTED.get(module)
    if cached is None or cached[0] != key:
        cached = (key, copy.deepcopy(module).to(dtype))
        _CONVERTED[module] = cached
    return cached[1]


class _TabularMixin:
    """Input side of the tabular estimators (mixed in before the family-side base).

    The ``__init__`` here lists the parameters shared by the tabular estimators; the
    public classes add their family's own (``family``, ``heteroscedastic``,
    ``class_weight``).
    """

    # Tabular networks are tiny, so prediction runs a float64 copy of the trained module:
    # float32 BLAS kernels differ with the batch size, and a prediction should not
    # depend (even in the 7th digit) on which other rows were predicted with it.
    _predict_dtype = torch.float64
    _predict_batch_size = 4096

    def __init__(
        self,
        *,
        hidden_layer_sizes="auto",
        activation="auto",
        dropout="auto",
        batchnorm=False,
        architecture="mlp",
        optimizer="adam",
        lr=1e-3,
        weight_decay="auto",
        l1=0.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        patience="auto",
        validation_fraction=None,
        standardize=True,
        fit_intercept=True,
        mc_samples=0,
        warm_start=False,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.architecture = architecture
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
        self.fit_intercept = fit_intercept
        self.mc_samples = mc_samples
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- parameters -----------------------------------------------------------------------
    def _check_body_params(self):
        """The body's parameters and ``fit_intercept``, checked; returns the body's
        settings (see :meth:`_check_mlp_params`)."""
        body_params = self._check_mlp_params()
        check_flag("fit_intercept", self.fit_intercept)
        if not self.fit_intercept and self._body_can_overfit():
            # removing the output bias alone would not remove the intercept
            body = (f"hidden_layer_sizes={self.hidden_layer_sizes!r}"
                    if body_params is not None else "a custom architecture module")
            raise ValueError(
                "fit_intercept=False is for a body without hidden layers "
                "(architecture='mlp', hidden_layer_sizes=()), whose output layer's bias "
                f"is the intercept; the body here ({body}) has biases of its own, "
                "from which a network makes any constant. Set hidden_layer_sizes=() or "
                "keep fit_intercept=True.")
        return body_params

    def _check_mlp_params(self):
        """The MLP body's parameters, checked; returns the hidden layer sizes."""
        if not isinstance(self.standardize, (bool, np.bool_)):
            raise ValueError(f"standardize must be True or False for tabular inputs, got "
                             f"{self.standardize!r}.")
        if not (isinstance(self.architecture, str) and self.architecture == "mlp"):
            if isinstance(self.architecture, str):
                raise ValueError(f"architecture must be 'mlp', an nn.Module or a callable "
                                 f"n_features -> nn.Module; got {self.architecture!r}.")
            defaults = inspect.signature(type(self).__init__).parameters
            changed = [p for p in _MLP_PARAMS if p in defaults
                       and getattr(self, p) != defaults[p].default]
            if changed:
                raise ValueError(f"{changed} only apply to architecture='mlp', not to a "
                                 "custom module; build them into your module instead.")
            return None
        sizes = self.hidden_layer_sizes
        if is_auto(sizes):
            sizes = None  # resolved from the data in _make_body
        elif isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        if sizes is not None:
            if isinstance(sizes, str):
                raise ValueError(f"hidden_layer_sizes must be 'auto', an int or a sequence "
                                 f"of ints, got {sizes!r}.")
            try:
                sizes = tuple(sizes)
            except TypeError:
                raise TypeError(f"hidden_layer_sizes must be 'auto', an int or a sequence "
                                f"of ints, got {sizes!r}.") from None
            for s in sizes:
                _check_number("each entry of hidden_layer_sizes", s, low=1, integer=True)
        if not is_auto(self.dropout):
            _check_number("dropout", self.dropout, low=0, high=1, high_open=True)
        check_flag("batchnorm", self.batchnorm)
        if not is_auto(self.activation):
            get_activation(self.activation)
        return ("mlp", sizes, None, None)  # None: "auto", resolved from the data

    def fit(self, X, y, sample_weight=None):
        return fit_choosing_body(
            self, num_rows(X),
            lambda: self._atomic_fit(X, y, sample_weight, partial=False, classes=None))

    fit.__doc__ = _FitMixin.fit.__doc__

    # -- inputs -----------------------------------------------------------------------------
    def _validate_xy(self, X, y, reset=True):
        y = self._check_y_kind(y)
        refuse_sparse(X, type(self).__name__)
        with numeric_input(type(self).__name__):
            X, y = validate_data(self, X, y, dtype=np.float32, reset=reset,
                                 multi_output=self._multi_output_target,
                                 y_numeric=self._numeric_target)
        return X, self._check_y(y)

    def _make_preprocess(self, X_train, w_train):
        """The network's first layer, fitted on the training inputs, or None."""
        if not self.standardize:
            return None
        # weighted, so that integer weights act like repeated samples; not centred
        # without intercept (the shift would be an intercept in disguise).  A column
        # constant in the training rows is scaled by inf, i.e. fed to the net as 0: its
        # weights get no gradient, so they would keep their random start and shift any
        # prediction where the column differs (R calls such a coefficient aliased, NA)
        mean, scale = weighted_mean_std(X_train, w_train, center=self._fits_intercept(),
                                        constant_scale=np.inf)
        return Standardize(mean, scale)

    def _placeholder_preprocess(self):
        """An input standardisation of the right shape, to load fitted buffers into."""
        if not self.standardize:
            return None
        n = self.n_features_in_
        return Standardize(np.zeros(n), np.ones(n))

    def _make_body(self, X, body_params):
        """Build the body for training inputs ``X``: ``(module, n_features)``."""
        if body_params is None:  # a user module
            self.hidden_layer_sizes_ = self.dropout_ = self.activation_ = None
            return make_custom_body(self.architecture, (X.shape[1],), "module")
        _, sizes, dropout, activation = body_params
        if sizes is None:  # "auto" (see _auto_body)
            sizes = auto_hidden_layer_sizes(self, len(X))
        if dropout is None:
            dropout = (auto_dropout(self, len(X)) if is_auto(self.dropout)
                       else float(self.dropout))
        if activation is None:
            activation = (auto_activation(self) if is_auto(self.activation)
                          else self.activation)
        # the settings the network was built with (the "auto" values resolved)
        self.hidden_layer_sizes_, self.dropout_ = sizes, dropout
        self.activation_ = activation
        return make_mlp(X.shape[1], sizes, activation, dropout, self.batchnorm)

    def _resolve_weight_decay(self, n_rows):
        if isinstance(self.weight_decay, str):  # "auto" (see _auto_body)
            return auto_weight_decay(self, n_rows)
        return super()._resolve_weight_decay(n_rows)

    def _fitted_body_params(self, body_params):
        """``body_params`` with the fitted network's resolved settings (to rebuild it)."""
        if body_params is None or not hasattr(self, "hidden_layer_sizes_"):
            return body_params
        # activation_ is None in models saved before activation="auto": resolved as then
        return ("mlp", tuple(self.hidden_layer_sizes_), self.dropout_,
                getattr(self, "activation_", None))

    def _fits_intercept(self):
        return bool(self.fit_intercept)

    def _body_can_overfit(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, str):
            return True  # "auto" has hidden layers
        return not (isinstance(self.architecture, str) and self.architecture == "mlp"
                    and len(tuple(np.atleast_1d(sizes))) == 0)

    def _dataset(self, X, y, w, family):
        # unit weights are no weights: nothing to index and multiply per batch
        w = None if np.all(w == 1) else torch.as_tensor(w, dtype=torch.float32)
        return _skorch.ArrayDataset(_skorch.as_float_tensor(X), family.target_tensor(y), w)

    # -- prediction ------------------------------------------------------------------------
    def _predict_module(self):
        module = self.net_.module_
        if self._predict_dtype != torch.float32:
            module = _converted_copy(module, self._predict_dtype)
        return module

    def _predict_batches(self, X):
        refuse_sparse(X, type(self).__name__)
        with numeric_input(type(self).__name__):
            X = validate_data(self, X, dtype=np.float32, reset=False)
        if not X.flags.writeable:  # pandas' copy-on-write memory: torch would warn
            X = X.copy()
        X = torch.as_tensor(X).to(device=self.net_.device, dtype=self._predict_dtype)
        bs = self._predict_batch_size
        return [X[i:i + bs] for i in range(0, len(X), bs)]

    # -- out of memory (see _validation.memory_error) -----------------------------------
    def _size_settings(self):
        if isinstance(self.architecture, str) and self.architecture == "mlp":
            return f"the network's size (hidden_layer_sizes={self.hidden_layer_sizes!r})"
        return "the size of your architecture module"

    def _predict_memory_advice(self):
        return (f"Predict fewer rows at a time (predict runs {self._predict_batch_size} "
                f"rows per batch, whatever batch_size), or lower {self._size_settings()}.")
