"""Regression metrics of predictive distributions, on scipy objects and on a mixture."""

import numpy as np
import pytest
import scoringrules as sr
from _mixture import ScipyMixture, normal_mixture
from scipy import stats

from sklearn_dl.metrics import (
    coverage_curve,
    crps,
    interval_coverage,
    mean_interval_width,
    mean_nll,
    pit_values,
    quantile_loss,
)


@pytest.fixture
def normal_case(rng):
    mu, sd = rng.normal(size=3000), rng.uniform(0.5, 2.0, size=3000)
    return rng.normal(mu, sd), stats.norm(mu, sd)


def _mixnorm_crps(y, mix):
    """Reference: scoringrules' closed form for Normal mixtures."""
    m = np.stack([c.mean() for c in mix.components], axis=-1)
    s = np.stack([c.std() for c in mix.components], axis=-1)
    w = np.broadcast_to(mix.weights, m.shape)
    return float(np.mean(sr.crps_mixnorm(y, m, s, w, backend="numpy")))


def _mc_crps(y, draws, draws2):
    """E|X - y| - E|X - X'| / 2 from independent draws (the CRPS' kernel form)."""
    return float(np.mean(np.abs(draws - y)) - 0.5 * np.mean(np.abs(draws - draws2)))


# -- NLL --------------------------------------------------------------------------------
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


def test_mean_nll_of_mixture_and_categorical(rng):
    mix = normal_mixture(200)
    y = mix.rvs(random_state=0)
    direct = -np.mean(np.log(0.3 * mix.components[0].pdf(y) + 0.7 * mix.components[1].pdf(y)))
    assert mean_nll(y, mix) == pytest.approx(direct)
    # the true mixture beats a Normal with its mean and sd (moment-matched)
    assert mean_nll(y, mix) < mean_nll(y, stats.norm(mix.mean(), mix.std()))
    p = rng.dirichlet(np.ones(3), size=40)
    labels = rng.randint(0, 3, size=40)
    assert mean_nll(labels, stats.multinomial(1, p)) == pytest.approx(
        -np.mean(np.log(p[np.arange(40), labels])))


# -- CRPS -------------------------------------------------------------------------------
def test_crps_normal_closed_form_matches_formula_and_monte_carlo(normal_case, rng):
    y, dist = normal_case
    z = (y - dist.mean()) / dist.std()
    by_hand = dist.std() * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z)
                            - 1 / np.sqrt(np.pi))
    assert crps(y, dist) == pytest.approx(by_hand.mean(), rel=1e-10)
    draws = dist.rvs(size=(400, len(y)), random_state=rng)
    draws2 = dist.rvs(size=(400, len(y)), random_state=rng)
    assert crps(y, dist) == pytest.approx(_mc_crps(y, draws, draws2), rel=0.02)
    assert crps(y, dist, method="quantile") == pytest.approx(crps(y, dist), rel=1e-3)
    assert crps(y, dist, method="sample", random_state=0) == pytest.approx(crps(y, dist),
                                                                           rel=0.02)


def test_crps_prefers_the_true_distribution(normal_case):
    y, dist = normal_case
    too_wide = stats.norm(dist.mean(), 2 * dist.std())
    biased = stats.norm(dist.mean() + 1, dist.std())
    assert crps(y, dist) < crps(y, too_wide) and crps(y, dist) < crps(y, biased)


def test_crps_of_normal_mixture_against_closed_form_and_monte_carlo(rng):
    mix = normal_mixture(400)
    y = mix.rvs(random_state=1)
    reference = _mixnorm_crps(y, mix)
    # a mixture of Normals has a closed form (scoringrules' crps_mixnorm), used by "auto"
    assert crps(y, mix) == pytest.approx(reference, rel=1e-10)
    assert crps(y, mix, method="quantile") == pytest.approx(reference, rel=2e-3)
    assert crps(y, mix, method="sample", n_samples=2000, random_state=0) == pytest.approx(
        reference, rel=0.02)


def test_crps_discrete_sum_matches_poisson_closed_form_and_mixture_mc(rng):
    lam = rng.uniform(0.5, 30, size=500)
    y = rng.poisson(lam)
    pois = stats.poisson(lam)
    assert crps(y, pois, method="sum") == pytest.approx(crps(y, pois), rel=1e-8)
    mix = ScipyMixture([stats.poisson(lam), stats.poisson(2 * lam)])
    yq = mix.rvs(random_state=0)
    draws = mix.rvs(size=300, random_state=1)
    draws2 = mix.rvs(size=300, random_state=2)
    assert crps(yq, mix) == pytest.approx(_mc_crps(yq, draws, draws2), rel=0.03)
    # Bernoulli: the sum reduces to the Brier score (y - p)^2
    p = rng.uniform(size=100)
    yb = (rng.uniform(size=100) < p).astype(int)
    assert crps(yb, stats.bernoulli(p)) == pytest.approx(np.mean((yb - p) ** 2))


