"""A test-only equal-shape mixture of frozen scipy distributions.

It stands in for the package's mixture type (deep ensembles, MC dropout) with the same
scipy-like surface: mean/var by total variance, cdf the weighted average, logpdf/logpmf
by logsumexp, ppf by bisection on the cdf, rvs by component choice; no ``scipy``
attribute (a mixture has no single scipy object) and optionally a ``family``.
"""

from types import SimpleNamespace

import numpy as np
from scipy import stats
from scipy.special import logsumexp, ndtr, ndtri


class ScipyMixture:
    def __init__(self, components, weights=None, family=None):
        self.components = list(components)
        k = len(self.components)
        self.weights = np.full(k, 1 / k) if weights is None else np.asarray(weights, float)
        self.discrete = isinstance(self.components[0].dist, stats.rv_discrete)
        self.scipy = None
        self._normal = None
        if all(c.dist.name == "norm" for c in self.components):
            self._normal = [(c.mean(), c.std()) for c in self.components]
        if family is not None:
            self.family = SimpleNamespace(name=family, discrete=self.discrete)
        if self.discrete:
            self.logpmf = self._logdensity
        else:
            self.logpdf = self._logdensity

    def mean(self):
        return sum(w * c.mean() for w, c in zip(self.weights, self.components))

    def var(self):
        second = sum(w * (c.var() + c.mean() ** 2) for w, c in zip(self.weights, self.components))
        return second - self.mean() ** 2

    def std(self):
        return np.sqrt(self.var())

    def cdf(self, y):
        if self._normal:  # ndtr directly: frozen scipy calls dominate the test time
            return sum(w * ndtr((y - loc) / scale)
                       for w, (loc, scale) in zip(self.weights, self._normal))
        return sum(w * c.cdf(y) for w, c in zip(self.weights, self.components))

    def _logdensity(self, y):
        parts = [np.log(w) + (c.logpmf(y) if self.discrete else c.logpdf(y))
                 for w, c in zip(self.weights, self.components)]
        return logsumexp(np.stack(parts), axis=0)

    def log_likelihood(self, y):
        logp = self._logdensity(y)
        return logp.reshape(len(logp), -1).sum(axis=1) if logp.ndim > 1 else logp

    def ppf(self, q):
        q = np.broadcast_to(q, np.shape(self.mean())).astype(float)
        # a mixture's q-quantile lies between its components' q-quantiles
        if self._normal:
            each = [loc + scale * ndtri(q) for loc, scale in self._normal]
        else:
            each = [c.ppf(q) for c in self.components]
        lo, hi = np.min(each, axis=0), np.max(each, axis=0)
        if self.discrete:  # smallest integer k with cdf(k) >= q, by bisection
            lo = lo - 1
            while np.any(hi - lo > 1):
                mid = np.floor((lo + hi) / 2)
                below = self.cdf(mid) < q
                lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
            return hi
        for _ in range(200):  # bisection in that bracket, to 1e-9
            if np.all(hi - lo < 1e-9):
                break
            mid = (lo + hi) / 2
            below = self.cdf(mid) < q
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return (lo + hi) / 2

    def interval(self, confidence):
        return self.ppf((1 - confidence) / 2), self.ppf((1 + confidence) / 2)

    def rvs(self, size=None, random_state=None):
        rng = np.random.default_rng(random_state) if not isinstance(
            random_state, np.random.RandomState) else random_state
        shape = np.shape(self.mean()) if size is None else (size, *np.shape(self.mean()))
        draws = np.stack([c.rvs(size=shape, random_state=rng) for c in self.components])
        choice = rng.choice(len(self.components), size=shape, p=self.weights)
        return np.take_along_axis(draws, choice[None], axis=0)[0]


def normal_mixture(n, *, seed=0, family="normal"):
    """A two-component Normal mixture over n samples with different means and sds."""
    rng = np.random.RandomState(seed)
    m1, m2 = rng.normal(size=n), rng.normal(size=n) + 1.5
    return ScipyMixture([stats.norm(m1, 0.5), stats.norm(m2, 1.0)], [0.3, 0.7],
                        family=family)


class MixtureRegressor:
    """A fitted-looking regressor whose predictive distribution is a ScipyMixture: the
    shape of a deep ensemble / MC-dropout model, for scorers, evaluate and plots."""

    _estimator_type = "regressor"

    def __init__(self, spread=1.0):
        self.spread = spread

    def get_params(self, deep=True):
        return {"spread": self.spread}

    def set_params(self, **params):
        self.spread = params.get("spread", self.spread)
        return self

    def fit(self, X, y):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_dist(self, X):
        x = np.asarray(X, dtype=float)[:, 0]
        return ScipyMixture([stats.norm(x - 0.5, 0.5 * self.spread),
                             stats.norm(x + 0.5, 0.5 * self.spread)], family="normal")

    def predict(self, X):
        return self.predict_dist(X).mean()

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True))


def mixture_data(n, seed=0):
    """X, y drawn from exactly MixtureRegressor(spread=1)'s distribution."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 1))
    y = MixtureRegressor().predict_dist(X).rvs(random_state=rng)
    return X, y
