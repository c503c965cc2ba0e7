"""Dask: grid searches on a cluster, torch threads in workers, features and predictions
of dask arrays and bags, computed chunk by chunk on a real LocalCluster."""

import logging
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sklearn_dl import (
    CNNClassifier,
    CNNRegressor,
    DeepEnsembleClassifier,
    DeepEnsembleRegressor,
    GaussianNLLRegressor,
    NNClassifier,
    PretrainedFeatureTransformer,
)
from sklearn_dl.bodies.pretrained import FeatureExtractor
from sklearn_dl.datasets import load_banknote, load_digits_images

da = pytest.importorskip("dask.array")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

RANDOM = dict(backbone="resnet18", weights=None, input_size=32, batch_size=16)


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each, for this module only."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits_images(return_X_y=True)
    return (X[:96] * 16).clip(0, 255).astype(np.uint8), y[:96]


@pytest.fixture(scope="module")
def banknote():
    X, y = load_banknote(return_X_y=True)
    idx = np.random.RandomState(0).permutation(len(y))[:300]
    return X[idx], y[idx]


class RecordThreads(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


# -- functions run on the workers (module level: pickled by reference) --------------------
def _fit_in_a_task(X, y):
    # a worker process whose torch uses more threads than the worker has (as with
    # processes=False, a worker started without the nanny's environment, or a user
    # configuration): sklearn_dl must bring it to the worker's one thread, then restore
    torch.set_num_threads(2)
    est = NNClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=0,
                       callbacks=[("threads", RecordThreads())]).fit(X, y)
    during = [row["torch_threads"] for row in est.history_]
    seen = []
    original = FeatureExtractor.forward

    def recording(self, x):
        seen.append(torch.get_num_threads())
        return original(self, x)

    FeatureExtractor.forward = recording
    try:
        PretrainedFeatureTransformer(**RANDOM).transform(np.zeros((4, 8, 8), np.uint8))
    finally:
        FeatureExtractor.forward = original
    return during, seen, torch.get_num_threads()


def _install_counters():
    """Count network builds and the images per transform call in this worker."""
    import sklearn_dl.features as features

    features._EXTRACTORS.clear()
    build = getattr(features, "_test_original_build", features.build_feature_extractor)
    count = getattr(features, "_test_original_n_images", features.n_images)
    features._test_original_build = build
    features._test_original_n_images = count
    features._test_builds = 0
    features._test_sizes = []

    def counting_build(*args, **kwargs):
        features._test_builds += 1
        return build(*args, **kwargs)

    def recording_n_images(X):
        n = count(X)
        features._test_sizes.append(n)
        return n

    features.build_feature_extractor = counting_build
    features.n_images = recording_n_images


def _read_counters():
    import sklearn_dl.features as features

    return features._test_builds, list(features._test_sizes)


# -- tests ------------------------------------------------------------------------------
def test_torch_uses_the_workers_threads_during_fit_and_transform(client, banknote):
    X, y = banknote
    during, seen, after = client.submit(_fit_in_a_task, X, y, pure=False).result()
    assert during == [1, 1, 1]  # the worker has one thread
    assert seen and set(seen) == {1}
    assert after == 2  # the task's own setting is restored


def test_grid_search_on_dask_equals_the_local_search(client, banknote):
    X, y = banknote
    est = NNClassifier(hidden_layer_sizes=(8,), max_epochs=10, random_state=0,
                       callbacks=[("threads", RecordThreads())])
    grid = {"lr": [0.01, 0.05], "dropout": [0.0, 0.2]}
    local = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = GridSearchCV(est, grid, cv=3).fit(X, y)
    for key in ["mean_test_score"] + [f"split{i}_test_score" for i in range(3)]:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    assert remote.best_score_ > 0.9


def test_feature_pipeline_search_loads_the_network_once_per_worker(client, digits):
    X, y = digits
    client.run(_install_counters)
    pipe = make_pipeline(PretrainedFeatureTransformer(**RANDOM), KNeighborsClassifier())
    grid = {"kneighborsclassifier__n_neighbors": [1, 3]}
    X, y = X[:60], y[:60]
    local = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        remote = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    counters = client.run(_read_counters).values()
    # the 6 fits ran on the workers, each one transforming its train and test folds
    # with a fresh clone: a worker that ran several built the network once
    assert sum(len(sizes) for _, sizes in counters) == 6 * 2
    assert max(len(sizes) for _, sizes in counters) >= 4
    assert [builds for builds, sizes in counters if sizes] in ([1], [1, 1]), counters


def test_transform_of_a_dask_array_runs_chunk_by_chunk(client, digits, tmp_path):
    X, _ = digits
    client.run(_install_counters)
    t = PretrainedFeatureTransformer(memory=str(tmp_path), **RANDOM)
    dX = da.from_array(X, chunks=(20, 4, 8))  # chunked across images too: rechunked
    F = t.transform(dX)
    assert isinstance(F, da.Array) and F.dtype == np.float32
    assert F.chunks == ((20, 20, 20, 20, 16), (512,))
    # the transformer enters the graph once, not once per chunk
    assert sum("PretrainedFeatureTransformer" in str(k) for k in F.dask) == 1
    computed = F.compute()
    np.testing.assert_allclose(computed, PretrainedFeatureTransformer(**RANDOM).transform(X),
                               rtol=1e-5, atol=1e-6)
    sizes = [s for _, s in client.run(_read_counters).values()]
    assert max(max(s) for s in sizes if s) <= 20  # no task saw more than its chunk
    # the workers filled the shared cache: a local transform computes nothing
    assert len(list(tmp_path.rglob("*.npy"))) == len(np.unique(X.reshape(len(X), -1),
                                                                axis=0))
    seen = []
    original = FeatureExtractor.forward
    FeatureExtractor.forward = lambda self, x: seen.append(len(x)) or original(self, x)
    try:
        np.testing.assert_array_equal(t.transform(X), computed)
    finally:
        FeatureExtractor.forward = original
    assert seen == []


