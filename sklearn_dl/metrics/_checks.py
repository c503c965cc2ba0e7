"""What a predictive distribution is, and input validation shared by every metric.

The metrics accept two kinds of distribution objects and use only their scipy-like
methods (``mean``, ``std``, ``cdf``, ``ppf``, ``interval``, ``logpdf``/``logpmf``,
``rvs``):

* the package's predictive distributions (a single network's, or a mixture from an
  ensemble or MC dropout), which also carry ``family`` (with ``.name``, ``.discrete``),
  ``log_likelihood(y)`` and ``scipy`` (the frozen scipy object, ``None`` for a mixture);
* plain frozen :mod:`scipy.stats` distributions, vectorised over samples (and targets).

Anything else with those methods (e.g. a user's own mixture) is treated as a generic
continuous distribution unless it only has ``logpmf``.
"""

from __future__ import annotations

import inspect

import numpy as np
from scipy import stats
from scipy.stats._distn_infrastructure import rv_frozen
from scipy.stats._multivariate import multi_rv_frozen

# scipy names of the families the metrics know closed forms or shortcuts for
_SCIPY_NAMES = {"norm": "normal", "poisson": "poisson", "bernoulli": "bernoulli",
                "multinomial": "categorical"}


def is_distribution(obj):
    """Whether ``obj`` looks like a predictive distribution (not an array)."""
    if isinstance(obj, (np.ndarray, list, tuple)) or np.isscalar(obj):
        return False
    if hasattr(obj, "family") and hasattr(obj, "mean"):
        return True
    return any(hasattr(obj, m) for m in ("log_likelihood", "logpdf", "logpmf"))


def family_name(dist):
    """``"normal"``, ``"poisson"``, ``"bernoulli"``, ``"categorical"``, another family's
    name, or None when unknown (a user's own object)."""
    family = getattr(dist, "family", None)
    if family is not None:
        return getattr(family, "name", None)
    if isinstance(dist, rv_frozen):
        return _SCIPY_NAMES.get(dist.dist.name, dist.dist.name)
    if isinstance(dist, stats._multivariate.multinomial_frozen):
        return "categorical"
    return None


def is_discrete(dist):
    """Discreteness from the family, else from scipy's class, else from the methods."""
    family = getattr(dist, "family", None)
    if family is not None and hasattr(family, "discrete"):
        return bool(family.discrete)
    if isinstance(dist, rv_frozen):
        return isinstance(dist.dist, stats.rv_discrete)
    if isinstance(dist, multi_rv_frozen):
        return True
    return hasattr(dist, "logpmf") and not hasattr(dist, "logpdf")


def is_single(dist):
    """True for one network's distribution (closed forms apply), False for a mixture
    or an unknown object."""
    if isinstance(dist, (rv_frozen, multi_rv_frozen)):
        return True
    return getattr(dist, "scipy", None) is not None


def is_categorical(dist):
    return family_name(dist) == "categorical"


def _type_error(func, obj):
    return TypeError(
        f"{func} expects a predictive distribution (e.g. estimator.predict_dist(X)); "
        f"got {type(obj).__name__}.  For class probabilities (predict_proba) use "
        "log_loss, brier_score or expected_calibration_error.")


def batch_shape(dist):
    return tuple(np.shape(dist.mean()))


