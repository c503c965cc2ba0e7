"""The "auto" MLP body (``sklearn_dl._auto_body``): depth from the data's size (and, for a
regressor, from whether candidates are compared); below 5,000 rows ReLU or ELU and from
5,000 rows dropout chosen on the validation split; the small-data L2 penalty.

The row threshold is lowered for these tests so that they run on a few hundred rows.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from sklearn_dl import (
    FitInterruptedWarning,
    GaussianNLLRegressor,
    NNClassifier,
    PoissonNLLRegressor,
    load,
    save,
)
from sklearn_dl import _auto_body

THRESHOLD = 300
FAST = dict(max_epochs=25, early_stopping=True, patience=5, random_state=0)


MIN_VALIDATION = 20


@pytest.fixture(autouse=True)
def low_threshold(monkeypatch):
    monkeypatch.setattr(_auto_body, "DEEP_FROM_ROWS", THRESHOLD)
    monkeypatch.setattr(_auto_body, "MIN_VALIDATION_ROWS", MIN_VALIDATION)


def _noisy(n, seed=0):
    """Few rows, many features and a noisy target: dropout should help."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 20))
    return X, X[:, 0] + rng.normal(scale=1.0, size=n)


def _noise_free(n, seed=0):
    """A smooth, exactly determined target: dropout's noise only hurts."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    return X, np.sin(X[:, 0]) + 0.5 * X[:, 1]


def _has_dropout(est):
    return any(isinstance(m, torch.nn.Dropout) for m in est.net_.module_.modules())


def _quiet(est, X, y, everything=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Warning if everything else ConvergenceWarning)
        return est.fit(X, y)


def test_depth_follows_the_number_of_rows():
    X, y = _noise_free(THRESHOLD)
    # (10 epochs do not fit this target: only the network's shape is tested here)
    small = _quiet(GaussianNLLRegressor(max_epochs=10, random_state=0), X[:-1], y[:-1],
                   everything=True)
    large = _quiet(GaussianNLLRegressor(max_epochs=10, random_state=0), X, y,
                   everything=True)
    assert small.hidden_layer_sizes_ == (100,)
    assert large.hidden_layer_sizes_ == (100, 100)
    n_linear = [sum(isinstance(m, torch.nn.Linear) for m in e.net_.module_.body.modules())
                for e in (small, large)]
    assert n_linear == [1, 2]
    # explicit sizes are kept exactly
    est = _quiet(GaussianNLLRegressor(hidden_layer_sizes=7, max_epochs=2, random_state=0),
                 X, y)
    assert est.hidden_layer_sizes_ == (7,)


@pytest.mark.parametrize("make_data", [_noisy, _noise_free])
def test_auto_dropout_keeps_the_better_of_the_two_fits(make_data):
    X, y = make_data(400)
    auto = _quiet(GaussianNLLRegressor(**FAST), X, y)
    with_dropout = _quiet(GaussianNLLRegressor(dropout=0.1, **FAST), X, y)
    without = _quiet(GaussianNLLRegressor(dropout=0.0, **FAST), X, y)
    better = max((with_dropout, without), key=lambda e: e.best_validation_score_)
    assert auto.dropout_ == better.dropout_
    assert auto.best_validation_score_ == better.best_validation_score_
    np.testing.assert_allclose(auto.predict(X), better.predict(X), rtol=1e-6)
    assert _has_dropout(auto) == (auto.dropout_ > 0)


def test_the_data_decide_dropout():
    # a noise-free target keeps the network without dropout, a noisy one with it
    assert _quiet(GaussianNLLRegressor(**FAST), *_noise_free(400)).dropout_ == 0.0
    X, y = _noisy(400)
    assert _quiet(GaussianNLLRegressor(**dict(FAST, max_epochs=60)), X, y).dropout_ == 0.1


def test_no_comparison_without_a_validation_split_or_with_mc_dropout():
    X, y = _noise_free(400)
    no_split = _quiet(GaussianNLLRegressor(max_epochs=3, random_state=0), X, y)
    assert no_split.dropout_ == 0.0 and no_split.best_validation_score_ is None
    mc = _quiet(GaussianNLLRegressor(mc_samples=3, **FAST), X, y)
    assert mc.dropout_ == 0.1  # MC dropout needs its dropout
    glm = _quiet(PoissonNLLRegressor(hidden_layer_sizes=(), **FAST), X, np.round(y + 3))
    assert glm.hidden_layer_sizes_ == ()
    fixed = _quiet(GaussianNLLRegressor(dropout=0.3, **FAST), X, y)
    assert fixed.dropout_ == 0.3


def test_warm_start_keeps_the_chosen_network():
    X, y = _noise_free(400)
    est = _quiet(GaussianNLLRegressor(warm_start=True, **FAST), X, y)
    chosen, n_iter = est.dropout_, est.n_iter_
    _quiet(est, X, y)
    assert est.dropout_ == chosen and est.n_iter_ > n_iter


def test_only_the_kept_fits_warnings_are_emitted():
    X, y = _noisy(400)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GaussianNLLRegressor(max_epochs=2, early_stopping=True, random_state=0).fit(X, y)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == 1  # both candidates stop at max_epochs: one warning


class InterruptWithoutDropout(Callback):
    """Interrupt the candidate without dropout at its third epoch."""

    def on_epoch_end(self, net, **kwargs):
        has_dropout = any(isinstance(m, torch.nn.Dropout) for m in net.module_.modules())
        if not has_dropout and len(net.history) == 3:
            raise KeyboardInterrupt


class FailWithoutDropout(Callback):
    def on_epoch_end(self, net, **kwargs):
        if not any(isinstance(m, torch.nn.Dropout) for m in net.module_.modules()):
            raise RuntimeError("boom")


def test_an_interrupt_during_the_comparison_keeps_the_completed_fit():
    X, y = _noisy(400)
    est = GaussianNLLRegressor(callbacks=[InterruptWithoutDropout()], **FAST)
    with pytest.warns(FitInterruptedWarning, match="while it compared dropout=0"):
        _quiet(est, X, y)
    assert est.dropout_ == 0.1 and _has_dropout(est)
    assert np.isfinite(est.predict(X)).all()


def test_an_error_in_either_fit_leaves_the_estimator_unfitted():
    X, y = _noisy(400)
    est = GaussianNLLRegressor(callbacks=[FailWithoutDropout()], **FAST)
    with pytest.raises(RuntimeError, match="boom"):
        _quiet(est, X, y)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]


def test_classifier_chooses_too_and_is_deterministic():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    a = _quiet(NNClassifier(**FAST), X, y)
    b = _quiet(NNClassifier(**FAST), X, y)
    assert a.hidden_layer_sizes_ == (100, 100) and a.dropout_ in (0.0, 0.1)
    assert a.dropout_ == b.dropout_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert (a.predict(X) == y).mean() > 0.9


def test_saved_auto_network_loads_with_its_resolved_body(tmp_path):
    X, y = _noise_free(400)
    est = _quiet(GaussianNLLRegressor(**FAST), X, y)
    save(est, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded.hidden_layer_sizes_ == (100, 100) and loaded.dropout_ == est.dropout_
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_bad_hidden_layer_sizes_strings_are_refused():
    X, y = _noise_free(50)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be 'auto'"):
        GaussianNLLRegressor(hidden_layer_sizes="big").fit(X, y)


@pytest.mark.parametrize("n_rows, setting, n_candidates", [
    (THRESHOLD + 100, "dropout", 2), (THRESHOLD - 50, "activation", 4)])
def test_ensemble_members_compare_as_their_own_fit_would(n_rows, setting, n_candidates):
    # with body_choice="each" the ensemble runs each member's candidates (dropout rates
    # from the threshold on, activations and rates below) as separate jobs, to share
    # its workers better; every member must end up exactly as its own fit leaves it
    # (margin included)
    from sklearn.base import clone

    from sklearn_dl import DeepEnsembleRegressor

    X, y = _noisy(n_rows)
    base = GaussianNLLRegressor(**dict(FAST, max_epochs=15))
    assert len(_auto_body.candidates(base, n_rows)) == n_candidates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ens = DeepEnsembleRegressor(base, n_estimators=3, random_state=0,
                                    body_choice="each").fit(X, y)
    for member in ens.estimators_:
        alone = _quiet(clone(base).set_params(random_state=member.random_state), X, y)
        assert getattr(member, setting) == "auto"
        assert getattr(member, setting + "_") == getattr(alone, setting + "_")
        assert member.dropout_ == alone.dropout_
        assert member.best_validation_score_ == alone.best_validation_score_
        np.testing.assert_array_equal(member.predict(X), alone.predict(X))
        assert not hasattr(member, "_body_candidate")



@pytest.mark.parametrize("n_jobs", [None, 2])
def test_ensemble_members_share_the_first_members_body_choice(n_jobs, monkeypatch):
    # body_choice="shared" (the default): the first member compares the candidates as
    # its own fit would; the others fit the one it keeps and nothing else
    from sklearn.base import clone

    from sklearn_dl import DeepEnsembleRegressor

    X, y = _noisy(THRESHOLD - 50)
    base = GaussianNLLRegressor(**dict(FAST, max_epochs=15))
    assert len(_auto_body.candidates(base, len(X))) == 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ens = DeepEnsembleRegressor(base, n_estimators=3, random_state=0,
                                    n_jobs=n_jobs).fit(X, y)
    first = ens.estimators_[0]
    alone = _quiet(clone(base).set_params(random_state=first.random_state), X, y)
    np.testing.assert_array_equal(first.predict(X), alone.predict(X))
    chosen = {"activation": first.activation_, "dropout": first.dropout_,
              "hidden_layer_sizes": first.hidden_layer_sizes_}
    for member in ens.estimators_[1:]:
        assert member.activation == member.dropout == "auto"
        assert {"activation": member.activation_, "dropout": member.dropout_,
                "hidden_layer_sizes": member.hidden_layer_sizes_} == chosen
        other = clone(base).set_params(random_state=member.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _auto_body.fit_as_candidate(other, chosen, lambda: other.fit(X, y))
        np.testing.assert_array_equal(member.predict(X), other.predict(X))
        assert not hasattr(member, "_body_candidate")
    # 4 candidate fits for the first member, one each for the others (counted in this
    # process: n_jobs=None fits here)
    if n_jobs is None:
        calls = []
        real = _auto_body.fit_as_candidate
        monkeypatch.setattr("sklearn_dl._ensemble_jobs.fit_as_candidate",
                            lambda est, s, fit: calls.append(s) or real(est, s, fit))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clone(ens).fit(X, y)
        assert len(calls) == 4 + 2


def test_ensemble_refuses_an_unknown_body_choice():
    from sklearn_dl import DeepEnsembleRegressor

    X, y = _noisy(60)
    with pytest.raises(ValueError, match="body_choice must be one of"):
        DeepEnsembleRegressor(GaussianNLLRegressor(**FAST), body_choice="mine").fit(X, y)

# -- weight_decay="auto" ---------------------------------------------------------------------
def _decay(est):
    groups = est.net_.optimizer_.param_groups
    assert len({g["weight_decay"] for g in groups}) == 1
    return groups[0]["weight_decay"]


def test_auto_weight_decay_penalises_only_a_small_data_mlp():
    X, y = _noisy(THRESHOLD - 50)
    small = _quiet(GaussianNLLRegressor(**FAST), X, y)
    assert small.weight_decay_ == _auto_body.AUTO_WEIGHT_DECAY == _decay(small) == 1e-3
    glm = _quiet(GaussianNLLRegressor(hidden_layer_sizes=(), **FAST), X, y)
    assert glm.weight_decay_ == _decay(glm) == 0.0  # summary() keeps the MLE
    own = _quiet(GaussianNLLRegressor(architecture=torch.nn.Linear(20, 8), **FAST), X, y)
    assert own.weight_decay_ == 0.0
    fixed = _quiet(GaussianNLLRegressor(weight_decay=0.05, **FAST), X, y)
    assert fixed.weight_decay_ == _decay(fixed) == 0.05
    X, y = _noisy(THRESHOLD)
    medium = _quiet(GaussianNLLRegressor(**FAST), X, y)
    assert medium.weight_decay_ == _decay(medium) == 0.0


def test_auto_weight_decay_shrinks_the_weights():
    # same seeds, same data: the penalty is the only difference
    X, y = _noisy(THRESHOLD - 50)
    args = dict(FAST, early_stopping=False, max_epochs=100, dropout=0.0)
    auto = _quiet(GaussianNLLRegressor(**args), X, y)
    none = _quiet(GaussianNLLRegressor(weight_decay=0.0, **args), X, y)

    def weight_norm(est):
        return sum(float(p.pow(2).sum()) for n, p in est.net_.module_.named_parameters()
                   if n.endswith("weight"))

    assert weight_norm(auto) < 0.97 * weight_norm(none)  # (exactly equal if unapplied)


def test_auto_weight_decay_is_resolved_once_per_network():
    # a warm start and partial_fit on a few rows keep the first fit's penalty (the
    # optimizer's setting), whatever the size of the later batches
    X, y = _noisy(THRESHOLD + 100)
    est = _quiet(GaussianNLLRegressor(warm_start=True, **FAST), X, y)
    assert est.weight_decay_ == 0.0
    _quiet(est, X[:50], y[:50])
    est.partial_fit(X[:20], y[:20])
    assert est.weight_decay_ == _decay(est) == 0.0


def test_bad_weight_decay_is_refused_before_training():
    X, y = _noise_free(50)
    with pytest.raises(ValueError, match="weight_decay must be 'auto' or a number"):
        GaussianNLLRegressor(weight_decay="strong").fit(X, y)
    with pytest.raises(ValueError, match="weight_decay"):
        NNClassifier(weight_decay=-1.0).fit(X, (y > 0).astype(int))


def test_saved_model_keeps_its_weight_decay(tmp_path):
    X, y = _noisy(THRESHOLD - 50)
    est = _quiet(GaussianNLLRegressor(**FAST), X, y)
    save(est, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded.weight_decay_ == 1e-3 == _decay(loaded)


# -- activation="auto" -----------------------------------------------------------------------
def _kinked(n, seed=0):
    """A piecewise-linear target: ReLU's kinks fit it, ELU's smooth curve does not."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    return X, 2 * np.abs(X[:, 0]) + 3 * np.maximum(X[:, 1], 0) + rng.normal(scale=0.05, size=n)


