"""Training you can trust: no silent garbage, warm starts, partial_fit, every skorch
callback, progress, clear errors, and defaults that train long enough."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    GradientNormClipping,
    LRScheduler,
    ProgressBar,
)

from sklearn_dl import (
    DivergenceWarning,
    FitInterruptedWarning,
    GaussianNLLRegressor,
    NNClassifier,
    PoissonNLLRegressor,
)
from sklearn_dl.datasets import load_banknote, make_counts, make_heteroscedastic
from sklearn_dl.metrics import mean_nll, neg_mean_nll_scorer

SMALL = dict(hidden_layer_sizes=(16,), max_epochs=5, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    y_reg = X[:, 0] - 2 * X[:, 1] + rng.normal(scale=0.3, size=300)
    y_cls = (X[:, 0] + X[:, 2] > 0).astype(int)
    return X, y_reg, y_cls


# -- finite blow-ups are caught, with the course's advice ---------------------------------
def _fit_warns(est, X, y):
    with pytest.warns(DivergenceWarning, match="diverged: lower the learning rate") as rec:
        est.fit(X, y)
    return str(rec[0].message)


def test_gaussian_sgd_blowup_on_unscaled_data_is_caught():
    X, y = load_diabetes(return_X_y=True)
    est = GaussianNLLRegressor(optimizer="sgd", lr=10, standardize=False, max_epochs=30,
                               random_state=0)
    _fit_warns(est, X * 100 + 50, y)
    # not silent garbage: the model falls back to the marginal distribution of y
    mean, std = est.predict(X[:5] * 100 + 50, return_std=True)
    np.testing.assert_allclose(mean, y.mean(), rtol=1e-6)
    assert std[0] < 2 * y.std()


def test_poisson_sgd_blowup_is_caught():
    X, y, _ = make_counts(400, random_state=0)
    est = PoissonNLLRegressor(optimizer="sgd", lr=1, max_epochs=30, random_state=0)
    message = _fit_warns(est, X, y)
    assert "far above" in message or "non-finite" in message or "became" in message
    assert est.n_iter_ < 30
    assert np.all(est.predict(X) < 10 * y.max())  # no 1e13 counts


def test_divergence_message_names_the_null_model_it_compares_with():
    # the loss is compared with the head's zero-weight model: with an intercept that is
    # the best constant prediction of y, without one the linear predictors at 0
    X, y = load_diabetes(return_X_y=True)
    X = X * 100 + 50
    messages = {}
    for fit_intercept in (True, False):
        est = GaussianNLLRegressor(optimizer="sgd", lr=10, standardize=False,
                                   hidden_layer_sizes=(), fit_intercept=fit_intercept,
                                   max_epochs=30, random_state=0)
        messages[fit_intercept] = _fit_warns(est, X, y)
    for fit_intercept, message in messages.items():
        assert "far above" in message
        assert ("best constant prediction of y" in message) is fit_intercept
        assert ("linear predictors 0" in message) is not fit_intercept


def test_classifier_huge_lr_blowup_is_caught():
    X, y = load_banknote(return_X_y=True)
    est = NNClassifier(lr=100, max_epochs=30, random_state=0)
    _fit_warns(est, X, y)
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba))
    # what is kept is no worse than the marginal model on the training data
    assert mean_nll_of(est, X, y) <= -stats.bernoulli(y.mean()).logpmf(y).mean() + 1e-6


def mean_nll_of(est, X, y):
    return -neg_mean_nll_scorer(est, X, y)


def test_never_improving_fit_warns(data):
    X, y, _ = data
    est = GaussianNLLRegressor(lr=1e-12, max_epochs=3, random_state=0)
    with pytest.warns(DivergenceWarning, match="never improved"):
        est.fit(X, y)


def test_max_epochs_while_still_improving_gives_convergence_warning(data):
    X, y, _ = data
    with pytest.warns(ConvergenceWarning, match="max_epochs=3 reached"):
        GaussianNLLRegressor(max_epochs=3, random_state=0).fit(X, y)


# -- interrupts -------------------------------------------------------------------------
class InterruptAt(Callback):
    def __init__(self, epoch=3):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_interrupted_fit_keeps_best_weights_and_warns(data):
    X, y, _ = data
    est = GaussianNLLRegressor(max_epochs=50, validation_fraction=0.2,
                               callbacks=[InterruptAt(4)], random_state=0)
    with pytest.warns(FitInterruptedWarning, match="interrupted after 4 of 50"):
        est.fit(X, y)
    assert est.n_iter_ == 4
    assert est.score(X, y) > 0.5  # a usable model
    # the kept weights are the best validation epoch's
    valid = est.history_[:, "valid_loss"]
    assert est.best_epoch_ == int(np.argmin(valid)) + 1


# -- warm start and partial_fit -----------------------------------------------------------
def test_warm_start_continues_where_it_stopped(data):
    X, y, _ = data
    est = GaussianNLLRegressor(max_epochs=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        first = list(est.loss_curve_)
        est.fit(X, y)
    assert est.n_iter_ == 10 == len(est.loss_curve_)
    assert est.loss_curve_[:5] == first
    # continues from the fitted weights: the first continued epoch is no restart
    assert est.loss_curve_[5] < first[0]
    assert est.loss_curve_[9] < first[4]
    cold = clone(est).set_params(warm_start=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold.fit(X, y).fit(X, y)
    assert cold.n_iter_ == 5


def test_warm_start_refuses_new_classes(data):
    X, _, y = data
    est = NNClassifier(max_epochs=2, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="cannot add classes"):
        est.fit(X, np.where(y == 1, 2, y))
    assert est.n_iter_ == 2  # untouched


def test_partial_fit_on_batches_approaches_a_full_fit(data):
    X, y, _ = data
    full = GaussianNLLRegressor(max_epochs=20, batch_size=32, random_state=0).fit(X, y)
    inc = GaussianNLLRegressor(batch_size=32, random_state=0)
    for epoch in range(20):
        for part in np.array_split(np.arange(len(X)), 3):
            inc.partial_fit(X[part], y[part])
    assert inc.n_iter_ == 60
    assert inc.score(X, y) > 0.9
    assert abs(inc.score(X, y) - full.score(X, y)) < 0.05


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_predictions_follow_every_update(data, optimizer):
    """Predicting between updates never returns the weights of an earlier update (the
    fused Adam kernels change weights without bumping their tensors' versions)."""
    import pickle

    X, y, _ = data
    est = GaussianNLLRegressor(max_epochs=2, optimizer=optimizer, lr=0.01, random_state=0,
                               warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        before = est.fit(X, y).predict(X)
        after_partial = est.partial_fit(X, y).predict(X)
        after_warm = est.fit(X, y).predict(X)
    assert not np.allclose(before, after_partial)
    assert not np.allclose(after_partial, after_warm)
    np.testing.assert_allclose(after_warm, pickle.loads(pickle.dumps(est)).predict(X))


def test_classifier_partial_fit_needs_classes_first(data):
    X, _, y = data
    clf = NNClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y == 0][:10], y[y == 0][:10], classes=[0, 1])  # one class present
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.score(X, y) > 0.9


