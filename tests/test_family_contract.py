"""The family contract, checked over every registered family (imbalanced-learn style).

Every test here is parametrised over :func:`available_families` (plus option variants
that change the head's layout), so a newly registered family is tested without writing
a test for it:

(a) the torch log-likelihood equals scipy's (and the family's numpy ``logpdf``), the
    declared parameter names and links describe what ``params`` returns;
(b) ``marginal_raw`` is the maximum-likelihood constant model, and the head starts there;
(c) a short fit on data drawn from the family, with an input-dependent parameter, beats
    the marginal model's test NLL by at least 70% of what the true model gains;
(d) scikit-learn's estimator checks pass for ``NNRegressor(family=name)``;
(e) targets outside the support give an error naming the family, and the sklearn tag
    ``positive_only`` follows the support;
(f) the predictive distribution's surface: mean and variance agree with Monte Carlo
    draws from ``rvs``, ``ppf`` inverts ``cdf``, intervals cover their share of draws,
    and mixtures of the family (ensembles, MC dropout) have consistent quantiles.
"""

import re

import numpy as np
import pytest
import torch
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dl import NNClassifier, NNRegressor
from sklearn_dl.distributions import MixtureDistribution, ParametricDistribution
from sklearn_dl.families import (
    Family,
    Gamma,
    LogNormal,
    NegativeBinomial,
    Normal,
    StudentT,
    ZeroInflatedPoisson,
    available_families,
    get_family,
)
from sklearn_dl.families._links import get_link
from sklearn_dl.families._support import get_support

NAMES = available_families()
REGRESSION = [n for n in NAMES if get_family(n).task == "regression"]
# options that change the head (constant parameters, fixed df), so every layout is tested
VARIANTS = [Normal(heteroscedastic=False), NegativeBinomial(dispersion="input"),
            ZeroInflatedPoisson(zero_inflation="constant"), LogNormal(heteroscedastic=False),
            StudentT(df=6.0), StudentT(heteroscedastic=False), Gamma(dispersion="input")]
FAMILIES = [get_family(n) for n in NAMES] + VARIANTS
REGRESSION_FAMILIES = [f for f in FAMILIES if f.task == "regression"]


def _n_targets(family, regression_targets=2):
    """Targets for a regression family; classes for a classification family (a family
    whose output count does not grow with the classes is binary)."""
    if family.task == "regression":
        return regression_targets
    return 2 if family.n_outputs(3) == family.n_outputs(2) else 3


def _draw(family, raw, rng):
    """Targets drawn from the family at raw outputs (class indices for classifiers)."""
    raw = raw.numpy() if isinstance(raw, torch.Tensor) else np.array(raw)
    params = family.params_numpy(torch.as_tensor(raw, dtype=torch.float64))
    if family.task == "regression" and raw.shape[1] == family.n_outputs(1):
        params = {k: v[:, 0] for k, v in params.items()}
    return ParametricDistribution(family, params).rvs(random_state=rng)


def _y_tensor(family, y):
    # the family's own target dtype (labels stay integers), but floats in float64 so
    # that the comparisons with scipy are exact
    t = family.target_tensor(np.asarray(y))
    return torch.as_tensor(np.asarray(y, dtype=np.float64)) if t.is_floating_point() else t


def _nll(family, raw, y, w=None):
    raw = torch.as_tensor(np.broadcast_to(raw, (len(y), len(raw))).copy(),
                          dtype=torch.float64) if np.ndim(raw) == 1 else raw
    w = None if w is None else torch.as_tensor(w, dtype=torch.float64)
    with torch.no_grad():
        return float(family.nll(raw, _y_tensor(family, y), w))


# -- (a) the log-likelihood and the declared parameters ------------------------------------
@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_log_prob_matches_scipy_and_numpy(family, rng):
    k = _n_targets(family)
    raw = torch.as_tensor(rng.normal(scale=0.7, size=(40, family.n_outputs(k))))
    y = _draw(family, raw, rng)
    params = family.params_numpy(raw)
    got = family.log_prob(raw, _y_tensor(family, y)).numpy()
    assert got.shape == (40,)

    numpy_logp = np.asarray(family.logpdf(params, y)).reshape(40, -1).sum(axis=1)
    np.testing.assert_allclose(got, numpy_logp, rtol=1e-9, atol=1e-9)
    if family.support != "labels":
        dist = family.to_scipy(params)
        scipy_logp = dist.logpmf(y) if family.discrete else dist.logpdf(y)
        np.testing.assert_allclose(got, scipy_logp.reshape(40, -1).sum(axis=1),
                                   rtol=1e-9, atol=1e-9)
    w = rng.uniform(0, 2, size=40)
    np.testing.assert_allclose(_nll(family, raw, y, w), np.mean(-got * w), rtol=1e-9)


@pytest.mark.parametrize("family", [f for f in REGRESSION_FAMILIES
                                    if f.support == "nonnegative"], ids=repr)
