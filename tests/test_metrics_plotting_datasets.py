"""metrics, plotting and the demo command (data sets: tests/test_datasets.py)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from sklearn_dl import GaussianNLLRegressor  # noqa: E402
from sklearn_dl.cli import main  # noqa: E402
from sklearn_dl.datasets import make_heteroscedastic  # noqa: E402
from sklearn_dl.metrics import interval_coverage, mean_interval_width, mean_nll  # noqa: E402
from sklearn_dl.plotting import plot_loss_curves, plot_prediction_interval  # noqa: E402


def test_mean_nll_continuous_discrete_and_weights(rng):
    y = rng.normal(size=50)
    dist = stats.norm(np.zeros(50), 2.0)
    assert mean_nll(y, dist) == pytest.approx(-dist.logpdf(y).mean())
    counts = rng.poisson(3, size=50)
    pois = stats.poisson(np.full(50, 3.0))
    assert mean_nll(counts, pois) == pytest.approx(-pois.logpmf(counts).mean())
    w = rng.uniform(size=50)
    assert mean_nll(y, dist, sample_weight=w) == pytest.approx(
        -np.average(dist.logpdf(y), weights=w))
    Y = rng.normal(size=(50, 2))
    assert mean_nll(Y, stats.norm(np.zeros((50, 2)), 1.0)) == pytest.approx(
        -stats.norm.logpdf(Y).sum(axis=1).mean())


def test_interval_metrics():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    interval = np.array([[-1, 1], [2, 3], [1.5, 2.5], [0, 10]])
    assert interval_coverage(y, interval) == 0.75
    assert mean_interval_width(interval) == pytest.approx((2 + 1 + 1 + 10) / 4)


def test_plots(tmp_path):
    X, y, _ = make_heteroscedastic(200, random_state=0)
    reg = GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=5, early_stopping=True,
                               random_state=0).fit(X, y)
    ax = plot_loss_curves(reg)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["train loss", "validation loss"]
    assert ax.get_lines()[0].get_xdata().tolist() == list(range(1, reg.n_epochs_ + 1))
    ax = plot_prediction_interval(reg, X, y, alpha=0.1)
    ax.figure.savefig(tmp_path / "interval.png")
    assert (tmp_path / "interval.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="not fitted"):
        plot_loss_curves(GaussianNLLRegressor())


def test_demo_command(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Banknote" in out and "PoissonNLLRegressor" in out
    assert (tmp_path / "demo_heteroscedastic.png").exists()
