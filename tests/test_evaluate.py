"""evaluate(): the score table and the figure panel, for every kind of model."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _mixture import MixtureRegressor, mixture_data  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.linear_model import BayesianRidge, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_dl import EvaluationReport, NNClassifier, evaluate  # noqa: E402
from sklearn_dl.datasets import load_digits_images  # noqa: E402
from sklearn_dl.metrics import (  # noqa: E402
    brier_score,
    crps,
    expected_calibration_error,
    interval_coverage,
    log_loss,
    mean_nll,
)

REGRESSION_ROWS = ["NLL", "CRPS", "RMSE", "MAE", "R2", "coverage (90%)",
                   "mean width (90%)"]
CLASSIFICATION_ROWS = ["accuracy", "log loss (NLL)", "Brier score", "ECE", "MCE"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    bunch = load_digits_images()
    X = bunch.images.reshape(len(bunch.images), -1)
    return X[:1000], bunch.target[:1000], X[1000:], bunch.target[1000:], bunch.images[1000:]


def test_regression_report_matches_the_metrics_on_a_mixture_model():
    X, y = mixture_data(300, seed=1)
    model = MixtureRegressor().fit(X, y)
    report = evaluate(model, X, y)
    assert isinstance(report, EvaluationReport) and report.task == "regression"
    assert report.scores.index.tolist() == REGRESSION_ROWS
    column = report.scores["MixtureRegressor"]
    dist = model.predict_dist(X)
    assert column["NLL"] == pytest.approx(mean_nll(y, dist))
    assert column["CRPS"] == pytest.approx(crps(y, dist))
    assert column["coverage (90%)"] == pytest.approx(interval_coverage(y, dist, level=0.9))
    assert abs(column["coverage (90%)"] - 0.9) < 0.05  # the model is the truth here
    assert report.scores.loc["R2", "better"] == "higher"
    assert "MixtureRegressor" in repr(report) and "<table" in report._repr_html_()


def test_regression_comparison_with_point_predictor_and_panel(tmp_path):
    X, y = mixture_data(300, seed=2)
    models = {"mixture": MixtureRegressor().fit(X, y), "bayes": BayesianRidge().fit(X, y),
              "forest": RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)}
    report = evaluate(models, X, y, plot=True, level=0.8)
    assert list(report.scores.columns) == ["mixture", "bayes", "forest", "better"]
    assert np.isnan(report.scores.loc["NLL", "forest"])  # no predictive distribution
    assert report.scores.loc["NLL", "mixture"] < report.scores.loc["NLL", "bayes"]
    assert "coverage (80%)" in report.scores.index
    axes = report.figure.axes
    assert len([a for a in axes if a.get_title()]) == 3 * 4
    report.figure.savefig(tmp_path / "panel.png", dpi=40)
    assert (tmp_path / "panel.png").stat().st_size > 10000


def test_classification_report_with_sklearn_and_sklearn_dl_models(digits):
    X, y, Xt, yt, images = digits
    models = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=0.05)),
        "forest": RandomForestClassifier(n_estimators=30, random_state=0),
        "nn": NNClassifier(hidden_layer_sizes=(32,), lr=1e-2, max_epochs=15,
                           random_state=0),
    }
    for model in models.values():
        model.fit(X, y)
    names = [f"digit {k}" for k in range(10)]
    report = evaluate(models, Xt, yt, plot=True, class_names=names, images=images)
    scores = report.scores
    assert report.task == "classification" and scores.index.tolist() == CLASSIFICATION_ROWS
    for name, model in models.items():
        proba = model.predict_proba(Xt)
        assert scores.loc["log loss (NLL)", name] == pytest.approx(log_loss(yt, proba))
        assert scores.loc["Brier score", name] == pytest.approx(brier_score(yt, proba))
        assert scores.loc["ECE", name] == pytest.approx(expected_calibration_error(yt, proba))
        assert scores.loc["accuracy", name] > 0.85
    titled = [a for a in report.figure.axes if a.get_title()]
    assert len(titled) == 3 * 4
    assert "digit 3" in [t.get_text() for t in titled[1].get_xticklabels()]
    assert len(titled[3].get_images()) == 12  # the most confident mistakes


def test_string_labels_and_input_errors():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=200) > 0, "yes", "no")
    clf = LogisticRegression().fit(X, y)
    assert evaluate(clf, X, y).scores.loc["accuracy", "LogisticRegression"] > 0.7
    with pytest.raises(ValueError, match="mix classifiers and regressors"):
        evaluate({"a": clf, "b": BayesianRidge().fit(X, X[:, 0])}, X, y)
    with pytest.raises(ValueError, match="empty"):
        evaluate({}, X, y)
    with pytest.raises(ValueError, match="shape"):
        evaluate(BayesianRidge().fit(X, X[:, 0]), X, X[:, :1])
    with pytest.raises(ValueError, match="level"):
        evaluate(clf, X, y, level=95)