def test_count_families_accept_rates(family, rng):
    # non-integer targets are rates: the loss is the continuous extension of the log-pmf,
    # finite and equal to the family's numpy logpdf used by the metrics
    raw = torch.as_tensor(rng.normal(scale=0.7, size=(30, family.n_outputs(1))))
    y = rng.uniform(0, 6, size=30)
    y[:5] = 0.0
    got = family.log_prob(raw, torch.as_tensor(y)).numpy()
    assert np.all(np.isfinite(got))
    expected = family.logpdf({k: v[:, 0] for k, v in family.params_numpy(raw).items()}, y)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_declared_parameters_and_links(family, rng):
    k = _n_targets(family)
    raw = torch.as_tensor(rng.normal(size=(10, family.n_outputs(k))))
    params = family.params_numpy(raw)
    assert tuple(params) == tuple(family.param_names)
    get_support(family.support)  # a known support
    assert set(family.links) <= set(family.param_names)
    eta = family.link(params)
    for name, link in family.links.items():
        assert np.all(np.isfinite(eta[name]))
        np.testing.assert_allclose(get_link(link).inverse(eta[name]), params[name],
                                   rtol=1e-8)
    assert type(family).__name__ in family.describe()


# -- (b) the marginal model ---------------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES, ids=repr)
def test_marginal_raw_is_the_constant_mle_and_the_head_starts_there(family, rng):
    k = _n_targets(family, regression_targets=1)
    n_out = family.n_outputs(k)
    true_raw = np.broadcast_to(rng.normal(scale=0.5, size=n_out), (400, n_out))
    y = _draw(family, true_raw, rng)
    w = rng.uniform(0.5, 2.0, size=400)
    w /= w.mean()
    raw = family.marginal_raw(y, w, k)
    assert raw.shape == (n_out,) and np.all(np.isfinite(raw))
    best = _nll(family, raw, y, w)
    # (null_nll sees the target in the training dtype, float32)
    assert best == pytest.approx(family.null_nll(y, w, k), rel=1e-6)
    for j in range(n_out):
        for step in (-0.05, 0.05):
            moved = raw.copy()
            moved[j] += step
            assert _nll(family, moved, y, w) >= best - 1e-9, (j, step)
    # no better than the generic numerical search either
    assert best <= _nll(family, Family.marginal_raw(family, y, w, k), y, w) + 1e-7

    head = family.make_head(5, k)
    family.init_head(head, y, w, k)
    with torch.no_grad():
        start = head(torch.zeros(3, 5)).numpy()
    np.testing.assert_allclose(start, np.broadcast_to(raw, start.shape), rtol=1e-6,
                               atol=1e-6)


# -- (c) learning beats the marginal model ----------------------------------------------------
def _family_data(family, rng, n):
    """Inputs and targets drawn from the family, the first raw output depending on x."""
    k = _n_targets(family, regression_targets=1)
    X = rng.uniform(-1, 1, size=(n, 2))
    raw = np.zeros((n, family.n_outputs(k)))
    raw[:, 0] = 2.0 * X[:, 0]
    return X, raw, _draw(family, raw, rng)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", NAMES)
def test_short_fit_beats_the_marginal_model(name, rng):
    family = get_family(name)
    X, raw, y = _family_data(family, rng, 1200)
    tr, te = slice(0, 600), slice(600, None)
    settings = dict(hidden_layer_sizes=(16,), lr=0.03, max_epochs=30, batch_size=150,
                    random_state=0)
    if family.task == "regression":
        est = NNRegressor(family=name, **settings).fit(X[tr], y[tr])
    else:
        est = NNClassifier(**settings).fit(X[tr], y[tr])
        if type(est.family_) is not type(family):
            pytest.skip(f"NNClassifier does not choose the {name} family")
    fitted = -est.predict_dist(X[te]).log_likelihood(y[te]).mean()

    k = _n_targets(family, regression_targets=1)
    marginal = family.marginal_raw(y[tr], None, k)
    marginal_nll = _nll(family, marginal, y[te])
    true_nll = _nll(family, torch.as_tensor(raw[te]), y[te])
    assert true_nll < marginal_nll - 0.1  # the data carry information
    # measured: 88-100% of the true model's gain for every family
    assert fitted < marginal_nll - 0.7 * (marginal_nll - true_nll), (
        fitted, marginal_nll, true_nll)


# -- (d) scikit-learn's checks ------------------------------------------------------------------
# test_common.py checks NNRegressor(family="normal") and PoissonNLLRegressor already.
CHECKED_IN_TEST_COMMON = {"normal", "poisson"}
CHECKS_FAST = dict(hidden_layer_sizes=(8,), lr=0.1, max_epochs=15, batch_size=256)


def _expected_failed_checks(estimator):
    failed = {
        # as in test_common.py: float32 training equals repetition only up to round-off
        "check_sample_weight_equivalence_on_dense_data":
            "float32 training equals repetition only up to round-off",
    }
    if get_support(get_family(estimator.family).support).positive_only:
        # the check's multi-output target has negative values, outside the support
        failed["check_regressor_multioutput"] = "negative targets are outside the support"
    return failed


