"""The family side every classifier shares: label encoding, class weights, probability
outputs and their uncertainty, whatever the body (MLP, CNN, pretrained backbone)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._base import _BaseNN
from ._dask import dask_rows
from .families import Bernoulli, Categorical


class _NNClassifierBase(ClassifierMixin, _BaseNN):
    """Label encoding, class weights and probability outputs for every classifier body
    (the family side of the classifiers)."""

    _multi_output_target = False
    _numeric_target = False

    def _check_y_kind(self, y):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the "
                             "target y is None.")
        return y

    def _check_y(self, y):
        y = column_or_1d(y, warn=True)
        _check_label_types(y)
        check_classification_targets(y)
        return y

    def _prepare_target(self, y, classes=None, reset=True):
        if reset:
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(labels) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes, but the "
                    f"data contains only one class: {labels[0]!r}.")
            unseen = np.setdiff1d(np.unique(y), labels)
            if len(unseen):
                raise ValueError(f"y contains labels {unseen[:5].tolist()} that are not in "
                                 f"classes={labels.tolist()}.")
            self.classes_ = labels
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes={list(classes)!r} differs from the classes of "
                                 f"the first fit, {self.classes_.tolist()}.")
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if len(unseen):
                raise ValueError(
                    f"y contains labels {unseen[:5].tolist()} unseen in the first fit "
                    f"(classes_={self.classes_.tolist()}); a warm start or partial_fit "
                    "cannot add classes.")
        return np.searchsorted(self.classes_, y)

    def _get_family(self, y=None):
        return Bernoulli() if len(self.classes_) == 2 else Categorical()

    def _n_targets(self, y):
        return len(self.classes_)

    def _stratify(self, y):
        return y

    def _fit_sample_weight(self, sample_weight, X, y):
        w = super()._fit_sample_weight(sample_weight, X, y)
        if self.class_weight is not None:
            # y is encoded (0..K-1) here; class_weight is keyed by the user's labels
            w = w * compute_sample_weight(self.class_weight, self.classes_[y])
            if not np.all(np.isfinite(w) & (w >= 0)):
                raise ValueError(f"class_weight must give every class a finite, "
                                 f"non-negative weight; got {self.class_weight!r}.")
        return w

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass (epoch) over ``(X, y)``, continuing from the current weights.

        As for scikit-learn's incremental classifiers, the first call must list all
        ``classes`` (a batch need not contain every class); it builds the network
        (input standardisation is then learned from this first batch).  Later calls
        continue training.  There is no validation split and no early stopping.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All class labels; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
        >>> clf = NNClassifier(random_state=0)
        >>> clf = clf.partial_fit(X[:50], y[:50], classes=["no", "yes"])
        >>> clf = clf.partial_fit(X[50:], y[50:])
        >>> clf.n_iter_, clf.classes_.tolist()
        (2, ['no', 'yes'])
        """

        if not hasattr(self, "net_") and classes is None:
            raise ValueError(f"classes must be passed on the first call to "
                             f"{type(self).__name__}.partial_fit (all labels, as for "
                             "scikit-learn's SGDClassifier).")
        return self._atomic_fit(X, y, sample_weight, partial=True, classes=classes)

    @dask_rows
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs (images for the image classifiers).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; with ``mc_samples > 0`` the average
            over the MC dropout passes.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
        >>> clf = NNClassifier(max_epochs=10, random_state=0).fit(X, y)
        >>> proba = clf.predict_proba(X[:3])
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1))
        ((3, 2), True)
        """

        return self._predictive(X).mean()

    @dask_rows
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
        >>> clf = NNClassifier(max_epochs=10, random_state=0).fit(X, y)
        >>> bool(np.allclose(np.exp(clf.predict_log_proba(X[:3])), clf.predict_proba(X[:3])))
        True
        """

        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @dask_rows
    def predict(self, X, type="response"):
        """Most probable class label for each sample (or the linear predictor).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        type : {"response", "link"}, default="response"
            "response": labels (scikit-learn's meaning; use ``predict_proba`` for R's
            response probabilities); "link": the linear predictor, the logit of
            ``classes_[1]`` for two classes, log-probabilities for more.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Elements of ``classes_`` (``type="link"``: the linear predictors).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
        >>> clf = NNClassifier(max_epochs=10, random_state=0).fit(X, y)
        >>> clf.predict(X[:3]).tolist() == clf.classes_[clf.predict_proba(X[:3]).argmax(1)].tolist()
        True
        >>> logit = clf.predict(X[:3], type="link")  # log-odds of classes_[1]
        >>> bool(np.allclose(1 / (1 + np.exp(-logit)), clf.predict_proba(X[:3])[:, 1]))
        True
        """

        self._check_predict_type(type)
        if type == "link":
            return self._link_prediction(X)
        proba = self.predict_proba(X)  # checks fittedness before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_dist(self, X, mc_samples=None, random_state=None):
        """The predictive distribution over the class labels for each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        mc_samples : int, default=None
            Monte Carlo dropout passes; None uses the estimator's ``mc_samples``.
        random_state : int or None, default=None
            Seed of the dropout masks; None uses the estimator's ``random_state``.

        Returns
        -------
        dist : sklearn_dl.distributions.PredictiveDistribution
            ``mean()`` (or ``proba``) are the class probabilities in the order of
            ``classes_``, ``log_likelihood(y)`` takes labels, ``rvs`` draws labels; its
            ``.scipy`` is ``bernoulli(p)`` of ``classes_[1]`` for two classes and
            ``multinomial(1, p)`` on one-hot vectors otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
        >>> clf = NNClassifier(max_epochs=10, random_state=0).fit(X, y)
        >>> dist = clf.predict_dist(X[:3])
        >>> dist.mean().shape, dist.log_likelihood(y[:3]).shape
        ((3, 2), (3,))
        """

        return self._predictive(X, mc_samples=mc_samples, random_state=random_state)


def _check_label_types(y):
    """Labels of mixed types (``[1, "a"]``) or missing labels (None) would only give
    scikit-learn's "Unknown label type: unknown"; say what is wrong instead."""
    if y.dtype != object:
        return
    if any(v is None for v in y):
        raise ValueError("y contains missing labels (None); drop those rows or give them "
                         "a label of their own.")
    kinds = {"numbers" if isinstance(v, (numbers.Number, np.number)) else
             "strings" if isinstance(v, str) else type(v).__name__ for v in y}
    if len(kinds) > 1:
        raise ValueError(f"y mixes labels of different types ({', '.join(sorted(kinds))}); "
                         "use one type, e.g. y.astype(str).")
