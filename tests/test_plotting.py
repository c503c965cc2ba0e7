"""Plots: they draw what they claim, save a non-empty figure, and refuse bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from _mixture import normal_mixture  # noqa: E402
from scipy import stats  # noqa: E402

from sklearn_dl import GaussianNLLRegressor  # noqa: E402
from sklearn_dl.datasets import make_heteroscedastic  # noqa: E402
from sklearn_dl.plotting import (  # noqa: E402
    plot_accuracy_vs_confidence,
    plot_confident_mistakes,
    plot_confusion_matrix,
    plot_coverage,
    plot_loss_curves,
    plot_pit_histogram,
    plot_predicted_vs_observed,
    plot_prediction_interval,
    plot_reliability_diagram,
    plot_uncertainty_vs_error,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _saved(ax, tmp_path, name="fig.png"):
    ax.figure.savefig(tmp_path / name)
    return (tmp_path / name).stat().st_size


@pytest.fixture
def normal_case(rng):
    mu, sd = rng.normal(size=400), rng.uniform(0.5, 2, size=400)
    return rng.normal(mu, sd), stats.norm(mu, sd)


@pytest.fixture
def proba_case(rng):
    proba = rng.dirichlet(np.full(3, 0.5), size=300)
    y = np.array([rng.choice(3, p=p) for p in proba])
    return y, proba


def test_loss_curves_and_prediction_interval(tmp_path):
    X, y, _ = make_heteroscedastic(200, random_state=0)
    reg = GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=5, early_stopping=True,
                               random_state=0).fit(X, y)
    ax = plot_loss_curves(reg)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["train loss", "validation loss"]
    assert ax.get_lines()[0].get_xdata().tolist() == list(range(1, reg.n_epochs_ + 1))
    ax = plot_prediction_interval(reg, X, y, alpha=0.1)
    assert _saved(ax, tmp_path) > 1000
    with pytest.raises(ValueError, match="not fitted"):
        plot_loss_curves(GaussianNLLRegressor())
    with pytest.raises(ValueError, match="feature=3"):
        plot_prediction_interval(reg, X, y, feature=3)


@pytest.mark.parametrize("which", ["single", "mixture"])
def test_regression_plots_draw_and_save(which, normal_case, tmp_path):
    if which == "single":
        y, dist = normal_case
    else:
        dist = normal_mixture(400)
        y = dist.rvs(random_state=0)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    plot_predicted_vs_observed(y, dist, level=0.8, ax=axes[0], name="m")
    plot_pit_histogram(y, dist, ax=axes[1])
    plot_coverage(y, dist, levels=[0.5, 0.9], ax=axes[2])
    plot_uncertainty_vs_error(y, dist, n_bins=5, ax=axes[3])
    assert _saved(axes[0], tmp_path) > 5000
    # predicted vs observed: legend states the coverage, misses are counted
    lower, upper = dist.interval(0.8)
    n_out = int(np.sum((y < lower) | (y > upper)))
    labels = axes[0].get_legend_handles_labels()[1]
    assert f"outside ({n_out} of 400)" in labels
    # PIT: the histogram of a calibrated model has density about 1 everywhere
    heights = axes[1].patches[-1].get_path().vertices[:, 1]
    assert np.all(np.abs(heights[heights > 0] - 1) < 0.5)
    # coverage: the model's curve follows the nominal diagonal
    curve = axes[2].get_lines()[1]
    np.testing.assert_allclose(curve.get_ydata(), [0.5, 0.9], atol=0.08)
    # uncertainty vs error: binned RMSE about the binned predicted sd
    binned = axes[3].get_lines()[0]
    np.testing.assert_allclose(binned.get_ydata(), binned.get_xdata(), rtol=0.4)


def test_coverage_accepts_intervals_from_elsewhere(normal_case):
    y, dist = normal_case
    intervals = {level: np.column_stack(dist.interval(level)) for level in (0.5, 0.9)}
    ax = plot_coverage(y, intervals, name="conformal")
    plot_coverage(y, dist, levels=[0.5, 0.9], name="model", ax=ax)
    curves = [line for line in ax.get_lines() if line.get_label() != "nominal"]
    np.testing.assert_allclose(curves[0].get_ydata(), curves[1].get_ydata())
    assert ax.get_legend_handles_labels()[1].count("nominal") == 1


def test_regression_plots_refuse_bad_input(normal_case):
    y, dist = normal_case
    with pytest.raises(ValueError, match="batch shape"):
        plot_pit_histogram(y[:10], dist)
    with pytest.raises(TypeError, match="predictive distribution"):
        plot_predicted_vs_observed(y, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="one target"):
        plot_predicted_vs_observed(np.zeros((5, 2)), stats.norm(np.zeros((5, 2)), 1))
    with pytest.raises(ValueError, match="bins"):
        plot_pit_histogram(y, dist, bins=0)
    with pytest.raises(ValueError, match="shape"):
        plot_coverage(y, {0.9: np.zeros((3, 2))})
    with pytest.raises(TypeError, match="Axes"):
        plot_coverage(y, dist, ax="left")


def test_reliability_diagram_counts_and_overlay(proba_case, tmp_path):
    y, proba = proba_case
    ax = plot_reliability_diagram(y, proba, n_bins=5, name="A")
    plot_reliability_diagram(y, np.full_like(proba, 1 / 3), n_bins=5, name="uniform", ax=ax)
    assert _saved(ax, tmp_path) > 5000
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1  # one counts axis shared by both curves
    heights = [p.get_height() for p in twins[0].patches]
    assert sum(heights) == 2 * len(y)
    labels = ax.get_legend_handles_labels()[1]
    assert labels[0] == "Perfectly calibrated" and labels.count("Perfectly calibrated") == 1
    assert labels[1].startswith("A (ECE ")
    with pytest.raises(ValueError, match="sum to one"):
        plot_reliability_diagram(y, proba * 0.5)


def test_confusion_matrix_with_class_names(proba_case, tmp_path):
    y, proba = proba_case
    names = ["cat", "dog", "bird"]
    ax = plot_confusion_matrix(y, proba, labels=[0, 1, 2], class_names=names)
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert _saved(ax, tmp_path) > 3000
    counts = np.array([[float(t.get_text()) for t in ax.texts]]).reshape(3, 3)
    pred = proba.argmax(axis=1)
    assert counts[0, 1] == np.sum((y == 0) & (pred == 1))
    with pytest.raises(ValueError, match="class_names"):
        plot_confusion_matrix(y, pred, class_names=["a", "b"])
    with pytest.raises(ValueError, match="labels but y_pred"):
        plot_confusion_matrix(y, pred[:5])


def test_accuracy_vs_confidence_plot(proba_case):
    y, proba = proba_case
    ax = plot_accuracy_vs_confidence(y, proba, name="m")
    accuracy, kept = ax.get_lines()
    assert kept.get_ydata()[0] == 1.0 and np.all(np.diff(kept.get_ydata()) <= 0)
    assert accuracy.get_label() == "m: accuracy"


@pytest.mark.parametrize("layout", ["nhw", "nhwc", "nchw", "tensor", "float"])
def test_confident_mistakes_grid(layout, rng, tmp_path):
    n = 30
    images = rng.randint(0, 256, size=(n, 12, 10, 3)).astype(np.uint8)
    y = rng.randint(0, 3, size=n)
    proba = rng.dirichlet(np.ones(3), size=n)
    data = {"nhw": images[..., 0], "nhwc": images, "nchw": images.transpose(0, 3, 1, 2),
            "tensor": torch.from_numpy(images.transpose(0, 3, 1, 2).copy()),
            "float": images / 255.0}[layout]
    ax = plot_confident_mistakes(data, y, proba, class_names=["a", "b", "c"], n_images=6)
    assert _saved(ax, tmp_path) > 3000
    assert len(ax.get_images()) == 6
    wrong = np.flatnonzero(proba.argmax(1) != y)
    top = wrong[np.argsort(-proba[wrong].max(1))][:6]
    shown = [float(t.get_text().split("(")[1].rstrip(")")) for t in ax.texts]
    np.testing.assert_allclose(shown, np.round(proba[top].max(1), 2))
    assert ax.texts[0].get_text().startswith(f"true: {'abc'[y[top[0]]]}\npred: ")
    first = ax.get_images()[0].get_array()
    expect = images[top[0]][..., 0] if layout == "nhw" else images[top[0]]
    np.testing.assert_allclose(np.asarray(first), expect / 255.0, atol=1e-6)


def test_confident_mistakes_edge_cases(rng):
    images = rng.uniform(-2, 2, size=(4, 1, 5, 5))  # standardised floats: stretched
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    ax = plot_confident_mistakes(images, [0, 0, 1, 1], proba)
    assert ax.texts[0].get_text() == "no mistakes"
    ax = plot_confident_mistakes(images, [1, 0, 1, 1], proba)
    tile = np.asarray(ax.get_images()[0].get_array())
    assert tile.min() == 0 and tile.max() == 1
    with pytest.raises(ValueError, match="4 images for 3 labels"):
        plot_confident_mistakes(images, [1, 0, 1], proba[:3])
    with pytest.raises(ValueError, match="class_names"):
        plot_confident_mistakes(images, [1, 0, 1, 1], proba, class_names=["x"])