@parametrize_with_checks(
    [NNRegressor(family=n, **CHECKS_FAST) for n in REGRESSION
     if n not in CHECKED_IN_TEST_COMMON],
    expected_failed_checks=_expected_failed_checks)
def test_sklearn_checks_for_every_regression_family(estimator, check):
    check(estimator)


# -- (e) the support -------------------------------------------------------------------------
@pytest.mark.parametrize("name", REGRESSION)
def test_support_drives_errors_and_tags(name, rng):
    family = get_family(name)
    support = get_support(family.support)
    est = NNRegressor(family=name, max_epochs=1)
    assert get_tags(est).target_tags.positive_only is support.positive_only
    if not np.isfinite(support.lower):
        pytest.skip(f"the {name} family accepts every real target")
    bad = support.lower if support.lower_open else support.lower - 1.0
    X = rng.normal(size=(20, 2))
    y = np.full(20, support.lower + 1.0)
    y[3] = bad
    message = f"The {name} family needs targets that are {support.description}"
    with pytest.raises(ValueError, match=re.escape(message)):
        est.fit(X, y)


# -- (f) the predictive distribution ---------------------------------------------------------
def _dist(family, rng, n=4):
    raw = torch.as_tensor(-0.5 + 0.3 * rng.normal(size=(n, family.n_outputs(1))))
    params = {k: v[:, 0] for k, v in family.params_numpy(raw).items()}
    return ParametricDistribution(family, params)


@pytest.mark.parametrize("family", REGRESSION_FAMILIES, ids=repr)
def test_mean_and_variance_agree_with_draws(family, rng):
    dist = _dist(family, rng)
    draws = dist.rvs(size=40_000, random_state=0)
    assert draws.shape == (40_000, 4)
    mean, var = dist.mean(), dist.var()
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - mean),
                                 5 * np.sqrt(var / len(draws)))
    kurtosis = np.asarray(dist.scipy.stats(moments="k"), dtype=float)
    if np.all(np.isfinite(kurtosis)):  # the sample variance then has a standard error
        se = var * np.sqrt((kurtosis + 2.0) / len(draws))
        np.testing.assert_array_less(np.abs(draws.var(axis=0) - var), 5 * se)
    np.testing.assert_allclose(dist.std(), np.sqrt(var))


@pytest.mark.parametrize("family", REGRESSION_FAMILIES, ids=repr)
def test_ppf_inverts_cdf(family, rng):
    dist = _dist(family, rng)
    y = dist.rvs(size=300, random_state=1)
    cdf = dist.cdf(y)
    if family.discrete:
        np.testing.assert_array_equal(dist.ppf(cdf), y)
        # ppf(q) is the smallest k with cdf(k) >= q
        q = rng.uniform(size=(300, 4))
        k = dist.ppf(q)
        assert np.all(dist.cdf(k) >= q - 1e-12)
        assert np.all(dist.cdf(k - 1) < q)
        np.testing.assert_allclose(dist.pmf(y), np.exp(dist.logpdf(y)))
    else:
        inner = (cdf > 1e-9) & (cdf < 1 - 1e-9)
        np.testing.assert_allclose(dist.ppf(cdf)[inner], y[inner], rtol=1e-6, atol=1e-9)
    assert np.all(np.isfinite(dist.logpdf(y)))


@pytest.mark.parametrize("family", REGRESSION_FAMILIES, ids=repr)
def test_interval_covers_its_share_of_draws(family, rng):
    dist = _dist(family, rng)
    lower, upper = dist.interval(0.8)
    draws = dist.rvs(size=20_000, random_state=2)
    coverage = ((draws >= lower) & (draws <= upper)).mean(axis=0)
    if family.discrete:  # central intervals of a discrete law hold at least their share
        assert np.all(coverage >= 0.8 - 0.015), coverage
    else:
        np.testing.assert_allclose(coverage, 0.8, atol=0.015)


@pytest.mark.parametrize("family", REGRESSION_FAMILIES, ids=repr)
def test_mixtures_of_the_family_work(family, rng):
    # deep ensembles and MC dropout mix a family's distributions: quantiles by bisection
    # on the mixed cdf, moments by the law of total variance
    mix = MixtureDistribution([_dist(family, rng), _dist(family, rng)], weights=[0.3, 0.7])
    q = np.array([0.1, 0.5, 0.9, 0.97])
    k = mix.ppf(q)
    np.testing.assert_array_less(q - 1e-6, mix.cdf(k))
    if family.discrete:
        assert np.all(mix.cdf(k - 1) < q)
    else:
        np.testing.assert_allclose(mix.cdf(k), q, atol=1e-6)
    draws = mix.rvs(size=40_000, random_state=3)
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - mix.mean()),
                                 5 * np.sqrt(mix.var() / len(draws)))


def test_every_registered_family_is_covered():
    # the contract runs on every family registered at import, whatever its name
    assert {"normal", "poisson", "bernoulli", "categorical", "negative_binomial",
            "zero_inflated_poisson", "lognormal", "student_t", "gamma"} <= set(NAMES)