# -- every skorch callback --------------------------------------------------------------
def test_epoch_scoring_with_string_scorers(data):
    X, y, y_cls = data
    clf = NNClassifier(max_epochs=4, validation_fraction=0.2, random_state=0, callbacks=[
        EpochScoring("accuracy", lower_is_better=False),
        EpochScoring("neg_log_loss", on_train=True, name="train_nll", lower_is_better=False),
    ]).fit(X, y_cls)
    acc = clf.history_[:, "accuracy"]
    assert len(acc) == 4 and all(0.5 <= a <= 1 for a in acc)
    assert all(v < 0 for v in clf.history_[:, "train_nll"])
    reg = GaussianNLLRegressor(max_epochs=4, validation_fraction=0.2, random_state=0,
                               callbacks=[EpochScoring("r2", lower_is_better=False)]).fit(X, y)
    assert reg.history_[-1, "r2"] > 0.5  # in the target's units: a real R^2


def test_lr_scheduler_gradient_clipping_checkpoint_earlystopping_progressbar(data, tmp_path,
                                                                            capsys):
    X, y, _ = data
    est = GaussianNLLRegressor(
        max_epochs=30, validation_fraction=0.2, random_state=0, callbacks=[
            ("lr", LRScheduler(policy="StepLR", step_size=1, gamma=0.5)),
            GradientNormClipping(gradient_clip_value=1.0),
            Checkpoint(dirname=str(tmp_path), monitor="valid_loss_best"),
            EarlyStopping(patience=3),
            ProgressBar(),
        ]).fit(X, y)
    assert est.n_iter_ < 30  # skorch's own EarlyStopping ended it
    assert any(p.name.endswith(".pt") for p in tmp_path.iterdir())
    assert est.net_.optimizer_.param_groups[0]["lr"] < 1e-3 * 0.5 ** 2


