"""Hardening: every public estimator and transformer, fuzzed with bad input.

Hypothesis draws the bad input (NaN/inf, wrong ndim, empty, object and string arrays,
sparse matrices, unseen labels, wrong image shapes, corrupt and missing files, bad
counts, absurd parameters).  Each property asserts three things:

* the exception type and a message that names the problem;
* that nothing was trained: a tripwire replaces skorch's training entry points, so an
  input that reaches training fails the test with "training started";
* that the estimator is untouched: a fresh one gains no fitted attribute, a fitted one
  keeps its predictions, ``n_iter_`` and history.

Out-of-memory errors are *simulated* (a module's ``forward`` raises the error torch
raises when an allocation fails), since a real one cannot be provoked safely in a test.
Policies tested here: sparse matrices are refused with a message (never densified behind
the user's back); numeric strings are accepted and train exactly as the numbers.
"""

import contextlib
import io
import os
import re
import string
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sklearn.base import clone

from sklearn_dl import (
    CNNClassifier,
    CNNRegressor,
    DeepEnsembleClassifier,
    DeepEnsembleRegressor,
    FormulaModel,
    FormulaTransformer,
    GaussianNLLRegressor,
    NNClassifier,
    NNRegressor,
    PoissonNLLRegressor,
    PretrainedFeatureTransformer,
    TransferLearningClassifier,
    _skorch,
)

FUZZ = settings(max_examples=15, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])
FUZZ_SLOW = settings(FUZZ, max_examples=8)  # image and backbone estimators

TINY = dict(hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
CNN = dict(architecture="vgg", filters=(2,), max_epochs=1, random_state=0)
BACKBONE = dict(weights=None, input_size=16)

TABULAR = {
    "NNClassifier": lambda **kw: NNClassifier(**{**TINY, **kw}),
    "NNRegressor": lambda **kw: NNRegressor(**{**TINY, **kw}),
    "GaussianNLLRegressor": lambda **kw: GaussianNLLRegressor(**{**TINY, **kw}),
    "PoissonNLLRegressor": lambda **kw: PoissonNLLRegressor(**{**TINY, **kw}),
}
IMAGE = {
    "CNNClassifier": lambda **kw: CNNClassifier(**{**CNN, **kw}),
    "CNNRegressor": lambda **kw: CNNRegressor(**{**CNN, **kw}),
    "TransferLearningClassifier": lambda **kw: TransferLearningClassifier(
        "resnet18", **{**BACKBONE, "max_epochs": 1, "random_state": 0, **kw}),
}
CLASSIFIERS = {"NNClassifier", "CNNClassifier", "TransferLearningClassifier"}

N, P = 12, 3
RNG = np.random.RandomState(0)
X_TAB = RNG.normal(size=(N, P))
IMAGES = RNG.uniform(0, 255, size=(N, 8, 8)).astype(np.uint8)


def target(name, n=N):
    if name in CLASSIFIERS:
        return np.array(["a", "b", "c"] * n)[:n]
    if name == "PoissonNLLRegressor":
        return np.arange(n) % 4
    return np.linspace(-1, 1, n)


# -- what every refusal must satisfy --------------------------------------------------------
@contextlib.contextmanager
def no_training():
    """Any call into skorch's training loop fails the test."""
    def tripwire(*args, **kwargs):
        raise AssertionError("training started before the bad input was refused")

    with mock.patch.object(_skorch, "fit_net", tripwire), \
            mock.patch.object(_skorch, "partial_epoch", tripwire):
        yield


def fitted_state(est, X):
    """What a failed call must leave unchanged: predictions, epochs, history."""
    out = est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)
    return np.asarray(out, dtype=float), est.n_iter_, len(est.history_)


def assert_same_state(before, after):
    np.testing.assert_array_equal(before[0], after[0])
    assert before[1:] == after[1:]


def assert_refused_fresh(est, fit, exc, match):
    params = repr(est.get_params(deep=False))
    with no_training(), pytest.raises(exc, match=match):
        fit(est)
    assert not [k for k in vars(est) if k.endswith("_")], "a failed fit left fitted state"
    assert repr(est.get_params(deep=False)) == params


def assert_refused_fitted(est, call, exc, match, X_check):
    before = fitted_state(est, X_check)
    with no_training(), pytest.raises(exc, match=match):
        call(est)
    assert_same_state(before, fitted_state(est, X_check))


def quiet_fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch: convergence warnings are expected
        return est.fit(X, y, **kw)


@pytest.fixture(scope="module")
def fitted_tabular():
    return {name: quiet_fit(make(), X_TAB, target(name)) for name, make in TABULAR.items()}


@pytest.fixture(scope="module")
def fitted_images():
    return {name: quiet_fit(make(), IMAGES, target(name)) for name, make in IMAGE.items()}


# -- bad tables ------------------------------------------------------------------------------
NONNUMERIC = st.text(alphabet=string.ascii_letters + " _-", min_size=1, max_size=6).filter(
    lambda s: not _parses_as_float(s))


