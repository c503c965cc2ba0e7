"""Behaviour of the image estimators CNNClassifier and CNNRegressor.

What scikit-learn's own checks (test_common.py) cannot see: learning on real images,
one random_state for everything (weights, shuffling, augmentation), persistence, every
accepted input format giving the very same model, lazy batch-by-batch reading of image
files, the standardize= and augment= options, clear errors naming the expected shape,
early stopping with the best weights restored, and use inside Pipeline/GridSearchCV.

Kept fast: sklearn's 8x8 digits (values 0-16, integers, so exact in uint8, PIL and PNG)
or 12x12 synthetic images, a small net, few epochs, module-scoped fitted fixtures.
"""

import copy
import pathlib
import pickle

import joblib
import numpy as np
import pytest
import torch
from PIL import Image
from skorch.callbacks import Callback
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import d2_tweedie_score, log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

from sklearn_dl import CNNClassifier, CNNRegressor
from sklearn_dl.augmentation import ImageAugment
from sklearn_dl.datasets import load_digits_images
from sklearn_dl.images import ImagePathDataset

# A small net for 8x8 digits: ~6 k parameters, ~0.04 s per epoch on 700 images.
FAST = dict(architecture="small", filters=(8, 16), dense_units=(32,), lr=3e-3,
            batch_size=64, max_epochs=8, random_state=0)
QUICK = {**FAST, "max_epochs": 2}


# -- data and fitted fixtures -------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits_images(return_X_y=True)
    return X[:700], y[:700], X[700:1000], y[700:1000]


@pytest.fixture(scope="module")
def small(digits):
    """300 training images, for the many short fits."""
    X, y, _, _ = digits
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def clf(digits):
    X, y, _, _ = digits
    return CNNClassifier(**FAST).fit(X, y)


@pytest.fixture(scope="module")
def png_dir(tmp_path_factory, small):
    """The 300 small images as grey PNG files (lossless: values 0-16 stay exact)."""
    d = tmp_path_factory.mktemp("digits_png")
    paths = []
    for i, im in enumerate(small[0].astype(np.uint8)):
        p = d / f"{i:04d}.png"
        Image.fromarray(im, mode="L").save(p)
        paths.append(str(p))
    return paths


@pytest.fixture(scope="module")
def counts():
    """12x12 images of random dots and their counts (Poisson regression on images)."""
    rng = np.random.RandomState(0)
    n = 600
    rate = rng.uniform(0.01, 0.12, size=n)
    X = (rng.uniform(size=(n, 12, 12)) < rate[:, None, None]).astype(np.float32)
    return X, X.sum(axis=(1, 2))


class BatchRecorder(Callback):
    """Keeps a copy of every training batch's input and the file-load count then."""

    def __init__(self, counter=None):
        self.counter = counter

    def initialize(self):
        self.batches, self.loads = [], []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.batches.append(batch[0].clone())
            if self.counter is not None:
                self.loads.append(self.counter["n"])


@pytest.fixture
def count_loads(monkeypatch):
    """Count the image files decoded, through ImagePathDataset.load."""
    counter = {"n": 0}
    load = ImagePathDataset.load

    def counting_load(self, i):
        counter["n"] += 1
        return load(self, i)

    monkeypatch.setattr(ImagePathDataset, "load", counting_load)
    return counter


