"""Experiment: prediction latency of small batches, and a proposed cache for it.

``_BaseNN._raw_output`` predicts with a float64 copy of the trained module and makes that
copy (``copy.deepcopy(module).to(float64)``) on *every* call.  For one row that copy is
most of the time.  The variant ``cached`` monkeypatches (in this process only) a version
of ``_raw_output`` that keeps the float64 copy and rebuilds it only when the trained
module's parameters or buffers changed (``Tensor._version``, bumped by every in-place
update such as an optimiser step or ``load_state_dict``).  The shipped package is the
``shipped`` row; ``plain`` is the float32 module called directly.

The cache was then adopted (``sklearn_dl/_tabular.py``: ``_converted_copy``) and
``_raw_output`` is gone; run this script at the commit recorded in
``results/predict_latency.json``, as its results were.

Usage::

    .venv/bin/python benchmarks/predict_latency.py
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_overhead as bo  # noqa: E402
from _common import machine_info, md_table, write_json  # noqa: E402


def _cached_raw_output(self, X):
    """Proposed ``_BaseNN._raw_output``: the float64 copy is cached on the estimator."""
    from sklearn.utils.validation import check_is_fitted, validate_data

    check_is_fitted(self, "net_")
    X = validate_data(self, X, dtype=np.float32, reset=False)
    module = self.net_.module_
    if self._predict_dtype != torch.float32:
        key = (id(module), tuple(t._version for t in itertools.chain(
            module.parameters(), module.buffers())))
        cache = self.__dict__.get("_predict_cache")
        if cache is None or cache[0] != key:
            cache = (key, copy.deepcopy(module).to(self._predict_dtype).eval())
            self.__dict__["_predict_cache"] = cache
        module = cache[1]
    module.eval()
    X = torch.as_tensor(X).to(device=self.net_.device, dtype=self._predict_dtype)
    bs = self._predict_batch_size
    with torch.inference_mode():
        raw = [module(X[i:i + bs]) for i in range(0, len(X), bs)]
    return torch.cat(raw).cpu() if raw else torch.empty(0)


@contextlib.contextmanager
def cached():
    from sklearn_dl import _base

    old = _base._BaseNN.__dict__["_raw_output"]
    _base._BaseNN._raw_output = _cached_raw_output
    try:
        yield
    finally:
        _base._BaseNN._raw_output = old


def timeit(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def _main(argv=None):
    from sklearn_dl import GaussianNLLRegressor

    torch.set_num_threads(1)
    info = machine_info()
    X, y = bo.make_data("regression", 5000, 20)
    est = GaussianNLLRegressor(hidden_layer_sizes=(64, 64), max_epochs=3,
                               random_state=0).fit(X, y)
    module = est.net_.module_.eval()
    rows, out = [], {}
    for n in (1, 100, 10_000):
        Xn = np.ascontiguousarray(X[:n] if n <= len(X) else np.resize(X, (n, X.shape[1])))
        reps = 300 if n <= 100 else 30

        def plain():
            with torch.inference_mode():
                return module(torch.from_numpy(Xn))

        res = {"plain (float32 module)": timeit(plain, reps),
               "shipped predict": timeit(lambda: est.predict(Xn), reps)}
        shipped = est.predict(Xn)
        with cached():
            est.predict(Xn)  # fills the cache
            res["cached predict"] = timeit(lambda: est.predict(Xn), reps)
            same = np.array_equal(shipped, est.predict(Xn))
        out[n] = {k: {"median_us": v[0] * 1e6, "min_us": v[1] * 1e6} for k, v in res.items()}
        out[n]["identical_predictions"] = same
        for k, (med, mn) in res.items():
            rows.append([n, k, f"{med * 1e6:.0f}", f"{mn * 1e6:.0f}"])
        rows.append([n, "cached == shipped predictions", str(same), ""])
    print(md_table(["rows", "variant", "median µs", "min µs"], rows))
    write_json("predict_latency.json", {"machine": info, "results": out})


def main(argv=None):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _main(argv)


if __name__ == "__main__":
    main()