def _parses_as_float(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


@st.composite
def bad_tables(draw, n_features=P):
    """``(X, exception, message regex)`` for a table of ``N`` rows that must be refused."""
    X = draw(st.builds(lambda seed: np.random.RandomState(seed).normal(size=(N, n_features)),
                       st.integers(0, 2**16)))
    kind = draw(st.sampled_from(["nonfinite", "1d", "3d", "no rows", "no columns", "text",
                                 "sparse", "complex", "float32 overflow"]))
    i, j = draw(st.integers(0, N - 1)), draw(st.integers(0, n_features - 1))
    if kind == "nonfinite":
        X[i, j] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return X, ValueError, "NaN|infinity"
    if kind == "1d":
        return X[:, j], ValueError, "Expected 2D array, got 1D array"
    if kind == "3d":
        return X[:, :, None], ValueError, "dim 3"
    if kind == "no rows":
        return X[:0], ValueError, "0 sample"
    if kind == "no columns":
        return X[:, :0], ValueError, "0 feature"
    if kind == "text":
        X = X.astype(object)
        X[i, j] = draw(NONNUMERIC)
        return X, ValueError, "needs numeric X.*non-numeric.*OneHotEncoder"
    if kind == "sparse":
        fmt = draw(st.sampled_from(["csr", "csc", "coo"]))
        return sp.random(N, n_features, density=0.5, format=fmt, random_state=i), TypeError, \
            "does not accept sparse.*toarray"
    if kind == "complex":
        return X + 1j, ValueError, "Complex data not supported"
    X[i, j] = draw(st.floats(1e39, 1e300))
    return X, ValueError, "too large for dtype\\('float32'\\)|infinity"


def _rows_like(X, y):
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    return y[:n] if n <= len(y) else y


@pytest.mark.parametrize("name", TABULAR)
@FUZZ
@given(case=bad_tables())
def test_tabular_bad_X_is_refused_before_training(name, case, fitted_tabular):
    X, exc, match = case
    y = _rows_like(X, target(name))
    assert_refused_fresh(TABULAR[name](), lambda e: e.fit(X, y), exc, match)
    fitted = fitted_tabular[name]
    assert_refused_fitted(fitted, lambda e: e.fit(X, y), exc, match, X_TAB)
    if X.shape[0] > 0:  # (predicting zero rows has its own message)
        assert_refused_fitted(fitted, lambda e: e.predict(X), exc, match, X_TAB)


@pytest.mark.parametrize("name", TABULAR)
@FUZZ
@given(seed=st.integers(0, 2**16), as_frame=st.booleans())
def test_numeric_strings_train_exactly_as_numbers(name, seed, as_frame):
    # scikit-learn's policy, kept here: strings that parse as numbers are numbers
    text = np.random.RandomState(seed).normal(size=(N, P)).round(6).astype(str)
    X = text.astype(np.float64)  # the numbers the strings spell
    if as_frame:
        text = pd.DataFrame(text, columns=["a", "b", "c"])
    y = target(name)
    from_numbers = quiet_fit(TABULAR[name](), X, y)
    from_text = quiet_fit(TABULAR[name](), text, y)
    np.testing.assert_array_equal(from_numbers.predict(X), from_text.predict(text))


@pytest.mark.parametrize("name", ["NNClassifier", "GaussianNLLRegressor"])
@FUZZ
@given(n_features=st.integers(1, 6).filter(lambda p: p != P))
def test_predict_with_other_column_count_is_refused(name, n_features, fitted_tabular):
    X = np.zeros((4, n_features))
    assert_refused_fitted(fitted_tabular[name], lambda e: e.predict(X), ValueError,
                          f"X has {n_features} features, but .* expecting {P}", X_TAB)


# -- bad targets and weights -------------------------------------------------------------------
@st.composite
def bad_targets(draw, name):
    y = target(name).astype(object if name in CLASSIFIERS else float)
    i = draw(st.integers(0, N - 1))
    kinds = ["length"]
    if name in CLASSIFIERS:
        kinds += ["one class", "continuous", "mixed types", "missing label"]
    else:
        kinds += ["nonfinite", "text", "too large"]
        kinds += ["negative count"] if name == "PoissonNLLRegressor" else ["constant"]
    kind = draw(st.sampled_from(kinds))
    if kind == "length":
        k = draw(st.integers(0, N - 1))
        return X_TAB, y[:k], ValueError, "inconsistent numbers of samples|0 sample"
    if kind == "one class":
        k = draw(st.integers(1, N))
        return X_TAB[:k], np.full(k, "a"), ValueError, "at least 2 classes.*only one class"
    if kind == "continuous":
        return X_TAB, draw(st.lists(st.floats(-1e3, 1e3).filter(lambda v: v != int(v)),
                                    min_size=N, max_size=N).map(np.array)), ValueError, \
            "Unknown label type: continuous"
    if kind == "mixed types":
        y[i] = draw(st.integers(-5, 5))
        return X_TAB, y, ValueError, "mixes labels of different types"
    if kind == "missing label":
        y[i] = None
        return X_TAB, y, ValueError, "missing labels \\(None\\)"
    if kind == "nonfinite":
        y[i] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return X_TAB, y, ValueError, "y contains (NaN|infinity)"
    if kind == "text":
        y = y.astype(object)
        y[i] = draw(NONNUMERIC)
        return X_TAB, y, ValueError, "is a regressor: y must be numeric"
    if kind == "too large":
        y[i] = draw(st.floats(1e300, 1.7e308))  # its square (or float32 copy) overflows
        return X_TAB, y, ValueError, "too large to train on"
    if kind == "negative count":
        y[i] = draw(st.floats(-1e6, -1e-6))
        return X_TAB, y, ValueError, "poisson family needs .*non-negative"
    return X_TAB, np.full(N, draw(st.floats(-1e6, 1e6))), ValueError, "constant"


@pytest.mark.parametrize("name", TABULAR)
@FUZZ
@given(data=st.data())
def test_tabular_bad_y_is_refused_before_training(name, data, fitted_tabular):
    X, y, exc, match = data.draw(bad_targets(name))
    assert_refused_fresh(TABULAR[name](), lambda e: e.fit(X, y), exc, match)
    assert_refused_fitted(fitted_tabular[name], lambda e: e.fit(X, y), exc, match, X_TAB)


@FUZZ
@given(kind=st.sampled_from(["negative", "nonfinite", "length", "text", "all zero", "2d"]),
       i=st.integers(0, N - 1))
def test_bad_sample_weight_is_refused(kind, i, fitted_tabular):
    w = np.ones(N)
    if kind == "negative":
        w[i], match = -1.0, "Negative values"
    elif kind == "nonfinite":
        w[i], match = np.nan, "NaN"
    elif kind == "length":
        w, match = w[:i], "shape"
    elif kind == "text":
        w, match = np.array(["x"] * N), "sample_weight must hold numbers"
    elif kind == "all zero":
        w, match = np.zeros(N), "non-zero|positive"
    else:
        w, match = np.ones((N, 2)), "1D array"
    y = target("GaussianNLLRegressor")
    assert_refused_fresh(TABULAR["GaussianNLLRegressor"](),
                         lambda e: e.fit(X_TAB, y, sample_weight=w), ValueError, match)
    assert_refused_fitted(fitted_tabular["GaussianNLLRegressor"],
                          lambda e: e.fit(X_TAB, y, sample_weight=w), ValueError, match, X_TAB)


@FUZZ
@given(rates=st.lists(st.floats(0, 50), min_size=N, max_size=N))
def test_poisson_accepts_non_integer_counts_as_rates(rates):
    y = np.array(rates)
    est = quiet_fit(TABULAR["PoissonNLLRegressor"](), X_TAB, y)
    assert np.all(np.isfinite(est.predict(X_TAB))) and np.all(est.predict(X_TAB) > 0)
    assert np.isfinite(est.log_likelihood(X_TAB, y))
    assert np.isfinite(est.loglik_)


# -- labels at predict time ---------------------------------------------------------------------
LABELS = st.sampled_from(["a", "b", "c", "d", "zz", "A", ""])


@FUZZ
@given(labels=st.lists(LABELS, min_size=4, max_size=4), scale=st.floats(1e-3, 1e6))
def test_classifiers_know_only_their_labels(labels, scale, fitted_tabular):
    clf = fitted_tabular["NNClassifier"]
    X = X_TAB[:4] * scale  # far outside the training range, still valid input
    assert set(clf.predict(X)) <= set(clf.classes_)
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)
    y = np.array(labels)
    unseen = sorted(set(labels) - set(clf.classes_))
    if unseen:
        for evaluate in (lambda: clf.log_likelihood(X, y),
                         lambda: clf.predict_dist(X).log_likelihood(y),
                         lambda: clf.deviance(X, y)):
            with pytest.raises(ValueError, match="labels the classifier does not know"):
                evaluate()
    else:
        ll = clf.predict_dist(X).log_likelihood(y)
        assert np.all(np.isfinite(ll) | (ll == -np.inf)) and np.all(ll <= 0)


