"""Distributional regressors: a network body times a Normal or Poisson head."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import check_array

from ._base import _BaseNN, _check_number, weighted_mean_std
from ._dask import dask_rows
from ._image_base import _ImageMixin
from .families import Normal, Poisson, get_family


class _DistributionalRegressor(RegressorMixin, _BaseNN):
    """Regressor whose prediction is a whole distribution.

    ``predict`` returns its mean; ``predict_dist`` the frozen scipy distribution;
    ``predict_interval`` a central interval.  ``score`` keeps scikit-learn's R^2; use
    :mod:`sklearn_dl.metrics` for the negative log-likelihood.
    """

    def _check_y(self, y):
        return check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")

    def _prepare_target(self, y):
        self._y_ndim = y.ndim  # output shape follows the target's (n,) or (n, k)
        return y

    def _scale_target(self, y, w, family):
        # Location-scale families train on a standardised target (weighted, so integer
        # weights act like repeated rows), which makes lr independent of y's units;
        # predictions are mapped back exactly by family.rescale.
        if not family.location_scale:
            self.y_mean_ = self.y_scale_ = None
            return y
        self.y_mean_, self.y_scale_ = weighted_mean_std(y, w)
        return ((y.reshape(len(y), -1) - self.y_mean_) / self.y_scale_).reshape(y.shape)

    def _dist_params(self, X):
        params = super()._dist_params(X)
        if self.y_scale_ is not None:
            params = self.family_.rescale(params, self.y_mean_, self.y_scale_)
        if self._y_ndim == 1:
            params = {k: v[:, 0] for k, v in params.items()}
        return params

    @dask_rows
    def predict(self, X, return_std=False):
        """Mean of the predictive distribution, and with ``return_std=True`` its sd.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default=False

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
        y_std : ndarray, same shape, only when ``return_std=True``
        """
        params = self._dist_params(X)  # checks fittedness first
        mean = self.family_.mean(params)
        if return_std:
            return mean, np.asarray(self.family_.to_scipy(params).std(), dtype=np.float64)
        return mean

    def predict_dist(self, X):
        """Predictive distribution as a frozen, vectorised :mod:`scipy.stats` object.

        Its ``mean()``, ``std()``, ``ppf(q)``, ``logpdf(y)``/``logpmf(y)`` etc. act
        elementwise over samples (and targets).
        """
        params = self._dist_params(X)
        return self.family_.to_scipy(params)

    @dask_rows
    def predict_interval(self, X, alpha=0.1):
        """Central ``1 - alpha`` predictive interval.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        alpha : float in (0, 1), default=0.1
            Miscoverage: ``alpha=0.1`` gives the 90% interval from the 5% to the 95%
            quantile.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2) or (n_samples, n_targets, 2)
            Lower and upper bounds in the last axis.
        """
        _check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
        dist = self.predict_dist(X)
        return np.stack([dist.ppf(alpha / 2), dist.ppf(1 - alpha / 2)], axis=-1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


class GaussianNLLRegressor(_DistributionalRegressor):
    """Neural-network regression with a Normal predictive distribution.

    The network outputs, for every input, a mean and a log standard deviation and is
    trained by the Gaussian negative log-likelihood (the course's "regression with
    flexible non-constant variance").  With ``heteroscedastic=False`` one standard
    deviation per target is learned instead; the mean then has the same optimum as
    mean-squared-error training.  Targets are standardised internally (mean 0, sd 1)
    and predictions are mapped back, so ``lr`` need not depend on the scale of y;
    the losses in ``history_`` are per-sample NLLs of the standardised target.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Units of the MLP body's hidden layers; ``()`` gives a linear model.
    activation : {"relu", "tanh", "sigmoid", "elu", "gelu", "leaky_relu", "identity"}
    dropout : float in [0, 1), default=0.0
        Dropout probability after each hidden layer (training only).
    batchnorm : bool, default=False
        Batch normalisation after each hidden linear layer.
    optimizer : {"adam", "adamw", "sgd", "rmsprop", "adagrad"} or torch optimizer class
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=0.0
        L2 penalty (the optimizer's weight decay).
    l1 : float, default=0.0
        L1 penalty on the weight matrices, added to the training loss.
    batch_size : int, default=128
    max_epochs : int, default=100
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when the validation loss has
        not improved for ``patience`` epochs and restore the best epoch's weights.
    patience : int, default=10
    validation_fraction : float in [0, 1) or None, default=None
        Share held out for validation; None means 0.1 with early stopping, else 0 (all
        data is used for training).  A positive value without early stopping only
        records ``valid_loss`` in ``history_``.
    standardize : bool, default=True
        Standardise inputs with the training data's mean and sd (inside the network).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks, e.g. ``LRScheduler`` or ``Checkpoint``.
    device : str, default="cpu"
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation split.
    verbose : int, default=0
        1 prints skorch's per-epoch table.
    heteroscedastic : bool, default=True
        Input-dependent standard deviation (True) or one learned constant (False).

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module.
    family_ : sklearn_dl.families.Normal
    history_ : skorch.History
        Per-epoch ``train_loss`` (and ``valid_loss`` with a validation split).
    n_epochs_ : int
        Epochs run (fewer than ``max_epochs`` when stopped early).
    best_epoch_ : int
        Epoch (1-based) with the lowest validation (else training) loss.
    y_mean_, y_scale_ : ndarray of shape (n_targets,)
        Target standardisation (weighted mean and sd of y).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import GaussianNLLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-3, 3, size=(500, 1))
    >>> y = np.sin(X[:, 0]) + rng.normal(scale=0.1 + 0.2 * np.abs(X[:, 0]))
    >>> reg = GaussianNLLRegressor(hidden_layer_sizes=(32, 32), max_epochs=50,
    ...                            random_state=0).fit(X, y)
    >>> mean, std = reg.predict(X[:3], return_std=True)
    >>> reg.predict_interval(X[:3], alpha=0.1).shape
    (3, 2)
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
        heteroscedastic=True,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, dropout=dropout,
            batchnorm=batchnorm, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
            l1=l1, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, patience=patience,
            validation_fraction=validation_fraction, standardize=standardize,
            callbacks=callbacks, device=device, random_state=random_state,
            verbose=verbose)
        self.heteroscedastic = heteroscedastic

    def _get_family(self, y):
        return Normal(heteroscedastic=bool(self.heteroscedastic))


