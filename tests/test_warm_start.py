"""Warm starts and partial_fit continue the fitted network: a change to a parameter it
was built from is refused by name, every training setting applies to the continued fit."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl import (
    CNNClassifier,
    GaussianNLLRegressor,
    NNClassifier,
    NNRegressor,
    load,
    save,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] - X[:, 1] + rng.normal(scale=0.3, size=200)
    return X, y


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def _weights(est):
    return {k: v.clone() for k, v in est.net_.module_.state_dict().items()}


def test_warm_start_names_the_changed_architecture(data):
    X, y = data
    est = _fit(GaussianNLLRegressor(hidden_layer_sizes=(100,), max_epochs=2, warm_start=True,
                                    random_state=0), X, y)
    before = _weights(est)
    est.set_params(hidden_layer_sizes=(50,))
    msg = ("warm_start=True continues the fitted network, but hidden_layer_sizes changed "
           r"from \(100,\) to \(50,\) since; fit with warm_start=False to start afresh.")
    with pytest.raises(ValueError, match=msg):
        est.fit(X, y)
    with pytest.raises(ValueError, match="^partial_fit continues the fitted network"):
        est.partial_fit(X, y)
    assert est.n_iter_ == 2  # untouched, weights included
    assert all(torch.equal(v, before[k]) for k, v in _weights(est).items())
    # warm_start=False starts afresh with the new layers
    _fit(est.set_params(warm_start=False), X, y)
    assert est.net_.module_.head.weight.shape[1] == 50 and est.n_iter_ == 2


@pytest.mark.parametrize("est, change, named", [
    (GaussianNLLRegressor(), dict(dropout=0.3),
     r"dropout changed from 'auto' \(built as 0.1\) to 0.3"),
    (GaussianNLLRegressor(), dict(activation="tanh"), "activation changed from 'auto'"),
    (GaussianNLLRegressor(), dict(heteroscedastic=False),
     "heteroscedastic changed from True to False"),
    (GaussianNLLRegressor(), dict(standardize=False), "standardize changed"),
    (GaussianNLLRegressor(), dict(batchnorm=True, dropout=0.5),
     "dropout changed .* and batchnorm changed from False to True"),
    (NNRegressor(family="poisson"), dict(family="negative_binomial"),
     "family changed from 'poisson' to 'negative_binomial'"),
    (NNClassifier(), dict(architecture=torch.nn.Linear(3, 4)), "architecture changed"),
])
def test_every_architecture_parameter_is_checked(data, est, change, named):
    X, y = data
    if is_classifier(est):
        y = (y > 0).astype(int)
    elif est.get_params().get("family") == "poisson":
        y = np.round(np.abs(y))
    est = _fit(est.set_params(max_epochs=2, warm_start=True, random_state=0), X, y)
    with pytest.raises(ValueError, match=named):
        est.set_params(**change).fit(X, y)


def test_image_estimators_check_their_body_too():
    rng = np.random.RandomState(0)
    X, y = rng.uniform(0, 255, size=(40, 8, 8)), np.arange(40) % 2
    clf = CNNClassifier(filters=(4,), dense_units=(8,), max_epochs=1, warm_start=True,
                        random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"filters changed from \(4,\) to \(8,\)"):
        clf.set_params(filters=(8,)).fit(X, y)
    clf.set_params(filters=[4], lr=0.01, batch_size=16).fit(X, y)  # a list of the same
    assert clf.n_iter_ == 2 and clf.net_.batch_size == 16


def test_the_resolved_auto_value_is_no_change(data):
    X, y = data
    est = _fit(GaussianNLLRegressor(max_epochs=2, warm_start=True, random_state=0), X, y)
    built = (est.hidden_layer_sizes_, est.dropout_, est.activation_)
    _fit(est.set_params(hidden_layer_sizes=built[0], dropout=built[1], activation=built[2]),
         X, y)
    assert est.n_iter_ == 4


def test_training_settings_apply_to_the_continued_fit(data):
    X, y = data
    est = _fit(GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=2, batch_size=50,
                                    weight_decay=0.0, warm_start=True, random_state=0), X, y)
    steps = float(est.net_.optimizer_.state_dict()["state"][0]["step"])
    assert steps == 2 * 4
    _fit(est.set_params(batch_size=25, l1=0.01, weight_decay=0.5, lr=0.01, max_epochs=3),
         X, y)
    net = est.net_
    assert (net.batch_size, net.l1) == (25, 0.01) and est.weight_decay_ == 0.5
    group = net.optimizer_.param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (0.01, 0.5)
    # Adam's state carried on: 8 steps before, 3 epochs of 8 batches now
    assert float(net.optimizer_.state_dict()["state"][0]["step"]) == steps + 3 * 8
    assert est.n_iter_ == 5 == len(est.loss_curve_)
    # another optimizer continues the weights with a fresh state of its own
    weights = _weights(est)
    _fit(est.set_params(optimizer="sgd", max_epochs=1), X, y)
    assert isinstance(est.net_.optimizer_, torch.optim.SGD) and est.n_iter_ == 6
    assert not all(torch.equal(v, weights[k]) for k, v in _weights(est).items())


def test_early_stopping_can_be_switched_on_for_a_warm_start(data):
    X, y = data
    est = _fit(GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=2, warm_start=True,
                                    random_state=0), X, y)
    assert "valid_loss" not in est.history_[-1]
    _fit(est.set_params(max_epochs=500, early_stopping=True, patience=3), X, y)
    assert "valid_loss" in est.history_[-1] and est.n_iter_ < 2 + 500


def test_a_saved_model_remembers_what_its_network_was_built_with(data, tmp_path):
    X, y = data
    est = _fit(GaussianNLLRegressor(hidden_layer_sizes=(8,), max_epochs=2, warm_start=True,
                                    random_state=0), X, y)
    save(est, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="hidden_layer_sizes changed"):
        loaded.set_params(hidden_layer_sizes=(4,)).fit(X, y)
    _fit(loaded.set_params(hidden_layer_sizes=(8,)), X, y)
    assert loaded.n_iter_ == 4