@FUZZ
@given(i=st.integers(0, 3), value=st.sampled_from([np.nan, np.inf, -np.inf, "x"]))
def test_regressor_log_likelihood_of_bad_observations_is_refused(i, value, fitted_tabular):
    for name in ("GaussianNLLRegressor", "PoissonNLLRegressor"):
        y = target(name)[:4].astype(object)
        y[i] = value
        with pytest.raises(ValueError, match="NaN or infinity|must hold numbers"):
            fitted_tabular[name].log_likelihood(X_TAB[:4], y)
    with pytest.raises(ValueError, match="poisson family needs .*non-negative"):
        fitted_tabular["PoissonNLLRegressor"].log_likelihood(X_TAB[:4], [-1, 0, 1, 2])


# -- absurd parameters --------------------------------------------------------------------------
UNKNOWN = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)
NONFINITE = st.sampled_from([np.nan, np.inf, -np.inf])
ABSENT_DEVICES = ["meta", "xla"] + [d for d in ("cuda", "mps")
                                    if not getattr(torch, d).is_available()]
BAD_DEVICE = st.one_of(UNKNOWN.filter(lambda s: s not in ("cpu", "auto", "cuda", "mps")),
                       st.sampled_from(ABSENT_DEVICES))


@st.composite
def absurd_params(draw):
    """``(params, exception, message regex)`` that fit must refuse up front."""
    kind = draw(st.sampled_from([
        "lr", "lr nonfinite", "batch_size", "batch_size float", "max_epochs", "hidden",
        "dropout", "activation", "optimizer", "device", "random_state", "weight_decay",
        "patience", "validation_fraction", "flag", "early_stopping", "mc_samples"]))
    if kind == "lr":
        return {"lr": draw(st.floats(-1e6, 0))}, ValueError, "lr must be in \\(0"
    if kind == "lr nonfinite":
        return {"lr": draw(NONFINITE)}, ValueError, "lr must be a finite number"
    if kind == "batch_size":
        return {"batch_size": draw(st.integers(-10**6, 0))}, ValueError, "batch_size must be"
    if kind == "batch_size float":
        return ({"batch_size": draw(st.floats(0.5, 1e6).filter(lambda v: v != int(v)))},
                TypeError, "batch_size must be an int")
    if kind == "max_epochs":
        return {"max_epochs": draw(st.integers(-10**6, 0))}, ValueError, "max_epochs must be"
    if kind == "hidden":
        sizes = draw(st.lists(st.integers(-100, 100), min_size=1, max_size=3).filter(
            lambda s: min(s) < 1))
        return {"hidden_layer_sizes": tuple(sizes)}, ValueError, "hidden_layer_sizes"
    if kind == "dropout":
        value = draw(st.one_of(st.floats(1, 1e6), st.floats(-1e6, -1e-9), NONFINITE))
        return {"dropout": value}, ValueError, "dropout must be"
    if kind == "activation":
        return ({"activation": draw(UNKNOWN.filter(lambda s: s not in (
            "relu", "elu", "gelu", "tanh", "sigmoid", "identity", "leaky_relu")))},
            ValueError, "Unknown activation")
    if kind == "optimizer":
        return ({"optimizer": draw(UNKNOWN.filter(lambda s: s not in _skorch.OPTIMIZERS))},
                ValueError, "Unknown optimizer")
    if kind == "device":
        return {"device": draw(BAD_DEVICE)}, ValueError, \
            "device=.*(not a device torch knows|not available)"
    if kind == "random_state":
        return ({"random_state": draw(st.one_of(st.integers(max_value=-1),
                                                st.integers(min_value=2**32), UNKNOWN))},
                ValueError, "random_state must be")
    if kind == "weight_decay":
        return ({"weight_decay": draw(st.one_of(st.floats(-1e6, -1e-9), NONFINITE))},
                ValueError, "weight_decay must be")
    if kind == "patience":
        return {"patience": draw(st.integers(-100, 0))}, ValueError, "patience must be"
    if kind == "validation_fraction":
        value = draw(st.one_of(st.floats(1, 1e3), st.floats(-1e3, -1e-9), NONFINITE))
        return {"validation_fraction": value}, ValueError, "validation_fraction must be"
    if kind == "flag":
        param = draw(st.sampled_from(["warm_start", "standardize", "batchnorm"]))
        return {param: draw(UNKNOWN)}, ValueError, f"{param} must be True or False"
    if kind == "early_stopping":
        return {"early_stopping": draw(UNKNOWN.filter(lambda s: s != "auto"))}, ValueError, \
            "early_stopping must be"
    return {"mc_samples": draw(st.integers(max_value=-1))}, ValueError, "mc_samples must be"