def _activation_layers(est):
    return {type(m).__name__ for m in est.net_.module_.body.modules()
            if isinstance(m, (torch.nn.ReLU, torch.nn.ELU))}


@pytest.mark.parametrize("make_data", [_noisy, _kinked])
def test_auto_activation_keeps_the_better_of_relu_and_elu(make_data):
    X, y = make_data(THRESHOLD - 50)
    auto = _quiet(GaussianNLLRegressor(**FAST), X, y)
    # a regressor's compared candidates have two hidden layers, with and without
    # dropout; one without must win by the margin
    two = dict(FAST, hidden_layer_sizes=(100, 100))
    fits = [_quiet(GaussianNLLRegressor(activation=a, dropout=r, **two), X, y)
            for r in (0.1, 0.0) for a in ("relu", "elu")]
    better = max(fits, key=lambda e: e.best_validation_score_ - (
        _auto_body.DROPOUT_OFF_MARGIN if e.dropout_ == 0 else 0.0))
    assert (auto.activation_, auto.dropout_) == (better.activation_, better.dropout_)
    assert auto.hidden_layer_sizes_ == (100, 100)
    assert auto.best_validation_score_ == better.best_validation_score_
    np.testing.assert_array_equal(auto.predict(X), better.predict(X))
    assert _activation_layers(auto) == {"ReLU" if auto.activation_ == "relu" else "ELU"}
    assert [f.activation_ for f in fits] == ["relu", "elu"] * 2  # explicit: kept


