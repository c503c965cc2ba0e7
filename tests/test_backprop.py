"""The autograd-free training step of plain MLPs (``_skorch/backprop.py``): the same
fit, bit for bit, as skorch's ordinary step, and the ordinary step wherever it does
not apply."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from sklearn_dl import GaussianNLLRegressor, NNClassifier, NNRegressor
from sklearn_dl._skorch import backprop
from sklearn_dl._skorch import net as net_module
from sklearn_dl._skorch.backprop import LayerChain


@pytest.fixture
def chain_steps(monkeypatch):
    """Counts the steps that went through LayerChain.backward."""
    calls = {"n": 0}
    original = LayerChain.backward

    def counted(self, grad, tape):
        calls["n"] += 1
        return original(self, grad, tape)

    monkeypatch.setattr(LayerChain, "backward", counted)
    return calls


def _fit(make, X, y, fast):
    original = net_module.LayerChain.of
    if not fast:
        net_module.LayerChain.of = classmethod(lambda cls, module: None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return make().fit(X, y)
    finally:
        net_module.LayerChain.of = original


def _params(est):
    return [p.detach().numpy().copy() for p in est.net_.module_.parameters()]


def _data(classify=False):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5)) * [1, 10, 0.1, 1, 1] + [0, 5, 0, 0, 0]
    y = X[:, 0] + np.sin(X[:, 3]) + 0.3 * rng.normal(size=300)
    return X, ((y > 0).astype(int) if classify else y)


CASES = {
    "relu": lambda: GaussianNLLRegressor(max_epochs=4, random_state=0),
    "elu, dropout, l1": lambda: GaussianNLLRegressor(
        activation="elu", dropout=0.3, l1=1e-3, hidden_layer_sizes=(16, 8), max_epochs=4,
        random_state=0),
    "tanh, unstandardised": lambda: GaussianNLLRegressor(
        activation="tanh", standardize=False, max_epochs=4, random_state=0),
    "gelu": lambda: NNRegressor(
        activation="gelu", hidden_layer_sizes=(7,), max_epochs=3, random_state=0),
    "leaky_relu": lambda: NNRegressor(activation="leaky_relu", max_epochs=3,
                                      random_state=0),
    "sigmoid": lambda: NNRegressor(activation="sigmoid", max_epochs=3, random_state=0),
    "GLM": lambda: GaussianNLLRegressor(hidden_layer_sizes=(), max_epochs=4,
                                        random_state=0),
    "constant dispersion head": lambda: NNRegressor(
        family="negative_binomial", max_epochs=3, random_state=0),
    "classifier": lambda: NNClassifier(dropout=0.2, max_epochs=4,
                                                      random_state=0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_chain_step_is_autograd_bit_for_bit(case, chain_steps):
    classify = "classifier" in case
    X, y = _data(classify)
    if case == "constant dispersion head":
        y = np.random.RandomState(1).poisson(np.exp(0.3 * X[:, 0]) * 3)
    make = CASES[case]
    fast = _fit(make, X, y, fast=True)
    assert chain_steps["n"] > 0, "the chain step was not used"
    slow = _fit(make, X, y, fast=False)
    for a, b in zip(_params(fast), _params(slow)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast.history_[:, "train_loss"],
                                  slow.history_[:, "train_loss"])


def test_chain_gradient_matches_autograd_with_every_layer_kind():
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(4, 6), nn.ELU(0.7), nn.Dropout(0.0), nn.Linear(6, 5),
                         nn.LeakyReLU(0.2), nn.Linear(5, 5), nn.GELU("tanh"),
                         nn.Linear(5, 3), nn.Sigmoid(), nn.Linear(3, 3), nn.Tanh())
    from sklearn_dl._modules import BodyHead, Standardize
    from sklearn_dl.families._heads import LinearWithConstants

    module = BodyHead(body, LinearWithConstants(3, 1, 1),
                      Standardize(np.full(4, 0.5), np.full(4, 2.0)))
    chain = LayerChain.of(module)
    assert chain is not None and chain.usable()
    x = torch.randn(9, 4)
    out, tape = chain.forward(x)
    weights = torch.randn(out.shape)
    chain.backward(weights, tape)
    manual = [p.grad.clone() for p in module.parameters()]
    module.zero_grad(set_to_none=True)
    (module(x) * weights).sum().backward()
    for a, p in zip(manual, module.parameters()):
        torch.testing.assert_close(a, p.grad, rtol=0, atol=0)


def test_other_networks_take_skorch_step(chain_steps):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GaussianNLLRegressor(batchnorm=True, max_epochs=2, random_state=0).fit(X, y)
    assert chain_steps["n"] == 0
    custom = nn.Sequential(nn.Linear(5, 4), nn.Softplus())
    assert LayerChain.of(
        __import__("sklearn_dl._modules", fromlist=["BodyHead"]).BodyHead(
            custom, nn.Linear(4, 2))) is None
    # a hook on a layer needs the module to be called: the chain steps aside
    est = GaussianNLLRegressor(max_epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    chain = LayerChain.of(est.net_.module_)
    assert chain.usable()
    seen = []
    handle = est.net_.module_.body[0].register_forward_hook(lambda *a: seen.append(1))
    try:
        assert not chain.usable()
    finally:
        handle.remove()
    for p in est.net_.module_.body.parameters():
        p.requires_grad_(False)
    assert not chain.usable()
    assert backprop._ACTIVATIONS  # the supported activations are listed in one place