@pytest.mark.parametrize("name", TABULAR)
@FUZZ
@given(case=absurd_params())
def test_absurd_parameters_are_refused_before_training(name, case, fitted_tabular):
    params, exc, match = case
    y = target(name)
    assert_refused_fresh(TABULAR[name](**params), lambda e: e.fit(X_TAB, y), exc, match)
    fitted = fitted_tabular[name]
    original, before = fitted.get_params(), fitted_state(fitted, X_TAB)
    try:
        fitted.set_params(**params)
        with no_training(), pytest.raises(exc, match=match):
            fitted.fit(X_TAB, y)
    finally:
        fitted.set_params(**original)
    assert_same_state(before, fitted_state(fitted, X_TAB))


@FUZZ
@given(batch_size=st.integers(N, 10**12))
def test_huge_batch_size_is_capped_at_the_data(batch_size):
    est = quiet_fit(TABULAR["GaussianNLLRegressor"](batch_size=batch_size), X_TAB,
                    target("GaussianNLLRegressor"))
    assert est.net_.batch_size == N
    assert np.all(np.isfinite(est.predict(X_TAB)))


def test_other_absurd_parameters_are_named():
    y = target("NNClassifier")
    cases = [
        (NNClassifier(**TINY, class_weight={"a": -1.0, "b": 1, "c": 1}), ValueError,
         "class_weight must give every class a finite, non-negative weight"),
        (GaussianNLLRegressor(**TINY, heteroscedastic="yes"), ValueError,
         "heteroscedastic must be True or False"),
        (NNRegressor(**TINY, family="no such family"), ValueError, "Unknown family"),
        (NNClassifier(**{**TINY, "architecture": "cnn"}), ValueError, "architecture must be"),
    ]
    for est, exc, match in cases:
        target_y = y if isinstance(est, NNClassifier) else target("NNRegressor")
        assert_refused_fresh(est, lambda e: e.fit(X_TAB, target_y), exc, match)