# -- learning -----------------------------------------------------------------------------
def test_classifier_learns_digits(clf, digits):
    X, y, X_test, y_test = digits
    dummy = DummyClassifier().fit(X.reshape(len(X), -1), y)
    acc = np.mean(clf.predict(X_test) == y_test)
    assert acc >= 0.8 > dummy.score(X_test.reshape(len(X_test), -1), y_test) + 0.6
    proba = clf.predict_proba(X_test)
    assert proba.shape == (300, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert log_loss(y_test, proba) < 0.5 * log_loss(y_test, np.full((300, 10), 0.1))
    assert clf.image_shape_ == (1, 8, 8) and clf.n_features_in_ is None
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.score(X_test, y_test) == acc


def test_binary_string_labels(small):
    X, y = small
    keep = y < 2
    labels = np.where(y[keep] == 0, "zero", "one")
    bin_clf = CNNClassifier(**{**QUICK, "max_epochs": 10}).fit(X[keep], labels)
    assert bin_clf.net_.module_.head.out_features == 1  # Bernoulli: one logit
    np.testing.assert_array_equal(bin_clf.classes_, ["one", "zero"])
    assert np.mean(bin_clf.predict(X[keep]) == labels) > 0.95


def test_poisson_regression_with_image_data(counts):
    X, y = counts
    reg = CNNRegressor(family="poisson", architecture="small", filters=(8,),
                       dense_units=(16,), lr=1e-2, max_epochs=15, batch_size=64,
                       random_state=0).fit(X[:400], y[:400])
    mean = reg.predict(X[400:])
    assert np.all(mean > 0)
    assert d2_tweedie_score(y[400:], mean, power=1) > 0.8  # constant mean: 0
    dist = reg.predict_dist(X[400:403])
    np.testing.assert_allclose(dist.mean(), mean[:3], rtol=1e-6)
    assert dist.pmf(0).shape == (3,)


def test_normal_regression_with_image_data(counts):
    X, y = counts
    reg = CNNRegressor(family="normal", architecture="small", filters=(8,),
                       dense_units=(16,), lr=1e-2, max_epochs=8, batch_size=64,
                       random_state=0).fit(X[:400], y[:400])
    mean = reg.predict(X[400:])
    std = reg.predict_dist(X[400:]).std()
    assert np.all(std > 0)
    assert np.corrcoef(mean, y[400:])[0, 1] > 0.8
    assert reg.predict_interval(X[400:405], alpha=0.1).shape == (5, 2)


# -- one random_state ---------------------------------------------------------------------
def test_same_seed_same_model_other_seed_other(clf, digits):
    X, y, X_test, _ = digits
    again = CNNClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X_test), clf.predict_proba(X_test))
    other = CNNClassifier(**{**FAST, "random_state": 1}).fit(X, y)
    assert not np.allclose(other.predict_proba(X_test), clf.predict_proba(X_test))


def test_fit_leaves_global_torch_rng_alone(small):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    CNNClassifier(**QUICK, augment="light", dropout=0.2).fit(*small)
    np.testing.assert_array_equal(torch.rand(3), expected)


# -- persistence --------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_persistence_round_trip(clf, digits, how, tmp_path):
    X_test = digits[2]
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(clf))
    else:
        joblib.dump(clf, tmp_path / "cnn.joblib")
        loaded = joblib.load(tmp_path / "cnn.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
    assert loaded.image_shape_ == clf.image_shape_
    assert len(loaded.history_) == clf.n_epochs_


def test_clone_keeps_parameters_drops_fit(clf):
    c = clone(clf)
    assert c.get_params() == clf.get_params()
    assert not hasattr(c, "net_")
    with pytest.raises(NotFittedError):
        c.predict(np.zeros((1, 8, 8)))


# -- input formats ------------------------------------------------------------------------
def _formats(X, paths=None):
    """The same grey images (integer values) in every accepted in-memory format."""
    X8 = X.astype(np.uint8)
    out = {
        "float64 (n,H,W)": X,
        "uint8 (n,H,W)": X8,
        "float32 (n,H,W,1)": X[..., None].astype(np.float32),
        "uint8 (n,1,H,W)": X8[:, None],
        "torch tensor": torch.as_tensor(X),
        "nested lists": X.tolist(),
        "PIL list": [Image.fromarray(a, mode="L") for a in X8],
    }
    if paths is not None:
        out["path strings"] = list(paths)
        out["pathlib list"] = [pathlib.Path(p) for p in paths]
        out["array of paths"] = np.array(paths)
    return out


def test_any_input_format_predicts_the_same(clf, small, png_dir):
    X = small[0]
    expected = clf.predict_proba(X)
    for name, Xf in _formats(X, png_dir).items():
        np.testing.assert_array_equal(clf.predict_proba(Xf), expected, err_msg=name)


def test_any_input_format_fits_the_same_model(small, png_dir):
    X, y = small
    expected = CNNClassifier(**QUICK).fit(X, y).predict_proba(X)
    for name, Xf in _formats(X, png_dir).items():
        got = CNNClassifier(**QUICK).fit(Xf, y).predict_proba(X)
        np.testing.assert_array_equal(got, expected, err_msg=name)
    # flattened rows with image_shape=, as after a scikit-learn transformer
    flat = CNNClassifier(**QUICK, image_shape=(8, 8)).fit(X.reshape(len(X), -1), y)
    np.testing.assert_array_equal(flat.predict_proba(X.reshape(len(X), -1)), expected)
    np.testing.assert_array_equal(flat.predict_proba(X), expected)  # images work too
    assert flat.n_features_in_ == 64
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X.reshape(len(X), -1), columns=[f"px{i}" for i in range(64)])
    named = CNNClassifier(**QUICK, image_shape=(8, 8)).fit(frame, y)
    np.testing.assert_array_equal(named.predict_proba(frame), expected)
    assert list(named.feature_names_in_) == list(frame.columns)


