"""Deep ensembles, MC dropout and user modules as tabular bodies."""

import os
import pickle
import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from torch import nn

from sklearn_dl import (
    CNNClassifier,
    DeepEnsembleClassifier,
    DeepEnsembleRegressor,
    GaussianNLLRegressor,
    NNClassifier,
)
from sklearn_dl.datasets import load_digits_images, make_heteroscedastic
from sklearn_dl.distributions import MixtureDistribution
from sklearn_dl.metrics import mean_nll, neg_mean_nll_scorer

MEMBER = dict(hidden_layer_sizes=(32, 32), lr=5e-3, max_epochs=60, batch_size=64)


@pytest.fixture(scope="module")
def hetero():
    X, y, _ = make_heteroscedastic(900, random_state=0)
    return X[:600], y[:600], X[600:], y[600:]


@pytest.fixture(scope="module")
def ensemble(hetero):
    X, y, _, _ = hetero
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return DeepEnsembleRegressor(GaussianNLLRegressor(**MEMBER), n_estimators=4,
                                     random_state=0).fit(X, y)


def test_ensemble_beats_its_members_on_nll(hetero, ensemble):
    _, _, Xte, yte = hetero
    nll = mean_nll(yte, ensemble.predict_dist(Xte))
    members = [mean_nll(yte, m.predict_dist(Xte)) for m in ensemble.estimators_]
    assert nll < np.mean(members)
    assert nll <= min(members) + 0.01


def test_members_are_seeded_clones(ensemble):
    seeds = [m.random_state for m in ensemble.estimators_]
    assert len(set(seeds)) == 4
    again = DeepEnsembleRegressor(ensemble.estimator, n_estimators=4, random_state=0)
    assert [m.random_state for m in again.fit(*_tiny()).estimators_] == seeds


def _tiny():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 1))
    return X, X[:, 0] + rng.normal(scale=0.1, size=60)


def test_epistemic_variance_grows_away_from_the_data(ensemble):
    inside = np.linspace(-2, 2, 20).reshape(-1, 1)  # make_heteroscedastic's x range
    outside = np.linspace(6, 8, 20).reshape(-1, 1)
    u_in, u_out = ensemble.predict_uncertainty(inside), ensemble.predict_uncertainty(outside)
    # members that agree give a ratio near 1; trained members disagree far more outside
    # (random_state 0-2: 8.8x, 15.3x, 29.3x with these members; 10.2x, 21.4x, 21.8x
    # without the small-data weight decay, so the bound is set below the seed spread)
    assert u_out.epistemic.mean() > 5 * u_in.epistemic.mean()
    np.testing.assert_allclose(u_in.total, ensemble.predict(inside, return_std=True)[1] ** 2)


def test_ensemble_predictions_are_the_mixture(ensemble, hetero):
    _, _, Xte, _ = hetero
    dist = ensemble.predict_dist(Xte[:5])
    assert isinstance(dist, MixtureDistribution) and dist.n_components == 4
    np.testing.assert_allclose(ensemble.predict(Xte[:5]),
                               np.mean([m.predict(Xte[:5]) for m in ensemble.estimators_],
                                       axis=0))
    interval = ensemble.predict_interval(Xte[:5], alpha=0.1)
    np.testing.assert_allclose(dist.cdf(interval[:, 1]) - dist.cdf(interval[:, 0]), 0.9,
                               atol=1e-6)


def test_ensemble_pickles_and_grid_searches_member_parameters(hetero):
    X, y, _, _ = hetero
    ens = DeepEnsembleRegressor(GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=5),
                                n_estimators=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(ens, {"estimator__dropout": [0.0, 0.2]},
                              scoring=neg_mean_nll_scorer, cv=2).fit(X, y)
    best = search.best_estimator_
    assert best.estimators_[0].dropout == search.best_params_["estimator__dropout"]
    loaded = pickle.loads(pickle.dumps(best))
    np.testing.assert_array_equal(loaded.predict(X[:5]), best.predict(X[:5]))


