"""Distributional regressors: a network body times a regression family head.

What they share (target handling, the prediction methods) is ``_DistributionalRegressor``
in ``_regressor_base.py``; each class here picks a body (MLP or CNN) and a family.
"""

from __future__ import annotations

from . import _docstrings as _doc
from ._image_base import _ImageMixin
from ._regressor_base import _DistributionalRegressor
from ._tabular import _TabularMixin
from ._validation import check_flag
from .families import Normal, Poisson

_REGRESSOR_SCORE = ("``score`` is scikit-learn's R^2 of the predictive mean; use "
                    ":mod:`sklearn_dl.metrics` (``neg_mean_nll_scorer``) to judge the "
                    "distribution.")


class GaussianNLLRegressor(_TabularMixin, _DistributionalRegressor):
    __doc__ = f"""Neural-network regression with a Normal predictive distribution.

    The network outputs, for every input, a mean and a log standard deviation and is
    trained by the Gaussian negative log-likelihood (the course's "regression with
    flexible non-constant variance").  With ``heteroscedastic=False`` one standard
    deviation per target is learned instead; the mean then has the same optimum as
    mean-squared-error training.  Targets are standardised internally (mean 0, sd 1)
    and predictions are mapped back, so ``lr`` need not depend on the scale of y;
    the losses in ``history_`` are per-sample NLLs of the standardised target.
    {_REGRESSOR_SCORE}

    Parameters
    ----------
    {_doc.MLP}
    {_doc.TRAINING}
    standardize : bool, default=True
        Standardise inputs with the training data's mean and sd (inside the network).
    {_doc.FIT_INTERCEPT}
    {_doc.COMMON}
    heteroscedastic : bool, default=True
        Input-dependent standard deviation (True) or one learned constant (False).

    Attributes
    ----------
    {_doc.ATTRIBUTES}
    {_doc.MLP_ATTRIBUTES}
    y_mean_, y_scale_ : ndarray of shape (n_targets,)
        Target standardisation (weighted mean and sd of y).
    n_targets_ : int

    Notes
    -----
    {_doc.TRAINING_NOTES}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import GaussianNLLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-3, 3, size=(500, 1))
    >>> y = np.sin(X[:, 0]) + rng.normal(scale=0.1 + 0.2 * np.abs(X[:, 0]))
    >>> reg = GaussianNLLRegressor(max_epochs=30, random_state=0).fit(X, y)
    >>> mean, std = reg.predict([[0.0], [2.5]], return_std=True)
    >>> bool(std[1] > 2 * std[0])  # the noise grows with |x|, and so does the sd
    True
    >>> reg.predict_interval(X[:3], alpha=0.1).shape
    (3, 2)
    """

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
        heteroscedastic=True,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, dropout=dropout,
            batchnorm=batchnorm, architecture=architecture, optimizer=optimizer, lr=lr,
            weight_decay=weight_decay, l1=l1, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, patience=patience,
            validation_fraction=validation_fraction, standardize=standardize,
            fit_intercept=fit_intercept, mc_samples=mc_samples, warm_start=warm_start,
            callbacks=callbacks, device=device, random_state=random_state, verbose=verbose)
        self.heteroscedastic = heteroscedastic

    def _get_family(self, y=None):
        check_flag("heteroscedastic", self.heteroscedastic)
        return Normal(heteroscedastic=bool(self.heteroscedastic))