def test_colour_layouts_give_the_same_model():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(120, 8, 8, 3)).astype(np.uint8)
    y = (X[..., 0].mean(axis=(1, 2)) > X[..., 2].mean(axis=(1, 2))).astype(int)
    last = CNNClassifier(**QUICK).fit(X, y)
    first = CNNClassifier(**QUICK).fit(X.transpose(0, 3, 1, 2), y)
    assert last.image_shape_ == first.image_shape_ == (3, 8, 8)
    expected = last.predict_proba(X)
    np.testing.assert_array_equal(first.predict_proba(X), expected)
    np.testing.assert_array_equal(last.predict_proba(X.transpose(0, 3, 1, 2)), expected)
    pil = [Image.fromarray(a, mode="RGB") for a in X]
    np.testing.assert_array_equal(last.predict_proba(pil), expected)
    flat = CNNClassifier(**QUICK, image_shape=(8, 8, 3)).fit(X.reshape(120, -1), y)
    np.testing.assert_array_equal(flat.predict_proba(X.reshape(120, -1)), expected)


def test_ambiguous_layout_is_resolved_by_the_layout_parameter():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 3, 8, 3))
    y = np.arange(40) % 2
    est = CNNClassifier(architecture="vgg", filters=(4,), dense_units=(), max_epochs=1,
                        random_state=0)
    with pytest.raises(ValueError, match="layout='channels_last' or layout='channels_fir"):
        est.fit(X, y)
    assert not hasattr(est, "net_")
    assert est.set_params(layout="channels_last").fit(X, y).image_shape_ == (3, 3, 8)
    assert est.set_params(layout="channels_first").fit(X, y).image_shape_ == (3, 8, 3)
    # five channels: no channel axis of size 1, 3 or 4, so auto refuses too
    X5 = rng.uniform(size=(40, 8, 8, 5))
    with pytest.raises(ValueError, match="no channel dimension"):
        est.set_params(layout="auto").fit(X5, y)
    assert est.set_params(layout="channels_last").fit(X5, y).image_shape_ == (5, 8, 8)


