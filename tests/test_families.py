"""Families: NLL against scipy, inverse links, registry."""

import numpy as np
import pytest
import torch
from scipy import stats

from sklearn_dl.families import (
    Bernoulli,
    Categorical,
    Family,
    Gamma,
    LogNormal,
    NegativeBinomial,
    Normal,
    Poisson,
    StudentT,
    ZeroInflatedPoisson,
    available_families,
    get_family,
    register_family,
)
from sklearn_dl.families import _registry


def _raw(rng, n, k):
    return torch.as_tensor(rng.normal(size=(n, k)), dtype=torch.float64)


@pytest.mark.parametrize("k", [1, 3])
def test_normal_nll_matches_scipy(rng, k):
    raw = _raw(rng, 50, 2 * k)
    y = rng.normal(size=(50, k))
    fam = Normal()
    params = fam.params_numpy(raw)
    expected = -stats.norm(params["mean"], params["scale"]).logpdf(y).sum(axis=1)
    got = -fam.log_prob(raw, torch.as_tensor(y)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(fam.nll(raw, torch.as_tensor(y)).item(), expected.mean())
    np.testing.assert_allclose(params["scale"], np.exp(raw[:, k:].numpy()))


def test_normal_one_dimensional_target(rng):
    raw = _raw(rng, 20, 2)
    y = rng.normal(size=20)
    fam = Normal()
    p = fam.params_numpy(raw)
    expected = -stats.norm(p["mean"][:, 0], p["scale"][:, 0]).logpdf(y)
    np.testing.assert_allclose(-fam.log_prob(raw, torch.as_tensor(y)).numpy(), expected)


def test_poisson_nll_matches_scipy(rng):
    raw = _raw(rng, 40, 1)
    y = rng.poisson(3.0, size=40).astype(float)
    fam = Poisson()
    mu = fam.params_numpy(raw)["mean"][:, 0]
    np.testing.assert_allclose(mu, np.exp(raw[:, 0].numpy()))
    expected = -stats.poisson(mu).logpmf(y)
    got = -fam.log_prob(raw, torch.as_tensor(y)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert fam.discrete and isinstance(fam.to_scipy({"mean": mu}).dist, stats.rv_discrete)


def test_poisson_rejects_negative_counts():
    with pytest.raises(ValueError, match="non-negative counts.*2 value"):
        Poisson().check_target(np.array([1.0, -1.0, 3.0, -2.0]))


def test_bernoulli_nll_matches_scipy(rng):
    raw = _raw(rng, 30, 1)
    y = rng.randint(0, 2, size=30).astype(float)
    fam = Bernoulli()
    p = fam.params_numpy(raw)["p"]
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-raw[:, 0].numpy())))
    expected = -stats.bernoulli(p).logpmf(y)
    np.testing.assert_allclose(-fam.log_prob(raw, torch.as_tensor(y)).numpy(), expected,
                               rtol=1e-10)
    np.testing.assert_allclose(fam.mean({"p": p}).sum(axis=1), 1.0)


def test_categorical_nll_matches_scipy(rng):
    raw = _raw(rng, 30, 4)
    y = rng.randint(0, 4, size=30)
    fam = Categorical()
    p = fam.params_numpy(raw)["p"]
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    onehot = np.eye(4)[y]
    expected = -stats.multinomial(1, p).logpmf(onehot)
    got = -fam.log_prob(raw, torch.as_tensor(y)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-8)


def test_sample_weight_multiplies_nll(rng):
    raw = _raw(rng, 10, 2)
    y = torch.as_tensor(rng.normal(size=10))
    fam = Normal()
    per_sample = -fam.log_prob(raw, y)
    w = torch.as_tensor(rng.uniform(0, 2, size=10))
    np.testing.assert_allclose(fam.nll(raw, y, w).item(), (per_sample * w).mean().item())
    np.testing.assert_allclose(fam.nll(raw, y, torch.ones(10, dtype=torch.float64)).item(),
                               fam.nll(raw, y).item())


def test_constant_variance_head_shares_one_sd(rng):
    head = Normal(heteroscedastic=False).make_head(5, 2)
    raw = head(torch.randn(7, 5))
    assert raw.shape == (7, 4)
    assert torch.all(raw[:, 2:] == raw[0, 2:])


def test_registry_resolves_names_and_instances():
    assert {"normal", "poisson", "bernoulli", "categorical"} <= set(available_families())
    assert get_family("normal", heteroscedastic=False) == Normal(heteroscedastic=False)
    fam = Poisson()
    assert get_family(fam) is fam
    with pytest.raises(ValueError, match="Unknown family 'weibull'"):
        get_family("weibull")


