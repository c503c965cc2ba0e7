"""Screen: the small-data regressor's dropout comparison on a smooth target, nearly
noise-free and noisy.

Friedman's function #1 (``sklearn.datasets.make_friedman1``, 10 features, 5 used) with
Gaussian noise of sd ``--noise`` on ``--rows`` training rows, tested on 1,000 more:
``GaussianNLLRegressor()`` (dropout 0.1 and none compared since commit ``57effdf``)
against ``dropout=0.1`` (the rate the defaults fixed before) and ``dropout=0.0``.  The
energy-efficiency and yacht tables the deep-learning literature reports on are of this
kind: simulated, smooth, nearly noise-free.

Usage::

    .venv/bin/python benchmarks/explore_smooth_target.py --rows 768 --noise 0.05 1.0
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, mean_se, write_json  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", nargs="+", type=int, default=[768])
    p.add_argument("--noise", nargs="+", type=float, default=[0.05, 1.0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default="explore_smooth_target.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    from sklearn.datasets import make_friedman1

    from sklearn_dl import GaussianNLLRegressor
    from sklearn_dl.metrics import mean_nll

    configs = {"defaults": {}, "dropout=0.1": dict(dropout=0.1),
               "dropout=0.0": dict(dropout=0.0)}
    rows, summary = [], []
    for n in args.rows:
        for noise in args.noise:
            per = {c: [] for c in configs}
            for seed in range(args.seeds):
                X, y = make_friedman1(n + 1000, noise=noise, random_state=seed)
                for name, params in configs.items():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        reg = GaussianNLLRegressor(**params, random_state=seed).fit(
                            X[:n], y[:n])
                    nll = float(mean_nll(y[n:], reg.predict_dist(X[n:])))
                    per[name].append(nll)
                    rows.append(dict(n_rows=n, noise=noise, seed=seed, config=name,
                                     nll=nll, dropout=reg.dropout_,
                                     activation=reg.activation_))
                    print(f"n={n} noise={noise} seed {seed} {name}: NLL {nll:.3f} "
                          f"(dropout {reg.dropout_}, {reg.activation_})", flush=True)
            for name in configs:
                m, se = mean_se(per[name])
                summary.append(dict(n_rows=n, noise=noise, config=name, nll=m, nll_se=se))
                print(f"n={n} noise={noise} {name}: NLL {m:.3f} ± {se:.3f}", flush=True)
    write_json(args.out, dict(machine=machine_info(), args=vars(args), rows=rows,
                              summary=summary))


if __name__ == "__main__":
    main()