# -- lazy file paths ----------------------------------------------------------------------
def test_fit_reads_files_batch_by_batch(small, png_dir, count_loads):
    y = small[1]
    rec = BatchRecorder(count_loads)
    est = CNNClassifier(**QUICK, standardize="scale", validation_fraction=0.2,
                        callbacks=[rec]).fit(png_dir, y)
    n_train, n_valid = 240, 60
    batches_per_epoch = int(np.ceil(n_train / 64))
    assert len(rec.loads) == 2 * batches_per_epoch
    # the first training batch starts after reading just its own 64 files ...
    assert rec.loads[0] == 64
    # ... and every later one after reading one batch more (+ validation between epochs)
    steps = np.diff(rec.loads[:batches_per_epoch])
    last = n_train % 64 or 64
    np.testing.assert_array_equal(steps, [64] * (batches_per_epoch - 2) + [last])
    # each file once per epoch, and once more for the training log-likelihood (loglik_)
    assert count_loads["n"] == 2 * (n_train + n_valid) + n_train + n_valid
    # predict reads one batch (batch_size files) per forward pass
    seen = []
    hook = est.net_.module_.register_forward_pre_hook(
        lambda mod, inp: seen.append(count_loads["n"]))
    try:
        before = count_loads["n"]
        est.predict(png_dir)
    finally:
        hook.remove()
    np.testing.assert_array_equal(np.diff([before] + seen), [64, 64, 64, 64, 44])
    assert count_loads["n"] - before == 300


def test_channel_standardize_reads_files_once_more(small, png_dir, count_loads):
    est = CNNClassifier(**QUICK, standardize="channel").fit(png_dir, small[1])
    # one pass for mean/sd, one per epoch, one for the training log-likelihood (loglik_)
    assert count_loads["n"] == 300 + 2 * 300 + 300
    np.testing.assert_allclose(est.net_.module_.preprocess.mean.flatten(),
                               [small[0].mean()], rtol=1e-5)


def test_files_of_different_sizes_need_image_size(tmp_path, small):
    X, y = small
    paths = []
    for i, im in enumerate(X[:40].astype(np.uint8)):
        size = 8 if i % 2 else 10
        p = tmp_path / f"{i}.png"
        Image.fromarray(im, mode="L").resize((size, size)).save(p)
        paths.append(p)
    with pytest.raises(ValueError, match=r"image_size=\(H, W\)"):
        CNNClassifier(**QUICK).fit(paths, y[:40])
    est = CNNClassifier(**QUICK, image_size=(8, 8)).fit(paths, y[:40])
    assert est.image_shape_ == (1, 8, 8)
    assert est.predict(paths).shape == (40,)


# -- standardize= -------------------------------------------------------------------------
def test_standardize_options_set_the_first_layer(small):
    X, y = small
    mods = {s: CNNClassifier(**QUICK, standardize=s).fit(X, y).net_.module_.preprocess
            for s in (None, "scale", "channel")}
    assert isinstance(mods[None], nn.Identity)
    assert float(mods["scale"].mean) == 0 and float(mods["scale"].std) == 255
    np.testing.assert_allclose(float(mods["channel"].mean), X.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(mods["channel"].std), X.std(), rtol=1e-5)


def test_channel_statistics_use_the_training_split_only(small):
    X, y = small
    est = CNNClassifier(**QUICK, validation_fraction=0.5, standardize="channel").fit(X, y)
    valid = est.net_.train_split(None)[1]  # the validation dataset
    valid_mean = float(valid.X.mean())
    mean = float(est.net_.module_.preprocess.mean)
    # the mean of the other half, i.e. the training half
    np.testing.assert_allclose(mean, 2 * X.mean() - valid_mean, rtol=1e-4)


def test_channel_standardize_makes_the_fit_invariant_to_pixel_scale(small):
    X, y = small
    a = CNNClassifier(**QUICK).fit(X, y).predict_proba(X)
    b = CNNClassifier(**QUICK).fit(15 * X + 3, y).predict_proba(15 * X + 3)
    np.testing.assert_allclose(a, b, atol=1e-5)
    raw_a = CNNClassifier(**QUICK, standardize=None).fit(X, y).predict_proba(X)
    raw_b = CNNClassifier(**QUICK, standardize=None).fit(15 * X + 3, y).predict_proba(
        15 * X + 3)
    assert np.abs(raw_a - raw_b).max() > 0.1