def test_set_params_reaches_callbacks(data):
    X, y, _ = data
    est = GaussianNLLRegressor(
        max_epochs=3, random_state=0,
        callbacks=[("lr", LRScheduler(policy="StepLR", step_size=1, gamma=0.5))])
    assert est.get_params()["callbacks__lr__gamma"] == 0.5
    est.set_params(callbacks__lr__gamma=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.1 ** 3)
    with pytest.raises(ValueError, match="callbacks are named"):
        est.set_params(callbacks__nope__gamma=1)
    search = GridSearchCV(est, {"callbacks__lr__gamma": [0.5, 0.9]}, cv=2).fit(X, y)
    assert search.best_params_["callbacks__lr__gamma"] in (0.5, 0.9)


# -- progress ---------------------------------------------------------------------------
def test_verbose_progress_bar(data, capsys):
    X, y, _ = data
    GaussianNLLRegressor(max_epochs=3, validation_fraction=0.2, verbose=1,
                         random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert "GaussianNLLRegressor" in err and "train_loss" in err and "valid_loss" in err
    assert "\x1b[" not in err  # no colour codes when not a terminal
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GaussianNLLRegressor(max_epochs=3, random_state=0).fit(X, y)
    assert capsys.readouterr().err == ""


def test_verbose_names_compared_bodies_and_prints_messages_after_the_bar(monkeypatch):
    import io
    import pickle
    import sys

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    y = 2 * X[:, 0] + rng.normal(size=400)
    screen = io.StringIO()  # stdout and stderr on one screen, as in a terminal
    monkeypatch.setattr(sys, "stdout", screen)
    monkeypatch.setattr(sys, "stderr", screen)
    est = GaussianNLLRegressor(max_epochs=60, early_stopping=True, patience=2, verbose=1,
                               random_state=0).fit(X, y)
    monkeypatch.undo()
    lines = screen.getvalue().splitlines()
    # four compared bodies, each bar titled with what it varies in
    assert any("[1/4: activation='relu', dropout=0.1]" in line for line in lines)
    assert any("[4/4: activation='elu', dropout=0.0]" in line for line in lines)
    # early stopping's message follows its closed bar on a line of its own
    stops = [line for line in lines if "Stopping since" in line]
    assert len(stops) == 4
    assert all(line.startswith("Stopping since valid_loss has not improved")
               for line in stops)
    last = lines[-1]
    kept = f"activation={est.activation_!r}, dropout={est.dropout_!r}"
    assert last.startswith(f"GaussianNLLRegressor: kept {kept} of 4 bodies")
    assert f"{-est.best_validation_score_:.4f}" in last
    # the bar's message hook pickles with the net
    assert np.allclose(pickle.loads(pickle.dumps(est)).predict(X[:5]), est.predict(X[:5]))


def test_verbose_table_has_no_colour_codes_in_a_log(data, capsys):
    X, y, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GaussianNLLRegressor(max_epochs=3, verbose=2, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "\x1b[" not in out
    assert "*" in out  # the best values are marked instead


# -- targets and parameters: clear errors or sklearn's behaviour -------------------------
def test_poisson_accepts_rates_with_exposure_and_keeps_nll_finite():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2))
    exposure = rng.uniform(0.5, 3, size=400)
    counts = rng.poisson(exposure * np.exp(0.5 * X[:, 0]))
    rate = counts / exposure
    reg = PoissonNLLRegressor(max_epochs=30, random_state=0).fit(X, rate,
                                                                 sample_weight=exposure)
    # rates are scored by the exposure-weighted deviance (sklearn's PoissonRegressor recipe);
    # a Poisson log-likelihood of non-integer rates is not defined and says so
    from sklearn.metrics import mean_poisson_deviance
    dev = mean_poisson_deviance(rate, reg.predict(X), sample_weight=exposure)
    null = mean_poisson_deviance(rate, np.full_like(rate, np.average(rate, weights=exposure)),
                                 sample_weight=exposure)
    assert np.isfinite(dev) and dev < 0.9 * null
    with pytest.raises(ValueError, match="non-integer"):
        neg_mean_nll_scorer(reg, X, rate)
    # the rate model learned the covariate effect
    assert np.corrcoef(reg.predict(X), np.exp(0.5 * X[:, 0]))[0, 1] > 0.9
    with pytest.raises(ValueError, match="non-negative counts or rates"):
        reg.fit(X, -rate)


