"""Metrics, plots and evaluate() on the package's own predictive distributions: a single
network, MC dropout and deep ensembles (mixtures)."""

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from sklearn_dl import (  # noqa: E402
    DeepEnsembleClassifier,
    DeepEnsembleRegressor,
    GaussianNLLRegressor,
    NNClassifier,
    PoissonNLLRegressor,
    evaluate,
)
from sklearn_dl.datasets import make_heteroscedastic  # noqa: E402
from sklearn_dl.metrics import (  # noqa: E402
    crps,
    expected_calibration_error,
    get_scorer,
    interval_coverage,
    mean_nll,
    pit_values,
)
from sklearn_dl.plotting import plot_pit_histogram, plot_reliability_diagram  # noqa: E402


@pytest.fixture(scope="module")
def fits():
    X, y, _ = make_heteroscedastic(700, random_state=0)
    params = dict(hidden_layer_sizes=(32,), dropout=0.1, lr=5e-3, max_epochs=40,
                  batch_size=64, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single = GaussianNLLRegressor(**params).fit(X[:500], y[:500])
        ens = DeepEnsembleRegressor(GaussianNLLRegressor(**params), n_estimators=3,
                                    random_state=0).fit(X[:500], y[:500])
        clf = DeepEnsembleClassifier(NNClassifier(max_epochs=20, random_state=0),
                                     n_estimators=2, random_state=0).fit(X[:500], y[:500] > 0)
    return X[500:], y[500:], single, ens, clf


def _dists(fits):
    Xte, _, single, ens, _ = fits
    return {"single": single.predict_dist(Xte),
            "mc dropout": single.predict_dist(Xte, mc_samples=8),
            "ensemble": ens.predict_dist(Xte)}


def test_regression_metrics_agree_across_single_and_mixtures(fits):
    _, yte, _, _, _ = fits
    for name, dist in _dists(fits).items():
        nll = mean_nll(yte, dist)
        c = crps(yte, dist)
        c_q = crps(yte, dist, method="quantile")
        assert np.isfinite(nll) and 0 < c < 2, name
        assert c == pytest.approx(c_q, rel=5e-3), name  # closed form vs quantile rule
        cover = interval_coverage(yte, dist, level=0.9)
        assert 0.8 < cover <= 1.0, name
        pit = pit_values(yte, dist)
        assert pit.shape == yte.shape and 0 <= pit.min() and pit.max() <= 1


def test_scorers_and_evaluate_on_ensembles(fits):
    Xte, yte, single, ens, clf = fits
    assert get_scorer("neg_crps")(ens, Xte, yte) == pytest.approx(
        -crps(yte, ens.predict_dist(Xte)))
    report = evaluate({"single": single, "ensemble": ens}, Xte, yte)
    assert {"NLL", "CRPS", "RMSE"} <= set(report.scores.index)
    creport = evaluate(clf, Xte, yte > 0)
    assert creport.scores.loc["accuracy"].iloc[0] > 0.8
    ece = expected_calibration_error(yte > 0, clf.predict_dist(Xte))
    assert 0 <= ece < 0.3


def test_plots_on_mixtures(fits, tmp_path):
    Xte, yte, _, ens, clf = fits
    ax = plot_pit_histogram(yte, ens.predict_dist(Xte))
    ax.figure.savefig(tmp_path / "pit.png")
    ax = plot_reliability_diagram(yte > 0, clf.predict_dist(Xte))
    ax.figure.savefig(tmp_path / "rel.png")
    assert (tmp_path / "pit.png").stat().st_size > 1000
    assert (tmp_path / "rel.png").stat().st_size > 1000


def test_discrete_mixture_crps_sums_over_the_integers():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ens = DeepEnsembleRegressor(PoissonNLLRegressor(max_epochs=10), n_estimators=2,
                                    random_state=0).fit(X, y)
    dist = ens.predict_dist(X)
    assert crps(y, dist) == pytest.approx(crps(y, dist, method="sample", n_samples=4000,
                                               random_state=0), rel=0.05)