def test_parallel_fit_equals_sequential(hetero):
    X, y, _, _ = hetero
    ens = DeepEnsembleRegressor(GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=3),
                                n_estimators=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seq = clone(ens).fit(X, y)
        par = clone(ens).set_params(n_jobs=2).fit(X, y)
    np.testing.assert_allclose(par.predict(X[:20]), seq.predict(X[:20]), rtol=1e-5)


def test_threaded_fit_equals_sequential_and_leaves_torch_threads_alone(hetero):
    import threading

    import joblib

    X, y, _, _ = hetero
    ens = DeepEnsembleRegressor(GaussianNLLRegressor(hidden_layer_sizes=(8,), dropout=0.3,
                                                     max_epochs=3),
                                n_estimators=2, n_jobs=2, random_state=0)

    def new_threads_torch_threads():
        seen = []
        thread = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        thread.start()
        thread.join()
        return seen[0]

    saved = torch.get_num_threads()
    # not the cores // 2 a worker process would be limited to
    torch.set_num_threads((os.cpu_count() or 1) // 2 + 1)
    try:
        before = new_threads_torch_threads()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            seq = clone(ens).set_params(n_jobs=None).fit(X, y)
            with joblib.parallel_backend("threading"):
                par = clone(ens).fit(X, y)
        # the members ran in threads of this process: no limit outlives the fit
        assert new_threads_torch_threads() == before
    finally:
        torch.set_num_threads(saved)
    np.testing.assert_array_equal(par.predict(X[:20]), seq.predict(X[:20]))


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_member_warnings_reach_the_user_once_under_their_filters(hetero, n_jobs):
    X, y, _, _ = hetero
    ens = DeepEnsembleRegressor(GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=2),
                                n_estimators=3, n_jobs=n_jobs, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clone(ens).fit(X, y)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    # one warning per kind however many members raised it (their own numbers aside)
    counts = [re.search(r"\(([123]) of 3 ensemble members\)$", str(w.message))
              for w in convergence]
    assert convergence and all(counts) and sum(int(m.group(1)) for m in counts) == 3
    assert all(w.filename == __file__ for w in convergence)  # the user's fit call
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)  # the user's filter applies
        clone(ens).fit(X, y)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_read_only_images_train_without_torch_warnings():
    """joblib hands worker processes read-only memmaps of large arrays."""
    X, y = load_digits_images(return_X_y=True)
    X, y = X[:200].copy(), y[:200]
    X.setflags(write=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CNNClassifier(architecture="vgg", filters=(4,), max_epochs=1, random_state=0).fit(X, y)
    assert not [w for w in caught if "not writable" in str(w.message)]


def test_classifier_ensemble_and_mutual_information():
    X, y = load_digits_images(return_X_y=True)
    ens = DeepEnsembleClassifier(
        CNNClassifier(architecture="vgg", filters=(8,), max_epochs=3, batch_size=64),
        n_estimators=2, random_state=0).fit(X[:300], y[:300])
    proba = ens.predict_proba(X[300:400])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ens.score(X[300:400], y[300:400]) > 0.5
    u = ens.predict_uncertainty(X[300:400])
    assert np.all(u.mutual_information >= 0)
    assert np.all(u.entropy >= u.expected_entropy - 1e-12)
    noise = np.random.RandomState(0).uniform(0, 16, size=(50, 8, 8))
    assert (ens.predict_uncertainty(noise).entropy.mean() > u.entropy.mean())


@pytest.mark.parametrize("bad, match", [(0, "n_estimators must be in"),
                                        (2.5, "n_estimators must be an int")])
def test_bad_n_estimators(bad, match):
    X, y = _tiny()
    ens = DeepEnsembleRegressor(n_estimators=bad)
    with pytest.raises((ValueError, TypeError), match=match):
        ens.fit(X, y)
    with pytest.raises(TypeError, match="sklearn_dl estimator"):
        DeepEnsembleRegressor(estimator="nope").fit(X, y)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_verbose_ensemble_counts_its_fits_on_a_bar(n_jobs, capsys):
    X, y = _tiny()
    member = GaussianNLLRegressor(hidden_layer_sizes=(4,), max_epochs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        quiet = DeepEnsembleRegressor(member, n_estimators=3, n_jobs=n_jobs,
                                      random_state=0).fit(X, y)
        assert capsys.readouterr().err == ""
        loud = DeepEnsembleRegressor(member, n_estimators=3, n_jobs=n_jobs, verbose=1,
                                     random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert "DeepEnsembleRegressor (3 members)" in err and "3/3" in err
    # the bar changes nothing else: the same members, in the same order
    assert np.array_equal(quiet.predict(X), loud.predict(X))
    with pytest.raises(ValueError, match="verbose must be"):
        DeepEnsembleRegressor(member, verbose=-1).fit(X, y)


# -- MC dropout ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dropout_net(hetero):
    X, y, _, _ = hetero
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianNLLRegressor(hidden_layer_sizes=(32,), dropout=0.2, batchnorm=True,
                                    max_epochs=20, random_state=0).fit(X, y)


def test_mc_dropout_is_seeded_and_varies_across_seeds(dropout_net, hetero):
    _, _, Xte, _ = hetero
    a = dropout_net.predict_dist(Xte, mc_samples=20, random_state=1)
    b = dropout_net.predict_dist(Xte, mc_samples=20, random_state=1)
    c = dropout_net.predict_dist(Xte, mc_samples=20, random_state=2)
    assert isinstance(a, MixtureDistribution) and a.n_components == 20
    np.testing.assert_array_equal(a.mean(), b.mean())
    assert not np.allclose(a.mean(), c.mean())
    # the deterministic prediction is unchanged afterwards (dropout back off)
    np.testing.assert_array_equal(dropout_net.predict(Xte), dropout_net.predict(Xte))
    assert decompose(dropout_net, Xte).epistemic.mean() > 0


def decompose(est, X):
    return est.predict_uncertainty(X, mc_samples=10)


def test_mc_dropout_switches_only_dropout(dropout_net, hetero):
    _, _, Xte, _ = hetero
    bn = [m for m in dropout_net.net_.module_.modules() if isinstance(m, nn.BatchNorm1d)][0]
    before = bn.running_mean.clone()
    dropout_net.predict_dist(Xte, mc_samples=5)
    from sklearn_dl._tabular import _converted_copy

    copy64 = _converted_copy(dropout_net.net_.module_, torch.float64)
    assert all(not m.training for m in copy64.modules())
    torch.testing.assert_close(bn.running_mean, before)
    # the parameter form: every prediction is the MC mixture
    dropout_net.set_params(mc_samples=8)
    try:
        assert dropout_net.predict_dist(Xte).n_components == 8
        assert dropout_net.predict(Xte).shape == (len(Xte),)
    finally:
        dropout_net.set_params(mc_samples=0)


def test_mc_dropout_pass_is_one_sampled_network(dropout_net, hetero):
    """Each MC pass drops the same units for every row: a row's prediction does not
    depend on the other rows predicted with it, nor on its position among them."""
    _, _, Xte, _ = hetero
    full = dropout_net.predict_dist(Xte, mc_samples=10, random_state=3)
    head = dropout_net.predict_dist(Xte[:7], mc_samples=10, random_state=3)
    rev = dropout_net.predict_dist(Xte[::-1], mc_samples=10, random_state=3)
    np.testing.assert_allclose(head.mean(), full.mean()[:7], rtol=1e-12)
    np.testing.assert_allclose(rev.std()[::-1], full.std(), rtol=1e-12)
    # the passes differ from each other: the masks change from pass to pass
    means = np.stack([c.mean() for c in full.components])
    assert means.std(axis=0).min() > 0
    # and the share of units kept is about 1 - p over many passes
    from sklearn_dl._forward import _PassMasks

    layer = nn.Dropout(0.2)
    masks = _PassMasks([layer], seed=0)
    kept = np.mean([masks._mask(k, 0, layer, torch.zeros(4, 50)).mean().item()
                    for k in range(200)])
    assert abs(kept - 0.8) < 0.02
    # a channel dropout drops whole channels
    channel = nn.Dropout2d(0.5)
    mask = _PassMasks([channel], seed=0)._mask(0, 0, channel, torch.zeros(3, 6, 4, 4))
    assert mask.shape == (1, 6, 1, 1)


def test_mc_dropout_needs_dropout(hetero):
    X, y, _, _ = hetero
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = GaussianNLLRegressor(hidden_layer_sizes=(8,), dropout=0.0, max_epochs=2,
                                   random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="needs dropout layers"):
        est.predict_dist(X, mc_samples=5)


def _binary_boundary_data(labels):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = np.asarray(labels)[(X[:, 0] > 0).astype(int)]
    # two clear rows and rows next to the boundary, where the passes / members disagree
    Xq = np.array([[2.0, 0.0], [-2.0, 0.0], [0.01, 0.0], [-0.01, 0.0], [0.0, 0.5]])
    return X, y, Xq


@pytest.mark.parametrize("labels", [[3, 7], ["no", "yes"]])
def test_binary_mixture_quantiles_are_labels_for_mc_dropout_and_ensembles(labels):
    X, y, Xq = _binary_boundary_data(labels)
    kw = dict(hidden_layer_sizes=(8,), lr=0.05, max_epochs=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mc = NNClassifier(dropout=0.3, mc_samples=5, random_state=0, **kw).fit(X, y)
        ens = DeepEnsembleClassifier(NNClassifier(**kw), n_estimators=3,
                                     random_state=0).fit(X, y)
    for est in (mc, ens):
        dist = est.predict_dist(Xq)
        assert isinstance(dist, MixtureDistribution)
        # labels, the same as predict (the median is the more probable class)
        np.testing.assert_array_equal(dist.median(), est.predict(Xq))
        np.testing.assert_array_equal(dist.ppf(0.5), est.predict(Xq))
        lo, hi = dist.interval(0.9)
        assert set(lo.tolist()) | set(hi.tolist()) <= set(labels)
        # a component (one pass / member) answers in the same encoding as the mixture
        assert set(dist.components[0].median().tolist()) <= set(labels)


# -- a user's module as the body of a tabular estimator ------------------------------------
class TwoTowers(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.a = nn.Sequential(nn.Linear(n_in, 16), nn.Tanh())
        self.b = nn.Sequential(nn.Linear(n_in, 16), nn.ReLU())

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=1)


def test_user_module_as_tabular_body(hetero):
    X, y, Xte, yte = hetero
    est = GaussianNLLRegressor(architecture=TwoTowers(1), lr=5e-3, max_epochs=60,
                               batch_size=64, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        again = clone(est).fit(X, y)
        via_callable = GaussianNLLRegressor(architecture=TwoTowers, max_epochs=2,
                                            random_state=0).fit(X, y)
    assert isinstance(est.net_.module_.body, TwoTowers)
    assert est.net_.module_.head.in_features == 32
    assert est.score(Xte, yte) > 0.5
    np.testing.assert_array_equal(est.predict(Xte), again.predict(Xte))
    assert isinstance(via_callable.net_.module_.body, TwoTowers)
    with pytest.raises(ValueError, match="only apply to architecture='mlp'"):
        GaussianNLLRegressor(architecture=TwoTowers(1), dropout=0.3).fit(X, y)
    # ensembles work with it too
    ens = DeepEnsembleClassifier(NNClassifier(architecture=TwoTowers(1), max_epochs=3),
                                 n_estimators=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ens.fit(X, (y > 0).astype(int))
    assert ens.predict_proba(Xte).shape == (len(Xte), 2)