def test_string_target_on_regressor_is_a_clear_error(data):
    X, _, _ = data
    y = np.array(["a", "b"] * 150)
    with pytest.raises(ValueError, match="is a regressor: y must be numeric.*NNClassifier"):
        GaussianNLLRegressor(**SMALL).fit(X, y)


def test_numeric_strings_in_X_are_accepted_as_scikit_learn_does(data):
    X, y, _ = data
    est = GaussianNLLRegressor(**SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X.astype(str), y)
    np.testing.assert_allclose(est.predict(X.astype(str)), est.predict(X), rtol=1e-6)


@pytest.mark.parametrize("param, value, match", [
    ("device", "tpu", "device='tpu' is not a device"),
    ("device", "cuda:0", "CUDA is not available"),
    ("early_stopping", "yes", "early_stopping must be"),
    ("max_epochs", "many", "max_epochs must be 'auto'"),
    ("batch_size", 0, "batch_size"),
    ("mc_samples", -1, "mc_samples"),
])
def test_bad_training_parameters_are_named(data, param, value, match):
    X, y, _ = data
    if value == "cuda:0":
        import torch

        if torch.cuda.is_available():
            pytest.skip("CUDA is available here")
    est = GaussianNLLRegressor(**SMALL).set_params(**{param: value})
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "net_")


def test_early_stopping_without_validation_share_is_refused(data):
    X, y, _ = data
    est = GaussianNLLRegressor(early_stopping=True, validation_fraction=0)
    with pytest.raises(ValueError, match="validation_fraction=0 holds out nothing"):
        est.fit(X, y)


def test_int_hidden_layer_sizes_and_auto_device(data):
    X, y, _ = data
    est = GaussianNLLRegressor(hidden_layer_sizes=8, device="auto", max_epochs=2,
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.net_.module_.body[0].out_features == 8


# -- the defaults train long enough ------------------------------------------------------
def test_defaults_beat_the_old_fixed_budget_on_small_data():
    # 240 rows: 100 epochs at batch 128 are 200 optimisation steps, far too few
    X, y, _ = make_heteroscedastic(400, random_state=1)
    Xtr, ytr, Xte, yte = X[:240], y[:240], X[240:], y[240:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        old = GaussianNLLRegressor(max_epochs=100, batch_size=128, early_stopping=False,
                                   random_state=0).fit(Xtr, ytr)
    new = GaussianNLLRegressor(random_state=0).fit(Xtr, ytr)
    nll_old, nll_new = mean_nll(yte, old.predict_dist(Xte)), mean_nll(yte, new.predict_dist(Xte))
    assert nll_new < nll_old - 0.1
    assert new.net_.batch_size < 128 and new.n_iter_ > 100


# -- audit of 2026-12-02: warnings that were wrong or pointed at the package --------------

def _fit_caught(est, X, y):
    import warnings as _w
    with _w.catch_warnings(record=True) as caught:
        _w.simplefilter("always")
        est.fit(X, y)
    return caught


def test_glm_convergence_stop_is_not_an_interrupt():
    from sklearn_dl import FitInterruptedWarning, PoissonNLLRegressor
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2))
    y = rng.poisson(np.exp(0.5 + X[:, 0]))
    est = PoissonNLLRegressor(hidden_layer_sizes=(), random_state=0)
    caught = _fit_caught(est, X, y)
    assert est.n_iter_ < 800  # the convergence rule stopped it
    assert not [w for w in caught if issubclass(w.category, FitInterruptedWarning)]


