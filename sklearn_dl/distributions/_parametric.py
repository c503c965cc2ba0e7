"""One network's predictive distribution: a family at predicted parameters."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from ..families._base import Family
from ._base import PredictiveDistribution


class ParametricDistribution(PredictiveDistribution):
    """The family's distribution at predicted parameters, one per sample (and target).

    Parameters
    ----------
    family : sklearn_dl.families.Family
    params : dict of array-like
        The family's parameters (``family.param_names``), each of shape ``(n_samples,)``
        or ``(n_samples, n_targets)`` (classification: probabilities ``(n, K)`` or the
        positive-class probability ``(n,)`` for Bernoulli).
    classes : array-like, default=None
        Class labels (classification), sorted like ``classes_``: ``rvs`` draws labels,
        ``log_likelihood`` and ``cdf`` take labels, ``ppf`` / ``median`` / ``interval``
        return labels (two classes; more classes are unordered and have no cdf or
        quantiles), ``mean()`` are the class probabilities in this order.  Without
        ``classes`` the labels are the indices ``0 .. K-1``.

    Attributes
    ----------
    scipy : frozen scipy.stats distribution
        The same distribution as a frozen, vectorised scipy object.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.distributions import ParametricDistribution
    >>> from sklearn_dl.families import Normal
    >>> d = ParametricDistribution(Normal(), {"mean": np.zeros(3), "scale": np.ones(3)})
    >>> d.interval(0.9)[1].round(3)
    array([1.645, 1.645, 1.645])
    >>> d.log_likelihood([0.0, 1.0, 2.0]).round(3)
    array([-0.919, -1.419, -2.919])
    """

    def __init__(self, family, params, classes=None):
        self.family = family
        self._params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
        self.classes = None if classes is None else np.asarray(classes)
        self._scipy = None

    @property
    def params(self):
        return self._params

    @property
    def batch_shape(self):
        first = next(iter(self._params.values()))
        if self.is_classification:
            return first.shape[:1]
        return first.shape

    @property
    def scipy(self):
        """The frozen :mod:`scipy.stats` distribution (built on first use)."""
        if self._scipy is None:
            self._scipy = self.family.to_scipy(self._params)
        return self._scipy

    # -- moments -------------------------------------------------------------------------
    def mean(self):
        if self.is_classification:
            return self.proba
        return np.asarray(self.family.mean(self._params), dtype=np.float64)

    @property
    def proba(self):
        """Class probabilities ``(n_samples, n_classes)`` (classification only)."""
        if not self.is_classification:
            raise AttributeError("proba is only defined for classification distributions.")
        return np.asarray(self.family.mean(self._params), dtype=np.float64)

    def var(self):
        if self.is_classification:
            p = self.proba
            return p * (1.0 - p)  # of the one-hot indicators
        return np.asarray(self.family.variance(self._params), dtype=np.float64)

    # -- densities and quantiles ---------------------------------------------------------
    def logpdf(self, y):
        if self.is_classification:
            return np.asarray(self.family.logpdf(self._params, self._encode(y)),
                              dtype=np.float64)
        if type(self.family).logpdf is Family.logpdf:  # scipy's: reuse the frozen object
            dist = self.scipy
            return np.asarray(dist.logpmf(y) if self.family.discrete else dist.logpdf(y),
                              dtype=np.float64)
        return np.asarray(self.family.logpdf(self._params, y), dtype=np.float64)

    def cdf(self, y):
        self._check_ordered("cdf")
        y = self._encode(y) if self.is_classification else y
        return np.asarray(self.scipy.cdf(y), dtype=np.float64)

    def ppf(self, q):
        if self.is_classification:
            return self._label_ppf(q)  # labels, like predict and rvs
        return np.asarray(self.scipy.ppf(q), dtype=np.float64)

    def rvs(self, size=None, random_state=None):
        rng = check_random_state(random_state)
        lead = () if size is None else ((size,) if np.ndim(size) == 0 else tuple(size))
        if self.is_classification:
            p = self.proba
            u = rng.uniform(size=lead + (len(p),))
            idx = (u[..., None] > np.cumsum(p, axis=1)).sum(axis=-1)
            idx = np.minimum(idx, p.shape[1] - 1)
            return idx if self.classes is None else self.classes[idx]
        return np.asarray(self.scipy.rvs(size=lead + self.batch_shape, random_state=rng))

    def _take(self, index):
        return ParametricDistribution(self.family, {k: v[index] for k, v in
                                                    self._params.items()}, self.classes)