def test_scale_divides_uint8_by_255(small):
    X, y = small
    X8 = X.astype(np.uint8)
    X01 = X8.astype(np.float32) / np.float32(255)
    a = CNNClassifier(**QUICK, standardize="scale").fit(X8, y).predict_proba(X8)
    b = CNNClassifier(**QUICK, standardize=None).fit(X01, y).predict_proba(X01)
    np.testing.assert_array_equal(a, b)


# -- augment= -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def augmented(small):
    X, y = small
    rec = BatchRecorder()
    est = CNNClassifier(**QUICK, augment="light", callbacks=[rec]).fit(X, y)
    return est, rec


def test_augmentation_changes_training_batches(small, augmented):
    X, y = small
    rec = BatchRecorder()
    CNNClassifier(**QUICK, callbacks=[rec]).fit(X, y)
    pool = {tuple(im.flatten().tolist()) for im in torch.as_tensor(X, dtype=torch.float32)}
    plain = torch.cat(rec.batches)
    assert all(tuple(im.flatten().tolist()) in pool for im in plain)  # raw images
    aug = torch.cat(augmented[1].batches)
    assert aug.shape == plain.shape == (600, 1, 8, 8)
    fresh = [tuple(im.flatten().tolist()) not in pool for im in aug]
    assert np.mean(fresh) > 0.9  # (almost) every image was transformed


def test_augmentation_is_seeded_by_random_state(small, augmented):
    X, y = small
    est, rec = augmented
    rec2 = BatchRecorder()
    again = CNNClassifier(**QUICK, augment="light", callbacks=[rec2]).fit(X, y)
    torch.testing.assert_close(torch.cat(rec2.batches), torch.cat(rec.batches),
                               rtol=0, atol=0)
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))
    rec3 = BatchRecorder()
    CNNClassifier(**{**QUICK, "random_state": 1}, augment="light",
                  callbacks=[rec3]).fit(X, y)
    assert not torch.equal(torch.sort(torch.cat(rec3.batches).flatten())[0],
                           torch.sort(torch.cat(rec.batches).flatten())[0])


def test_augmentation_only_on_training_batches_never_at_predict(small, monkeypatch):
    X, y = small
    sizes = []
    forward = ImageAugment.forward

    def counting_forward(self, x):
        sizes.append(len(x))
        return forward(self, x)

    monkeypatch.setattr(ImageAugment, "forward", counting_forward)
    est = CNNClassifier(**QUICK, augment=[("rotation", 20), "zoom", ("width_shift", 2)],
                        validation_fraction=0.2).fit(X, y)
    assert sum(sizes) == 2 * 240  # the 240 training images per epoch, no validation
    del sizes[:]
    first = est.predict_proba(X)
    assert sizes == []
    np.testing.assert_array_equal(est.predict_proba(X), first)
    # predict is the plain network in eval mode: standardise, body, head
    module = est.net_.module_
    assert not any(isinstance(m, ImageAugment) for m in module.modules())
    with torch.no_grad():
        logits = module.eval()(torch.as_tensor(X, dtype=torch.float32)[:, None])
    np.testing.assert_allclose(first, torch.softmax(logits, 1).numpy(), rtol=1e-5,
                               atol=1e-7)


def test_augment_errors_name_the_valid_choices(small):
    X, y = small
    with pytest.raises(ValueError, match="Unknown augmentation 'blur'.*rotation"):
        CNNClassifier(**QUICK, augment=["rotation", "blur"]).fit(X, y)
    with pytest.raises(ValueError, match="'zoom' takes a fraction"):
        CNNClassifier(**QUICK, augment={"zoom": 1.5}).fit(X, y)
    with pytest.raises(ValueError, match="not smaller than the image"):
        CNNClassifier(**QUICK, augment=[("width_shift", 8)]).fit(X, y)


