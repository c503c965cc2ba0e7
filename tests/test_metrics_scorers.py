"""Scorers: larger is better, names, Pipelines, GridSearchCV and cross_validate."""

import numpy as np
import pytest
from _mixture import MixtureRegressor, mixture_data
from sklearn.linear_model import BayesianRidge, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl import GaussianNLLRegressor
from sklearn_dl.datasets import load_banknote, make_heteroscedastic
from sklearn_dl.metrics import (
    TASK_SCORERS,
    crps,
    expected_calibration_error,
    get_scorer,
    get_scorer_names,
    get_scorers,
    interval_coverage,
    mean_nll,
    neg_mean_nll_scorer,
)

REGRESSION_LOSSES = ["neg_mean_nll", "neg_crps", "neg_quantile_loss",
                     "neg_interval_coverage_error"]
CLASSIFICATION_LOSSES = ["neg_mean_nll", "neg_log_loss", "neg_brier_score",
                         "neg_expected_calibration_error", "neg_maximum_calibration_error"]


@pytest.fixture(scope="module")
def mixture_xy():
    return mixture_data(200, seed=0)


@pytest.mark.parametrize("name", REGRESSION_LOSSES)
def test_regression_scorers_prefer_the_true_mixture(mixture_xy, name):
    X, y = mixture_xy
    scorer = get_scorer(name)
    true, too_wide = MixtureRegressor(1.0).fit(X, y), MixtureRegressor(3.0).fit(X, y)
    assert scorer(true, X, y) > scorer(too_wide, X, y)
    assert scorer(true, X, y) <= 0  # a negated loss


def test_regression_scorer_values_and_interval_options(mixture_xy):
    X, y = mixture_xy
    model = MixtureRegressor().fit(X, y)
    dist = model.predict_dist(X)
    assert get_scorer("neg_crps")(model, X, y) == pytest.approx(-crps(y, dist))
    assert get_scorer("interval_coverage", level=0.5)(model, X, y) == pytest.approx(
        interval_coverage(y, dist, level=0.5))
    narrow = get_scorer("neg_mean_interval_width", level=0.5)(model, X, y)
    wide = get_scorer("neg_mean_interval_width", level=0.95)(model, X, y)
    assert narrow > wide  # narrower intervals score higher


@pytest.mark.parametrize("name", CLASSIFICATION_LOSSES + ["accuracy"])
def test_classification_scorers_prefer_the_better_model(name):
    X, y = load_banknote(return_X_y=True)
    good = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[::2], y[::2])
    weak = make_pipeline(StandardScaler(), LogisticRegression(C=1e-3)).fit(X[::2], y[::2])
    scorer = get_scorer(name)
    assert scorer(good, X[1::2], y[1::2]) > scorer(weak, X[1::2], y[1::2])


def test_classification_scorer_uses_classes_order():
    X, y = load_banknote(return_X_y=True)
    labels = np.array(["genuine", "forged"])[y]  # sorted: forged, genuine
    clf = LogisticRegression().fit(X, labels)
    assert get_scorer("neg_expected_calibration_error", n_bins=5)(clf, X, labels) == \
        pytest.approx(-expected_calibration_error(labels, clf.predict_proba(X), n_bins=5,
                                                  labels=clf.classes_))


def test_nll_scorer_on_sklearn_dl_pipeline_and_return_std_models():
    X, y, _ = make_heteroscedastic(300, random_state=0)
    pipe = make_pipeline(StandardScaler(), GaussianNLLRegressor(
        hidden_layer_sizes=(16,), lr=1e-2, max_epochs=30, random_state=0)).fit(X, y)
    dist = pipe[-1].predict_dist(pipe[0].transform(X))
    assert neg_mean_nll_scorer(pipe, X, y) == pytest.approx(-mean_nll(y, dist))
    bayes = BayesianRidge().fit(X, y)  # predict(return_std=True) -> a Normal
    mean, std = bayes.predict(X, return_std=True)
    assert get_scorer("neg_crps")(bayes, X, y) == pytest.approx(
        -crps(y, __import__("scipy").stats.norm(mean, std)))
    with pytest.raises(TypeError, match="predict_dist"):
        get_scorer("neg_crps")(Ridge().fit(X, y), X, y)
    with pytest.raises(TypeError, match="classifier"):
        get_scorer("neg_brier_score")(bayes, X, y)


def test_scorers_in_grid_search_and_cross_validate(mixture_xy):
    X, y = mixture_xy
    scorer = get_scorer("neg_crps", n_quantiles=20)  # coarse: this test is the wiring
    search = GridSearchCV(MixtureRegressor(), {"spread": [0.5, 1.0, 2.0]},
                          scoring=scorer, cv=2).fit(X, y)
    assert search.best_params_ == {"spread": 1.0}
    # the search object itself exposes the best model's distribution to the scorers
    assert scorer(search, X, y) == pytest.approx(scorer(search.best_estimator_, X, y))
    scores = cross_validate(MixtureRegressor(), X, y, cv=2,
                            scoring=get_scorers(["neg_mean_nll", "r2", "interval_coverage"],
                                                level=0.8))
    assert np.all(np.abs(scores["test_interval_coverage"] - 0.8) < 0.08)
    assert np.all(scores["test_r2"] > 0.5)
    Xb, yb = load_banknote(return_X_y=True)
    scores = cross_validate(LogisticRegression(max_iter=500), Xb, yb, cv=3,
                            scoring=get_scorers(task="classification"))
    assert set(TASK_SCORERS["classification"]) <= {k[5:] for k in scores if k[:5] == "test_"}
    assert np.all(scores["test_neg_expected_calibration_error"] > -0.1)


def test_scorer_names_and_option_errors():
    assert "neg_crps" in get_scorer_names() and "r2" not in get_scorer_names()
    assert get_scorer("r2")._score_func.__name__ == "r2_score"  # scikit-learn's own
    with pytest.raises(ValueError, match="Unknown scorer"):
        get_scorer("neg_crsp")
    with pytest.raises(TypeError, match="no option"):
        get_scorer("neg_crps", level=0.9)
    with pytest.raises(ValueError, match="level"):
        get_scorer("interval_coverage", level=1.5)
    with pytest.raises(ValueError, match="names or task"):
        get_scorers()
    with pytest.raises(ValueError, match="sample_weight"):
        get_scorer("interval_coverage")(MixtureRegressor().fit(np.zeros((2, 1)), [0, 0]),
                                        np.zeros((2, 1)), np.zeros(2), sample_weight=[1, 1])


def test_scikit_learn_does_not_accept_our_names_as_strings(mixture_xy):
    # why get_scorer exists: scikit-learn validates scoring strings against its own
    # registry (fixed at import, no public way to add names in 1.9); if this ever
    # passes, the scorer docs should say the names work directly
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = mixture_xy
    with pytest.raises(InvalidParameterError, match="scoring"):
        GridSearchCV(MixtureRegressor(), {"spread": [1.0]}, scoring="neg_crps").fit(X, y)
