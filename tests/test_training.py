"""What every estimator does in fit: seeding, early stopping, penalties, weights, errors."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, LRScheduler

from sklearn_dl import DivergenceWarning, GaussianNLLRegressor, NNClassifier, PoissonNLLRegressor

SMALL = dict(hidden_layer_sizes=(16,), max_epochs=5, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    y_reg = X[:, 0] - 2 * X[:, 1] + rng.normal(scale=0.3, size=300)
    y_cls = (X[:, 0] + X[:, 2] > 0).astype(int)
    y_cnt = rng.poisson(np.exp(0.3 * X[:, 0]))
    return X, {"reg": y_reg, "cls": y_cls, "cnt": y_cnt}


ESTIMATORS = [
    (GaussianNLLRegressor, "reg", "predict"),
    (NNClassifier, "cls", "predict_proba"),
    (PoissonNLLRegressor, "cnt", "predict"),
]


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda e: e[0].__name__)
def fitted(request, data):
    cls, target, method = request.param
    X, ys = data
    est = cls(dropout=0.2, early_stopping=True, **SMALL).fit(X, ys[target])
    return est, X, ys[target], method


def test_same_seed_gives_identical_predictions(fitted):
    est, X, y, method = fitted
    again = clone(est).fit(X, y)
    np.testing.assert_array_equal(getattr(est, method)(X), getattr(again, method)(X))


def test_other_or_no_seed_gives_other_predictions(fitted):
    est, X, y, method = fitted
    other = clone(est).set_params(random_state=1).fit(X, y)
    unseeded = [clone(est).set_params(random_state=None).fit(X, y) for _ in range(2)]
    assert not np.allclose(getattr(est, method)(X), getattr(other, method)(X))
    assert not np.allclose(getattr(unseeded[0], method)(X), getattr(unseeded[1], method)(X))


def test_fit_does_not_touch_global_torch_rng(fitted):
    est, X, y, _ = fitted
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    clone(est).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_persistence_round_trip(fitted, how, tmp_path):
    est, X, _, method = fitted
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))


def test_clone_fitted_and_unfitted(fitted):
    est, X, _, method = fitted
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert not hasattr(cloned, "net_")
    with pytest.raises(NotFittedError):
        getattr(cloned, method)(X)
    assert clone(cloned).get_params() == est.get_params()


def test_fitted_attributes(fitted):
    est, X, _, _ = fitted
    assert est.n_features_in_ == X.shape[1]
    assert est.n_epochs_ == len(est.history_) <= SMALL["max_epochs"]
    assert 1 <= est.best_epoch_ <= est.n_epochs_
    assert {"train_loss", "valid_loss"} <= set(est.history_[-1])
    assert np.isfinite(est.history_[:, "valid_loss"]).all()


def test_wrong_number_of_features_at_predict(fitted):
    est, X, _, method = fitted
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4"):
        getattr(est, method)(X[:, :3])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_are_refused(fitted, bad):
    est, X, y, method = fitted
    X_bad = X.copy()
    X_bad[2, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        clone(est).fit(X_bad, y)
    with pytest.raises(ValueError, match="NaN|infinity"):
        getattr(est, method)(X_bad)


def test_empty_data_is_refused(fitted):
    est, X, y, _ = fitted
    with pytest.raises(ValueError, match="0 sample"):
        clone(est).fit(X[:0], y[:0])


def test_early_stopping_restores_best_weights(data):
    X, ys = data
    # a large lr makes the validation loss bounce, so the last epoch is not the best
    est = GaussianNLLRegressor(hidden_layer_sizes=(64,), lr=0.05, max_epochs=40,
                               early_stopping=True, patience=5, random_state=0)
    est.fit(X, ys["reg"])
    valid = est.history_[:, "valid_loss"]
    assert est.n_epochs_ < 40
    assert est.best_epoch_ == int(np.argmin(valid)) + 1 < est.n_epochs_
    # the kept weights reproduce the best epoch's validation loss
    X_valid, y_valid = _valid_part(est, X, ys["reg"])
    raw = est.net_.forward(torch.as_tensor(X_valid, dtype=torch.float32))
    y_std = (y_valid - est.y_mean_[0]) / est.y_scale_[0]
    loss = est.family_.nll(raw, torch.as_tensor(y_std, dtype=torch.float32)).item()
    np.testing.assert_allclose(loss, min(valid), rtol=1e-4)


def _valid_part(est, X, y):
    seed = np.random.RandomState(est.random_state).randint(0, 2**31 - 1, size=3)[2]
    _, valid_idx = est._split(len(X), y, seed, frac=0.1)
    return X[valid_idx], y[valid_idx]


def test_non_finite_loss_keeps_best_weights_and_warns(data):
    X, ys = data
    est = GaussianNLLRegressor(hidden_layer_sizes=(32,), lr=1e6, optimizer="sgd",
                               max_epochs=20, random_state=0)
    with pytest.warns(DivergenceWarning, match="lower the learning rate"):
        est.fit(X * 1e3, ys["reg"])
    assert est.n_epochs_ < 20  # stopped
    assert np.all(np.isfinite(est.predict(X)))  # a usable model: the best weights kept


def test_strict_divergence_is_an_error_and_leaves_estimator_untouched(data):
    import warnings

    X, ys = data
    est = GaussianNLLRegressor(hidden_layer_sizes=(32,), lr=1e6, optimizer="sgd",
                               max_epochs=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        with pytest.raises(DivergenceWarning, match="lower the learning rate"):
            est.fit(X * 1e3, ys["reg"])
    assert not hasattr(est, "net_")


def test_failed_refit_leaves_previous_fit_intact(data):
    X, ys = data
    est = GaussianNLLRegressor(**SMALL).fit(X, ys["reg"])
    before = est.predict(X)
    with pytest.raises(ValueError):
        est.fit(X[:, :2], np.full(len(X), np.nan))
    assert est.n_features_in_ == 4
    np.testing.assert_array_equal(est.predict(X), before)


@pytest.mark.parametrize("param, value, error, match", [
    ("optimizer", "adamax_typo", ValueError, "Unknown optimizer 'adamax_typo'"),
    ("activation", "swish_typo", ValueError, "Unknown activation"),
    ("dropout", 1.0, ValueError, "dropout must be in"),
    ("lr", -0.1, ValueError, "lr must be in"),
    ("hidden_layer_sizes", (10, 0), ValueError, "hidden_layer_sizes"),
    ("batch_size", 0, ValueError, "batch_size"),
    ("max_epochs", 2.5, TypeError, "max_epochs must be an int"),
    ("validation_fraction", 1.0, ValueError, "validation_fraction"),
    ("callbacks", ["not a callback"], TypeError, "skorch Callback"),
])
def test_bad_parameters_are_named(data, param, value, error, match):
    X, ys = data
    est = NNClassifier(**SMALL).set_params(**{param: value})  # __init__ never validates
    with pytest.raises(error, match=match):
        est.fit(X, ys["cls"])
    assert not hasattr(est, "net_")


def test_optimizer_class_and_names(data):
    X, ys = data
    for opt in ["adam", "adamw", "sgd", "rmsprop", torch.optim.Adagrad]:
        est = NNClassifier(optimizer=opt, **SMALL).fit(X, ys["cls"])
        assert isinstance(est.net_.optimizer_, torch.optim.Optimizer)


def test_sample_weight_ones_equal_none_and_zero_drops_rows(data):
    X, ys = data
    y = ys["reg"]
    full = dict(hidden_layer_sizes=(8,), dropout=0.0, max_epochs=20, batch_size=1000,
                random_state=0)
    a = GaussianNLLRegressor(**full).fit(X, y)
    b = GaussianNLLRegressor(**full).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    # with full-batch training, zero weights are the same as leaving rows out
    w = np.r_[np.ones(200), np.zeros(100)]
    c = GaussianNLLRegressor(**full).fit(X, y, sample_weight=w)
    d = GaussianNLLRegressor(**full).fit(X[:200], y[:200])
    np.testing.assert_allclose(c.predict(X), d.predict(X), rtol=1e-4, atol=1e-5)


def test_sample_weight_equals_repetition(data):
    X, ys = data
    y = ys["cls"]
    full = dict(hidden_layer_sizes=(8,), dropout=0.0, max_epochs=20, batch_size=1000,
                random_state=0)
    w = np.random.RandomState(0).randint(1, 4, size=len(y))
    a = NNClassifier(**full).fit(X, y, sample_weight=w)
    b = NNClassifier(**full).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-4)


def test_sample_weight_changes_the_fit(data):
    X, ys = data
    w = np.where(X[:, 0] > 0, 10.0, 0.1)
    a = GaussianNLLRegressor(**SMALL).fit(X, ys["reg"])
    b = GaussianNLLRegressor(**SMALL).fit(X, ys["reg"], sample_weight=w)
    assert not np.allclose(a.predict(X), b.predict(X))
    with pytest.raises(ValueError, match="(?i)negative"):
        GaussianNLLRegressor(**SMALL).fit(X, ys["reg"], sample_weight=-w)


def test_l1_shrinks_weights_of_useless_inputs():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 10))  # only the first two columns matter
    y = (X[:, 0] - 2 * X[:, 1] + rng.logistic(size=300) > 0).astype(int)
    params = dict(hidden_layer_sizes=(), lr=0.01, max_epochs=60, random_state=0)
    plain = NNClassifier(**params).fit(X, y)
    lasso = NNClassifier(l1=0.03, **params).fit(X, y)

    def weights(est):
        return np.abs(est.net_.module_.head.weight.detach().numpy()[0])

    assert weights(lasso)[2:].sum() < 0.1 * weights(plain)[2:].sum()
    assert weights(lasso)[:2].min() > 0.3  # the useful inputs survive
    assert lasso.score(X, y) > 0.75


def test_weight_decay_shrinks_weights(data):
    X, ys = data
    params = dict(hidden_layer_sizes=(32,), lr=0.01, max_epochs=30, random_state=0)
    a = NNClassifier(**params).fit(X, ys["cls"])
    b = NNClassifier(optimizer="adamw", weight_decay=0.5, **params).fit(X, ys["cls"])

    def norm(est):
        return sum(p.norm().item() for p in est.net_.module_.parameters() if p.dim() > 1)

    assert norm(b) < 0.8 * norm(a)


def test_dropout_and_batchnorm_layers(data):
    X, ys = data
    est = NNClassifier(hidden_layer_sizes=(8, 8), dropout=0.3, batchnorm=True,
                       max_epochs=2, random_state=0).fit(X, ys["cls"])
    kinds = [type(m).__name__ for m in est.net_.module_.body]
    assert kinds.count("Dropout") == 2 and kinds.count("BatchNorm1d") == 2
    # prediction is deterministic: dropout is off at predict time
    np.testing.assert_array_equal(est.predict_proba(X), est.predict_proba(X))


def test_standardize_is_part_of_the_network(data):
    X, ys = data
    est = GaussianNLLRegressor(**SMALL).fit(X * 100 + 50, ys["reg"])
    pre = est.net_.module_.preprocess
    np.testing.assert_allclose(pre.mean.numpy(), (X * 100 + 50).mean(axis=0), rtol=1e-4)
    raw = GaussianNLLRegressor(standardize=False, **SMALL).fit(X, ys["reg"])
    assert isinstance(raw.net_.module_.preprocess, torch.nn.Identity)


def test_user_callbacks_run(data):
    X, ys = data

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = CountEpochs()
    sched = LRScheduler(policy="StepLR", step_size=1, gamma=0.5)
    est = NNClassifier(callbacks=[counter, ("sched", sched)], **SMALL).fit(X, ys["cls"])
    cbs = dict(est.net_.callbacks_)
    assert any(isinstance(cb, CountEpochs) and cb.epochs == 5 for cb in cbs.values())
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5**5)


def test_validation_fraction_without_early_stopping_records_valid_loss(data):
    X, ys = data
    est = NNClassifier(validation_fraction=0.2, **SMALL).fit(X, ys["cls"])
    assert est.n_epochs_ == SMALL["max_epochs"]
    assert "valid_loss" in est.history_[-1]
    assert "valid_loss" not in NNClassifier(**SMALL).fit(X, ys["cls"]).history_[-1]


def test_dataframe_and_dtypes(data):
    X, ys = data
    df = pd.DataFrame(X, columns=list("abcd"))
    est = GaussianNLLRegressor(**SMALL).fit(df, ys["reg"])
    np.testing.assert_array_equal(est.feature_names_in_, list("abcd"))
    a = est.predict(df)
    np.testing.assert_allclose(est.predict(X.astype(np.float32)), a, rtol=1e-6)
    ints = GaussianNLLRegressor(**SMALL).fit(np.round(X * 10).astype(int), ys["reg"])
    assert ints.predict(np.round(X * 10).astype(int)).dtype == np.float64
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"a": "z"}))