# -- a CNN after a transformer, inside a grid search --------------------------------------
def test_pipeline_with_function_transformer_in_grid_search(digits):
    X, y, X_test, y_test = digits
    X_flat, X_test_flat = X[:400].reshape(400, -1), X_test.reshape(len(X_test), -1)
    pipe = Pipeline([
        ("sqrt", FunctionTransformer(np.sqrt)),  # any transformer: rows stay flat
        ("cnn", CNNClassifier(**{**FAST, "lr": 1e-2}, image_shape=(8, 8))),
    ])
    grid = {"cnn__augment": [None, "light"], "cnn__filters": [(8,), (8, 16)]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X_flat, y[:400])
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.all(scores > 0.5)
    assert search.best_estimator_.named_steps["cnn"].n_features_in_ == 64
    assert search.score(X_test_flat, y_test) > 0.7
    with pytest.raises(ValueError, match="X has 50 features, but"):
        search.predict(X_test_flat[:, :50])


# -- clear errors -------------------------------------------------------------------------
def test_wrong_image_shape_at_predict_names_the_expected_shape(clf):
    with pytest.raises(ValueError, match=r"fitted on images of shape \(1, 8, 8\).*resize"):
        clf.predict(np.zeros((2, 10, 10)))
    with pytest.raises(ValueError, match=r"shape \(3, 8, 8\) but .* \(1, 8, 8\).*channels"):
        clf.predict(np.zeros((2, 8, 8, 3)))
    with pytest.raises(ValueError, match=r"fitted on images of shape \(1, 8, 8\).*2-D "
                                         "with 64 columns.*image_shape="):
        clf.predict(np.zeros((2, 64)))
    with pytest.raises(ValueError, match="1-D array"):
        clf.predict(np.zeros(64))


def test_wrong_image_files_at_predict_name_the_expected_shape(clf, tmp_path):
    p = tmp_path / "big.png"
    Image.fromarray(np.zeros((12, 12), np.uint8), mode="L").save(p)
    with pytest.raises(ValueError, match=r"\(1, 12, 12\) but CNNClassifier was fitted on "
                                         r"images of shape \(1, 8, 8\)"):
        clf.predict([p])


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((5, 8, 8)), None, "requires y"),
    (np.zeros((5, 8, 8)), np.arange(4), "5 images but y has 4"),
    (np.zeros((5, 8, 8)), np.zeros(5), "only one class"),
    (np.full((5, 8, 8), np.nan), np.arange(5), "NaN or infinity"),
    (np.zeros((5, 64)), np.arange(5), "image_shape="),
    (np.zeros(5), np.arange(5), "1-D"),
    (np.zeros((5, 2, 2, 2, 2)), np.arange(5), r"accepted are \(n, H, W\)"),
])
def test_bad_training_data_is_named(X, y, match):
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**QUICK).fit(X, y)


@pytest.mark.parametrize("param, value, match", [
    ("standardize", True, "standardize must be one of"),
    ("layout", "nhwc", "layout must be one of"),
    ("architecture", "alexnet", "Unknown architecture 'alexnet'"),
    ("filters", (8, 0), "filters must be"),
    ("dropout", 1.5, "dropout must be in"),
    ("image_shape", (7, 7), "needs 49"),
])
def test_bad_parameters_are_named(small, param, value, match):
    X, y = small
    X = X.reshape(len(X), -1) if param == "image_shape" else X
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**{**QUICK, param: value}).fit(X, y)


def test_images_too_small_for_the_architecture(small):
    with pytest.raises(ValueError, match=r"too small for architecture 'lenet5'"):
        CNNClassifier(**{**QUICK, "architecture": "lenet5", "filters": None,
                         "dense_units": None}).fit(*small)


def test_failed_refit_keeps_the_previous_model(small):
    X, y = small
    est = CNNClassifier(**QUICK).fit(X, y)
    before = est.predict_proba(X)
    with pytest.raises(ValueError):
        est.set_params(augment="blur").fit(X, y)
    with pytest.raises(ValueError):
        est.set_params(augment=None).fit(np.zeros((300, 10, 10)), np.zeros(300))
    np.testing.assert_array_equal(est.predict_proba(X), before)
    assert est.image_shape_ == (1, 8, 8)


