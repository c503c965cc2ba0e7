"""Safe persistence: save/load without pickle, version checks, devices."""

import json
import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.exceptions import ConvergenceWarning
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochScoring,
    Freezer,
    GradientNormClipping,
    LRScheduler,
)
from torch.optim.lr_scheduler import StepLR
from torch import nn

import sklearn_dl
from sklearn_dl import (
    CNNRegressor,
    DeepEnsembleClassifier,
    FormulaModel,
    GaussianNLLRegressor,
    NNClassifier,
    NNRegressor,
    PoissonNLLRegressor,
    TransferLearningClassifier,
    load,
    save,
)
from sklearn_dl.datasets import load_digits_images


@pytest.fixture(scope="module")
def tab():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    return X, X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=120)


def _quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("make, target", [
    (lambda: GaussianNLLRegressor(max_epochs=3, random_state=0), "real"),
    (lambda: GaussianNLLRegressor(heteroscedastic=False, hidden_layer_sizes=(), max_epochs=3,
                                  standardize=False, random_state=0), "multi"),
    (lambda: NNRegressor(family="poisson", max_epochs=3, random_state=0), "counts"),
    (lambda: GaussianNLLRegressor(heteroscedastic=False, hidden_layer_sizes=(),
                                  fit_intercept=False, max_epochs=3, random_state=0),
     "real"),  # a head without bias is rebuilt without one
    (lambda: PoissonNLLRegressor(dropout=0.2, mc_samples=4, max_epochs=3, random_state=0),
     "counts"),
    (lambda: NNClassifier(activation="tanh", max_epochs=3, random_state=0), "labels"),
    (lambda: DeepEnsembleClassifier(NNClassifier(max_epochs=2), n_estimators=2,
                                    random_state=0), "labels"),
])
def test_round_trip_gives_identical_predictions(tab, tmp_path, make, target):
    X, y = tab
    y = {"real": y, "multi": np.c_[y, 2 * y], "counts": np.round(np.exp(y / 2)),
         "labels": np.where(y > 0, "up", "down")}[target]
    est = _quiet_fit(make(), X, y)
    path = tmp_path / "model.safetensors"
    save(est, path)
    loaded = load(path)
    assert type(loaded) is type(est) and loaded.get_params(deep=False).keys() == \
        est.get_params(deep=False).keys()
    method = "predict_proba" if hasattr(est, "classes_") else "predict"
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))
    if hasattr(est, "history_"):
        assert len(loaded.history_) == len(est.history_)
        assert loaded.loglik_ == est.loglik_


def test_image_models_round_trip(tmp_path):
    X, y = load_digits_images(return_X_y=True)
    cnn = _quiet_fit(CNNRegressor(family="poisson", architecture="vgg", filters=(4,),
                                  max_epochs=1, random_state=0), X[:80], y[:80])
    tl = _quiet_fit(TransferLearningClassifier("resnet18", weights=None, input_size=32,
                                               max_epochs=1, random_state=0), X[:64], y[:64])
    for est in (cnn, tl):
        save(est, tmp_path / "m.safetensors")
        loaded = load(tmp_path / "m.safetensors")
        method = "predict_proba" if hasattr(est, "classes_") else "predict"
        np.testing.assert_allclose(getattr(loaded, method)(X[:30]),
                                   getattr(est, method)(X[:30]), rtol=1e-6)


def test_loaded_model_can_be_warm_started(tab, tmp_path):
    X, y = tab
    est = _quiet_fit(GaussianNLLRegressor(max_epochs=3, warm_start=True, random_state=0), X, y)
    save(est, tmp_path / "m.safetensors")
    loaded = _quiet_fit(load(tmp_path / "m.safetensors"), X, y)
    assert loaded.n_iter_ == 6


def test_skorchs_own_callbacks_are_saved_as_configured(tab, tmp_path):
    X, y = tab
    callbacks = [EarlyStopping(patience=3), ("lr", LRScheduler(StepLR, step_size=2)),
                 GradientNormClipping(1.0), EpochScoring("r2"), Freezer("nothing.*", at=2)]
    est = _quiet_fit(GaussianNLLRegressor(max_epochs=8, validation_fraction=0.2,
                                          callbacks=callbacks, random_state=0), X, y)
    path = tmp_path / "m.safetensors"
    save(est, path)
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert [type(c[1] if isinstance(c, tuple) else c) for c in loaded.callbacks] == [
        EarlyStopping, LRScheduler, GradientNormClipping, EpochScoring, Freezer]
    params = loaded.get_params()
    assert params["callbacks__EarlyStopping__patience"] == 3
    assert params["callbacks__EarlyStopping__sink"] is print
    assert params["callbacks__lr__policy"] is StepLR and params["callbacks__lr__step_size"] == 2
    # skorch's initialize turns Freezer's at=2 into a partial of its own method; the
    # file holds the 2, and a loaded (so initialized again) model saves again
    with safe_open(str(path), framework="pt") as f:
        saved = json.loads(f.metadata()["params"])["__dict__"]["callbacks"]
    assert saved[-1]["params"]["__dict__"]["at"] == 2
    save(loaded, tmp_path / "again.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "again.safetensors").predict(X),
                                  est.predict(X))
    # the loaded callbacks work: a refit trains with them as the original's did
    refit = _quiet_fit(clone(loaded), X, y)
    assert "r2" in refit.history_[-1] and refit.n_iter_ == est.n_iter_
    np.testing.assert_allclose(refit.predict(X), est.predict(X), rtol=1e-5, atol=1e-6)


