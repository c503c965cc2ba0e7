"""Splitting a mixture's predictive uncertainty into aleatoric and epistemic parts."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from ._mixture import MixtureDistribution


def _entropy(p):
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=-1)


def decompose_uncertainty(dist):
    """Aleatoric and epistemic parts of a predictive distribution's uncertainty.

    For a mixture over members (deep ensemble) or dropout masks (MC dropout):

    * regression, by the law of total variance: ``total = aleatoric + epistemic`` with
      ``aleatoric`` the mean of the components' variances (noise the model expects) and
      ``epistemic`` the variance of the components' means (disagreement: what more data
      would reduce);
    * classification: ``entropy`` of the averaged probabilities (total),
      ``expected_entropy`` (the mean of the components' entropies: aleatoric) and their
      difference, the ``mutual_information`` between label and component (epistemic).

    A single network's distribution has no epistemic part (zeros).

    Parameters
    ----------
    dist : PredictiveDistribution

    Returns
    -------
    Bunch
        Regression: ``total``, ``aleatoric``, ``epistemic`` (variances, shape
        ``batch_shape``).  Classification: ``entropy``, ``expected_entropy``,
        ``mutual_information`` (nats, shape ``(n_samples,)``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.distributions import (MixtureDistribution,
    ...     ParametricDistribution, decompose_uncertainty)
    >>> from sklearn_dl.families import Normal
    >>> a = ParametricDistribution(Normal(), {"mean": np.zeros(1), "scale": np.ones(1)})
    >>> b = ParametricDistribution(Normal(), {"mean": np.full(1, 2.0), "scale": np.ones(1)})
    >>> u = decompose_uncertainty(MixtureDistribution([a, b]))
    >>> float(u.aleatoric[0]), float(u.epistemic[0]), float(u.total[0])
    (1.0, 1.0, 2.0)
    """
    comps = dist.components if isinstance(dist, MixtureDistribution) else [dist]
    weights = dist.weights if isinstance(dist, MixtureDistribution) else np.ones(1)
    if dist.is_classification:
        probs = np.stack([c.proba for c in comps])  # (K, n, classes)
        mean = np.tensordot(weights, probs, axes=1)
        total = _entropy(mean)
        expected = np.tensordot(weights, _entropy(probs), axes=1)
        return Bunch(entropy=total, expected_entropy=expected,
                     mutual_information=np.maximum(total - expected, 0.0))
    means = np.stack([np.asarray(c.mean(), dtype=np.float64) for c in comps])
    variances = np.stack([np.asarray(c.var(), dtype=np.float64) for c in comps])
    w = weights.reshape((-1,) + (1,) * (means.ndim - 1))
    aleatoric = (w * variances).sum(axis=0)
    mean = (w * means).sum(axis=0)
    epistemic = np.maximum((w * (means - mean) ** 2).sum(axis=0), 0.0)
    return Bunch(total=aleatoric + epistemic, aleatoric=aleatoric, epistemic=epistemic)
