"""NGBoost side of bench_uci.py, run by a *separate* interpreter that has ngboost.

ngboost 0.6 needs scikit-learn < 1.7, so it cannot live in the project's venv.  bench_uci.py
starts this script with that interpreter (``--ngb-python``), writes a JSON job to its stdin
and reads one JSON line of results from its stdout.  This file imports only numpy, scipy,
scikit-learn and ngboost -- never sklearn_dl.

Job (JSON on stdin)::

    {"datasets": {"<name>": "<dir>"}, "splits": [0, 1, ...], "n_estimators": 2000,
     "learning_rate": 0.01, "early_stopping_rounds": 50, "validation_fraction": 0.1,
     "modes": ["early_stopping", "defaults"]}

Result (JSON on stdout): ``{"versions": {...}, "rows": [{"dataset", "split", "nll",
"rmse", "fit_s", "n_iter"}, ...]}``.
"""

import json
import sys
import time

import numpy as np


def load_split(d, k):
    data = np.loadtxt(f"{d}/data.txt")
    fi = np.loadtxt(f"{d}/index_features.txt").astype(int)
    ti = int(np.loadtxt(f"{d}/index_target.txt"))
    tr = np.loadtxt(f"{d}/index_train_{k}.txt").astype(int)
    te = np.loadtxt(f"{d}/index_test_{k}.txt").astype(int)
    X, y = data[:, fi], data[:, ti]
    return X[tr], y[tr], X[te], y[te]


def main():
    import ngboost
    import sklearn
    from ngboost import NGBRegressor
    from ngboost.distns import Normal
    from scipy import stats
    from sklearn.model_selection import train_test_split

    job = json.load(sys.stdin)
    rows = []
    for name, d in job["datasets"].items():
        for k in job["splits"]:
            X_tr, y_tr, X_te, y_te = load_split(d, k)
            if "defaults" in job.get("modes", []):
                # NGBoost exactly as a user gets it: NGBRegressor() on the whole training
                # split, its 500 iterations at learning rate 0.01, no early stopping
                t0 = time.perf_counter()
                ngb = NGBRegressor(verbose=False, random_state=k).fit(X_tr, y_tr)
                fit_s = time.perf_counter() - t0
                dist = ngb.pred_dist(X_te)
                loc, scale = dist.params["loc"], dist.params["scale"]
                rows.append({"model": "ngboost_defaults", "dataset": name, "split": k,
                             "nll": float(-np.mean(stats.norm(loc, scale).logpdf(y_te))),
                             "rmse": float(np.sqrt(np.mean((loc - y_te) ** 2))),
                             "fit_s": fit_s, "n_iter": len(ngb.base_models)})
            if "early_stopping" not in job.get("modes", ["early_stopping"]):
                continue
            # same protocol as the networks: 10% of the training split held out for
            # early stopping (number of boosting iterations), no refit afterwards
            X_fit, X_val, y_fit, y_val = train_test_split(
                X_tr, y_tr, test_size=job["validation_fraction"], random_state=k)
            t0 = time.perf_counter()
            ngb = NGBRegressor(Dist=Normal, n_estimators=job["n_estimators"],
                               learning_rate=job["learning_rate"], verbose=False,
                               random_state=k)
            ngb.fit(X_fit, y_fit, X_val=X_val, Y_val=y_val,
                    early_stopping_rounds=job["early_stopping_rounds"])
            fit_s = time.perf_counter() - t0
            best = ngb.best_val_loss_itr
            n_iter = (best + 1) if best is not None else len(ngb.base_models)
            dist = ngb.pred_dist(X_te, max_iter=n_iter)
            loc, scale = dist.params["loc"], dist.params["scale"]
            nll = float(-np.mean(stats.norm(loc, scale).logpdf(y_te)))
            rmse = float(np.sqrt(np.mean((loc - y_te) ** 2)))
            rows.append({"dataset": name, "split": k, "nll": nll, "rmse": rmse,
                         "fit_s": fit_s, "n_iter": int(n_iter)})
            print(f"  ngboost {name} split {k}: nll {nll:.3f} rmse {rmse:.4f} "
                  f"iters {n_iter} ({fit_s:.1f} s)", file=sys.stderr, flush=True)
    versions = {"ngboost": ngboost.__version__, "sklearn": sklearn.__version__,
                "numpy": np.__version__, "python": sys.version.split()[0]}
    json.dump({"versions": versions, "rows": rows}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