# -- images --------------------------------------------------------------------------------------
@st.composite
def bad_images(draw):
    """``(X, exception, regex)``: image input every image estimator must refuse."""
    X = IMAGES.astype(np.float32)
    i = draw(st.integers(0, N - 1))
    kind = draw(st.sampled_from(["nonfinite", "1d", "5d", "empty", "object", "complex",
                                 "sparse", "text", "flat", "ambiguous", "channels"]))
    if kind == "nonfinite":
        X[i, draw(st.integers(0, 7)), draw(st.integers(0, 7))] = draw(NONFINITE)
        return X, ValueError, "NaN or infinity"
    if kind == "1d":
        return X[:, 0, 0], ValueError, "1-D array"
    if kind == "5d":
        return X[:, None, None], ValueError, "accepted are \\(n, H, W\\)"
    if kind == "empty":
        return X[:0], ValueError, "no images|0 sample"
    if kind == "object":
        return X.astype(object), TypeError, "object array"
    if kind == "complex":
        return X.astype(complex), TypeError, "must hold numbers"
    if kind == "sparse":
        return sp.csr_matrix(X.reshape(N, -1)), TypeError, "does not accept sparse"
    if kind == "text":
        flat = X.reshape(N, -1).astype(object)
        flat[i, 0] = draw(NONNUMERIC)
        return flat, ValueError, "non-numeric"
    if kind == "flat":
        return X.reshape(N, -1), ValueError, "image_shape"
    if kind == "ambiguous":
        return np.zeros((N, 3, 5, 3)), ValueError, "Cannot tell whether"
    c = draw(st.integers(5, 9))
    return np.zeros((N, 6, 6, c)), ValueError, "no channel dimension"


@pytest.mark.parametrize("name", IMAGE)
@FUZZ_SLOW
@given(case=bad_images())
def test_image_estimators_refuse_bad_images(name, case, fitted_images):
    X, exc, match = case
    y = _rows_like(X, target(name))
    assert_refused_fresh(IMAGE[name](), lambda e: e.fit(X, y), exc, match)
    assert_refused_fitted(fitted_images[name], lambda e: e.fit(X, y), exc, match, IMAGES)


@pytest.mark.parametrize("name", IMAGE)
@FUZZ_SLOW
@given(h=st.sampled_from([2, 5, 6, 7, 8, 9, 12]), w=st.integers(2, 12),
       channels=st.sampled_from([1, 3, 4]))
def test_predict_on_other_image_shapes_is_refused(name, h, w, channels, fitted_images):
    est = fitted_images[name]
    if (channels, h, w) == est.image_shape_:
        return
    X = np.zeros((2, h, w) if channels == 1 else (2, h, w, channels), dtype=np.uint8)
    match = (f"X has images of shape \\({channels}, {h}, {w}\\) but {name} was fitted on "
             "images of shape \\(1, 8, 8\\)")
    assert_refused_fitted(est, lambda e: e.predict(X), ValueError, match, IMAGES)


def _png_bytes(array):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


@st.composite
def broken_files(draw, folder):
    """Paths of 12 images of which one is broken; ``(paths, regex)``."""
    paths = []
    for k in range(N):
        path = os.path.join(folder, f"ok{k}.png")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(_png_bytes(IMAGES[k]))
        paths.append(path)
    i = draw(st.integers(0, N - 1))
    kind = draw(st.sampled_from(["garbage", "truncated", "missing", "folder", "empty path"]))
    bad = os.path.join(folder, f"bad_{kind}.png")
    if kind == "garbage":
        with open(bad, "wb") as f:
            f.write(draw(st.binary(max_size=64)))
        match = "Cannot read image file .*(not an image file|damaged or truncated)"
    elif kind == "truncated":
        data = _png_bytes(IMAGES[i])
        # a PNG still decodes without its last 20 bytes (CRC and IEND chunk)
        with open(bad, "wb") as f:
            f.write(data[:draw(st.integers(0, len(data) - 21))])
        match = "Cannot read image file .*(not an image file|damaged or truncated)"
    elif kind == "missing":
        bad, match = os.path.join(folder, "no_such_file.png"), "no such file"
    elif kind == "folder":
        bad, match = folder, "a folder, not an image file"
    else:
        bad, match = "", "empty string"
    paths[i] = bad
    return paths, f"Cannot read image file .*{match}" if kind != "garbage" and \
        kind != "truncated" else match


