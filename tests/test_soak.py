"""Long runs (slow): a few hundred fits and predictions in one process leak nothing.

After a warm-up (imports, allocator arenas, torch's kernels), memory must stay flat: the
resident set size grows by less than a small bound, no ``nn.Module`` outlives its
estimator, and the package's per-process caches keep their size.  The loop is the one of
``benchmarks/bench_soak_memory.py``, whose results file records the measured figures.

Run with ``pytest -m slow tests/test_soak.py`` (about a minute on 2 cores).
"""

import gc
import warnings

import numpy as np
import pytest
import torch

psutil = pytest.importorskip("psutil")

from sklearn_dl import GaussianNLLRegressor, NNClassifier, PretrainedFeatureTransformer
from sklearn_dl import _tabular, features
from sklearn_dl.bodies import pretrained

pytestmark = pytest.mark.slow

# RSS moves by a few MiB as glibc's arenas are reused; a leak of one small network per
# fit (~20 KiB of weights plus its skorch net, history and optimizer) over 300 fits
# would exceed this, and a leaked backbone (resnet18: 45 MiB) per transform would too.
RSS_GROWTH_BOUND_MIB = 25


def snapshot():
    gc.collect()
    return {
        "rss_mib": psutil.Process().memory_info().rss / 2**20,
        "live_modules": sum(isinstance(o, torch.nn.Module) for o in gc.get_objects()),
        "converted": len(_tabular._CONVERTED),
        "backbones": len(pretrained.cached_backbones()),
        "extractors": len(features._EXTRACTORS),
    }


def run(step, n, warmup):
    for i in range(warmup):
        step(i)
    start = snapshot()
    middle = None
    for i in range(warmup, n):
        step(i)
        if i == (warmup + n) // 2:
            middle = snapshot()
    return start, middle, snapshot()


def assert_flat(start, middle, end, what):
    grown = end["rss_mib"] - start["rss_mib"]
    print(f"{what}: RSS {start['rss_mib']:.1f} -> {middle['rss_mib']:.1f} -> "
          f"{end['rss_mib']:.1f} MiB ({grown:+.1f}); live modules "
          f"{start['live_modules']} -> {end['live_modules']}; caches "
          f"{[start[k] for k in ('converted', 'backbones', 'extractors')]} -> "
          f"{[end[k] for k in ('converted', 'backbones', 'extractors')]}")
    assert grown < RSS_GROWTH_BOUND_MIB, f"{what}: RSS grew by {grown:.1f} MiB"
    assert end["live_modules"] <= start["live_modules"], "networks outlive their estimators"
    for cache in ("converted", "backbones", "extractors"):
        assert end[cache] <= start[cache], f"the {cache} cache grows"


def test_hundreds_of_fits_and_predictions_leak_nothing():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    y_class = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    y_reg = X[:, 0] - X[:, 1] + rng.normal(scale=0.3, size=200)

    def step(i):
        settings = dict(hidden_layer_sizes=(16,), max_epochs=3, random_state=i)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 3 epochs: convergence warnings expected
            if i % 2:
                clf = NNClassifier(**settings).fit(X, y_class)
                assert set(clf.predict(X)) <= set(clf.classes_)
                assert np.isfinite(clf.predict_dist(X).log_likelihood(y_class)).all()
            else:
                reg = GaussianNLLRegressor(**settings).fit(X, y_reg)
                mean, std = reg.predict(X, return_std=True)
                assert np.isfinite(mean).all() and (std > 0).all()
                reg.predict_interval(X, alpha=0.1)

    start, middle, end = run(step, n=300, warmup=30)
    assert_flat(start, middle, end, "fit+predict")
    assert end["converted"] <= 1  # weakly keyed: dies with its estimator's network


def test_repeated_feature_transforms_keep_one_extractor():
    images = np.random.RandomState(0).randint(0, 256, size=(16, 32, 32, 3)).astype(np.uint8)
    first = []

    def step(i):
        # a fresh transformer per call, as a grid search clones it; nothing is cleared
        out = PretrainedFeatureTransformer("resnet18", weights=None,
                                           input_size=32).fit_transform(images)
        if not first:
            first.append(out)
        np.testing.assert_array_equal(out, first[0])  # the same network every time

    start, middle, end = run(step, n=40, warmup=5)
    assert_flat(start, middle, end, "transform")
