"""Deep ensembles: several networks from different random starts, one mixture prediction.

Lakshminarayanan et al. (2017): train the same network ``n_estimators`` times from
different seeds (initialisation, shuffling, validation split, dropout), and predict the
equally weighted mixture of the members' predictive distributions.  Members are any
sklearn_dl estimators (tabular, CNN, transfer learning) or anything with
``predict_dist``; MC dropout members contribute all their dropout passes.  As for the
single estimators, ``predict``, ``predict_proba``, ``predict_log_proba`` and
``predict_interval`` of a dask array or bag return a lazy dask array (``_dask``).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._base import _check_number
from ._dask import dask_rows
from ._ensemble_checks import check_ensemble_params, refuse_link
from ._ensemble_jobs import fit_members
from ._rstyle import _RStyleMixin
from .distributions import MixtureDistribution, decompose_uncertainty


class _BaseDeepEnsemble(_RStyleMixin, MetaEstimatorMixin, BaseEstimator):
    """Shared logic of the deep ensembles: seeded clones, parallel fit, the mixture."""

    def _default_estimator(self):
        raise NotImplementedError

    def _check(self):
        return check_ensemble_params(self)

    def fit(self, X, y, sample_weight=None):
        """Fit ``n_estimators`` seeded clones of ``estimator`` (in parallel with
        ``n_jobs``).

        Members differ only in their ``random_state`` (drawn from this ensemble's
        ``random_state``), so each starts from other initial weights and sees other
        batch orders, validation splits and dropout masks.  Where the member's "auto"
        body compares candidates, ``body_choice="shared"`` lets the first member choose
        and fits the others with its choice.  With ``n_jobs > 1`` the
        members train in joblib worker processes, each limited to
        ``cores // n_jobs`` torch threads, so the cores are never oversubscribed.

        Parameters
        ----------
        X : array-like
            Training inputs, as the member estimator accepts them.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every member.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-2, 2, size=(100, 1))
        >>> y = X[:, 0] ** 2 + rng.normal(scale=0.3, size=100)
        >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=10), n_estimators=3,
        ...                             random_state=0).fit(X, y)
        >>> len(ens.estimators_), len({m.random_state for m in ens.estimators_})
        (3, 3)
        """
        base = self._check()
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, 2**31 - 1, size=self.n_estimators)
        members = [clone(base).set_params(random_state=int(s)) for s in seeds]
        self.estimators_ = fit_members(members, X, y, sample_weight, self.n_jobs,
                                       self.body_choice, progress=self.verbose and
                                       f"{type(self).__name__} ({len(members)} members)")
        first = self.estimators_[0]
        for attr in ("n_features_in_", "feature_names_in_", "classes_", "image_shape_"):
            if hasattr(first, attr):
                setattr(self, attr, getattr(first, attr))
        self.n_params_ = sum(getattr(m, "n_params_", 0) for m in self.estimators_)
        self.n_obs_ = getattr(first, "n_obs_", None)
        # the mixture's log-likelihood of the training data (R's logLik of the fit)
        self.loglik_ = None
        self.loglik_ = self.log_likelihood(X, y, sample_weight=sample_weight)
        return self

    def deviance(self, X, y, sample_weight=None):
        """Not defined for a mixture: use ``-2 * log_likelihood(X, y)``.

        Parameters
        ----------
        X, y, sample_weight : ignored

        Returns
        -------
        None

        Raises
        ------
        ValueError
            Always.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-2, 2, size=(100, 1))
        >>> y = X[:, 0] ** 2 + rng.normal(scale=0.3, size=100)
        >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=10), n_estimators=3,
        ...                             random_state=0).fit(X, y)
        >>> ens.deviance(X, y)
        Traceback (most recent call last):
        ...
        ValueError: A mixture has no deviance; use -2 * log_likelihood(X, y).
        >>> bool(-2 * ens.log_likelihood(X, y) > 0)
        True
        """
        raise ValueError("A mixture has no deviance; use -2 * log_likelihood(X, y).")

    def summary(self, X=None, y=None):
        """A fit report listing the members (see ``GaussianNLLRegressor.summary``).

        Parameters
        ----------
        X, y : ignored
            For the same signature as the members' ``summary``.

        Returns
        -------
        ModelSummary

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-2, 2, size=(100, 1))
        >>> y = X[:, 0] ** 2 + rng.normal(scale=0.3, size=100)
        >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=10), n_estimators=3,
        ...                             random_state=0).fit(X, y)
        >>> print(ens.summary())  # doctest: +ELLIPSIS
        DeepEnsembleRegressor summary
        ...
        """
        from .summary import ensemble_summary

        check_is_fitted(self, "estimators_")
        return ensemble_summary(self)

    def predict_dist(self, X, mc_samples=None, random_state=None):
        """The ensemble's predictive distribution: the equal-weight mixture of the
        members' distributions.

        Parameters
        ----------
        X : array-like
            Inputs, as the members accept them.
        mc_samples : int, default=None
            MC dropout passes per member (None: each member's own ``mc_samples``).
        random_state : int or None, default=None
            Seed of the members' dropout masks (None: each member's own).

        Returns
        -------
        dist : sklearn_dl.distributions.MixtureDistribution
            Same surface as a single network's distribution (mean and variance by the
            law of total variance, log-sum-exp densities, averaged cdfs, quantiles by
            root search; averaged class probabilities for classifiers).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-2, 2, size=(100, 1))
        >>> y = X[:, 0] ** 2 + rng.normal(scale=0.3, size=100)
        >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=10), n_estimators=3,
        ...                             random_state=0).fit(X, y)
        >>> dist = ens.predict_dist(X[:4])
        >>> dist.n_components, dist.interval(0.9)[0].shape
        (3, (4,))
        """
        check_is_fitted(self, "estimators_")
        dists = []
        for member in self.estimators_:
            if mc_samples is None and random_state is None:
                dists.append(member.predict_dist(X))
            else:
                dists.append(member.predict_dist(X, mc_samples=mc_samples,
                                                 random_state=random_state))
        return MixtureDistribution(dists)

    def predict_uncertainty(self, X):
        """Aleatoric and epistemic parts of the predictive uncertainty per sample.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        Bunch
            Regressors: ``total``, ``aleatoric`` (mean of the members' variances) and
            ``epistemic`` (variance of the members' means).  Classifiers: ``entropy``,
            ``expected_entropy`` and ``mutual_information``.  See
            :func:`sklearn_dl.distributions.decompose_uncertainty`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleClassifier, NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
        >>> ens = DeepEnsembleClassifier(NNClassifier(max_epochs=10), n_estimators=3,
        ...                              random_state=0).fit(X, y)
        >>> u = ens.predict_uncertainty(X[:4])
        >>> bool(np.allclose(u.entropy, u.expected_entropy + u.mutual_information))
        True
        """
        return decompose_uncertainty(self.predict_dist(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = self.estimator if self.estimator is not None else self._default_estimator()
        try:
            inner = base.__sklearn_tags__()
        except AttributeError:
            return tags
        tags.input_tags = inner.input_tags
        tags.target_tags = inner.target_tags
        return tags


class DeepEnsembleRegressor(RegressorMixin, _BaseDeepEnsemble):
    """Deep ensemble of distributional regressors.

    Parameters
    ----------
    estimator : sklearn_dl regressor, default=None
        The member; None means ``GaussianNLLRegressor()`` with its defaults.  Its
        parameters are grid-searchable as ``estimator__<param>``.
    n_estimators : int, default=5
        Number of members (>= 1).
    n_jobs : int or None, default=None
        Members fitted in parallel (joblib processes); None or 1: one after another.
    random_state : int, RandomState or None, default=None
        Seeds of the members.
    body_choice : {"shared", "each"}, default="shared"
        Where a member's "auto" body compares candidates on its validation split
        (activation, dropout): ``"shared"`` lets the first member compare them and fits
        the others with the one it keeps (the ensemble then costs the first member's
        fit plus one candidate fit per other member); ``"each"`` lets every member
        choose its own (each as its own ``fit`` would leave it; ``n_estimators`` times
        the comparisons).
    verbose : int, default=0
        1 or more: a progress bar over the member fits (a member whose "auto" body
        compares candidates counts one fit per candidate).  Each member's own output
        follows its ``verbose``.

    Attributes
    ----------
    estimators_ : list of fitted estimators
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When the members saw string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-2, 2, size=(100, 1))
    >>> y = X[:, 0] ** 2 + rng.normal(scale=0.3, size=100)
    >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=20), n_estimators=3,
    ...                             random_state=0).fit(X, y)
    >>> u = ens.predict_uncertainty(X[:2])
    >>> sorted(u)
    ['aleatoric', 'epistemic', 'total']
    """

    def __init__(self, estimator=None, *, n_estimators=5, n_jobs=None, random_state=None,
                 body_choice="shared", verbose=0):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.body_choice = body_choice
        self.verbose = verbose

    def _default_estimator(self):
        from .regression import GaussianNLLRegressor

        return GaussianNLLRegressor()

    @dask_rows
    def predict(self, X, return_std=False, type="response"):
        """Mean of the mixture, and with ``return_std=True`` its sd.

        Parameters
        ----------
        X : array-like
        return_std : bool, default=False
        type : {"response"}, default="response"
            A mixture has no single linear predictor: "link" is refused (ask a member,
            ``estimators_[k].predict(X, type="link")``).

        Returns
        -------
        y_mean : ndarray
        y_std : ndarray, only when ``return_std=True``
            Total predictive sd (aleatoric and epistemic).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-2, 2, size=(100, 1))
        >>> y = X[:, 0] ** 2 + rng.normal(scale=0.3, size=100)
        >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=10), n_estimators=3,
        ...                             random_state=0).fit(X, y)
        >>> mean, std = ens.predict(X[:4], return_std=True)
        >>> mean.shape, bool(np.all(std > 0))
        ((4,), True)
        """
        refuse_link(type)
        dist = self.predict_dist(X)
        return (dist.mean(), dist.std()) if return_std else dist.mean()

    @dask_rows
    def predict_interval(self, X, alpha=0.1):
        """Central ``1 - alpha`` interval of the mixture.

        Parameters
        ----------
        X : array-like
        alpha : float in (0, 1), default=0.1

        Returns
        -------
        interval : ndarray of shape (n_samples, 2) or (n_samples, n_targets, 2)
            Lower and upper bounds in the last axis.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-2, 2, size=(100, 1))
        >>> y = X[:, 0] ** 2 + rng.normal(scale=0.3, size=100)
        >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=10), n_estimators=3,
        ...                             random_state=0).fit(X, y)
        >>> ens.predict_interval(X[:4], alpha=0.1).shape
        (4, 2)
        """
        _check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)
        lower, upper = self.predict_dist(X).interval(1.0 - alpha)
        return np.stack([lower, upper], axis=-1)


class DeepEnsembleClassifier(ClassifierMixin, _BaseDeepEnsemble):
    """Deep ensemble of classifiers: averaged class probabilities.

    Parameters
    ----------
    estimator : sklearn_dl classifier, default=None
        The member; None means ``NNClassifier()`` with its defaults.
    n_estimators : int, default=5
    n_jobs : int or None, default=None
    random_state : int, RandomState or None, default=None
    body_choice : {"shared", "each"}, default="shared"
        As for :class:`DeepEnsembleRegressor`.
    verbose : int, default=0
        As for :class:`DeepEnsembleRegressor`.

    Attributes
    ----------
    estimators_ : list of fitted estimators
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn_dl import DeepEnsembleClassifier, NNClassifier
    >>> from sklearn_dl.datasets import load_banknote
    >>> X, y = load_banknote(return_X_y=True)
    >>> ens = DeepEnsembleClassifier(NNClassifier(max_epochs=5), n_estimators=2,
    ...                              random_state=0).fit(X, y)
    >>> ens.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(self, estimator=None, *, n_estimators=5, n_jobs=None, random_state=None,
                 body_choice="shared", verbose=0):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.body_choice = body_choice
        self.verbose = verbose

    def _default_estimator(self):
        from .classification import NNClassifier

        return NNClassifier()

    @dask_rows
    def predict_proba(self, X):
        """Averaged class probabilities of the members.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleClassifier, NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
        >>> ens = DeepEnsembleClassifier(NNClassifier(max_epochs=10), n_estimators=3,
        ...                              random_state=0).fit(X, y)
        >>> members = np.mean([m.predict_proba(X[:4]) for m in ens.estimators_], axis=0)
        >>> bool(np.allclose(ens.predict_proba(X[:4]), members))
        True
        """
        return self.predict_dist(X).mean()

    @dask_rows
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleClassifier, NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
        >>> ens = DeepEnsembleClassifier(NNClassifier(max_epochs=10), n_estimators=3,
        ...                              random_state=0).fit(X, y)
        >>> ens.predict_log_proba(X[:4]).shape
        (4, 2)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @dask_rows
    def predict(self, X, type="response"):
        """Most probable class under the averaged probabilities.

        Parameters
        ----------
        X : array-like
        type : {"response"}, default="response"
            "link" is refused, as for :class:`DeepEnsembleRegressor`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import DeepEnsembleClassifier, NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
        >>> ens = DeepEnsembleClassifier(NNClassifier(max_epochs=10), n_estimators=3,
        ...                              random_state=0).fit(X, y)
        >>> bool(np.all(ens.predict(X[:4]) == ens.predict_proba(X[:4]).argmax(axis=1)))
        True
        """
        refuse_link(type)
        proba = self.predict_proba(X)  # checks fittedness before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

