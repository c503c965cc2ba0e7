"""Count regression on UCI Bike Sharing (hourly): PoissonNLLRegressor vs scikit-learn.

Data: UCI Bike Sharing, hourly, via ``sklearn_dl.datasets.load_bike_sharing`` from the data
home (``$SKLEARN_DL_DATA``: ``bike_sharing_hour.csv``; 17,379 hours of 2011-2012), target
``count``.  Dropped: ``casual`` and ``registered`` (they sum to the target: leak),
``instant`` (a row/time index) and ``dateday`` (the date; its parts are in ``year``,
``month``, ``weekday``).  Features: ``season, month, hour, weekday, weathersit``
(categorical), ``year, holiday, workingday`` (0/1), ``temp, feelingTemp, humidity,
windspeed`` (numeric, already scaled to [0, 1] in the file).

Two fixed train/test splits, both reported:

* ``time``: the last 20% of the hours (Aug 2012 onwards) are the test set -- forecasting
  later hours, with the growth of the service in between;
* ``random``: ``train_test_split(test_size=0.2, random_state=0)``.

Contenders (same inputs where sensible):

* ``sklearn_dl``: ``PoissonNLLRegressor`` -- MLP (64, 64) ReLU, log link, one-hot
  categorical features (inputs standardised inside the network), Adam lr 1e-3, batch 128,
  at most 200 epochs with early stopping on 10% of the training set (patience 20, best
  epoch restored); ``--seeds`` seeds, mean and sd reported;
* ``glm``: ``PoissonRegressor(alpha=1e-4, solver="newton-cholesky")`` on the same one-hot
  + standardised features (a Poisson GLM: hour x weekday interactions are not modelled);
* ``hgb``: ``HistGradientBoostingRegressor(loss="poisson")`` with default settings
  (early stopping on, as scikit-learn does by default above 10,000 rows), on the ordinal
  features with ``season, month, hour, weekday, weathersit`` declared categorical;
* ``hgb_long``: the same with ``max_iter=2000`` and early stopping on 10% of the training
  set (patience 20 iterations), since the defaults stop at ``max_iter=100``;
* ``mean``: the mean training count as a constant Poisson rate (a reference floor).

Metrics on the test set: mean Poisson deviance (``sklearn.metrics.mean_poisson_deviance``)
and mean Poisson NLL ``-mean log p(y | mu)`` (via ``predict_dist`` for sklearn_dl,
``scipy.stats.poisson(mu)`` for the others); fit time, with one thread for torch and
for every BLAS/OpenMP pool (``threadpoolctl``).

Usage::

    # both splits, 3 seeds, on the development copy of the data
    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/bench_poisson.py
    .venv/bin/python benchmarks/bench_poisson.py --splits time --seeds 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, md_table, skip, write_json  # noqa: E402

CATEGORICAL = ["season", "month", "hour", "weekday", "weathersit"]
BINARY = ["year", "holiday", "workingday"]
NUMERIC = ["temp", "feelingTemp", "humidity", "windspeed"]
DROPPED = ["casual", "registered", "instant", "dateday"]
TARGET = "count"


def load():
    from sklearn_dl.datasets import load_bike_sharing

    try:
        df = load_bike_sharing(as_frame=True).frame
    except FileNotFoundError as exc:
        skip(f"{exc}\nBenchmarks never download.")
    df = df.sort_values("instant").reset_index(drop=True)
    y = df[TARGET].to_numpy(dtype=float)
    X = df.drop(columns=DROPPED + [TARGET])[CATEGORICAL + BINARY + NUMERIC]
    return X, y


def split(X, y, how):
    from sklearn.model_selection import train_test_split

    n = len(y)
    if how == "time":
        cut = int(round(0.8 * n))
        tr, te = np.arange(cut), np.arange(cut, n)
    else:
        tr, te = train_test_split(np.arange(n), test_size=0.2, random_state=0)
    return X.iloc[tr], y[tr], X.iloc[te], y[te]


def onehot_encoder():
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
        ("num", StandardScaler(), BINARY + NUMERIC),
    ])


def poisson_nll(y, mu):
    from scipy import stats

    return float(-np.mean(stats.poisson(mu).logpmf(y)))


def run_sklearn_dl(X_tr, y_tr, X_te, y_te, seed):
    from sklearn_dl import PoissonNLLRegressor
    from sklearn_dl.metrics import mean_nll

    enc = onehot_encoder().fit(X_tr)
    Xtr, Xte = enc.transform(X_tr), enc.transform(X_te)
    reg = PoissonNLLRegressor(hidden_layer_sizes=(64, 64), lr=1e-3, batch_size=128,
                              max_epochs=200, early_stopping=True, patience=20,
                              validation_fraction=0.1, random_state=seed)
    t0 = time.perf_counter()
    reg.fit(Xtr, y_tr)
    fit_s = time.perf_counter() - t0
    mu = reg.predict(Xte)
    return mu, mean_nll(y_te, reg.predict_dist(Xte)), fit_s, {
        "epochs": reg.n_epochs_, "best_epoch": reg.best_epoch_}


def run_defaults(X_tr, y_tr, X_te, y_te, seed):
    """PoissonNLLRegressor with no parameter set, on the same one-hot inputs."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sklearn_dl import PoissonNLLRegressor
    from sklearn_dl.metrics import mean_nll

    enc = onehot_encoder().fit(X_tr)
    Xtr, Xte = enc.transform(X_tr), enc.transform(X_te)
    reg = PoissonNLLRegressor(random_state=seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(Xtr, y_tr)
    fit_s = time.perf_counter() - t0
    mu = reg.predict(Xte)
    return mu, mean_nll(y_te, reg.predict_dist(Xte)), fit_s, {
        "epochs": reg.n_epochs_, "best_epoch": reg.best_epoch_}


def run_glm(X_tr, y_tr, X_te, y_te, seed):
    from sklearn.linear_model import PoissonRegressor
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(onehot_encoder(),
                          PoissonRegressor(alpha=1e-4, solver="newton-cholesky",
                                           max_iter=1000))
    t0 = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - t0
    mu = model.predict(X_te)
    return mu, poisson_nll(y_te, mu), fit_s, {"n_iter": int(model[-1].n_iter_)}


def run_hgb(X_tr, y_tr, X_te, y_te, seed):
    from sklearn.ensemble import HistGradientBoostingRegressor

    model = HistGradientBoostingRegressor(loss="poisson", categorical_features=CATEGORICAL,
                                          random_state=seed)
    t0 = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - t0
    mu = model.predict(X_te)
    return mu, poisson_nll(y_te, mu), fit_s, {"n_iter": int(model.n_iter_)}


def run_hgb_long(X_tr, y_tr, X_te, y_te, seed):
    from sklearn.ensemble import HistGradientBoostingRegressor

    model = HistGradientBoostingRegressor(loss="poisson", categorical_features=CATEGORICAL,
                                          max_iter=2000, early_stopping=True,
                                          validation_fraction=0.1, n_iter_no_change=20,
                                          random_state=seed)
    t0 = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - t0
    mu = model.predict(X_te)
    return mu, poisson_nll(y_te, mu), fit_s, {"n_iter": int(model.n_iter_)}


def run_mean(X_tr, y_tr, X_te, y_te, seed):
    mu = np.full(len(y_te), y_tr.mean())
    return mu, poisson_nll(y_te, mu), 0.0, {}


CONTENDERS = {"defaults": run_defaults, "sklearn_dl": run_sklearn_dl, "glm": run_glm, "hgb": run_hgb,
              "hgb_long": run_hgb_long, "mean": run_mean}
LABELS = {"defaults": "sklearn_dl PoissonNLLRegressor() -- defaults",
          "sklearn_dl": "sklearn_dl PoissonNLLRegressor (MLP 64-64), tuned",
          "glm": "sklearn PoissonRegressor (GLM, one-hot)",
          "hgb": "sklearn HistGradientBoostingRegressor(loss='poisson'), defaults",
          "hgb_long": "same, max_iter=2000 + early stopping (10% validation)",
          "mean": "constant rate (training mean)"}
DETERMINISTIC = {"glm", "mean"}


def _main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splits", nargs="+", default=["time", "random"],
                   choices=["time", "random"])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="poisson.json")
    args = p.parse_args(argv)
    X, y = load()  # first: a missing file skips at once

    import torch
    from sklearn.metrics import mean_poisson_deviance

    torch.set_num_threads(args.threads)
    info = machine_info()
    print(f"{info['date']}  {info['cpu']}  nproc={info['nproc']}  torch {info['torch']} "
          f"sklearn {info['sklearn']} skorch {info['skorch']}")
    results = {}
    tables = {}
    for how in args.splits:
        X_tr, y_tr, X_te, y_te = split(X, y, how)
        print(f"\nsplit {how}: train {len(y_tr)}, test {len(y_te)} "
              f"(mean count train {y_tr.mean():.1f}, test {y_te.mean():.1f})")
        res = {}
        for name, run in CONTENDERS.items():
            seeds = [0] if name in DETERMINISTIC else list(range(args.seeds))
            runs = []
            for s in seeds:
                mu, nll, fit_s, extra = run(X_tr, y_tr, X_te, y_te, s)
                dev = float(mean_poisson_deviance(y_te, np.clip(mu, 1e-12, None)))
                runs.append({"seed": s, "deviance": dev, "nll": nll, "fit_s": fit_s,
                             **extra})
                print(f"  {name:10s} seed {s}: deviance {dev:.2f}  NLL {nll:.3f}  "
                      f"fit {fit_s:.1f} s  {extra}", flush=True)
            res[name] = runs
        results[how] = {"n_train": len(y_tr), "n_test": len(y_te), "runs": res}
        rows = []
        for name, runs in res.items():
            dev = np.array([r["deviance"] for r in runs])
            nll = np.array([r["nll"] for r in runs])
            fit = np.array([r["fit_s"] for r in runs])
            sd = (lambda a: f" ± {a.std(ddof=1):.2f}" if len(a) > 1 else "")
            sd3 = (lambda a: f" ± {a.std(ddof=1):.3f}" if len(a) > 1 else "")
            rows.append([LABELS[name], len(runs), f"{dev.mean():.2f}{sd(dev)}",
                         f"{nll.mean():.3f}{sd3(nll)}", f"{np.median(fit):.2f}"])
        tables[how] = md_table(["model", "seeds", "mean Poisson deviance",
                                "mean NLL (Poisson)", "fit s (median)"], rows)
        print(f"\n[{how} split] test set, mean ± sd over seeds\n")
        print(tables[how])
    write_json(args.out, {"machine": info, "args": vars(args), "results": results,
                          "tables": tables})


def main(argv=None):
    # One thread everywhere: torch (set in _main) and the BLAS/OpenMP pools that numpy,
    # scikit-learn and torch use, so that no contender gets the second core.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _main(argv)


if __name__ == "__main__":
    main()
