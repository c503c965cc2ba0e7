"""Memory of a long-running process: many fits, predictions and feature transforms.

One Python process fits and predicts small networks ``--fits`` times (alternating
``NNClassifier`` and ``GaussianNLLRegressor``, each fit then predicted and its
predictive distribution queried, nothing kept), then runs ``--transforms`` transforms
of a fresh ``PretrainedFeatureTransformer("resnet18", weights=None, input_size=32)``
(as a grid search clones it), clearing no cache.  After a warm-up the script records,
every ``--every`` iterations and after ``gc.collect()``:

* the resident set size (``psutil``), in MiB;
* the number of live ``torch.nn.Module`` objects (leaked networks would add up);
* the sizes of the package's per-process caches: ``sklearn_dl._tabular._CONVERTED``
  (float64 prediction copies, weakly keyed by module), the backbone cache of
  ``sklearn_dl.bodies`` and the feature-extractor cache of ``sklearn_dl.features``.

Run: ``.venv/bin/python benchmarks/bench_soak_memory.py`` (about 2 minutes on 2 cores).
Writes ``benchmarks/results/soak_memory.json`` and prints a markdown table.
``tests/test_soak.py`` (marked slow) runs the same loop with assertions.
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings

import _common  # noqa: F401  (puts this checkout on sys.path)
import numpy as np

from _common import machine_info, md_table, write_json


def live_modules():
    import torch

    return sum(isinstance(o, torch.nn.Module) for o in gc.get_objects())


def probe():
    """RSS (MiB), live modules and cache sizes, after a full garbage collection."""
    import psutil

    from sklearn_dl import _tabular, features
    from sklearn_dl.bodies import pretrained

    gc.collect()
    return {"rss_mib": psutil.Process().memory_info().rss / 2**20,
            "live_modules": live_modules(),
            "converted_cache": len(_tabular._CONVERTED),
            "backbone_cache": len(pretrained.cached_backbones()),
            "extractor_cache": len(features._EXTRACTORS)}


def tabular_step(i, X, y_class, y_reg):
    from sklearn_dl import GaussianNLLRegressor, NNClassifier

    settings = dict(hidden_layer_sizes=(16,), max_epochs=3, random_state=i)
    if i % 2:
        clf = NNClassifier(**settings).fit(X, y_class)
        clf.predict(X)
        clf.predict_dist(X).log_likelihood(y_class)
    else:
        reg = GaussianNLLRegressor(**settings).fit(X, y_reg)
        reg.predict(X, return_std=True)
        reg.predict_interval(X, alpha=0.1)


def transform_step(images):
    from sklearn_dl import PretrainedFeatureTransformer

    PretrainedFeatureTransformer("resnet18", weights=None, input_size=32).fit_transform(images)


def soak(step, n, warmup, every):
    """Run ``step(i)`` n times; probe after the warm-up and every ``every`` steps."""
    for i in range(warmup):
        step(i)
    rows = [{"iteration": warmup, **probe()}]
    start = time.perf_counter()
    for i in range(warmup, n):
        step(i)
        if (i + 1) % every == 0 or i + 1 == n:
            rows.append({"iteration": i + 1, **probe()})
    return rows, time.perf_counter() - start


def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    y_class = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    y_reg = X[:, 0] - X[:, 1] + rng.normal(scale=0.3, size=200)
    images = rng.randint(0, 256, size=(16, 32, 32, 3)).astype(np.uint8)
    return X, y_class, y_reg, images


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=400)
    parser.add_argument("--transforms", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--every", type=int, default=40)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # 3 epochs: convergence warnings are expected
    X, y_class, y_reg, images = data()
    start = probe()
    fits, fit_seconds = soak(lambda i: tabular_step(i, X, y_class, y_reg), args.fits,
                             args.warmup, args.every)
    transforms, transform_seconds = soak(lambda i: transform_step(images), args.transforms,
                                         min(args.warmup, 10), max(1, args.every // 4))
    payload = {"machine": machine_info(), "args": vars(args), "at_start": start,
               "fits": fits, "fit_seconds": fit_seconds, "transforms": transforms,
               "transform_seconds": transform_seconds}
    write_json("soak_memory.json", payload)

    header = ["phase", "iteration", "RSS MiB", "growth MiB", "live modules",
              "_CONVERTED", "backbones", "extractors"]
    out = []
    for phase, rows in (("fit+predict", fits), ("transform", transforms)):
        for r in rows:
            out.append([phase, r["iteration"], f"{r['rss_mib']:.1f}",
                        f"{r['rss_mib'] - rows[0]['rss_mib']:+.1f}", r["live_modules"],
                        r["converted_cache"], r["backbone_cache"], r["extractor_cache"]])
    print(md_table(header, out))
    print(f"fit+predict: {args.fits} iterations, {fit_seconds:.1f} s after the warm-up; "
          f"transform: {args.transforms} iterations, {transform_seconds:.1f} s")


if __name__ == "__main__":
    main()