@pytest.mark.filterwarnings("ignore::UserWarning")  # two-epoch fits: their warnings
def test_family_names_are_case_insensitive_on_every_route(monkeypatch, tmp_path):
    import pandas as pd

    from sklearn_dl import CNNRegressor, NNRegressor, glm, load, save

    assert get_family("Poisson") == Poisson() and get_family("NORMAL") == Normal()
    assert get_family("Normal", heteroscedastic=False) == Normal(heteroscedastic=False)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    counts = rng.poisson(np.exp(X[:, 0] / 2))
    reg = NNRegressor(family="Poisson", hidden_layer_sizes=(), max_epochs=2,
                      random_state=0).fit(X, counts)
    assert reg.family_ == Poisson()
    assert reg.__sklearn_tags__().target_tags.positive_only  # tags resolve it too
    save(reg, tmp_path / "model.safetensors")  # the parameter is kept as written
    assert load(tmp_path / "model.safetensors").family == "Poisson"
    assert CNNRegressor(family="Negative_Binomial")._get_family() == NegativeBinomial()
    df = pd.DataFrame({"x": X[:, 0], "k": counts, "y": X[:, 1]})
    for name, expected in [("Gaussian", "normal"), ("Poisson", "poisson"),
                           ("Binomial", "bernoulli")]:
        formula = "I(k > 0) ~ x" if expected == "bernoulli" else "k ~ x"
        assert glm(formula, df, family=name, max_epochs=2).estimator_.family_.name == expected
    # a family registered under a capitalised name is found in any case
    monkeypatch.setattr(_registry, "_FAMILIES", dict(_registry._FAMILIES))

    @register_family
    class Counts(Poisson):
        name = "My_Counts"

    assert "my_counts" in available_families()
    assert type(get_family("MY_COUNTS")) is Counts
    with pytest.raises(ValueError, match="Unknown family 'Weibull'"):
        get_family("Weibull")


def test_register_new_family_is_one_class(monkeypatch):
    # a private copy of the registry, so the test family does not leak into other tests
    monkeypatch.setattr(_registry, "_FAMILIES", dict(_registry._FAMILIES))

    @register_family
    class Laplace(Family):
        name = "test_laplace"

        def n_outputs(self, n_targets):
            return 2 * n_targets

        def params(self, raw):
            return {"mean": raw[:, :1], "scale": raw[:, 1:].exp()}

        def log_prob(self, raw, y):
            p = self.params(raw)
            return (-(y.reshape(-1, 1) - p["mean"]).abs() / p["scale"]
                    - torch.log(2 * p["scale"])).sum(dim=1)

        def to_scipy(self, params):
            return stats.laplace(params["mean"], params["scale"])

    assert isinstance(get_family("test_laplace"), Laplace)
    with pytest.raises(TypeError):
        register_family(object)


# -- the families of issue 11: references outside the package ----------------------------------
def test_negative_binomial_matches_scipy_and_statsmodels(rng):
    import statsmodels.api as sm

    raw = _raw(rng, 60, 2)
    fam = NegativeBinomial()
    p = fam.params_numpy(raw)
    mu, alpha = p["mean"][:, 0], p["dispersion"][:, 0]
    np.testing.assert_allclose(mu, np.exp(raw[:, 0].numpy()))
    y = rng.poisson(3.0, size=60).astype(float)
    size = 1 / alpha  # R's theta
    expected = stats.nbinom(size, size / (size + mu)).logpmf(y)
    np.testing.assert_allclose(fam.log_prob(raw, torch.as_tensor(y)).numpy(), expected,
                               rtol=1e-10)
    np.testing.assert_allclose(fam.variance({"mean": mu, "dispersion": alpha}),
                               mu + alpha * mu**2)
    dev = fam.unit_deviance({"mean": mu[:1], "dispersion": alpha[:1]}, y[:1])
    ref = sm.families.NegativeBinomial(alpha=alpha[0]).deviance(y[:1], mu[:1])
    np.testing.assert_allclose(dev.sum(), ref, rtol=1e-10)


def test_negative_binomial_marginal_matches_statsmodels(rng):
    import statsmodels.api as sm

    y = rng.negative_binomial(2.0, 2.0 / (2.0 + 4.0), size=500).astype(float)
    raw = NegativeBinomial().marginal_raw(y)
    res = sm.NegativeBinomial(y, np.ones((500, 1))).fit(disp=0)
    np.testing.assert_allclose(raw, [res.params[0], np.log(res.params[1])], atol=1e-4)


