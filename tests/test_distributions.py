"""The predictive-distribution type: single networks and mixtures share one surface."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from sklearn_dl.distributions import (
    MixtureDistribution,
    ParametricDistribution,
    decompose_uncertainty,
)
from sklearn_dl.families import Bernoulli, Categorical, Normal, Poisson


def normal(mean, scale):
    return ParametricDistribution(Normal(), {"mean": np.asarray(mean, float),
                                             "scale": np.asarray(scale, float)})


def poisson(mu):
    return ParametricDistribution(Poisson(), {"mean": np.asarray(mu, float)})


@pytest.fixture
def mix():
    a = normal([0.0, 1.0, -3.0], [1.0, 0.5, 2.0])
    b = normal([2.0, 1.5, 3.0], [0.5, 2.0, 1.0])
    return MixtureDistribution([a, b], weights=[0.3, 0.7]), a, b


def test_single_network_wraps_scipy():
    d = normal([0.0, 1.0], [1.0, 2.0])
    assert isinstance(d.scipy.dist, type(stats.norm))
    np.testing.assert_allclose(d.cdf([0.5, 0.5]), stats.norm([0, 1], [1, 2]).cdf(0.5))
    np.testing.assert_allclose(d.ppf(0.9), stats.norm([0, 1], [1, 2]).ppf(0.9))
    lo, hi = d.interval(0.8)
    np.testing.assert_allclose(hi, stats.norm([0, 1], [1, 2]).ppf(0.9))
    assert d.rvs(random_state=0).shape == (2,) and d.rvs(7, random_state=0).shape == (7, 2)
    assert len(d) == 2 and len(d[1:]) == 1


def test_mixture_moments_match_monte_carlo(mix):
    m, _, _ = mix
    draws = m.rvs(200_000, random_state=0)
    np.testing.assert_allclose(draws.mean(axis=0), m.mean(), atol=0.02)
    np.testing.assert_allclose(draws.var(axis=0), m.var(), rtol=0.02)


def test_mixture_logpdf_and_cdf_are_the_direct_computation(mix):
    m, a, b = mix
    y = np.array([0.3, -1.0, 2.0])
    direct = logsumexp([np.log(0.3) + a.logpdf(y), np.log(0.7) + b.logpdf(y)], axis=0)
    np.testing.assert_allclose(m.logpdf(y), direct)
    np.testing.assert_allclose(m.cdf(y), 0.3 * a.cdf(y) + 0.7 * b.cdf(y))
    np.testing.assert_allclose(m.log_likelihood(y), direct)


@pytest.mark.parametrize("q", [0.01, 0.25, 0.5, 0.9, 0.999])
def test_mixture_ppf_inverts_cdf(mix, q):
    m, _, _ = mix
    x = m.ppf(q)
    np.testing.assert_allclose(m.cdf(x), q, atol=1e-9)


def test_discrete_mixture_ppf_is_smallest_integer_reaching_q():
    m = MixtureDistribution([poisson([1.0, 5.0, 30.0]), poisson([4.0, 5.0, 60.0])])
    for q in (0.05, 0.5, 0.95):
        k = m.ppf(q)
        assert np.all(k == np.round(k))
        assert np.all(m.cdf(k) >= q) and np.all(m.cdf(k - 1) < q)


def test_interval_covers_its_share_of_draws(mix):
    m, _, _ = mix
    lo, hi = m.interval(0.8)
    draws = m.rvs(50_000, random_state=1)
    cover = ((draws >= lo) & (draws <= hi)).mean(axis=0)
    np.testing.assert_allclose(cover, 0.8, atol=0.01)


def test_mixture_flattens_and_validates():
    a, b = normal([0.0], [1.0]), normal([1.0], [1.0])
    inner = MixtureDistribution([a, b])
    outer = MixtureDistribution([inner, a], weights=[0.5, 0.5])
    assert outer.n_components == 3
    np.testing.assert_allclose(outer.weights, [0.25, 0.25, 0.5])
    with pytest.raises(ValueError, match="share one family"):
        MixtureDistribution([a, poisson([1.0])])
    with pytest.raises(ValueError, match="batch shape"):
        MixtureDistribution([a, normal([0.0, 1.0], [1.0, 1.0])])
    with pytest.raises(ValueError, match="non-negative"):
        MixtureDistribution([a, b], weights=[1.0, -1.0])
    with pytest.raises(AttributeError, match="no single scipy"):
        outer.scipy


def test_classification_distributions_take_labels():
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    d = ParametricDistribution(Categorical(), {"p": p}, classes=np.array(["a", "b", "c"]))
    np.testing.assert_allclose(d.log_likelihood(["c", "a"]), np.log([0.5, 0.6]))
    np.testing.assert_allclose(d.mean(), p)
    with pytest.raises(ValueError, match="labels the classifier does not know"):
        d.log_likelihood(["z", "a"])
    draws = d.rvs(20_000, random_state=0)
    np.testing.assert_allclose((draws[:, 0] == "c").mean(), 0.5, atol=0.02)
    with pytest.raises(NotImplementedError, match="unordered labels"):
        d.ppf(0.5)
    bern = ParametricDistribution(Bernoulli(), {"p": np.array([0.2, 0.9])},
                                  classes=np.array([0, 1]))
    np.testing.assert_allclose(bern.mean()[:, 1], [0.2, 0.9])
    avg = MixtureDistribution([d, ParametricDistribution(Categorical(), {"p": p[::-1]},
                                                         classes=d.classes)])
    np.testing.assert_allclose(avg.mean(), (p + p[::-1]) / 2)


def test_uncertainty_decomposition():
    a, b = normal([0.0, 0.0], [1.0, 1.0]), normal([0.0, 4.0], [1.0, 1.0])
    u = decompose_uncertainty(MixtureDistribution([a, b]))
    np.testing.assert_allclose(u.aleatoric, [1.0, 1.0])
    np.testing.assert_allclose(u.epistemic, [0.0, 4.0])
    np.testing.assert_allclose(u.total, MixtureDistribution([a, b]).var())
    sure = ParametricDistribution(Categorical(), {"p": np.array([[0.98, 0.01, 0.01]])})
    unsure = ParametricDistribution(Categorical(), {"p": np.array([[0.01, 0.98, 0.01]])})
    c = decompose_uncertainty(MixtureDistribution([sure, unsure]))
    assert c.mutual_information[0] > 0.5  # members disagree: epistemic
    same = decompose_uncertainty(MixtureDistribution([sure, sure]))
    assert same.mutual_information[0] < 1e-12


def test_poisson_rates_have_finite_log_likelihood():
    d = poisson([2.0, 3.0])
    ll = d.log_likelihood([2.5, 3.0])
    assert np.all(np.isfinite(ll))
    np.testing.assert_allclose(ll[1], stats.poisson(3.0).logpmf(3))


# -- two-class distributions speak labels (ppf, median, interval, cdf, rvs) ---------------
def bernoulli(p, classes):
    return ParametricDistribution(Bernoulli(), {"p": np.asarray(p, float)},
                                  classes=np.asarray(classes))


@pytest.mark.parametrize("classes", [[3, 7], ["no", "yes"]])
def test_binary_quantiles_are_labels(classes):
    classes = np.asarray(classes)
    d = bernoulli([0.9, 0.1, 0.5, 0.3], classes)
    np.testing.assert_array_equal(d.median(), classes[[1, 0, 0, 0]])
    lo, hi = d.interval(0.5)  # quartiles: P(classes[0]) = 1 - p against 0.25 / 0.75
    np.testing.assert_array_equal(lo, classes[[1, 0, 0, 0]])
    np.testing.assert_array_equal(hi, classes[[1, 0, 1, 1]])
    np.testing.assert_array_equal(d.ppf(0.0), classes[[0, 0, 0, 0]])
    np.testing.assert_array_equal(d.ppf(1.0), classes[[1, 1, 1, 1]])
    # the same encoding as rvs and predict-style labels
    assert set(np.unique(d.rvs(50, random_state=0))) <= set(classes.tolist())
    with pytest.raises(ValueError, match=r"q in \[0, 1\]"):
        d.ppf(1.5)


@pytest.mark.parametrize("classes", [[3, 7], ["no", "yes"]])
def test_binary_ppf_cdf_round_trip_on_labels(classes):
    classes = np.asarray(classes)
    d = bernoulli([0.9, 0.1, 0.5, 0.3, 0.7], classes)
    for q in [0.05, 0.3, 0.5, 0.6, 0.95]:
        x = d.ppf(q)
        # the first label whose cdf reaches q
        assert np.all(d.cdf(x) >= q)
        first = x == classes[0]
        assert np.all(d.cdf(np.full(len(d), classes[0]))[~first] < q)
    np.testing.assert_allclose(d.cdf(np.full(5, classes[0])), 1 - np.array([.9, .1, .5, .3, .7]))


@pytest.mark.parametrize("classes", [[3, 7], ["no", "yes"]])
def test_binary_mixture_quantiles_agree_with_parametric(classes):
    classes = np.asarray(classes)
    rng = np.random.RandomState(0)
    # near the decision boundary: components on both sides of 1/2
    ps = 0.5 + rng.uniform(-0.1, 0.1, size=(5, 40))
    m = MixtureDistribution([bernoulli(p, classes) for p in ps])
    single = bernoulli(ps.mean(axis=0), classes)  # the mixture's own probabilities
    for q in [0.1, 0.45, 0.5, 0.55, 0.9]:
        np.testing.assert_array_equal(m.ppf(q), single.ppf(q))
    np.testing.assert_array_equal(m.median(), classes[(ps.mean(axis=0) > 0.5).astype(int)])
    for a, b in zip(m.interval(0.8), single.interval(0.8)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(m.cdf(m.median()), single.cdf(single.median()))


def test_categorical_mixture_refuses_quantiles_like_a_single_network():
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    d = ParametricDistribution(Categorical(), {"p": p}, classes=np.array(["a", "b", "c"]))
    m = MixtureDistribution([d, d])
    for dist in (d, m):
        with pytest.raises(NotImplementedError, match="unordered labels"):
            dist.median()
        with pytest.raises(NotImplementedError, match="unordered labels"):
            dist.cdf(["a", "b"])