@pytest.mark.parametrize("name", ["CNNClassifier", "CNNRegressor"])
@FUZZ_SLOW
@given(data=st.data())
def test_corrupt_or_missing_image_files_are_named(name, data, tmp_path_factory, fitted_images):
    folder = str(tmp_path_factory.getbasetemp() / "fuzz_images")
    os.makedirs(folder, exist_ok=True)
    paths, match = data.draw(broken_files(folder))
    y = target(name)
    # standardize="channel" reads every image before training: damage is found up front
    assert_refused_fresh(IMAGE[name](), lambda e: e.fit(paths, y), ValueError, match)
    est = fitted_images[name]
    assert_refused_fitted(est, lambda e: e.fit(paths, y), ValueError, match, IMAGES)
    assert_refused_fitted(est, lambda e: e.predict(paths), ValueError, match, IMAGES)
    transformer = PretrainedFeatureTransformer("resnet18", **BACKBONE)
    try:  # fit reads the file headers only: a file damaged after its header passes
        transformer.fit(paths)
    except ValueError as exc:
        assert re.search(match, str(exc))
    with pytest.raises(ValueError, match=match):
        transformer.transform(paths)


def test_a_list_mixing_paths_and_other_values_is_named(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(_png_bytes(IMAGES[0]))
    for est in (IMAGE["CNNClassifier"](), PretrainedFeatureTransformer("resnet18", **BACKBONE)):
        with no_training(), pytest.raises(TypeError, match="mixes image file paths"):
            est.fit([str(path), 3], ["a", "b"])


@st.composite
def absurd_image_params(draw, name):
    kinds = ["image_size", "batchnorm", "dropout", "standardize", "layout", "lr"]
    if name == "TransferLearningClassifier":
        kinds = ["image_size", "input_size", "block_lr_decay", "dense_units", "dropout",
                 "layout", "lr", "trainable_blocks"]
    kind = draw(st.sampled_from(kinds))
    if kind in ("image_size", "input_size"):
        value = draw(st.one_of(st.integers(-100, 0), st.floats(0.5, 99.5).filter(
            lambda v: v != int(v)), st.tuples(st.integers(-5, 0), st.integers(1, 5)), UNKNOWN))
        return {kind: value}, ValueError, f"{kind} must be a positive int"
    if kind == "batchnorm":
        return {"batchnorm": draw(UNKNOWN)}, ValueError, "batchnorm must be True or False"
    if kind == "dropout":
        return {"dropout": draw(st.one_of(st.floats(1, 1e3), NONFINITE))}, ValueError, \
            "dropout must be"
    if kind == "standardize":
        value = draw(st.one_of(UNKNOWN.filter(lambda s: s not in ("scale", "channel")),
                               st.just(True)))
        return {"standardize": value}, ValueError, "standardize must be one of"
    if kind == "layout":
        return {"layout": draw(UNKNOWN.filter(lambda s: s != "auto"))}, ValueError, \
            "layout must be one of"
    if kind == "lr":
        return {"lr": draw(st.one_of(st.floats(-1e3, 0), NONFINITE))}, ValueError, "lr must be"
    if kind == "block_lr_decay":
        value = draw(st.one_of(st.floats(-1e3, 0), st.lists(st.floats(-1e3, 0), min_size=1,
                                                            max_size=3)))
        return {"block_lr_decay": value}, ValueError, "block_lr_decay must be"
    if kind == "dense_units":
        return {"dense_units": draw(st.one_of(st.none(), UNKNOWN))}, (TypeError, ValueError), \
            "dense_units"
    return {"trainable_blocks": draw(st.integers(max_value=-1))}, ValueError, \
        "trainable_blocks must be"


@pytest.mark.parametrize("name", IMAGE)
@FUZZ_SLOW
@given(data=st.data())
def test_absurd_image_parameters_are_refused(name, data):
    params, exc, match = data.draw(absurd_image_params(name))
    assert_refused_fresh(IMAGE[name](**params), lambda e: e.fit(IMAGES, target(name)),
                         exc, match)


# -- the feature transformer ---------------------------------------------------------------------
@FUZZ_SLOW
@given(case=bad_images())
def test_feature_transformer_refuses_bad_images_in_fit_and_transform(case):
    X, exc, match = case
    if X.shape[0] == 0:
        return  # zero images give a (0, n_features) matrix, as documented
    with pytest.raises(exc, match=match):
        PretrainedFeatureTransformer("resnet18", **BACKBONE).fit(X)
    with pytest.raises(exc, match=match):
        PretrainedFeatureTransformer("resnet18", **BACKBONE).transform(X)


@st.composite
def absurd_transformer_params(draw):
    kind = draw(st.sampled_from(["input_size", "image_size", "batch_size", "batch_size text",
                                 "device", "memory", "verbose"]))
    if kind in ("input_size", "image_size"):
        return {kind: draw(st.one_of(st.integers(-100, 0), UNKNOWN))}, ValueError, \
            f"{kind} must be a positive int"
    if kind == "batch_size":
        return {kind: draw(st.integers(-100, 0))}, ValueError, "batch_size must be in"
    if kind == "batch_size text":
        return {"batch_size": draw(UNKNOWN)}, TypeError, "batch_size must be an int"
    if kind == "device":
        return {kind: draw(BAD_DEVICE)}, ValueError, "device="
    if kind == "memory":
        return {kind: draw(st.integers())}, TypeError, "memory must be None, a path"
    return {kind: draw(st.integers(max_value=-1))}, ValueError, "verbose must be"


@FUZZ
@given(case=absurd_transformer_params())
def test_feature_transformer_refuses_absurd_parameters(case):
    params, exc, match = case
    with pytest.raises(exc, match=match):
        PretrainedFeatureTransformer("resnet18", **{**BACKBONE, **params}).fit(IMAGES)


@pytest.mark.parametrize("X", [None, "image.png", 3])
def test_feature_transformer_refuses_what_is_not_images(X):
    with pytest.raises((TypeError, ValueError), match="needs images|Expected images"):
        PretrainedFeatureTransformer("resnet18", **BACKBONE).fit(X)


# -- ensembles and formulas -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted_ensembles():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = DeepEnsembleRegressor(TABULAR["GaussianNLLRegressor"](), n_estimators=2,
                                    random_state=0).fit(X_TAB, target("GaussianNLLRegressor"))
        clf = DeepEnsembleClassifier(TABULAR["NNClassifier"](), n_estimators=2,
                                     random_state=0).fit(X_TAB, target("NNClassifier"))
    return {"reg": reg, "clf": clf}


