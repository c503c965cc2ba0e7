"""Distributional regressors: a network body times a regression family head."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import check_array

from . import _docstrings as _doc
from ._base import _BaseNN, _check_number, weighted_mean_std
from ._dask import dask_rows
from ._image_base import _ImageMixin
from ._tabular import _TabularMixin
from ._validation import check_flag
from .distributions import decompose_uncertainty
from .families import Normal, Poisson, get_family
from .families._support import get_support


class _DistributionalRegressor(RegressorMixin, _BaseNN):
    """Regressor whose prediction is a whole distribution (the family side).

    ``predict`` returns its mean; ``predict_dist`` the
    :class:`~sklearn_dl.distributions.PredictiveDistribution`; ``predict_interval`` a
    central interval.  ``score`` keeps scikit-learn's R^2; use :mod:`sklearn_dl.metrics`
    for the negative log-likelihood.
    """

    _multi_output_target = True
    _numeric_target = True

    # -- target ------------------------------------------------------------------------
    def _check_y_kind(self, y):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the "
                             "target y is None.")
        arr = np.asarray(y) if not hasattr(y, "dtype") else y
        if getattr(arr, "dtype", None) is not None and arr.dtype.kind in "USO":
            try:
                np.asarray(arr, dtype=np.float64)
            except (TypeError, ValueError):
                flat = np.asarray(arr).ravel()
                bad = next((v for v in flat if not _is_number(v)), flat[0])
                raise ValueError(
                    f"{type(self).__name__} is a regressor: y must be numeric, but it "
                    f"holds values such as {bad!r}. For class labels use NNClassifier or "
                    "CNNClassifier.") from None
        return y

    def _check_y(self, y):
        return check_array(self._check_y_kind(y), ensure_2d=False, dtype=np.float64,
                           input_name="y")

    def _prepare_target(self, y, classes=None, reset=True):
        if reset:
            self._y_ndim = y.ndim  # output shape follows the target's (n,) or (n, k)
            self.n_targets_ = 1 if y.ndim == 1 else y.shape[1]
        elif (1 if y.ndim == 1 else y.shape[1]) != self.n_targets_:
            raise ValueError(f"y has {1 if y.ndim == 1 else y.shape[1]} target(s), but "
                             f"{type(self).__name__} was fitted with {self.n_targets_}.")
        return y

    def _get_family(self, y=None):
        family = get_family(self.family)
        if family.task != "regression":
            raise ValueError(f"family={self.family!r} is for classification; use "
                             "NNClassifier.")
        return family

    def _scale_target(self, y, w, family, reset=True):
        # Location-scale families train on a standardised target (weighted, so integer
        # weights act like repeated rows), which makes lr independent of y's units;
        # predictions are mapped back exactly by family.rescale.
        if reset:
            if family.location_scale:
                with np.errstate(over="ignore", invalid="ignore"):
                    self.y_mean_, self.y_scale_ = weighted_mean_std(y, w)
            else:
                self.y_mean_ = self.y_scale_ = None
        _check_target_range(y, self.y_mean_, self.y_scale_)
        if self.y_scale_ is None:
            return y
        z = (y.reshape(len(y), -1) - self.y_mean_) / self.y_scale_
        if reset:
            self._check_spread(z, y, w)
        return z.reshape(y.shape)

    def _check_spread(self, z, y, w):
        # weighted_mean_std replaces a zero sd by one, so a constant target keeps its
        # (near) zero spread here: its Normal fit has sd 0 and an unbounded likelihood,
        # which gives a "diverged" warning or, in a few epochs, predictions that are off
        spread = np.sqrt(np.average((z - np.average(z, axis=0, weights=w)) ** 2, axis=0,
                                    weights=w))
        flat = spread < 1e-6
        if np.any(flat):
            k = int(np.flatnonzero(flat)[0])
            n = int(np.sum(w > 0))
            what = (f"cannot fit {n} sample" if n == 1 else "needs a target that varies")
            raise ValueError(
                f"{type(self).__name__} {what}: y{f'[:, {k}]' if z.shape[1] > 1 else ''} "
                f"is constant ({float(y.reshape(len(y), -1)[np.argmax(w > 0), k]):g}) among "
                "the weighted samples, so a distribution with a scale fitted to it has zero "
                "spread and an unbounded likelihood. Check the target; for a constant "
                "prediction use sklearn.dummy.DummyRegressor.")

    def _target_scaling(self):
        return self.y_mean_, self.y_scale_

    def _user_params(self, raw):
        params = self.family_.params_numpy(raw)
        if self.y_scale_ is not None:
            params = self.family_.rescale(params, self.y_mean_, self.y_scale_)
        if self._y_ndim == 1:
            params = {k: v[:, 0] for k, v in params.items()}
        return params

    # -- public API --------------------------------------------------------------------
    def partial_fit(self, X, y, sample_weight=None):
        """One pass (epoch) over ``(X, y)``, continuing from the current weights.

        The first call builds the network (input and target standardisation are then
        learned from this first batch); later calls continue training it.  There is no
        validation split and no early stopping.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(random_state=0)
        >>> for epoch in range(3):
        ...     reg = reg.partial_fit(X, y)
        >>> reg.n_iter_
        3
        """

        return self._atomic_fit(X, y, sample_weight, partial=True, classes=None)

    @dask_rows
    def predict(self, X, return_std=False, type="response"):
        """Mean of the predictive distribution, and with ``return_std=True`` its sd.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs (images for the image estimators).
        return_std : bool, default=False
            Also return the predictive standard deviation.
        type : {"response", "link"}, default="response"
            R's predict types: "response" is the mean of y (scikit-learn's meaning);
            "link" the linear predictors of the family's parameters (the log rate for
            Poisson; for the Normal, mean and log-sd stacked on a last axis), from one
            deterministic pass.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            (``type="link"``: the linear predictors.)
        y_std : ndarray of the same shape
            Only when ``return_std=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> mean, std = reg.predict(X[:3], return_std=True)
        >>> mean.shape, bool(np.all(std > 0))
        ((3,), True)
        >>> reg.predict(X[:3], type="link").shape  # mean and log-sd
        (3, 2)
        """

        self._check_predict_type(type)
        if type == "link":
            if return_std:
                raise ValueError("return_std=True only applies to type='response'.")
            return self._link_prediction(X)
        dist = self._predictive(X)
        if return_std:
            return dist.mean(), dist.std()
        return dist.mean()

    def predict_dist(self, X, mc_samples=None, random_state=None):
        """The predictive distribution of ``y`` for each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs (images for the image estimators).
        mc_samples : int, default=None
            Monte Carlo dropout passes; None uses the estimator's ``mc_samples`` (0: one
            deterministic pass).
        random_state : int or None, default=None
            Seed of the dropout masks; None uses the estimator's ``random_state``.

        Returns
        -------
        dist : sklearn_dl.distributions.PredictiveDistribution
            Vectorised over samples (and targets), scipy-like: ``mean()``, ``std()``,
            ``ppf(q)``, ``cdf(y)``, ``interval(confidence)``, ``logpdf(y)``,
            ``log_likelihood(y)``, ``rvs(size)``.  A ``ParametricDistribution`` (its
            frozen scipy object is ``.scipy``) or, with MC dropout, a
            ``MixtureDistribution``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> dist = reg.predict_dist(X[:3])
        >>> dist
        ParametricDistribution(family=Normal, batch_shape=(3,))
        >>> lower, upper = dist.interval(0.9)
        >>> bool(np.all(lower < dist.mean()) and np.all(dist.mean() < upper))
        True
        """

        return self._predictive(X, mc_samples=mc_samples, random_state=random_state)

    def predict_uncertainty(self, X, mc_samples=None, random_state=None):
        """Aleatoric and epistemic parts of the predictive uncertainty per sample.

        A single network has epistemic uncertainty only through MC dropout
        (``mc_samples > 0``); otherwise that part is zero.

        Parameters
        ----------
        X : array-like
        mc_samples : int, default=None
            MC dropout passes (None: the estimator's ``mc_samples``).
        random_state : int or None, default=None
            Seed of the dropout masks.

        Returns
        -------
        Bunch
            See :func:`sklearn_dl.distributions.decompose_uncertainty`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(dropout=0.2, mc_samples=10, max_epochs=10,
        ...                            random_state=0).fit(X, y)
        >>> u = reg.predict_uncertainty(X[:3])
        >>> sorted(u), bool(np.all(u.epistemic > 0))
        (['aleatoric', 'epistemic', 'total'], True)
        """
        return decompose_uncertainty(self._predictive(X, mc_samples, random_state))

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

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> interval = reg.predict_interval(X, alpha=0.1)  # 90% intervals
        >>> covered = (interval[:, 0] <= y) & (y <= interval[:, 1])
        >>> interval.shape, bool(covered.mean() > 0.7)
        ((100, 2), True)
        """

        _check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
        lower, upper = self._predictive(X).interval(1.0 - alpha)
        return np.stack([lower, upper], axis=-1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        try:
            tags.target_tags.positive_only = get_support(
                self._get_family().support).positive_only
        except (ValueError, TypeError):
            pass  # an invalid family is reported by fit, not by tags
        return tags


def _check_target_range(y, mean, scale):
    """Finite y can still be too large to train on: its mean or sd may overflow float64
    (then every prediction is inf or nan), and an unstandardised target (e.g. Poisson
    counts) becomes inf in the network's float32."""
    too_large = (mean is not None and not (np.all(np.isfinite(mean))
                                           and np.all(np.isfinite(scale))))
    if mean is None and y.size:
        too_large = float(np.max(np.abs(y))) > np.finfo(np.float32).max
    if too_large:
        raise ValueError(
            f"y has values too large to train on (largest |y| = {np.max(np.abs(y)):.3g}): "
            "its mean or spread overflows, or it exceeds float32 (the network's "
            "precision). Rescale y, e.g. y / 1e6, and scale predictions back.")


def _is_number(v):
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


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
    {_doc.COMMON}
    heteroscedastic : bool, default=True
        Input-dependent standard deviation (True) or one learned constant (False).

    Attributes
    ----------
    {_doc.ATTRIBUTES}
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
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout="auto",
        batchnorm=False,
        architecture="mlp",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        patience="auto",
        validation_fraction=None,
        standardize=True,
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
            mc_samples=mc_samples, warm_start=warm_start, callbacks=callbacks,
            device=device, random_state=random_state, verbose=verbose)
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
        The head's distribution family.
    {_doc.MLP}
    {_doc.TRAINING}
    standardize : bool, default=True
        Standardise inputs with the training data's mean and sd (inside the network).
    {_doc.COMMON}

    Attributes
    ----------
    {_doc.ATTRIBUTES}
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
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout="auto",
        batchnorm=False,
        architecture="mlp",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        patience="auto",
        validation_fraction=None,
        standardize=True,
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
            mc_samples=mc_samples, warm_start=warm_start, callbacks=callbacks,
            device=device, random_state=random_state, verbose=verbose)
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
    {_doc.COMMON}

    Attributes
    ----------
    {_doc.ATTRIBUTES}
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
    {_doc.TRAINING}
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