def test_zero_inflated_poisson_matches_statsmodels(rng):
    import statsmodels.api as sm
    from statsmodels.discrete.count_model import ZeroInflatedPoisson as SmZIP
    from statsmodels.distributions.discrete import zipoisson as sm_zipoisson

    raw = _raw(rng, 50, 2)
    fam = ZeroInflatedPoisson()
    p = fam.params_numpy(raw)
    rate, zero = p["rate"][:, 0], p["zero_prob"][:, 0]
    y = np.where(rng.uniform(size=50) < 0.4, 0, rng.poisson(2.0, size=50)).astype(float)
    expected = sm_zipoisson.logpmf(y, rate, zero)
    np.testing.assert_allclose(fam.log_prob(raw, torch.as_tensor(y)).numpy(), expected,
                               rtol=1e-10)
    ours = fam.to_scipy({"rate": rate, "zero_prob": zero})
    for got, ref in zip(ours.stats(moments="mvsk"),
                        sm_zipoisson(rate, zero).stats(moments="mvsk")):
        np.testing.assert_allclose(got, ref, rtol=1e-8)
    np.testing.assert_allclose(ours.cdf(y), sm_zipoisson.cdf(y, rate, zero), rtol=1e-10)

    # the closed-form marginal is statsmodels' intercept-only ZIP fit
    y = np.where(rng.uniform(size=400) < 0.3, 0, rng.poisson(3.0, size=400)).astype(float)
    raw = fam.marginal_raw(y)
    ones = np.ones((400, 1))
    res = SmZIP(y, ones, exog_infl=ones).fit(disp=0, maxiter=200)
    np.testing.assert_allclose(raw, [res.params[1], res.params[0]], atol=1e-4)
    assert np.all(np.isfinite(fam.marginal_raw(np.zeros(5))))
    # no excess zeros: the Poisson fit, with the zero probability at its floor
    raw = fam.marginal_raw(rng.poisson(5.0, size=300).astype(float))
    assert raw[1] == -15.0


def test_zero_inflated_poisson_rejects_negative_counts():
    with pytest.raises(ValueError, match="zero_inflated_poisson family needs targets that "
                                         "are non-negative"):
        ZeroInflatedPoisson().check_target(np.array([0.0, -1.0]))


def test_gamma_matches_scipy_fit_and_sklearn_deviance(rng):
    from sklearn.metrics import mean_gamma_deviance

    y = rng.gamma(2.5, 1.6, size=800)
    fam = Gamma()
    log_mean, log_disp = fam.marginal_raw(y)
    shape, _, scale = stats.gamma.fit(y, floc=0)
    np.testing.assert_allclose(np.exp(-log_disp), shape, rtol=1e-4)
    np.testing.assert_allclose(np.exp(log_mean), shape * scale, rtol=1e-4)
    mu = rng.uniform(1, 5, size=800)
    params = {"mean": mu, "dispersion": np.full(800, 0.4)}
    np.testing.assert_allclose(fam.unit_deviance(params, y).mean(),
                               mean_gamma_deviance(y, mu), rtol=1e-10)
    assert fam.marginal_raw(np.full(10, 3.0))[1] == -15.0  # constant y: the largest shape


def test_lognormal_moments_and_positive_support(rng):
    fam = LogNormal()
    params = {"meanlog": np.array([0.3]), "sdlog": np.array([0.8])}
    ref = stats.lognorm(s=0.8, scale=np.exp(0.3))
    np.testing.assert_allclose(fam.mean(params), ref.mean())
    np.testing.assert_allclose(fam.variance(params), ref.var())
    with pytest.raises(ValueError, match="lognormal family needs targets that are positive"):
        fam.check_target(np.array([1.0, 0.0]))


def test_student_t_learned_df_matches_scipy_fit(rng):
    y = 2.0 + 0.5 * rng.standard_t(3.0, size=1500)
    fam = StudentT()
    loc, log_scale, raw_df = fam.marginal_raw(y)
    df, ref_loc, ref_scale = stats.t.fit(y)
    np.testing.assert_allclose([2 + np.exp(raw_df), loc, np.exp(log_scale)],
                               [df, ref_loc, ref_scale], rtol=2e-3)
    # Normal data: the marginal df stops at its cap (100: a Normal in practice)
    loc, log_scale, raw_df = fam.marginal_raw(rng.normal(size=1500))
    assert 2 + np.exp(raw_df) == pytest.approx(100.0)


def test_student_t_fixed_df(rng):
    fam = StudentT(df=4.0)
    assert fam.n_outputs(1) == 2 and "df" not in fam.links
    raw = _raw(rng, 20, 2)
    p = fam.params_numpy(raw)
    np.testing.assert_array_equal(p["df"], 4.0)
    y = rng.standard_t(4.0, size=20)
    expected = stats.t(4.0, p["loc"][:, 0], p["scale"][:, 0]).logpdf(y)
    np.testing.assert_allclose(fam.log_prob(raw, torch.as_tensor(y)).numpy(), expected,
                               rtol=1e-10)
    assert "fixed at 4" in fam.describe()
    rescaled = fam.rescale(p, 10.0, 2.0)
    np.testing.assert_allclose(rescaled["scale"], 2 * p["scale"])
    np.testing.assert_array_equal(rescaled["df"], 4.0)


