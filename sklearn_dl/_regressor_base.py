"""The private base of the distributional regressors (the regression side of ``_BaseNN``).

Target checks and standardisation, and the prediction methods every regressor shares:
``predict`` (mean, sd or link), ``predict_dist``, ``predict_uncertainty``,
``predict_interval``.  The public estimators (``regression.py``) add a body and a family.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import check_array

from ._base import _BaseNN, _check_number, weighted_mean_std
from ._dask import dask_rows
from .families import get_family
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
                # not centred without intercept: mean = scale * z + shift is otherwise
                # an intercept in disguise
                with np.errstate(over="ignore", invalid="ignore"):
                    self.y_mean_, self.y_scale_ = weighted_mean_std(
                        y, w, center=self._fits_intercept())
            else:
                self.y_mean_ = self.y_scale_ = None
        _check_target_range(y, self.y_mean_, self.y_scale_)
        if self.y_scale_ is None:
            return y
        z = (y.reshape(len(y), -1) - self.y_mean_) / self.y_scale_
        # without intercept a constant y is no degenerate fit: the mean is w x, not y's
        if reset and self._fits_intercept():
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