def test_transform_of_a_dask_bag_of_paths(client, digits, tmp_path):
    X, _ = digits
    paths = []
    for i, img in enumerate(X[:10]):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(img).save(paths[-1])
    t = PretrainedFeatureTransformer(**RANDOM)
    F = t.transform(db.from_sequence(paths, npartitions=3))
    assert isinstance(F, da.Array) and F.shape[1] == 512
    np.testing.assert_allclose(F.compute(), t.transform(paths), rtol=1e-5, atol=1e-6)


def test_predictions_of_image_estimators_on_dask_arrays(client, digits):
    X, y = digits
    clf = CNNClassifier(filters=(4,), dense_units=(), max_epochs=2, batch_size=32,
                        random_state=0).fit(X, y)
    dX = da.from_array(X, chunks=(32, 8, 8))
    proba = clf.predict_proba(dX)
    assert isinstance(proba, da.Array) and proba.chunks == ((32, 32, 32), (10,))
    np.testing.assert_allclose(proba.compute(), clf.predict_proba(X), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_array_equal(clf.predict(dX).compute(), clf.predict(X))
    reg = CNNRegressor(filters=(4,), dense_units=(), max_epochs=2, batch_size=32,
                       random_state=0).fit(X, y.astype(float))
    mean, std = reg.predict(dX, return_std=True)
    local_mean, local_std = reg.predict(X, return_std=True)
    np.testing.assert_allclose(mean.compute(), local_mean, rtol=1e-6)
    np.testing.assert_allclose(std.compute(), local_std, rtol=1e-6)
    interval = reg.predict_interval(dX, alpha=0.2)
    assert interval.shape == (len(X), 2)
    np.testing.assert_allclose(interval.compute(), reg.predict_interval(X, alpha=0.2),
                               rtol=1e-6)


def test_predictions_of_ensembles_on_dask_arrays(client, banknote):
    X, y = banknote
    member = dict(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)
    clf = DeepEnsembleClassifier(NNClassifier(**member), n_estimators=2,
                                 random_state=0).fit(X, y)
    dX = da.from_array(X, chunks=(128, 4))
    for method in ("predict_proba", "predict_log_proba", "predict"):
        lazy = getattr(clf, method)(dX)
        assert isinstance(lazy, da.Array) and lazy.chunks[0] == dX.chunks[0]
        np.testing.assert_allclose(lazy.compute(), getattr(clf, method)(X), rtol=1e-6)
    reg = DeepEnsembleRegressor(GaussianNLLRegressor(**member), n_estimators=2,
                                random_state=0).fit(X[:, 1:], X[:, 0])
    dX = dX[:, 1:]
    mean, std = reg.predict(dX, return_std=True)
    interval = reg.predict_interval(dX, alpha=0.2)
    assert all(isinstance(a, da.Array) for a in (mean, std, interval))
    local_mean, local_std = reg.predict(X[:, 1:], return_std=True)
    np.testing.assert_allclose(mean.compute(), local_mean, rtol=1e-6)
    np.testing.assert_allclose(std.compute(), local_std, rtol=1e-6)
    assert interval.shape == (len(X), 2)
    np.testing.assert_allclose(interval.compute(),
                               reg.predict_interval(X[:, 1:], alpha=0.2), rtol=1e-6)


def test_the_package_imports_and_works_without_dask():
    code = (
        "import sys; sys.modules['dask'] = sys.modules['distributed'] = None\n"
        "import numpy as np\n"
        "from sklearn_dl import PretrainedFeatureTransformer, NNClassifier\n"
        "F = PretrainedFeatureTransformer('resnet18', weights=None, input_size=32)"
        ".transform(np.zeros((2, 8, 8), np.uint8))\n"
        "X = np.random.RandomState(0).normal(size=(20, 2)); y = X[:, 0] > 0\n"
        "p = NNClassifier(max_epochs=2).fit(X, y).predict(X)\n"
        "print(F.shape, p.shape)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(2, 512) (20,)"


def test_a_task_gets_its_share_of_a_workers_threads(monkeypatch):
    from types import SimpleNamespace

    from sklearn_dl._parallel import dask_worker_threads, worker_threads

    assert dask_worker_threads() is None  # not in a task: nothing changes
    worker = SimpleNamespace(state=SimpleNamespace(nthreads=4, executing={"a", "b"}))
    monkeypatch.setattr(distributed, "get_worker", lambda: worker)
    before = torch.get_num_threads()
    with worker_threads():
        assert torch.get_num_threads() == 2  # 4 threads, 2 tasks running
    assert torch.get_num_threads() == before
    worker.state.executing = {"a"}
    assert dask_worker_threads() == 4
    worker.state.executing = {str(i) for i in range(6)}
    assert dask_worker_threads() == 1  # never zero