def test_the_data_decide_the_activation():
    # the noisy linear target prefers ELU's smooth fit, the kinked one ReLU
    assert _quiet(GaussianNLLRegressor(**FAST), *_noisy(THRESHOLD - 50)).activation_ == "elu"
    assert _quiet(GaussianNLLRegressor(**FAST), *_kinked(THRESHOLD - 50)).activation_ == "relu"


def test_a_regressors_depth_follows_the_comparison():
    # two hidden layers where the validation loss compares the candidates (it guards
    # against the second layer's overfitting), one wherever nothing is compared
    X, y = _noisy(THRESHOLD - 50)
    compared = _quiet(GaussianNLLRegressor(**FAST), X, y)
    assert compared.hidden_layer_sizes_ == (100, 100)
    assert sum(isinstance(m, torch.nn.Linear)
               for m in compared.net_.module_.body.modules()) == 2
    # no validation split; nothing left to compare (explicit activation and rate)
    for est in (GaussianNLLRegressor(max_epochs=3, random_state=0),
                GaussianNLLRegressor(activation="elu", dropout=0.1, **FAST)):
        assert _quiet(est, X, y).hidden_layer_sizes_ == (100,)
    few = 10 * (MIN_VALIDATION - 1)
    assert _quiet(GaussianNLLRegressor(**FAST), X[:few], y[:few]).hidden_layer_sizes_ == (100,)
    assert _quiet(GaussianNLLRegressor(hidden_layer_sizes=(8,), **FAST), X, y
                  ).hidden_layer_sizes_ == (8,)
    assert _quiet(NNClassifier(**FAST), X, (y > 0).astype(int)).hidden_layer_sizes_ == (100,)


