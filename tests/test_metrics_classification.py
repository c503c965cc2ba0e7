"""Classification metrics: log loss, Brier, calibration errors, accuracy vs confidence."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logit, softmax
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sk_log_loss

from sklearn_dl.metrics import (
    accuracy_vs_confidence,
    brier_score,
    calibration_table,
    expected_calibration_error,
    log_loss,
    maximum_calibration_error,
)


@pytest.fixture
def binary(rng):
    """Calibrated positive-class probabilities and labels drawn from them."""
    p = rng.uniform(size=20000)
    return (rng.uniform(size=p.size) < p).astype(int), p


@pytest.fixture
def multiclass(rng):
    """Calibrated 4-class probabilities (Dirichlet) and labels drawn from them."""
    proba = rng.dirichlet(np.full(4, 0.7), size=20000)
    cum = proba.cumsum(axis=1)
    y = (rng.uniform(size=(len(proba), 1)) > cum).sum(axis=1)
    return np.minimum(y, 3), proba


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_ece_near_zero_when_calibrated_and_clearly_above_when_shifted(binary, multiclass,
                                                                     strategy):
    y, p = binary
    assert expected_calibration_error(y, p, strategy=strategy) < 0.02
    sharpened = expit(3 * logit(np.clip(p, 1e-6, 1 - 1e-6)))  # overconfident
    assert expected_calibration_error(y, sharpened, strategy=strategy) > 0.1
    shifted = np.clip(p + 0.15, 0, 1)  # biased towards the positive class
    assert expected_calibration_error(y, shifted, strategy=strategy, kind="positive") > 0.1
    yk, proba = multiclass
    assert expected_calibration_error(yk, proba, strategy=strategy) < 0.02
    hot = softmax(3 * np.log(proba), axis=1)  # temperature 1/3
    assert expected_calibration_error(yk, hot, strategy=strategy) > 0.1
    assert maximum_calibration_error(yk, hot, strategy=strategy) >= \
        expected_calibration_error(yk, hot, strategy=strategy)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_positive_calibration_table_matches_sklearn_calibration_curve(binary, strategy):
    y, p = binary
    y, p = y[:3000], np.round(p[:3000], 2)  # ties on bin edges
    prob_true, prob_pred = calibration_curve(y, p, n_bins=7, strategy=strategy)
    table = calibration_table(y, p, n_bins=7, strategy=strategy, kind="positive")
    np.testing.assert_allclose(table["observed"], prob_true)
    np.testing.assert_allclose(table["mean_predicted"], prob_pred)
    assert table["count"].sum() == 3000


def test_top_label_table_by_hand():
    y = np.array(["a", "b", "c", "a"])
    proba = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    table = calibration_table(y, proba, n_bins=2)
    # confidences 0.7, 0.6, 0.8 (right, wrong, right) in (0.5, 1]; 0.4 (wrong) below
    assert table["count"].tolist() == [1, 3]
    np.testing.assert_allclose(table["observed"], [0.0, 2 / 3])
    np.testing.assert_allclose(table["mean_predicted"], [0.4, 0.7])
    ece = (1 * 0.4 + 3 * abs(2 / 3 - 0.7)) / 4
    assert expected_calibration_error(y, proba, n_bins=2) == pytest.approx(ece)
    assert maximum_calibration_error(y, proba, n_bins=2) == pytest.approx(0.4)


def test_log_loss_and_brier_agree_with_sklearn(binary, multiclass):
    y, p = binary
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p))
    assert brier_score(y, p) == pytest.approx(brier_score_loss(y, p))
    assert brier_score(y, np.column_stack([1 - p, p])) == pytest.approx(np.mean((p - y) ** 2))
    yk, proba = multiclass
    onehot = np.eye(4)[yk]
    assert brier_score(yk, proba) == pytest.approx(np.mean(((proba - onehot) ** 2).sum(1)))
    names = np.array(["w", "x", "y", "z"])[yk]
    assert log_loss(names, proba) == pytest.approx(sk_log_loss(yk, proba))
    w = np.linspace(0.1, 1, len(yk))
    assert log_loss(yk, proba, sample_weight=w) == pytest.approx(
        sk_log_loss(yk, proba, sample_weight=w))


def test_labels_order_and_missing_classes():
    proba = np.array([[0.8, 0.2], [0.3, 0.7]])
    # columns follow labels: with labels reversed the same rows predict the other class
    assert log_loss(["b", "a"], proba, labels=["b", "a"]) == pytest.approx(
        -np.mean(np.log([0.8, 0.7])))
    # integer labels that miss a class are taken as 0..K-1
    three = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    assert log_loss([0, 1], three) == pytest.approx(-np.mean(np.log([0.6, 0.7])))
    with pytest.raises(ValueError, match="labels="):
        log_loss(["x", "y"], three)


def test_classification_distributions_are_accepted_and_numbers_rejected(rng):
    p = rng.uniform(size=50)
    y = (rng.uniform(size=50) < p).astype(int)
    assert brier_score(y, stats.bernoulli(p)) == pytest.approx(brier_score(y, p))
    proba = rng.dirichlet(np.ones(3), size=50)
    yk = rng.randint(0, 3, size=50)
    assert log_loss(yk, stats.multinomial(1, proba)) == pytest.approx(log_loss(yk, proba))
    with pytest.raises(TypeError, match="distribution over numbers"):
        expected_calibration_error(y, stats.norm(np.zeros(50), 1.0))


@pytest.mark.parametrize("func", [log_loss, brier_score, expected_calibration_error,
                                  calibration_table, accuracy_vs_confidence])
def test_probability_validation(func):
    y = np.array([0, 1, 1])
    with pytest.raises(ValueError, match="sum to one"):
        func(y, np.array([[0.5, 0.3], [0.5, 0.5], [0.1, 0.9]]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        func(y, np.array([1.2, 0.5, 0.5]))
    with pytest.raises(ValueError, match="one label per row"):
        func(y[:2], np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="not among"):
        func(np.array([0, 1, 7]), np.full((3, 2), 0.5), labels=[0, 1])
    with pytest.raises(ValueError, match="columns"):
        func(y, np.full((3, 3), 1 / 3), labels=[0, 1])


def test_binning_options_validated(binary):
    y, p = binary
    with pytest.raises(ValueError, match="strategy"):
        expected_calibration_error(y, p, strategy="kmeans")
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(y, p, n_bins=0)
    with pytest.raises(ValueError, match="two classes"):
        calibration_table([0, 1, 2], np.full((3, 3), 1 / 3), kind="positive")


def test_accuracy_vs_confidence_rises_for_a_useful_confidence(multiclass):
    y, proba = multiclass
    table = accuracy_vs_confidence(y, proba)
    assert table["threshold"].iloc[0] == 0.25  # starts at 1 / n_classes
    assert table["fraction"].iloc[0] == 1.0
    assert np.all(np.diff(table["fraction"]) <= 0)
    acc = table["accuracy"].dropna().to_numpy()
    assert acc[-1] > acc[0] + 0.2


class _CategoricalMixture:
    """The surface of an ensemble's categorical predictive distribution."""

    family = SimpleNamespace(name="categorical", discrete=True)
    scipy = None

    def __init__(self, members):
        self.members = members

    def mean(self):
        return np.mean(self.members, axis=0)

    def log_likelihood(self, y):
        return np.log(self.mean()[np.arange(len(y)), y])


def test_classification_metrics_take_a_mixture_distribution(multiclass, rng):
    y, proba = multiclass
    noisy = softmax(np.log(proba) + rng.normal(scale=0.5, size=proba.shape), axis=1)
    mixture = _CategoricalMixture([proba, noisy])
    average = (proba + noisy) / 2
    assert expected_calibration_error(y, mixture) == pytest.approx(
        expected_calibration_error(y, average))
    assert brier_score(y, mixture) == pytest.approx(brier_score(y, average))