class NNRegressor(_TabularMixin, _DistributionalRegressor):
    __doc__ = f"""Neural-network regression with any distribution family as head.

    The generic form of :class:`GaussianNLLRegressor` and :class:`PoissonNLLRegressor`:
    ``family`` names a registered family (``"normal"``, ``"poisson"``, see
    :func:`sklearn_dl.families.available_families`) or is a
    :class:`~sklearn_dl.families.Family` instance, so a new distribution is one small
    class, usable here without further changes.  {_REGRESSOR_SCORE}

    Parameters
    ----------
    family : str or Family, default="normal"
        The head's distribution family: a registered name (case-insensitive) or an
        instance.
    {_doc.MLP}
    {_doc.TRAINING}
    standardize : bool, default=True
        Standardise inputs with the training data's mean and sd (inside the network).
    {_doc.FIT_INTERCEPT}
    {_doc.COMMON}

    Attributes
    ----------
    {_doc.ATTRIBUTES}
    {_doc.MLP_ATTRIBUTES}
    y_mean_, y_scale_ : ndarray or None
        Target standardisation, for location-scale families only.
    n_targets_ : int

    Notes
    -----
    {_doc.TRAINING_NOTES}

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
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, dropout=dropout,
            batchnorm=batchnorm, architecture=architecture, optimizer=optimizer, lr=lr,
            weight_decay=weight_decay, l1=l1, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, patience=patience,
            validation_fraction=validation_fraction, standardize=standardize,
            fit_intercept=fit_intercept, mc_samples=mc_samples, warm_start=warm_start,
            callbacks=callbacks, device=device, random_state=random_state, verbose=verbose)
        self.family = family


class PoissonNLLRegressor(_TabularMixin, _DistributionalRegressor):
    __doc__ = f"""Neural-network regression for counts: Poisson distribution with a log link.

    The network outputs the log rate and is trained by the Poisson negative
    log-likelihood.  Targets must be finite and non-negative; non-integer values are
    rates (counts per exposure: fit ``y = counts / exposure`` with
    ``sample_weight=exposure``, as with scikit-learn's ``PoissonRegressor``), whose
    log-likelihood ``y log(mu) - mu - log Gamma(y + 1)`` keeps the NLL and its scorer
    finite.  With ``hidden_layer_sizes=()`` this is Poisson regression (a GLM) fitted by
    gradient descent.  {_REGRESSOR_SCORE}

    Parameters
    ----------
    {_doc.MLP}
    {_doc.TRAINING}
    standardize : bool, default=True
        Standardise inputs with the training data's mean and sd (inside the network).
    {_doc.FIT_INTERCEPT}
    {_doc.COMMON}

    Attributes
    ----------
    {_doc.ATTRIBUTES}
    {_doc.MLP_ATTRIBUTES}
    n_targets_ : int

    Notes
    -----
    {_doc.TRAINING_NOTES}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import PoissonNLLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(400, 2))
    >>> y = rng.poisson(np.exp(0.5 + X[:, 0]))
    >>> reg = PoissonNLLRegressor(hidden_layer_sizes=(), lr=0.05, max_epochs=30,
    ...                           random_state=0).fit(X, y)  # Poisson regression
    >>> reg.summary().coefficients.loc[["(Intercept)", "x0"]].round(1)  # true: 0.5, 1.0
                 log(mean)
    (Intercept)        0.5
    x0                 1.1
    >>> reg.predict_dist(X[:2]).pmf(0).shape
    (2,)
    """

    def _get_family(self, y=None):
        return Poisson()


class CNNRegressor(_ImageMixin, _DistributionalRegressor):
    __doc__ = f"""Convolutional neural-network regression on images, with any family as head.

    ``CNNRegressor(family="poisson")`` counts things in images (the course's "Poisson
    regression with image data"); ``family="normal"`` predicts a mean and an
    input-dependent sd.  The body is a separate class rather than a ``body=``
    parameter of :class:`GaussianNLLRegressor` because CNN and MLP bodies have
    different parameters: one class per body keeps every parameter meaningful (and
    grid-searchable), while the family stays a parameter as in :class:`NNRegressor`.
    {_REGRESSOR_SCORE}

    Parameters
    ----------
    family : str or Family, default="normal"
        As in :class:`NNRegressor`.
    architecture, filters, kernel_size, pooling, dense_units, dropout, batchnorm, \
activation, global_pool, image_shape, layout, image_size, standardize, augment
        The CNN body and image inputs, as in :class:`sklearn_dl.CNNClassifier`.
    {_doc.TRAINING_IMAGE}
    {_doc.COMMON}

    Attributes
    ----------
    {_doc.ATTRIBUTES}
    y_mean_, y_scale_ : ndarray or None
        Target standardisation, for location-scale families only.
    image_shape_ : tuple
        ``(C, H, W)`` of the training images.

    Notes
    -----
    {_doc.TRAINING_NOTES}

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
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        patience="auto",
        validation_fraction=None,
        mc_samples=0,
        warm_start=False,
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
        self.mc_samples = mc_samples
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