def test_dropping_the_dropout_of_a_small_regressor_needs_the_margin(monkeypatch):
    # below the threshold a regressor also compares dropout 0.1 with none; the
    # candidate without dropout is kept only if it beats by DROPOUT_OFF_MARGIN nats
    X, y = _noise_free(THRESHOLD - 50)
    est = GaussianNLLRegressor(**FAST)
    free = _quiet(GaussianNLLRegressor(**FAST), X, y)
    assert free.dropout_ == 0.0  # a noise-free target: dropout only blurs it
    assert not _has_dropout(free)
    monkeypatch.setattr(_auto_body, "DROPOUT_OFF_MARGIN", 1e9)
    kept = _quiet(GaussianNLLRegressor(**FAST), X, y)
    assert kept.dropout_ == 0.1 and _has_dropout(kept)
    assert kept.best_validation_score_ < free.best_validation_score_
    X, y = _noisy(THRESHOLD - 50)
    assert _quiet(est, X, y).dropout_ == 0.1  # a noisy target keeps it
    # the margin is the small-data rule's: from the threshold on the better score wins
    assert _auto_body._handicap({"dropout": 0.0}, THRESHOLD) == 0.0
    assert _auto_body._handicap({"dropout": 0.0}, THRESHOLD - 1) == 1e9