@FUZZ
@given(case=bad_tables())
def test_ensembles_refuse_bad_X_and_keep_their_members(case, fitted_ensembles):
    X, exc, match = case
    for key, name in (("reg", "GaussianNLLRegressor"), ("clf", "NNClassifier")):
        ens = fitted_ensembles[key]
        members, before = list(ens.estimators_), ens.predict(X_TAB)
        with no_training(), pytest.raises(exc, match=match):
            ens.fit(X, _rows_like(X, target(name)))
        assert ens.estimators_ == members
        np.testing.assert_array_equal(ens.predict(X_TAB), before)


def test_ensembles_refuse_members_of_the_other_kind_and_unseen_labels(fitted_ensembles):
    with no_training(), pytest.raises(TypeError, match="needs a classifier .*Use "
                                                       "DeepEnsembleRegressor"):
        DeepEnsembleClassifier(TABULAR["GaussianNLLRegressor"]()).fit(X_TAB, target("NNClassifier"))
    with no_training(), pytest.raises(TypeError, match="needs a regressor"):
        DeepEnsembleRegressor(TABULAR["NNClassifier"]()).fit(X_TAB, target("NNRegressor"))
    with pytest.raises(ValueError, match="labels the classifier does not know: \\['q'\\]"):
        fitted_ensembles["clf"].log_likelihood(X_TAB[:3], ["a", "q", "b"])
    with pytest.raises(ValueError, match="NaN or infinity"):
        fitted_ensembles["reg"].log_likelihood(X_TAB[:3], [0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="random_state must be"):
        DeepEnsembleRegressor(random_state="seed").fit(X_TAB, target("NNRegressor"))


FORMULA_TEXT = st.text(alphabet="xyzg +-*:/()^~.C012", min_size=0, max_size=12)


@FUZZ
@given(formula=FORMULA_TEXT)
def test_any_formula_text_fits_or_says_why(formula):
    frame = pd.DataFrame({"x": X_TAB[:, 0], "z": X_TAB[:, 1], "g": list("ab") * (N // 2),
                          "y": target("GaussianNLLRegressor")})
    for make in (lambda: FormulaTransformer(formula),
                 lambda: FormulaModel(formula, TABULAR["GaussianNLLRegressor"]())):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                make().fit(frame, None if "~" in formula and formula.split("~")[0].strip()
                           else frame["y"])
        except (ValueError, TypeError) as exc:
            assert str(exc), "an empty error message names nothing"


@FUZZ
@given(i=st.integers(0, N - 1), value=st.sampled_from([np.nan, np.inf, None]),
       level=st.text(alphabet="cdefq", min_size=1, max_size=3))
def test_formula_model_refuses_missing_values_and_unseen_levels(i, value, level):
    frame = pd.DataFrame({"x": X_TAB[:, 0], "g": list("ab") * (N // 2),
                          "y": target("GaussianNLLRegressor")})
    model = FormulaModel("y ~ x + C(g)", TABULAR["GaussianNLLRegressor"]())
    bad = frame.copy()
    bad.loc[i, "x"] = value
    with no_training(), pytest.raises(ValueError, match="null values|NaN or infinite"):
        model.fit(bad)
    quiet_fit(model, frame, None)
    before = model.predict(frame)
    with pytest.raises(ValueError, match="unseen categorical level"):
        model.predict(frame.assign(g=level))
    np.testing.assert_array_equal(model.predict(frame), before)


# -- out of memory (simulated) -------------------------------------------------------------------------
CPU_OOM = ("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't "
           "allocate memory: you tried to allocate 8589934592 bytes. Error code 12 (Cannot "
           "allocate memory)")


@contextlib.contextmanager
def out_of_memory(module_type, cuda=False, min_batch=1):
    """Simulate torch failing to allocate in ``module_type.forward`` for batches of at
    least ``min_batch`` (so the networks' 1- or 2-image dry runs still pass)."""
    real = module_type.forward

    def forward(self, x, *args, **kwargs):
        if len(x) < min_batch:
            return real(self, x, *args, **kwargs)
        if cuda:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        raise RuntimeError(CPU_OOM)

    with mock.patch.object(module_type, "forward", forward):
        yield


@pytest.mark.parametrize("cuda", [False, True])
def test_out_of_memory_in_fit_names_batch_size_and_keeps_the_estimator(cuda, fitted_tabular):
    y = target("GaussianNLLRegressor")
    fresh = TABULAR["GaussianNLLRegressor"](batch_size=8)
    with out_of_memory(torch.nn.Linear, cuda), pytest.raises(MemoryError) as info:
        fresh.fit(X_TAB, y)
    message = str(info.value)
    assert "GaussianNLLRegressor.fit ran out of memory on a batch of 8 rows" in message
    assert "batch_size=8" in message and "hidden_layer_sizes=(4,)" in message
    assert ("CUDA out of memory" if cuda else "can't allocate memory") in message
    assert "enforce fail" not in message
    assert not hasattr(fresh, "net_")

    fitted = fitted_tabular["GaussianNLLRegressor"]
    before = fitted_state(fitted, X_TAB)
    with out_of_memory(torch.nn.Linear, cuda), pytest.raises(MemoryError,
                                                             match="batch_size='auto'"):
        fitted.fit(X_TAB, y)
    assert_same_state(before, fitted_state(fitted, X_TAB))


def test_out_of_memory_in_predict_and_partial_fit(fitted_tabular):
    clf = fitted_tabular["NNClassifier"]
    before = fitted_state(clf, X_TAB)
    with out_of_memory(torch.nn.Linear), pytest.raises(
            MemoryError, match="NNClassifier.predict ran out of memory on a batch of 12 rows"
                               ".*Predict fewer rows at a time"):
        clf.predict(X_TAB)
    with out_of_memory(torch.nn.Linear), pytest.raises(MemoryError,
                                                       match="partial_fit ran out of memory"):
        clf.partial_fit(X_TAB, target("NNClassifier"))
    assert_same_state(before, fitted_state(clf, X_TAB))


def test_out_of_memory_while_building_the_network(fitted_tabular):
    def fail(self):
        raise RuntimeError(CPU_OOM)

    est = TABULAR["NNClassifier"](hidden_layer_sizes=(4, 4))
    with mock.patch.object(torch.nn.Linear, "reset_parameters", fail), pytest.raises(
            MemoryError, match="ran out of memory building the network.*hidden_layer_sizes="
                               "\\(4, 4\\)"):
        est.fit(X_TAB, target("NNClassifier"))
    assert not hasattr(est, "net_")


def test_other_runtime_errors_are_not_reported_as_out_of_memory(fitted_tabular):
    def forward(self, x):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    with mock.patch.object(torch.nn.Linear, "forward", forward), pytest.raises(
            RuntimeError, match="shapes cannot be multiplied"):
        fitted_tabular["GaussianNLLRegressor"].predict(X_TAB)


@pytest.mark.parametrize("name", IMAGE)
def test_out_of_memory_in_image_estimators_names_image_size(name, fitted_images):
    est = fitted_images[name]
    before = fitted_state(est, IMAGES)
    with out_of_memory(torch.nn.Conv2d, min_batch=3), pytest.raises(MemoryError) as info:
        est.fit(IMAGES, target(name))
    message = str(info.value)
    assert f"{name}.fit ran out of memory on a batch of" in message and "images" in message
    assert "batch_size=" in message and "image_size=None" in message
    assert "1x8x8" in message
    if name == "TransferLearningClassifier":
        assert "input_size=16" in message
    with out_of_memory(torch.nn.Conv2d, min_batch=3), pytest.raises(
            MemoryError, match=f"{name}.predict ran out of memory.*batch_size="):
        est.predict(IMAGES)
    assert_same_state(before, fitted_state(est, IMAGES))


def test_out_of_memory_in_feature_transform():
    transformer = PretrainedFeatureTransformer("resnet18", **BACKBONE, batch_size=4)
    with out_of_memory(torch.nn.Conv2d, cuda=True, min_batch=3), pytest.raises(
            MemoryError, match="transform ran out of memory on a batch of 4 images.*"
                               "batch_size=4.*input_size=16"):
        transformer.fit_transform(IMAGES)


def test_predicting_on_read_only_memory_does_not_warn():
    # pandas' copy-on-write frames hand out read-only arrays; torch warns on them
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = NNRegressor(max_epochs=2, random_state=0).fit(X, X[:, 0])
    X_ro = X.copy()
    X_ro.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(reg.predict(X_ro), reg.predict(X))