class _MyCallback(Callback):
    pass


def test_what_cannot_be_described_safely_is_refused_at_save(tab, tmp_path):
    X, y = tab
    for callbacks in ([_MyCallback()], [EpochScoring(lambda net, X, y: 0.0)]):
        est = _quiet_fit(GaussianNLLRegressor(max_epochs=2, callbacks=callbacks), X, y)
        with pytest.raises(TypeError, match="cannot be saved safely.*pickle or joblib"):
            save(est, tmp_path / "m.safetensors")
    body = _quiet_fit(GaussianNLLRegressor(architecture=nn.Linear(3, 4), max_epochs=2), X, y)
    with pytest.raises(TypeError, match="cannot be saved safely"):
        save(body, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_what_is_not_a_network_is_refused_at_once(tab, tmp_path):
    X, y = tab
    df = pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "y": y})
    net = GaussianNLLRegressor(max_epochs=2, random_state=0)
    model = _quiet_fit(FormulaModel("y ~ x0 + x1", net), df, None)
    path = tmp_path / "m.safetensors"
    with pytest.raises(TypeError, match=r"cannot save a FormulaModel: its fitted formula"
                       r".*pickle or joblib\.dump.*save\(model\.estimator_, path\)"):
        save(model, path)
    with pytest.raises(TypeError, match="cannot save a FormulaModel"):  # not NotFittedError
        save(FormulaModel("y ~ x0", net), path)
    pipeline = _quiet_fit(make_pipeline(StandardScaler(), clone(net)), X, y)
    with pytest.raises(TypeError, match=r"cannot save a Pipeline: .*pickle or joblib\.dump"
                       r".*save\(pipeline\[-1\], path\)"):
        save(pipeline, path)
    for other in (make_pipeline(StandardScaler(), LinearRegression()).fit(X, y),
                  LinearRegression().fit(X, y), FormulaModel("y ~ x0", Ridge()).fit(df)):
        with pytest.raises(TypeError, match=f"cannot save a {type(other).__name__}: .*"
                           "pickle or joblib"):
            save(other, path)
    assert not path.exists()
    save(model.estimator_, path)  # the network alone, on the design matrix
    np.testing.assert_allclose(load(path).predict(model.model_matrix(df)), model.predict(df))


def _rewrite(path, **changes):
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    for key, fn in changes.items():
        meta[key] = fn(meta[key])
    save_file(tensors, str(path), metadata=meta)


def test_file_versions_and_foreign_classes_get_clear_messages(tab, tmp_path):
    X, y = tab
    path = tmp_path / "m.safetensors"
    save(_quiet_fit(GaussianNLLRegressor(max_epochs=2, random_state=0), X, y), path)
    _rewrite(path, format_version=lambda v: "99", sklearn_dl_version=lambda v: "9.0")
    with pytest.raises(ValueError, match="written by sklearn_dl 9.0.*Upgrade sklearn_dl"):
        load(path)
    save(_quiet_fit(GaussianNLLRegressor(max_epochs=2, random_state=0), X, y), path)
    _rewrite(path, **{"class": lambda v: "os.system"})
    with pytest.raises(ValueError, match="not part of sklearn_dl; refusing"):
        load(path)
    # a callback or function entry may only name skorch's own
    est = _quiet_fit(GaussianNLLRegressor(max_epochs=2, callbacks=[EarlyStopping()],
                                          validation_fraction=0.2, random_state=0), X, y)
    for entry, message in [("skorch.callbacks.training.EarlyStopping", None),
                           ("os.system", "callback 'os.system'.*refusing"),
                           ("skorch.utils.to_numpy", "not one of skorch's callback")]:
        save(est, path)
        _rewrite(path, params=lambda v: v.replace("skorch.callbacks.training.EarlyStopping",
                                                  entry))
        if message is None:
            assert isinstance(load(path).callbacks[0], EarlyStopping)
            continue
        with pytest.raises(ValueError, match=message):
            load(path)
    save(est, path)
    _rewrite(path, params=lambda v: v.replace('"builtins.print"', '"os.system"'))
    with pytest.raises(ValueError, match="function 'os.system'.*refusing"):
        load(path)
    other = tmp_path / "other.safetensors"
    save_file({"w": __import__("torch").zeros(2)}, str(other))
    with pytest.raises(ValueError, match="not an sklearn_dl model file"):
        load(other)


def test_model_saved_for_a_gpu_loads_on_the_cpu(tab, tmp_path):
    # What this proves: a file whose parameters say device="cuda" (as one saved on a GPU
    # machine) loads and predicts on a machine without CUDA.  Tensors in the file are
    # always written from the CPU, so no CUDA tensor is ever deserialised.
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    X, y = tab
    est = _quiet_fit(GaussianNLLRegressor(max_epochs=2, random_state=0), X, y)
    path = tmp_path / "m.safetensors"
    save(est, path)

    def as_cuda(params):
        p = json.loads(params)
        p["__dict__"]["device"] = "cuda"
        return json.dumps(p)

    _rewrite(path, params=as_cuda)
    with pytest.warns(UserWarning, match="device='cuda'.*loaded on the CPU"):
        loaded = load(path)
    assert loaded.device == "cpu" and str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_every_torch_load_in_the_package_is_weights_only():
    import re

    root = pathlib.Path(sklearn_dl.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r"torch\.load\(", text):
            call = text[match.start():match.start() + 300].split(")")[0]
            assert "weights_only=True" in call, f"{path}: {call}"
        assert "pickle.load" not in text and "joblib.load" not in text, path