class NNRegressor(_DistributionalRegressor):
    """Neural-network regression with any distribution family as head.

    The generic form of :class:`GaussianNLLRegressor` and :class:`PoissonNLLRegressor`:
    ``family`` names a registered family (``"normal"``, ``"poisson"``, see
    :func:`sklearn_dl.families.available_families`) or is a
    :class:`~sklearn_dl.families.Family` instance, so a new distribution is one small
    class, usable here without further changes.

    Parameters
    ----------
    family : str or Family, default="normal"
    hidden_layer_sizes, activation, dropout, batchnorm, optimizer, lr, weight_decay, \
l1, batch_size, max_epochs, early_stopping, patience, validation_fraction, \
standardize, callbacks, device, random_state, verbose
        As in :class:`GaussianNLLRegressor`.

    Attributes
    ----------
    net_, family_, history_, n_epochs_, best_epoch_, n_features_in_, feature_names_in_
        As in :class:`GaussianNLLRegressor`.
    y_mean_, y_scale_ : ndarray or None
        Target standardisation, for location-scale families only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import NNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 2))
    >>> y = rng.poisson(np.exp(X[:, 0]))
    >>> reg = NNRegressor(family="poisson", max_epochs=20, random_state=0).fit(X, y)
    >>> reg.predict_dist(X[:3]).mean().shape
    (3,)
    """

    def __init__(
        self,
        *,
        family="normal",
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
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, dropout=dropout,
            batchnorm=batchnorm, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
            l1=l1, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, patience=patience,
            validation_fraction=validation_fraction, standardize=standardize,
            callbacks=callbacks, device=device, random_state=random_state,
            verbose=verbose)
        self.family = family

    def _get_family(self, y):
        family = get_family(self.family)
        if family.task != "regression":
            raise ValueError(f"family={self.family!r} is for classification; use "
                             "NNClassifier.")
        return family

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            tags.target_tags.positive_only = isinstance(get_family(self.family), Poisson)
        except ValueError:
            pass  # an invalid family is reported by fit, not by tags
        return tags