def test_activation_is_compared_only_where_the_rule_says():
    X, y = _noisy(THRESHOLD - 50)
    two = (100, 100)
    assert _auto_body.candidates(GaussianNLLRegressor(**FAST), len(X)) == [
        {"activation": a, "dropout": r, "hidden_layer_sizes": two}
        for r in (0.1, 0.0) for a in ("relu", "elu")]
    # explicit layers or rate are kept as given; MC dropout keeps its rate
    assert _auto_body.candidates(
        GaussianNLLRegressor(hidden_layer_sizes=(8,), dropout=0.2, **FAST), len(X)) == [
        {"activation": "relu"}, {"activation": "elu"}]
    assert _auto_body.candidates(GaussianNLLRegressor(mc_samples=5, **FAST), len(X)) == [
        {"activation": "relu", "hidden_layer_sizes": two},
        {"activation": "elu", "hidden_layer_sizes": two}]
    # an explicit activation still compares the rates; a classifier keeps one layer
    # and its dropout
    assert _auto_body.candidates(GaussianNLLRegressor(activation="tanh", **FAST),
                                 len(X)) == [{"dropout": 0.1, "hidden_layer_sizes": two},
                                             {"dropout": 0.0, "hidden_layer_sizes": two}]
    assert _auto_body.candidates(NNClassifier(**FAST), len(X)) == [
        {"activation": "relu"}, {"activation": "elu"}]
    for est in (GaussianNLLRegressor(max_epochs=3, random_state=0),  # no validation split
                GaussianNLLRegressor(activation="tanh", dropout=0.1, **FAST),  # explicit
                GaussianNLLRegressor(hidden_layer_sizes=(), **FAST),  # a GLM
                GaussianNLLRegressor(architecture=torch.nn.Linear(20, 8), **FAST)):
        assert _auto_body.candidates(est, len(X)) == [None]
    # too few validation rows to tell the candidates apart: ReLU, one fit
    few = 10 * (MIN_VALIDATION - 1)  # 19 validation rows at the default 10 %
    assert _auto_body.candidates(GaussianNLLRegressor(**FAST), few) == [None]
    assert _auto_body.candidates(GaussianNLLRegressor(validation_fraction=0.2, **FAST),
                                 few) != [None]
    assert _quiet(GaussianNLLRegressor(**FAST), X[:few], y[:few]).activation_ == "relu"
    # from the threshold on, dropout is compared and ReLU kept
    X, y = _noisy(THRESHOLD)
    assert _auto_body.candidates(GaussianNLLRegressor(**FAST), len(X)) == [
        {"dropout": 0.1}, {"dropout": 0.0}]
    assert _quiet(GaussianNLLRegressor(**FAST), X, y).activation_ == "relu"
    no_split = _quiet(GaussianNLLRegressor(max_epochs=3, random_state=0), X[:200], y[:200])
    assert no_split.activation_ == "relu"
    own = _quiet(GaussianNLLRegressor(architecture=torch.nn.Linear(20, 8), **FAST), X, y)
    assert own.activation_ is None