def test_crps_multi_target_sums_targets_and_weights(rng):
    Y = rng.normal(size=(100, 2))
    dist = stats.norm(np.zeros((100, 2)), 1.0)
    per_cell = sr.crps_normal(Y, 0.0, 1.0, backend="numpy")
    assert crps(Y, dist) == pytest.approx(per_cell.sum(axis=1).mean())
    w = rng.uniform(size=100)
    assert crps(Y, dist, sample_weight=w) == pytest.approx(
        np.average(per_cell.sum(axis=1), weights=w))


# -- intervals, PIT, quantiles ----------------------------------------------------------
def test_interval_metrics_on_arrays():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    interval = np.array([[-1, 1], [2, 3], [1.5, 2.5], [0, 10]])
    assert interval_coverage(y, interval) == 0.75
    assert mean_interval_width(interval) == pytest.approx((2 + 1 + 1 + 10) / 4)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.95])
def test_coverage_of_the_true_distribution_is_nominal(normal_case, level):
    y, dist = normal_case
    assert interval_coverage(y, dist, level=level) == pytest.approx(level, abs=0.025)
    lower, upper = dist.interval(level)
    assert mean_interval_width(dist, level=level) == pytest.approx(np.mean(upper - lower))


def test_coverage_curve_on_mixture_and_discrete_at_least_nominal(rng):
    mix = normal_mixture(1500)
    y = mix.rvs(random_state=3)
    table = coverage_curve(y, mix, levels=[0.2, 0.5, 0.9])
    np.testing.assert_allclose(table["coverage"], [0.2, 0.5, 0.9], atol=0.04)
    assert np.all(np.diff(table["mean_width"]) > 0)
    lam = rng.uniform(1, 10, size=3000)
    counts = rng.poisson(lam)
    assert interval_coverage(counts, stats.poisson(lam), level=0.8) >= 0.8


def test_pit_is_uniform_under_the_true_model_and_u_shaped_when_overconfident(normal_case,
                                                                            rng):
    y, dist = normal_case
    assert stats.kstest(pit_values(y, dist), "uniform").pvalue > 0.01
    narrow = pit_values(y, stats.norm(dist.mean(), 0.5 * dist.std()))
    assert np.mean((narrow < 0.1) | (narrow > 0.9)) > 0.35  # 0.2 under calibration
    mix = normal_mixture(1000)
    assert stats.kstest(pit_values(mix.rvs(random_state=4), mix), "uniform").pvalue > 0.01
    lam = rng.uniform(0.5, 5, size=3000)  # randomised PIT makes counts uniform too
    pit = pit_values(rng.poisson(lam), stats.poisson(lam), random_state=0)
    assert stats.kstest(pit, "uniform").pvalue > 0.01


def test_quantile_loss(normal_case):
    y, dist = normal_case
    from sklearn.metrics import mean_pinball_loss

    assert quantile_loss(y, dist, quantiles=0.9) == pytest.approx(
        mean_pinball_loss(y, dist.ppf(0.9), alpha=0.9))
    levels = (np.arange(200) + 0.5) / 200  # twice the mean over many levels is the CRPS
    assert 2 * quantile_loss(y, dist, quantiles=levels) == pytest.approx(crps(y, dist),
                                                                         rel=1e-3)
    mix = normal_mixture(300)
    ym = mix.rvs(random_state=0)
    assert quantile_loss(ym, mix) < quantile_loss(ym, stats.norm(mix.mean() + 1, mix.std()))


# -- validation -------------------------------------------------------------------------
@pytest.mark.parametrize("func", [mean_nll, crps, pit_values, quantile_loss, coverage_curve])
def test_regression_metrics_validate_input(func):
    dist = stats.norm(np.zeros(5), 1.0)
    with pytest.raises(ValueError, match="batch shape"):
        func(np.zeros((5, 1)), dist)  # would broadcast to (5, 5) silently
    with pytest.raises(ValueError, match="numeric"):
        func(np.array(list("abcde")), dist)
    with pytest.raises(TypeError, match="predictive distribution"):
        func(np.zeros(5), np.full((5, 2), 0.5))
    with pytest.raises(ValueError, match="NaN"):
        func(np.array([0, 1, np.nan, 0, 0]), dist)


def test_discrete_and_categorical_mismatches_are_named():
    with pytest.raises(ValueError, match="non-integer"):
        crps(np.array([0.5, 1.0]), stats.poisson(np.ones(2)))
    with pytest.raises(TypeError, match="categorical"):
        crps(np.array([0, 1]), stats.multinomial(1, np.full((2, 3), 1 / 3)))
    with pytest.raises(ValueError, match="encoded labels"):
        mean_nll(np.array([0, 5]), stats.multinomial(1, np.full((2, 3), 1 / 3)))
    with pytest.raises(ValueError, match="level"):
        interval_coverage(np.zeros(2), stats.norm(np.zeros(2), 1), level=90)
    with pytest.raises(ValueError, match="level= applies"):
        interval_coverage(np.zeros(2), np.zeros((2, 2)), level=0.9)
    with pytest.raises(ValueError, match="upper < lower"):
        mean_interval_width(np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="method"):
        crps(np.zeros(2), stats.norm(np.zeros(2), 1), method="exact")
    with pytest.raises(ValueError, match="sample_weight"):
        mean_nll(np.zeros(2), stats.norm(np.zeros(2), 1), sample_weight=[1.0])