def test_user_early_stopping_is_not_an_interrupt():
    from skorch.callbacks import EarlyStopping
    from sklearn_dl import FitInterruptedWarning, GaussianNLLRegressor
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    est = GaussianNLLRegressor(hidden_layer_sizes=(16,), max_epochs=200,
                               validation_fraction=0.2, random_state=0,
                               callbacks=[EarlyStopping(patience=3)])
    caught = _fit_caught(est, X, y)
    assert est.n_iter_ < 200
    assert not [w for w in caught if issubclass(w.category, FitInterruptedWarning)]


def test_short_fit_that_improved_gets_convergence_not_divergence_warning():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn_dl import DivergenceWarning, GaussianNLLRegressor
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    est = GaussianNLLRegressor(hidden_layer_sizes=(16,), max_epochs=3, random_state=0)
    caught = _fit_caught(est, X, y)
    kinds = {w.category for w in caught}
    assert ConvergenceWarning in kinds and DivergenceWarning not in kinds


def test_fit_warnings_point_at_the_callers_line():
    from sklearn_dl import GaussianNLLRegressor
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    caught = _fit_caught(GaussianNLLRegressor(hidden_layer_sizes=(16,), max_epochs=3,
                                              random_state=0), X, y)
    assert caught and all(w.filename == __file__ for w in caught)


def test_auto_budget_without_validation_does_not_warn_on_tiny_data():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn_dl import NNClassifier
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    caught = _fit_caught(NNClassifier(random_state=0), X, y)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("n_rows", [33, 286])
def test_batchnorm_fits_whatever_the_remainder_batch(n_rows):
    from sklearn_dl import GaussianNLLRegressor
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=n_rows)
    est = GaussianNLLRegressor(batchnorm=True, hidden_layer_sizes=(8,), max_epochs=3,
                               random_state=0).fit(X, y)
    assert np.isfinite(est.predict(X)).all()


def test_batch_iterator_merges_a_one_row_remainder_only_when_asked():
    import torch
    from sklearn_dl._skorch import BatchIterator
    from sklearn_dl._skorch.data import ArrayDataset
    data = ArrayDataset(torch.zeros(33, 2), torch.zeros(33, 1), torch.ones(33))
    for shuffle in (False, True):
        sizes = [len(X) for X, _ in BatchIterator(data, 32, shuffle=shuffle, seed=0)]
        merged = [len(X) for X, _ in BatchIterator(data, 32, shuffle=shuffle, seed=0,
                                                   no_single_row=True)]
        assert sizes == [32, 1] and merged == [33]


def test_mc_samples_without_dropout_refused_before_training():
    from sklearn_dl import GaussianNLLRegressor
    X = np.random.RandomState(0).normal(size=(50, 2))
    est = GaussianNLLRegressor(dropout=0.0, mc_samples=5, max_epochs=2)
    with pytest.raises(ValueError, match="mc_samples=5 needs dropout"):
        est.fit(X, X[:, 0])
    assert not hasattr(est, "net_")


def test_verbose_true_is_accepted():
    from sklearn_dl import GaussianNLLRegressor
    X = np.random.RandomState(0).normal(size=(50, 2))
    GaussianNLLRegressor(verbose=True, hidden_layer_sizes=(4,), max_epochs=2).fit(X, X[:, 0])
