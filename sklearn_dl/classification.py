"""Classifiers: a network body times a Bernoulli or Categorical head."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._base import _BaseNN
from .families import Bernoulli, Categorical


class _NNClassifierBase(ClassifierMixin, _BaseNN):
    """Label encoding, class weights and probability outputs for every classifier body."""

    def _validate_xy(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        return X, y

    def _prepare_target(self, y):
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but the data "
                f"contains only one class: {encoder.classes_[0]!r}.")
        self.classes_ = encoder.classes_
        return encoder.transform(y)

    def _get_family(self, y):
        return Bernoulli() if len(self.classes_) == 2 else Categorical()

    def _n_targets(self, y):
        return len(self.classes_)

    def _stratify(self, y):
        return y

    def _fit_sample_weight(self, sample_weight, X, y):
        w = super()._fit_sample_weight(sample_weight, X, y)
        if self.class_weight is not None:
            w = w * compute_sample_weight(self.class_weight, y)
        return w

    def predict_proba(self, X):
        """Class probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        params = self._dist_params(X)  # checks fittedness first
        return self.family_.mean(params)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class label for each sample."""
        proba = self.predict_proba(X)  # checks fittedness before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_dist(self, X):
        """Predictive distribution as a frozen scipy object: ``bernoulli(p)`` of the
        second class for two classes, ``multinomial(1, p)`` on one-hot vectors else."""
        params = self._dist_params(X)
        return self.family_.to_scipy(params)


class NNClassifier(_NNClassifierBase):
    """Neural-network classifier: NN logistic regression (two classes) or softmax
    regression (more), with an MLP body.

    With two classes the network has one output, the logit of ``classes_[1]``, trained
    by the Bernoulli NLL (binary cross-entropy); with ``K > 2`` classes it has ``K``
    outputs trained by the categorical NLL (cross-entropy).  Labels may be ints or
    strings.  With ``hidden_layer_sizes=()`` this is (multinomial) logistic regression.

    Parameters
    ----------
    hidden_layer_sizes, activation, dropout, batchnorm, optimizer, lr, weight_decay, \
l1, batch_size, max_epochs, early_stopping, patience, validation_fraction, \
standardize, callbacks, device, random_state, verbose
        As in :class:`sklearn_dl.GaussianNLLRegressor`.  The validation split used
        for early stopping is stratified by class.
    class_weight : dict, "balanced" or None, default=None
        Weights per class multiplying the sample weights, as in scikit-learn.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skorch.NeuralNet
    family_ : sklearn_dl.families.Bernoulli or Categorical
    history_ : skorch.History
    n_epochs_ : int
    best_epoch_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> from sklearn_dl import NNClassifier
    >>> from sklearn_dl.datasets import load_banknote
    >>> X, y = load_banknote(return_X_y=True)
    >>> clf = NNClassifier(hidden_layer_sizes=(), lr=0.05, max_epochs=20,
    ...                    random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        batchnorm=False,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size=128,
        max_epochs=100,
        early_stopping=False,
        patience=10,
        validation_fraction=None,
        standardize=True,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, dropout=dropout,
            batchnorm=batchnorm, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
            l1=l1, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, patience=patience,
            validation_fraction=validation_fraction, standardize=standardize,
            callbacks=callbacks, device=device, random_state=random_state,
            verbose=verbose)
        self.class_weight = class_weight