def test_classifier_and_poisson_choose_the_activation_too():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(THRESHOLD - 50, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    a = _quiet(NNClassifier(**FAST), X, y)
    b = _quiet(NNClassifier(**FAST), X, y)
    assert a.activation_ in ("relu", "elu") and a.activation_ == b.activation_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    fixed = _quiet(NNClassifier(activation=a.activation_, **FAST), X, y)
    np.testing.assert_array_equal(a.predict_proba(X), fixed.predict_proba(X))
    counts = rng.poisson(np.exp(0.5 * X[:, 0]))
    pois = _quiet(PoissonNLLRegressor(**FAST), X, counts)
    assert pois.hidden_layer_sizes_ == (100, 100) and a.hidden_layer_sizes_ == (100,)
    alone = _quiet(PoissonNLLRegressor(activation=pois.activation_,
                                       hidden_layer_sizes=(100, 100), **FAST), X, counts)
    assert pois.best_validation_score_ == alone.best_validation_score_


class InterruptElu(Callback):
    def on_epoch_end(self, net, **kwargs):
        if any(isinstance(m, torch.nn.ELU) for m in net.module_.modules()):
            raise KeyboardInterrupt


def test_an_interrupt_while_comparing_activations_keeps_the_relu_fit():
    X, y = _noisy(THRESHOLD - 50)
    est = GaussianNLLRegressor(callbacks=[InterruptElu()], **FAST)
    with pytest.warns(FitInterruptedWarning,
                      match="compared activation='elu' with activation='relu'"):
        _quiet(est, X, y)
    assert est.activation_ == "relu" and _activation_layers(est) == {"ReLU"}
    assert np.isfinite(est.predict(X)).all()


def test_saved_model_keeps_its_chosen_activation(tmp_path):
    X, y = _noisy(THRESHOLD - 50)
    est = _quiet(GaussianNLLRegressor(**FAST), X, y)
    assert est.activation_ == "elu"
    save(est, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded.activation == "auto" and loaded.activation_ == "elu"
    assert loaded.hidden_layer_sizes == "auto" and loaded.hidden_layer_sizes_ == (100, 100)
    assert _activation_layers(loaded) == {"ELU"}
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