def test_unfitted_predict_raises(small):
    with pytest.raises(NotFittedError):
        CNNRegressor().predict(small[0])


# -- early stopping and history -----------------------------------------------------------
def test_early_stopping_restores_the_best_epoch(digits):
    X, y, _, _ = digits
    est = CNNClassifier(architecture="small", filters=(16, 32), dense_units=(64,),
                        lr=1e-2, batch_size=32, max_epochs=40, early_stopping=True,
                        patience=3, validation_fraction=0.3, random_state=0)
    est.fit(X[:200], y[:200])
    valid = np.array([row["valid_loss"] for row in est.history_])
    assert est.n_epochs_ < 40  # stopped early ...
    assert est.best_epoch_ == np.argmin(valid) + 1 == est.n_epochs_ - 3
    # ... after getting no better, so the kept weights are not simply the last ones
    assert valid[-1] > valid[est.best_epoch_ - 1]
    # the kept weights are the best epoch's: their validation loss is the best one
    valid_data = est.net_.train_split(None)[1]
    proba = est.predict_proba(valid_data.X)
    nll = log_loss(valid_data.y.numpy(), proba, labels=np.arange(10))
    np.testing.assert_allclose(nll, valid[est.best_epoch_ - 1], rtol=1e-4)


def test_history_records_losses(clf, small):
    assert len(clf.history_) == clf.n_epochs_ == 8
    assert {"train_loss", "epoch", "dur"} <= set(clf.history_[0])
    assert "valid_loss" not in clf.history_[0]
    train = [row["train_loss"] for row in clf.history_]
    assert train[-1] < 0.5 * train[0]
    est = CNNClassifier(**QUICK, validation_fraction=0.25).fit(*small)
    assert len(est.history_) == 2 and "valid_loss" in est.history_[-1]


# -- architectures ------------------------------------------------------------------------
def test_custom_module_is_copied_and_reseeded(small):
    X, y = small
    body = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten())
    original = copy.deepcopy(body.state_dict())
    a = CNNClassifier(architecture=body, max_epochs=2, random_state=0).fit(X, y)
    b = CNNClassifier(architecture=body, max_epochs=2, random_state=0).fit(X, y)
    for k, v in body.state_dict().items():
        torch.testing.assert_close(v, original[k], rtol=0, atol=0)  # untouched
    assert a.net_.module_.body is not body
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("architecture", ["vgg", "resnet"])
def test_deeper_presets_train_on_small_images(architecture, counts):
    X, y = counts
    est = CNNRegressor(family="poisson", architecture=architecture, filters=(4, 8),
                       max_epochs=1, batch_size=64, random_state=0).fit(X[:128], y[:128])
    assert est.predict(X[:5]).shape == (5,)


def test_sample_weight_of_ones_changes_nothing(small):
    X, y = small
    a = CNNClassifier(**QUICK).fit(X, y).predict_proba(X)
    b = CNNClassifier(**QUICK).fit(X, y, sample_weight=np.ones(len(y))).predict_proba(X)
    np.testing.assert_array_equal(a, b)


# -- slow ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_digits_reach_97_percent():
    from sklearn.model_selection import train_test_split

    X, y = load_digits_images(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    est = CNNClassifier(architecture="vgg", filters=(32, 64), dropout=0.25, lr=2e-3,
                        max_epochs=40, early_stopping=True, patience=8,
                        augment="light", random_state=0).fit(X_train, y_train)
    assert est.score(X_test, y_test) >= 0.97


@pytest.mark.slow
def test_mnist_test_set_reaches_97_percent():
    from sklearn_dl.datasets import load_mnist

    try:
        X, y = load_mnist(kind="test")  # from the data home ($SKLEARN_DL_DATA)
    except FileNotFoundError:
        pytest.skip("MNIST test set not available")
    est = CNNClassifier(architecture="small", filters=(16, 32), standardize="scale",
                        max_epochs=6, random_state=0).fit(X[:8000], y[:8000])
    assert est.score(X[8000:], y[8000:]) >= 0.97