@pytest.mark.parametrize("make, message", [
    (lambda: NegativeBinomial(dispersion="per_row"), "NegativeBinomial: dispersion must"),
    (lambda: Gamma(dispersion=1), "Gamma: dispersion must"),
    (lambda: ZeroInflatedPoisson(zero_inflation="x"), "zero_inflation must"),
    (lambda: StudentT(df=0), "StudentT: df must be None"),
    (lambda: StudentT(df="3"), "StudentT: df must be None"),
])
def test_family_options_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("family", [NegativeBinomial(), Gamma(), ZeroInflatedPoisson(
    zero_inflation="constant"), StudentT(heteroscedastic=False), LogNormal(False)],
    ids=repr)
def test_constant_parameters_are_shared_by_the_batch(family):
    head = family.make_head(5, 2)
    raw = head(torch.randn(7, 5))
    assert raw.shape == (7, family.n_outputs(2))
    n_constant = head.constant.numel()
    assert torch.all(raw[:, -n_constant:] == raw[0, -n_constant:])
    assert not torch.all(raw[:, :2] == raw[0, :2])


@pytest.mark.parametrize("name", [n for n in available_families()
                                  if get_family(n).glm_options])
def test_glm_form_has_one_dispersion(name):
    # glm(family=name) builds get_family(name, **glm_options): only the first block
    # (the mean's linear predictor) depends on x, the others are learned constants
    family = get_family(name, **get_family(name).glm_options)
    head = family.make_head(5, 2)
    raw = head(torch.randn(7, 5))
    assert not torch.all(raw[:, :2] == raw[0, :2])
    assert torch.all(raw[:, 2:] == raw[0, 2:])
    assert {"normal", "lognormal", "student_t", "negative_binomial", "gamma"} <= {
        n for n in available_families() if get_family(n).glm_options}


# -- a family defined in user code (the course's "define the NLL" exercise) ----------------
class UserLaplace(Family):
    """Outputs (loc, raw scale), links (identity, softplus), NLL: nothing else."""

    name = "user_laplace"
    param_names = ("loc", "scale")
    links = {"loc": "identity", "scale": "softplus"}

    def n_outputs(self, n_targets):
        return 2 * n_targets

    def params(self, raw):
        k = raw.shape[1] // 2
        return {"loc": raw[:, :k], "scale": torch.nn.functional.softplus(raw[:, k:]) + 1e-6}

    def log_prob(self, raw, y):
        p = self.params(raw)
        y = y.reshape(len(y), -1)
        return (-torch.log(2 * p["scale"]) - torch.abs(y - p["loc"]) / p["scale"]).sum(dim=1)

    def to_scipy(self, params):
        return stats.laplace(loc=params["loc"], scale=params["scale"])

    def mean(self, params):
        return params["loc"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_user_defined_family_fits_without_package_changes(rng):
    import pickle

    from sklearn.base import clone

    from sklearn_dl import NNRegressor

    X = rng.uniform(-2, 2, size=(1200, 1))
    y = 2 * np.sin(1.5 * X[:, 0]) + 0.4 * rng.standard_t(2.5, size=1200)
    tr, te = slice(0, 600), slice(600, None)
    settings = dict(hidden_layer_sizes=(16,), dropout=0.0, lr=0.02, max_epochs=40,
                    batch_size=100,
                    random_state=0)
    user = NNRegressor(family=UserLaplace(), **settings).fit(X[tr], y[tr])
    normal = NNRegressor(family="normal", **settings).fit(X[tr], y[tr])
    assert "user_laplace" not in available_families()

    def test_nll(est):
        return -est.predict_dist(X[te]).log_likelihood(y[te]).mean()

    # heavy-tailed noise: the Laplace head beats the Normal one, and both beat the
    # marginal Laplace fitted by the generic numerical search
    marginal = UserLaplace().marginal_raw(y[tr])
    marginal_nll = -stats.laplace(marginal[0], np.logaddexp(0, marginal[1])).logpdf(
        y[te]).mean()
    assert test_nll(user) < test_nll(normal) - 0.03  # measured: 1.17 vs 1.24
    assert test_nll(user) < marginal_nll - 0.3
    lower, upper = user.predict_interval(X[te], alpha=0.1).T
    assert 0.85 < np.mean((y[te] >= lower) & (y[te] <= upper)) < 0.95
    # a scikit-learn estimator like any other: clone and pickle
    np.testing.assert_allclose(pickle.loads(pickle.dumps(user)).predict(X[te]),
                               user.predict(X[te]))
    refit = clone(user).fit(X[tr], y[tr])
    np.testing.assert_allclose(refit.predict(X[te]), user.predict(X[te]), rtol=1e-6)
