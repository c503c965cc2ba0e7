"""Mixtures of predictive distributions: deep ensembles and MC dropout."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import check_random_state

from ._base import PredictiveDistribution

_BISECTION_STEPS = 200


class MixtureDistribution(PredictiveDistribution):
    """A weighted mixture of predictive distributions of one family, per sample.

    ``p(y | x) = sum_k w_k p_k(y | x)``: the predictive distribution of a deep ensemble
    (one component per member) or of MC dropout (one per dropout mask).  It has the same
    surface as a single network's distribution:

    * ``mean()`` and ``var()`` by the law of total variance,
      ``var = sum_k w_k (var_k + mean_k^2) - mean^2``;
    * ``logpdf(y)`` by log-sum-exp of the components' log densities;
    * ``cdf(y)`` as the weighted average of the components' cdfs;
    * ``ppf(q)`` by a vectorised root search on ``cdf``, bracketed by the components'
      quantiles (the mixture's quantile lies between their smallest and largest):
      Newton steps safeguarded by bisection; bisection on the integers for discrete
      families;
    * ``rvs`` draws a component per draw, then from that component;
    * classification: ``mean()`` averages the class probabilities; for two classes
      ``cdf`` takes labels and ``ppf`` returns labels (the first label whose mixture
      cdf reaches ``q``), as for a single network.

    Parameters
    ----------
    components : list of PredictiveDistribution
        Same family and batch shape.  Components that are mixtures themselves are
        flattened (their weights multiply).
    weights : array-like of shape (n_components,), default=None
        Non-negative, normalised to sum to one; equal weights by default.

    Attributes
    ----------
    components : list of ParametricDistribution
    weights : ndarray of shape (n_components,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.distributions import MixtureDistribution, ParametricDistribution
    >>> from sklearn_dl.families import Normal
    >>> a = ParametricDistribution(Normal(), {"mean": np.zeros(2), "scale": np.ones(2)})
    >>> b = ParametricDistribution(Normal(), {"mean": np.full(2, 2.0), "scale": np.ones(2)})
    >>> m = MixtureDistribution([a, b])
    >>> m.mean(), m.var()
    (array([1., 1.]), array([2., 2.]))
    >>> float(m.cdf(np.ones(2))[0])
    0.5
    """

    def __init__(self, components, weights=None):
        components = list(components)
        if not components:
            raise ValueError("A mixture needs at least one component.")
        if weights is None:
            weights = np.full(len(components), 1.0 / len(components))
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(components),) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"weights must be {len(components)} non-negative numbers with a "
                             f"positive sum; got {weights!r}.")
        weights = weights / weights.sum()
        flat, flat_w = [], []
        for comp, w in zip(components, weights):
            if isinstance(comp, MixtureDistribution):
                flat.extend(comp.components)
                flat_w.extend(w * comp.weights)
            elif isinstance(comp, PredictiveDistribution):
                flat.append(comp)
                flat_w.append(w)
            else:
                raise TypeError(f"Mixture components must be PredictiveDistributions; got "
                                f"{type(comp).__name__}.")
        first = flat[0]
        for comp in flat[1:]:
            if type(comp.family) is not type(first.family):
                raise ValueError(f"All components must share one family; got "
                                 f"{type(first.family).__name__} and "
                                 f"{type(comp.family).__name__}.")
            if comp.batch_shape != first.batch_shape:
                raise ValueError(f"All components must have the same batch shape; got "
                                 f"{first.batch_shape} and {comp.batch_shape}.")
        self.components = flat
        self.weights = np.asarray(flat_w)
        self.family = first.family
        self.classes = first.classes

    @property
    def n_components(self):
        """Number of mixture components."""
        return len(self.components)

    @property
    def params(self):
        """Component parameters stacked on a leading axis, plus ``"weights"``."""
        names = self.components[0].params.keys()
        out = {k: np.stack([c.params[k] for c in self.components]) for k in names}
        out["weights"] = self.weights
        return out

    @property
    def batch_shape(self):
        return self.components[0].batch_shape

    @property
    def scipy(self):
        raise AttributeError("A mixture has no single scipy distribution; each component "
                             "has one: dist.components[k].scipy.")

    def _w(self, ndim):
        return self.weights.reshape((-1,) + (1,) * ndim)

    def _stack(self, method, *args):
        return np.stack([np.asarray(getattr(c, method)(*args), dtype=np.float64)
                         for c in self.components])

    # -- moments -------------------------------------------------------------------------
    def mean(self):
        means = self._stack("mean")
        return (self._w(means.ndim - 1) * means).sum(axis=0)

    @property
    def proba(self):
        """Averaged class probabilities ``(n_samples, n_classes)`` (classification)."""
        if not self.is_classification:
            raise AttributeError("proba is only defined for classification distributions.")
        return self.mean()

    def var(self):
        means, variances = self._stack("mean"), self._stack("var")
        w = self._w(means.ndim - 1)
        mean = (w * means).sum(axis=0)
        return np.maximum((w * (variances + means ** 2)).sum(axis=0) - mean ** 2, 0.0)

    # -- densities -----------------------------------------------------------------------
    def logpdf(self, y):
        logps = self._stack("logpdf", y)
        with np.errstate(divide="ignore"):
            return logsumexp(logps, axis=0, b=self._w(logps.ndim - 1))

    def cdf(self, y):
        cdfs = self._stack("cdf", y)
        return (self._w(cdfs.ndim - 1) * cdfs).sum(axis=0)

    def ppf(self, q):
        if self.is_classification:
            # on the class indices (the mixture's cdf at index 0 is its mean P(classes[0])),
            # decoded to labels at the end: the cdf takes labels, so a search feeding
            # indices back into it would mix the two encodings
            return self._label_ppf(q)
        q = np.broadcast_to(np.asarray(q, dtype=np.float64), self.batch_shape)
        if np.any((q < 0) | (q > 1)):
            raise ValueError("ppf needs probabilities q in [0, 1].")
        qs = self._stack("ppf", q)
        lo, hi = qs.min(axis=0), qs.max(axis=0)
        inner = np.isfinite(lo) & np.isfinite(hi) & (q > 0) & (q < 1) & (hi > lo)
        out = np.where(q <= 0, lo, hi)  # edges and equal brackets need no search
        if not np.any(inner):
            return out
        if self.discrete:
            # invariant: cdf(lo) < q <= cdf(hi) on the integers
            lo, hi = np.floor(lo) - 1.0, np.ceil(hi)
            for _ in range(_BISECTION_STEPS):
                open_ = inner & (hi - lo > 1)
                if not np.any(open_):
                    break
                mid = np.floor((lo + hi) / 2.0)
                below = self.cdf(np.where(open_, mid, hi)) < q
                lo = np.where(open_ & below, mid, lo)
                hi = np.where(open_ & ~below, mid, hi)
            return np.where(inner, hi, out)
        # continuous: Newton steps on cdf(x) = q, safeguarded by the bracket (a step
        # leaving it falls back to bisection), so a few iterations usually suffice
        x = 0.5 * (lo + hi)
        done = ~inner
        for _ in range(_BISECTION_STEPS):
            xi = x
            F = self.cdf(np.where(inner, xi, hi))
            converged = np.abs(F - q) <= 1e-12
            below = F < q
            lo = np.where(inner & below, xi, lo)
            hi = np.where(inner & ~below, xi, hi)
            f = self.pdf(np.where(inner, xi, hi))
            with np.errstate(divide="ignore", invalid="ignore"):
                step = xi - (F - q) / f
            ok = np.isfinite(step) & (step >= lo) & (step <= hi)
            x = np.where(converged, xi, np.where(ok, step, 0.5 * (lo + hi)))
            done = ~inner | converged | ((hi - lo) <= 1e-12 * (1.0 + np.abs(hi)))
            if np.all(done):
                break
        return np.where(inner, x, out)

    def rvs(self, size=None, random_state=None):
        rng = check_random_state(random_state)
        lead = () if size is None else ((size,) if np.ndim(size) == 0 else tuple(size))
        shape = lead + tuple(self.batch_shape)
        draws = np.stack([np.asarray(c.rvs(size, random_state=rng))
                          for c in self.components])
        which = rng.choice(self.n_components, size=draws.shape[1:], p=self.weights)
        return np.take_along_axis(draws, which[None], axis=0)[0].reshape(
            draws.shape[1:] if self.is_classification else shape)

    def _take(self, index):
        return MixtureDistribution([c[index] for c in self.components], self.weights)
