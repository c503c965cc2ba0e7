"""NNClassifier: learning, labels, probabilities, class weights."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.dummy import DummyClassifier
from sklearn.metrics import log_loss, recall_score
from sklearn.model_selection import train_test_split

from sklearn_dl import NNClassifier
from sklearn_dl.datasets import load_banknote
from sklearn_dl.families import Bernoulli, Categorical


@pytest.fixture(scope="module")
def banknote_split():
    X, y = load_banknote(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def banknote_clf(banknote_split):
    Xtr, _, ytr, _ = banknote_split
    return NNClassifier(hidden_layer_sizes=(), lr=0.05, max_epochs=40,
                        random_state=0).fit(Xtr, ytr)


def test_logistic_nn_on_banknote_beats_baseline(banknote_split, banknote_clf):
    Xtr, Xte, ytr, yte = banknote_split
    assert isinstance(banknote_clf.family_, Bernoulli)
    dummy = DummyClassifier().fit(Xtr, ytr)
    assert banknote_clf.score(Xte, yte) > 0.97 > dummy.score(Xte, yte) + 0.3
    assert log_loss(yte, banknote_clf.predict_proba(Xte)) < 0.1


def test_probabilities(banknote_split, banknote_clf):
    _, Xte, _, _ = banknote_split
    proba = banknote_clf.predict_proba(Xte)
    assert proba.shape == (len(Xte), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(banknote_clf.predict_log_proba(Xte)), proba)
    np.testing.assert_array_equal(banknote_clf.predict(Xte),
                                  banknote_clf.classes_[proba.argmax(axis=1)])
    dist = banknote_clf.predict_dist(Xte)
    np.testing.assert_allclose(dist.mean(), proba)
    np.testing.assert_allclose(dist.scipy.mean(), proba[:, 1])  # bernoulli of classes_[1]


def test_multiclass_with_string_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = NNClassifier(hidden_layer_sizes=(16,), lr=0.01, max_epochs=100,
                       random_state=0).fit(X, names)
    assert isinstance(clf.family_, Categorical)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert clf.predict(X).dtype == names.dtype
    assert clf.score(X, names) > 0.95
    assert clf.predict_proba(X).shape == (150, 3)


def test_pandas_labels_and_frame():
    X, y = load_banknote(return_X_y=True, as_frame=True)
    y = y.map({0: "genuine", 1: "forged"})
    clf = NNClassifier(hidden_layer_sizes=(), lr=0.05, max_epochs=5, random_state=0)
    clf.fit(X, y)
    assert list(clf.feature_names_in_) == list(X.columns)
    assert set(clf.predict(X.iloc[:20])) <= {"genuine", "forged"}


def test_single_class_is_refused():
    X = np.random.RandomState(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="at least 2 classes.*only one class"):
        NNClassifier(max_epochs=1).fit(X, np.ones(10))


def test_continuous_target_is_refused():
    X = np.random.RandomState(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="Unknown label type"):
        NNClassifier(max_epochs=1).fit(X, X[:, 0])


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(2000, n_features=5, n_informative=2, weights=[0.95, 0.05],
                               flip_y=0, class_sep=0.3, random_state=0)
    return train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)


def test_class_weight_balanced_raises_minority_recall(imbalanced):
    Xtr, Xte, ytr, yte = imbalanced
    params = dict(hidden_layer_sizes=(), lr=0.05, max_epochs=30, random_state=0)
    plain = NNClassifier(**params).fit(Xtr, ytr)
    balanced = NNClassifier(class_weight="balanced", **params).fit(Xtr, ytr)
    as_dict = NNClassifier(class_weight={0: 1.0, 1: 19.0}, **params).fit(Xtr, ytr)
    r_plain = recall_score(yte, plain.predict(Xte))
    r_bal = recall_score(yte, balanced.predict(Xte))
    assert r_bal > r_plain + 0.2
    assert recall_score(yte, as_dict.predict(Xte)) > r_plain + 0.2


def test_class_weight_equals_sample_weight(imbalanced):
    Xtr, Xte, ytr, _ = imbalanced
    params = dict(hidden_layer_sizes=(4,), max_epochs=3, random_state=0)
    a = NNClassifier(class_weight={0: 1.0, 1: 3.0}, **params).fit(Xtr, ytr)
    b = NNClassifier(**params).fit(Xtr, ytr, sample_weight=np.where(ytr == 1, 3.0, 1.0))
    np.testing.assert_allclose(a.predict_proba(Xte), b.predict_proba(Xte), rtol=1e-6)


def test_default_validation_split_is_larger_for_small_classification_tables(monkeypatch):
    # validation_fraction=None: 20 % below 1,000 rows for a table classifier (10 % is
    # under 100 labels there), else 10 %; regressors and explicit values as given
    from sklearn_dl import GaussianNLLRegressor
    from sklearn_dl._base import _BaseNN

    held_out = []
    split = _BaseNN._split

    def spy(self, n, y, seed, frac):
        held_out.append((type(self).__name__, n, frac))
        return split(self, n, y, seed, frac)

    monkeypatch.setattr(_BaseNN, "_split", spy)
    fast = dict(hidden_layer_sizes=(4,), patience=1, activation="relu", dropout=0.1,
                random_state=0)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 2))
    y = (X[:, 0] > 0).astype(int)
    NNClassifier(**fast).fit(X[:999], y[:999])
    NNClassifier(**fast).fit(X, y)
    NNClassifier(validation_fraction=0.1, **fast).fit(X[:999], y[:999])
    GaussianNLLRegressor(**fast).fit(X[:999], X[:999, 0])
    assert held_out == [("NNClassifier", 999, 0.2), ("NNClassifier", 1000, 0.1),
                        ("NNClassifier", 999, 0.1), ("GaussianNLLRegressor", 999, 0.1)]


def test_early_stopping_split_is_stratified(imbalanced):
    _, _, ytr, _ = imbalanced
    clf = NNClassifier(early_stopping=True, validation_fraction=0.2)
    train_idx, valid_idx = clf._split(len(ytr), ytr, seed=0, frac=0.2)
    assert len(valid_idx) == int(np.ceil(0.2 * len(ytr)))
    assert abs(ytr[valid_idx].mean() - ytr.mean()) < 0.005
    assert abs(ytr[train_idx].mean() - ytr.mean()) < 0.005
