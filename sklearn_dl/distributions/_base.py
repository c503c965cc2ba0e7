"""The predictive-distribution surface shared by single networks and mixtures."""

from __future__ import annotations

import numpy as np


class PredictiveDistribution:
    """A vectorised predictive distribution: one distribution per sample (and target).

    This is what every ``predict_dist`` of the package returns.  The surface follows
    :mod:`scipy.stats` frozen distributions, so code written for those keeps working:
    ``mean()``, ``var()``, ``std()``, ``median()``, ``ppf(q)``, ``cdf(y)``, ``sf(y)``,
    ``interval(confidence)``, ``logpdf(y)`` / ``logpmf(y)``, ``pdf(y)`` / ``pmf(y)``,
    ``rvs(size, random_state)``; in addition ``log_likelihood(y)`` (one value per
    sample, summed over targets, for any family), ``params``, ``family``, ``len()``
    and row indexing (``dist[:10]``).

    Two kinds exist: :class:`ParametricDistribution` (one network: the family's
    distribution at the predicted parameters, with the frozen scipy object as
    ``.scipy``) and :class:`MixtureDistribution` (deep ensembles, MC dropout: an equally
    or explicitly weighted mixture of parametric ones).

    For discrete families ``logpdf`` equals ``logpmf`` (a density with respect to the
    counting measure), so metrics need not ask which one exists.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import GaussianNLLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 1))
    >>> y = 2 * X[:, 0] + rng.normal(size=200)
    >>> dist = GaussianNLLRegressor(max_epochs=20, random_state=0).fit(X, y).predict_dist(X)
    >>> len(dist), dist.mean().shape, dist[:5].interval(0.9)[0].shape
    (200, (200,), (5,))
    >>> float(dist.log_likelihood(y).mean()) < 0
    True
    """

    #: the family (``sklearn_dl.families.Family``) of the distribution (or components)
    family = None
    #: class labels for classification distributions, else None
    classes = None

    # -- to be provided by subclasses ----------------------------------------------------
    @property
    def params(self):
        """Distribution parameters as a dict of numpy arrays."""
        raise NotImplementedError

    @property
    def batch_shape(self):
        """Shape of the batch of distributions: ``(n_samples,)`` or
        ``(n_samples, n_targets)``."""
        raise NotImplementedError

    def mean(self):
        """Mean of each distribution (class probabilities for classification).

        Returns
        -------
        mean : ndarray
            Shape ``batch_shape``; ``(n_samples, n_classes)`` for classification.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.mean()
        array([0., 1.])
        """
        raise NotImplementedError

    def var(self):
        """Variance of each distribution.

        Returns
        -------
        var : ndarray of shape ``batch_shape``

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.var()
        array([1., 4.])
        """
        raise NotImplementedError

    def logpdf(self, y):
        """Elementwise log density (log pmf for discrete families) of ``y``.

        Parameters
        ----------
        y : array-like of shape ``batch_shape``
            Observations.

        Returns
        -------
        logpdf : ndarray of shape ``batch_shape``

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.logpdf(np.array([0.0, 1.0])).round(3)
        array([-0.919, -1.612])
        """
        raise NotImplementedError

    def cdf(self, y):
        """Elementwise cumulative distribution function at ``y``.

        Parameters
        ----------
        y : array-like of shape ``batch_shape``
            Observations; class labels for a two-class distribution (a categorical
            one over more classes has no cdf and raises ``NotImplementedError``).

        Returns
        -------
        cdf : ndarray of shape ``batch_shape``
            ``P(Y <= y)``, labels ordered as ``classes``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.cdf(np.array([0.0, 1.0]))
        array([0.5, 0.5])
        """
        raise NotImplementedError

    def ppf(self, q):
        """Elementwise quantile function (inverse cdf) at probability ``q``.

        Parameters
        ----------
        q : float or array-like broadcastable to ``batch_shape``
            Probabilities in [0, 1].

        Returns
        -------
        quantiles : ndarray of shape ``batch_shape``
            Class labels for a two-class distribution (the first label whose cdf
            reaches ``q``), like ``predict`` and ``rvs``; a categorical one over more
            classes has no quantiles and raises ``NotImplementedError``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.ppf(0.975).round(3)
        array([1.96, 4.92])
        """
        raise NotImplementedError

    def rvs(self, size=None, random_state=None):
        """Random draws from each distribution.

        Parameters
        ----------
        size : int or tuple of int, default=None
            Draws per distribution.
        random_state : int, RandomState or None, default=None
            Seed of the draws.

        Returns
        -------
        draws : ndarray
            Shape ``batch_shape`` for ``size=None``, else ``(size, *batch_shape)``;
            class labels for classification distributions.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.rvs(size=5, random_state=0).shape
        (5, 2)
        """
        raise NotImplementedError

    def _take(self, index):
        raise NotImplementedError

    # -- derived -------------------------------------------------------------------------
    @property
    def discrete(self):
        """Whether the distribution is discrete."""
        return bool(getattr(self.family, "discrete", False))

    @property
    def is_classification(self):
        """Whether this is a distribution over class labels."""
        return getattr(self.family, "task", None) == "classification"

    def std(self):
        """Standard deviation of each distribution.

        Returns
        -------
        std : ndarray of shape ``batch_shape``

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.std()
        array([1., 2.])
        """
        return np.sqrt(self.var())

    def median(self):
        """Median of each distribution.

        Returns
        -------
        median : ndarray of shape ``batch_shape``
            ``ppf(0.5)``; a class label for a two-class distribution.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.median()
        array([0., 1.])
        """
        return self.ppf(0.5)

    def sf(self, y):
        """Survival function ``1 - cdf(y)``.

        Parameters
        ----------
        y : array-like of shape ``batch_shape``
            Observations.

        Returns
        -------
        sf : ndarray of shape ``batch_shape``
            ``P(Y > y)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.sf(np.array([0.0, 3.0])).round(3)
        array([0.5  , 0.159])
        """
        return 1.0 - self.cdf(y)

    def logpmf(self, y):
        """Elementwise log probability mass (the same as :meth:`logpdf` here).

        Parameters
        ----------
        y : array-like of shape ``batch_shape``
            Observations.

        Returns
        -------
        logpmf : ndarray of shape ``batch_shape``

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Poisson
        >>> d = ParametricDistribution(Poisson(), {"mean": np.array([1.0, 2.0])})
        >>> d.logpmf(np.array([0, 0]))
        array([-1., -2.])
        """
        return self.logpdf(y)

    def pdf(self, y):
        """Elementwise density (pmf for discrete families).

        Parameters
        ----------
        y : array-like of shape ``batch_shape``
            Observations.

        Returns
        -------
        pdf : ndarray of shape ``batch_shape``

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.pdf(np.array([0.0, 1.0])).round(3)
        array([0.399, 0.199])
        """
        return np.exp(self.logpdf(y))

    def pmf(self, y):
        """Elementwise probability mass (the same as :meth:`pdf` here).

        Parameters
        ----------
        y : array-like of shape ``batch_shape``
            Observations.

        Returns
        -------
        pmf : ndarray of shape ``batch_shape``

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Poisson
        >>> d = ParametricDistribution(Poisson(), {"mean": np.array([1.0, 2.0])})
        >>> d.pmf(np.array([0, 0])).round(3)
        array([0.368, 0.135])
        """
        return self.pdf(y)

    def interval(self, confidence):
        """Central interval holding ``confidence`` of the probability mass.

        Parameters
        ----------
        confidence : float in (0, 1)
            Probability mass inside the interval.

        Returns
        -------
        lower, upper : ndarray, each of shape ``batch_shape``
            ``ppf`` at the two tails; class labels for a two-class distribution.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Poisson
        >>> d = ParametricDistribution(Poisson(), {"mean": np.array([1.0, 2.0])})
        >>> d.interval(0.9)
        (array([0., 0.]), array([3., 5.]))
        """
        if not 0.0 < float(confidence) < 1.0:
            raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
        a = (1.0 - float(confidence)) / 2.0
        return self.ppf(a), self.ppf(1.0 - a)

    def log_likelihood(self, y):
        """Log-likelihood of each sample's observation (summed over targets).

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Observations; class labels for classification distributions.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.distributions import ParametricDistribution
        >>> from sklearn_dl.families import Normal
        >>> d = ParametricDistribution(Normal(), {"mean": np.array([0.0, 1.0]),
        ...                                       "scale": np.array([1.0, 2.0])})
        >>> d.log_likelihood([0.0, 1.0]).round(3)
        array([-0.919, -1.612])
        """
        y = self._check_y(y)
        logp = np.asarray(self.logpdf(y), dtype=np.float64)
        return logp.reshape(len(logp), -1).sum(axis=1) if logp.ndim > 1 else logp

    def _check_y(self, y):
        """Observations as an array matching the batch (labels stay labels)."""
        y = np.asarray(y)
        n = self.batch_shape[0]
        if len(y) != n:
            raise ValueError(f"y has {len(y)} observations but the distribution describes "
                             f"{n} samples.")
        if not self.is_classification:
            shape = self.batch_shape
            if y.shape != shape and not (y.ndim == 2 and y.shape[1] == 1 and len(shape) == 1):
                raise ValueError(f"y has shape {y.shape} but the distribution's batch shape "
                                 f"is {shape}.")
            try:
                y = y.reshape(shape).astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"y must hold numbers to evaluate a {self.family.name} "
                                 f"distribution; got dtype {y.dtype}.") from None
            if not np.all(np.isfinite(y)):
                raise ValueError("y contains NaN or infinity: a log-likelihood of a missing "
                                 "or infinite observation is meaningless; drop those rows.")
            # outside the family's support (a negative count) is a data error, not -inf
            if self.family is not None:
                y = self.family.check_target(y)
        return y

    def _check_ordered(self, what):
        """Refuse a cdf or quantile of more than two classes: unordered labels have none."""
        if self.is_classification and self.proba.shape[1] > 2:
            raise NotImplementedError(
                f"A categorical distribution over {self.proba.shape[1]} unordered labels has "
                f"no {what}; use mean() for the class probabilities.")

    def _label_ppf(self, q):
        """Quantiles of a two-class distribution, as class labels.

        The labels are ordered as ``classes`` (sorted, like ``classes_``), so the
        ``q``-quantile is the first label whose cdf reaches ``q``: ``classes[0]`` where
        ``P(classes[0]) >= q``, else ``classes[1]``.  ``q = 0`` gives ``classes[0]`` (the
        quantile restricted to the labels; scipy's -1 below the support is no label).
        The search runs on the indices 0/1 and decodes at the end, so single networks
        and mixtures (whose cdf at index 0 is the mean of their components') agree.
        """
        self._check_ordered("quantiles")
        proba = self.proba
        q = np.broadcast_to(np.asarray(q, dtype=np.float64), (len(proba),))
        if np.any(~((q >= 0) & (q <= 1))):
            raise ValueError("ppf needs probabilities q in [0, 1].")
        # rounding can leave the last cumulative sum a hair below q = 1: clip to the top
        idx = np.minimum((np.cumsum(proba, axis=1) < q[:, None]).sum(axis=1),
                         proba.shape[1] - 1)
        return idx if self.classes is None else np.asarray(self.classes)[idx]

    def _encode(self, y):
        """Class labels -> indices 0..K-1 (classification distributions)."""
        y = np.asarray(y)
        if self.classes is None:
            return y.astype(np.int64)
        classes = np.asarray(self.classes)
        idx = np.searchsorted(classes, y)
        idx = np.clip(idx, 0, len(classes) - 1)
        unknown = classes[idx] != y
        if np.any(unknown):
            raise ValueError(f"y contains labels the classifier does not know: "
                             f"{np.unique(y[unknown])[:5].tolist()}; classes are "
                             f"{classes.tolist()}.")
        return idx

    # -- container protocol --------------------------------------------------------------
    def __len__(self):
        return self.batch_shape[0]

    def __getitem__(self, index):
        if isinstance(index, tuple):
            raise IndexError("Index a predictive distribution by rows only, e.g. dist[:10].")
        if isinstance(index, (int, np.integer)):
            index = slice(int(index), int(index) + 1 if index != -1 else None)
        return self._take(index)

    def __repr__(self):
        fam = type(self.family).__name__ if self.family is not None else "?"
        return f"{type(self).__name__}(family={fam}, batch_shape={self.batch_shape})"
