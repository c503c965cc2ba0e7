"""sklearn_dl estimators inside scikit-learn's meta-estimators and model selection."""

import os

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    BaggingRegressor,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skorch.callbacks import Callback

from sklearn_dl import GaussianNLLRegressor, NNClassifier, PoissonNLLRegressor
from sklearn_dl.datasets import load_banknote, make_counts, make_heteroscedastic
from sklearn_dl.metrics import mean_nll, neg_mean_nll_scorer

FAST = dict(hidden_layer_sizes=(16,), lr=0.01, max_epochs=40, random_state=0)


@pytest.fixture(scope="module")
def banknote():
    X, y = load_banknote(return_X_y=True)
    idx = np.random.RandomState(0).permutation(len(y))[:500]
    return X[idx], y[idx]


@pytest.fixture(scope="module")
def hetero():
    X, y, _ = make_heteroscedastic(600, random_state=0)
    return X, y


def test_pipeline_and_cross_val_score(banknote):
    X, y = banknote
    pipe = make_pipeline(StandardScaler(), NNClassifier(**FAST))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.95


def test_pipeline_with_pandas_output_and_column_transformer():
    import pandas as pd

    rng = np.random.RandomState(0)
    df = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    y = rng.poisson(np.exp(df["x"] + (df["c"] == "a")))
    ct = ColumnTransformer([("num", StandardScaler(), ["x"]),
                            ("cat", OneHotEncoder(sparse_output=False), ["c"])])
    pipe = make_pipeline(ct, PoissonNLLRegressor(**FAST)).set_output(transform="pandas")
    pipe.fit(df, y)
    reg = pipe[-1]
    assert list(reg.feature_names_in_) == ["num__x", "cat__c_a", "cat__c_b"]
    assert pipe.predict(df).shape == (300,)
    assert neg_mean_nll_scorer(pipe, df, y) > -2.0


def test_grid_search_over_top_level_parameters_with_nll_scoring(hetero):
    X, y = hetero
    search = GridSearchCV(
        GaussianNLLRegressor(hidden_layer_sizes=(16,), max_epochs=20, random_state=0),
        {"heteroscedastic": [False, True], "lr": [1e-3, 1e-2]},
        scoring=neg_mean_nll_scorer, cv=3)
    search.fit(X, y)
    # noise grows with |x|, so the input-dependent sd must win on NLL
    assert search.best_params_["heteroscedastic"] is True
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


class RecordThreads(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


def test_parallel_search_does_not_oversubscribe(banknote):
    X, y = banknote
    est = NNClassifier(hidden_layer_sizes=(8,), lr=0.05, max_epochs=5, random_state=0,
                       callbacks=[("threads", RecordThreads())])
    out = cross_validate(est, X, y, cv=2, n_jobs=2, return_estimator=True)
    # joblib's workers limit OpenMP to cores // n_jobs threads, and torch follows
    allowed = max(1, (os.cpu_count() or 2) // 2)
    for fitted in out["estimator"]:
        assert fitted.history_[0]["torch_threads"] <= allowed
    grid = GridSearchCV(est, {"dropout": [0.0, 0.2]}, cv=2, n_jobs=2).fit(X, y)
    assert grid.best_score_ > 0.8


def _fit_predict(est, X, y, seed):
    # dropout in training and in the MC prediction: both draw from torch's global RNG
    return clone(est).set_params(random_state=seed).fit(X, y).predict(X)


def test_seeded_fits_in_threads_equal_sequential_fits(hetero):
    X, y = hetero
    est = GaussianNLLRegressor(hidden_layer_sizes=(16,), dropout=0.3, mc_samples=3,
                               max_epochs=15, batch_size=32)
    seeds = (0, 1, 0, 1)  # different seeds side by side, and the same seed twice
    alone = {seed: _fit_predict(est, X, y, seed) for seed in set(seeds)}
    with joblib.parallel_backend("threading", n_jobs=2):
        together = joblib.Parallel()(joblib.delayed(_fit_predict)(est, X, y, seed)
                                     for seed in seeds)
    for seed, pred in zip(seeds, together):
        np.testing.assert_array_equal(pred, alone[seed])  # bit for bit


def test_threaded_grid_search_equals_the_sequential_one(banknote):
    X, y = banknote
    est = NNClassifier(hidden_layer_sizes=(8,), lr=0.05, max_epochs=8, random_state=0)
    grid = dict(param_grid={"dropout": [0.1, 0.4]}, cv=2, scoring="neg_log_loss")
    alone = GridSearchCV(est, **grid).fit(X, y).cv_results_
    with joblib.parallel_backend("threading"):
        together = GridSearchCV(est, n_jobs=2, **grid).fit(X, y).cv_results_
    for key in ("split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(together[key], alone[key])


def test_transformed_target_regressor(rng):
    X = rng.uniform(0, 2, size=(400, 1))
    y = np.exp(1 + X[:, 0] + rng.normal(scale=0.1, size=400))
    ttr = TransformedTargetRegressor(GaussianNLLRegressor(**FAST), func=np.log,
                                     inverse_func=np.exp).fit(X, y)
    assert ttr.score(X, y) > 0.8


def test_bagging_regressor(hetero):
    X, y = hetero
    bag = BaggingRegressor(GaussianNLLRegressor(**FAST), n_estimators=3,
                           random_state=0).fit(X, y)
    assert bag.score(X, y) > 0.5
    members = [est.predict(X) for est in bag.estimators_]
    assert not np.allclose(members[0], members[1])  # bootstrap samples differ


def test_voting_stacking_and_calibration(banknote):
    X, y = banknote
    nn = NNClassifier(**FAST)
    voting = VotingClassifier([("nn", nn), ("lr", LogisticRegression())], voting="soft")
    assert voting.fit(X, y).score(X, y) > 0.95
    stacking = StackingClassifier([("nn", nn), ("rf", RandomForestClassifier(
        n_estimators=20, random_state=0))], cv=3)
    assert stacking.fit(X, y).score(X, y) > 0.95
    calibrated = CalibratedClassifierCV(nn, cv=3).fit(X, y)
    proba = calibrated.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert calibrated.score(X, y) > 0.95


def test_nll_scorer_counts_and_classifiers(banknote):
    X, y, _ = make_counts(300, random_state=0)
    reg = PoissonNLLRegressor(**FAST).fit(X, y)
    assert neg_mean_nll_scorer(reg, X, y) == pytest.approx(-mean_nll(y, reg.predict_dist(X)))
    Xb, yb = banknote
    clf = NNClassifier(**FAST).fit(Xb, yb)
    assert neg_mean_nll_scorer(clf, Xb, yb) == pytest.approx(-log_loss(yb, clf.predict_proba(Xb)))
    with pytest.raises(TypeError, match="predict_dist"):
        neg_mean_nll_scorer(make_pipeline(StandardScaler(), Ridge()).fit(X, y), X, y)