def check_numeric_target(y_true, func):
    y = np.asarray(y_true)
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"{func}: y_true must be numeric for a distribution over numbers; got dtype "
            f"{y.dtype} (class labels need a classification metric and predict_proba).")
    y = y.astype(np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{func}: y_true contains NaN or infinity.")
    return y


def check_regression_target(y_true, y_dist, func):
    """Validate (y, distribution over numbers) and return y as float64.

    Raises ``TypeError`` for arrays and categorical distributions, ``ValueError`` for
    non-numeric or non-finite y, a shape that differs from the distribution's batch
    shape (a broadcast ``(n, 1)`` vs ``(n,)`` would silently give an ``(n, n)`` answer),
    and non-integer y under a discrete distribution.
    """
    if not is_distribution(y_dist):
        raise _type_error(func, y_dist)
    if is_categorical(y_dist):
        raise TypeError(
            f"{func} needs a distribution over numbers; got a categorical distribution "
            "over classes.  Use log_loss, brier_score or expected_calibration_error "
            "with predict_proba for classifiers.")
    y = check_numeric_target(y_true, func)
    shape = batch_shape(y_dist)
    if y.shape != shape:
        raise ValueError(
            f"{func}: y_true has shape {y.shape} but the predictive distribution has "
            f"batch shape {shape}; they must match (one distribution per observation).")
    if is_discrete(y_dist) and not np.all(y == np.round(y)):
        raise ValueError(
            f"{func}: the predictive distribution is discrete ({family_name(y_dist)}) "
            "but y_true has non-integer values.")
    return y


def check_level(level, name="level"):
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) \
            or not 0 < level < 1:
        raise ValueError(f"{name} must be a number in (0, 1), e.g. 0.9; got {level!r}.")
    return float(level)


def check_sample_weight(sample_weight, n):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},); got {w.shape}.")
    if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise ValueError("sample_weight must be finite, non-negative and not all zero.")
    return w


def per_sample(values):
    """Elementwise scores of shape (n,) or (n, k) -> (n,), summed over targets."""
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(len(values), -1).sum(axis=1) if values.ndim > 1 else values


def draw(dist, size, random_state):
    """``size`` draws of shape ``(size, *batch_shape)``.

    Frozen scipy objects need the full output shape; the package's distributions
    take ``size=k`` and prepend it.
    """
    if isinstance(dist, rv_frozen):
        return np.asarray(dist.rvs(size=(size, *batch_shape(dist)),
                                   random_state=random_state))
    return np.asarray(dist.rvs(size=size, random_state=random_state))


# -- from an estimator to a distribution ------------------------------------------------
def _unwrap(estimator, X):
    """(final estimator, X transformed by the Pipeline steps before it).

    Also looks through fitted search objects (``best_estimator_``).
    """
    from sklearn.pipeline import Pipeline

    while True:
        if isinstance(estimator, Pipeline):
            for _, step in estimator.steps[:-1]:
                if step is not None and step != "passthrough":
                    X = step.transform(X)
            estimator = estimator.steps[-1][1]
        elif not hasattr(estimator, "predict_dist") and hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        else:
            return estimator, X


def _has_return_std(estimator):
    try:
        return "return_std" in inspect.signature(estimator.predict).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def predict_dist(estimator, X):
    """The predictive distribution of any fitted regressor that has one.

    ``estimator.predict_dist(X)`` for sklearn_dl estimators, also at the end of a
    Pipeline or inside a fitted ``GridSearchCV``; for scikit-learn regressors whose
    ``predict`` takes ``return_std`` (``BayesianRidge``, ``ARDRegression``,
    ``GaussianProcessRegressor``) the Normal ``N(mean, std^2)`` they describe.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
    X : array-like

    Returns
    -------
    distribution
        The estimator's own object, or a frozen ``scipy.stats.norm``.

    Raises
    ------
    TypeError
        When the estimator has no predictive distribution (e.g. a RandomForest).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sklearn_dl.metrics import predict_dist
    >>> X = np.arange(20.0).reshape(-1, 1)
    >>> dist = predict_dist(BayesianRidge().fit(X, 2 * X[:, 0]), X[:3])
    >>> dist.mean().shape
    (3,)
    """
    if hasattr(estimator, "predict_dist"):
        return estimator.predict_dist(X)
    final, Xt = _unwrap(estimator, X)
    if hasattr(final, "predict_dist"):
        return final.predict_dist(Xt)
    if _has_return_std(final):
        mean, std = final.predict(Xt, return_std=True)
        return stats.norm(loc=np.asarray(mean, dtype=np.float64),
                          scale=np.maximum(np.asarray(std, dtype=np.float64), 1e-300))
    raise TypeError(
        f"{type(final).__name__} has no predict_dist (nor predict(return_std=True)); "
        "this metric needs an estimator with a predictive distribution (or "
        "predict_proba for classifiers).")