class PoissonNLLRegressor(_DistributionalRegressor):
    """Neural-network regression for counts: Poisson distribution with a log link.

    The network outputs the log rate and is trained by the Poisson negative
    log-likelihood.  Targets must be finite and non-negative (non-integer values are
    accepted, as in scikit-learn's ``PoissonRegressor``).  With
    ``hidden_layer_sizes=()`` this is Poisson regression (a GLM) fitted by gradient
    descent.

    Parameters
    ----------
    hidden_layer_sizes, activation, dropout, batchnorm, optimizer, lr, weight_decay, \
l1, batch_size, max_epochs, early_stopping, patience, validation_fraction, \
standardize, callbacks, device, random_state, verbose
        As in :class:`GaussianNLLRegressor`.

    Attributes
    ----------
    net_, family_, history_, n_epochs_, best_epoch_, n_features_in_, feature_names_in_
        As in :class:`GaussianNLLRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import PoissonNLLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(400, 2))
    >>> y = rng.poisson(np.exp(0.5 + X[:, 0]))
    >>> reg = PoissonNLLRegressor(hidden_layer_sizes=(), lr=0.05, max_epochs=50,
    ...                           random_state=0).fit(X, y)
    >>> reg.predict_dist(X[:2]).pmf(0).shape
    (2,)
    """

    def _get_family(self, y):
        return Poisson()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags


class CNNRegressor(_ImageMixin, NNRegressor):
    """Convolutional neural-network regression on images, with any family as head.

    ``CNNRegressor(family="poisson")`` counts things in images (the course's "Poisson
    regression with image data"); ``family="normal"`` predicts a mean and an
    input-dependent sd.  The body is a separate class rather than a ``body=``
    parameter of :class:`GaussianNLLRegressor` because CNN and MLP bodies have
    different parameters: one class per body keeps every parameter meaningful (and
    grid-searchable), while the family stays a parameter as in :class:`NNRegressor`.

    Parameters
    ----------
    family : str or Family, default="normal"
        As in :class:`NNRegressor`.
    architecture, filters, kernel_size, pooling, dense_units, dropout, batchnorm, \
activation, global_pool, image_shape, layout, image_size, standardize, augment
        The CNN body and image inputs, as in :class:`sklearn_dl.CNNClassifier`.
    optimizer, lr, weight_decay, l1, batch_size, max_epochs, early_stopping, patience, \
validation_fraction, callbacks, device, random_state, verbose
        As in :class:`GaussianNLLRegressor`.

    Attributes
    ----------
    net_, family_, history_, n_epochs_, best_epoch_, y_mean_, y_scale_
        As in :class:`NNRegressor`.
    image_shape_ : tuple
        ``(C, H, W)`` of the training images.
    n_features_in_ : int or None
        Number of columns for flattened input, else None.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import CNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = (rng.uniform(size=(64, 12, 12)) > 0.9).astype(np.float32)  # dots
    >>> y = X.sum(axis=(1, 2))                                         # count them
    >>> reg = CNNRegressor(family="poisson", architecture="vgg", filters=(8,),
    ...                    global_pool=True, max_epochs=2, random_state=0).fit(X, y)
    >>> reg.predict_dist(X[:2]).mean().shape
    (2,)
    """

    def __init__(
        self,
        *,
        family="normal",
        architecture="small",
        filters=None,
        kernel_size=None,
        pooling=None,
        dense_units=None,
        dropout=None,
        batchnorm=None,
        activation=None,
        global_pool=None,
        image_shape=None,
        layout="auto",
        image_size=None,
        standardize="channel",
        augment=None,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size=128,
        max_epochs=20,
        early_stopping=False,
        patience=5,
        validation_fraction=None,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.family = family
        self.architecture = architecture
        self.filters = filters
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.dense_units = dense_units
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self.global_pool = global_pool
        self.image_shape = image_shape
        self.layout = layout
        self.image_size = image_size
        self.standardize = standardize
        self.augment = augment
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.l1 = l1
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
