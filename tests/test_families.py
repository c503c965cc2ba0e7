"""Families: NLL against scipy, inverse links, registry."""

import numpy as np
import pytest
import torch
from scipy import stats

from sklearn_dl.families import (
    Bernoulli,
    Categorical,
    Family,
    Normal,
    Poisson,
    available_families,
    get_family,
    register_family,
)


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
    with pytest.raises(ValueError, match="Unknown family 'gamma'"):
        get_family("gamma")


def test_register_new_family_is_one_class():
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
