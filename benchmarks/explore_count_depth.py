"""Screen: does a regressor's two-layer "auto" body (where the activation is compared)
suit counts too, not only the Gaussian UCI sets it was chosen on?

``PoissonNLLRegressor()`` (two layers of 100 for both compared activations) against
``PoissonNLLRegressor(hidden_layer_sizes=(100,))`` (the same comparison with one layer:
the defaults before commit ``7a41e6f``), fitted on random subsamples of the bike-sharing
hours (``bench_poisson.py``'s random split and one-hot features) of a few hundred to a
few thousand rows, the sizes where the rule acts.  Test Poisson deviance and NLL on the
whole test split, mean over the seeds (each seed draws its own subsample).

Usage::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/explore_count_depth.py \
        --rows 500 2000 --seeds 3
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_poisson as bp  # noqa: E402
from _common import DATA, machine_info, mean_se, write_json  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", nargs="+", type=int, default=[500, 2000])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default="explore_count_depth.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    from sklearn.metrics import mean_poisson_deviance

    from sklearn_dl import PoissonNLLRegressor
    from sklearn_dl.metrics import mean_nll

    bp.DATA = DATA
    X, y = bp.load()
    X_tr, y_tr, X_te, y_te = bp.split(X, y, "random")
    enc = bp.onehot_encoder().fit(X_tr)
    Xtr, Xte = enc.transform(X_tr), enc.transform(X_te)
    configs = {"two layers (the defaults)": {}, "one layer": dict(hidden_layer_sizes=(100,))}
    rows, summary = [], []
    for n in args.rows:
        per = {c: {"deviance": [], "nll": []} for c in configs}
        for seed in range(args.seeds):
            idx = np.random.RandomState(seed).choice(len(y_tr), n, replace=False)
            for name, params in configs.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reg = PoissonNLLRegressor(**params, random_state=seed).fit(
                        Xtr[idx], y_tr[idx])
                dev = float(mean_poisson_deviance(y_te, reg.predict(Xte)))
                nll = float(mean_nll(y_te, reg.predict_dist(Xte)))
                per[name]["deviance"].append(dev)
                per[name]["nll"].append(nll)
                rows.append(dict(n_rows=n, seed=seed, config=name, deviance=dev, nll=nll,
                                 activation=reg.activation_,
                                 hidden_layer_sizes=list(reg.hidden_layer_sizes_),
                                 n_iter=int(reg.n_iter_)))
                print(f"n={n} seed {seed} {name}: deviance {dev:.2f} NLL {nll:.3f} "
                      f"({reg.activation_}, {reg.hidden_layer_sizes_})", flush=True)
        for name in configs:
            (d, d_se), (l, l_se) = mean_se(per[name]["deviance"]), mean_se(per[name]["nll"])
            summary.append(dict(n_rows=n, config=name, deviance=d, deviance_se=d_se,
                                nll=l, nll_se=l_se))
            print(f"n={n} {name}: deviance {d:.2f} ± {d_se:.2f}, NLL {l:.3f} ± {l_se:.3f}",
                  flush=True)
    write_json(args.out, dict(machine=machine_info(), args=vars(args), rows=rows,
                              summary=summary))


if __name__ == "__main__":
    main()
