"""Predictive quality on the UCI regression benchmarks: test NLL and RMSE.

Contenders, on the standard splits of the MC-dropout / deep-ensembles papers (the first
``--splits`` of the 20 train/test splits, read by ``sklearn_dl.datasets.load_uci_regression``
from ``<data home>/uci/<name>/``; data home = ``$SKLEARN_DL_DATA``, see RESULTS.md):

* ``sklearn_dl`` -- ``GaussianNLLRegressor`` (heteroscedastic: the network outputs mean
  and log-sd, trained by the Gaussian NLL; this is a single network of the deep-ensembles
  paper, M=1, without adversarial training);
* ``sklearn_dl_hom`` -- the same with ``heteroscedastic=False`` (one learned sd; the mean
  has the MSE optimum);
* ``ngboost`` -- ``NGBRegressor(Dist=Normal)``, learning rate 0.01, default base learner
  (depth-3 trees), at most ``--ngb-estimators`` (default 500 = its default) iterations,
  early stopping (50 rounds) on the validation part, prediction at the best iteration.
  Run by a separate interpreter (``--ngb-python`` or ``$SKLEARN_DL_NGBOOST_PYTHON``; ngboost
  0.6 needs scikit-learn < 1.7), in parallel with the rest by default; left out when
  none is given;
* ``sklearn_mlp`` -- scikit-learn's ``MLPRegressor`` (squared error) with a Normal
  predictive distribution whose constant sd is the sd of its residuals on the training
  split.

Protocol (the same for all networks): one hidden layer of 50 ReLU units, standardised
inputs and targets (GaussianNLLRegressor standardises both internally; the MLP runs in a
``StandardScaler`` pipeline inside a ``TransformedTargetRegressor``), Adam, lr 1e-3,
batch size 32, at most 500 epochs with early stopping on a random 10% of the training
split (patience 30 epochs; sklearn_dl restores the best epoch's weights, sklearn's MLP
keeps its best-validation-score coefficients as well), no weight decay in sklearn_dl
(sklearn's default alpha=1e-4 in the MLP), no refit on the full training split.  The papers
trained a fixed 40 epochs (no early stopping) on the full training split, with dropout (Gal)
or 5-network ensembles + adversarial training (Lakshminarayanan); their figures below are
for orientation, not a like-for-like comparison.

NLL is the mean negative log predictive density of the test targets in their original
units (papers report test log-likelihood LL; NLL = -LL).  Tables: mean +- standard error
over splits.

Usage::

    # 5 splits (28 min on 2 busy cores), on the development copy of the data
    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/bench_uci.py \
        --ngb-python <venv>/bin/python
    .venv/bin/python benchmarks/bench_uci.py --splits 20 --datasets bostonHousing concrete
    .venv/bin/python benchmarks/bench_uci.py --no-ngboost     # without the NGBoost venv
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, RESULTS_DIR, machine_info, md_table, require_data, write_json  # noqa: E402,E501

DATASETS = ["bostonHousing", "concrete", "wine-quality-red", "kin8nm",
            "naval-propulsion-plant"]

# -- published figures ----------------------------------------------------------------------
# Test log-likelihood (LL; NLL = -LL) and RMSE, "mean +- error" exactly as printed.
#
# Gal & Ghahramani (2016), "Dropout as a Bayesian Approximation: Representing Model
# Uncertainty in Deep Learning", ICML, Table 1, column "Dropout" (single network, 1 hidden
# layer of 50 units, 40 epochs, MC-dropout at test time; 20 splits, +- standard error).
# Also listed as "original" in the README of github.com/yaringal/DropoutUncertaintyExps.
GAL2016_DROPOUT = {  # name: (LL, LL_se, RMSE, RMSE_se)
    "bostonHousing": (-2.46, 0.06, 2.97, 0.19),
    "concrete": (-3.04, 0.02, 5.23, 0.12),
    "kin8nm": (0.95, 0.01, 0.10, 0.00),
    "naval-propulsion-plant": (3.80, 0.01, 0.01, 0.00),
    "wine-quality-red": (-0.93, 0.01, 0.62, 0.01),
}
# Lakshminarayanan, Pritzel & Blundell (2017), "Simple and Scalable Predictive Uncertainty
# Estimation using Deep Ensembles", NeurIPS, Table 1, column "Deep Ensembles": an ENSEMBLE
# of M=5 networks (NLL-trained, adversarial training), NOT a single network; the paper prints
# NLL directly.  Single-network (M=1) UCI figures: not recorded here (the paper's Table 1
# has none).
LAKSHMINARAYANAN2017_ENSEMBLE5 = {  # name: (NLL, NLL_err, RMSE, RMSE_err)
    "bostonHousing": (2.41, 0.25, 3.28, 1.00),
    "concrete": (3.06, 0.18, 6.03, 0.58),
    "kin8nm": (-1.20, 0.02, 0.09, 0.00),
    "naval-propulsion-plant": (-5.63, 0.05, 0.00, 0.00),
    "wine-quality-red": (0.94, 0.12, 0.64, 0.04),
}


# Duan et al. (2020), "NGBoost: Natural Gradient Boosting for Probabilistic Prediction",
# ICML, Table 1 (NLL, 20 splits); and Amini et al. (2020), "Deep Evidential Regression",
# NeurIPS, Table 1 (NLL).
NGBOOST2020 = {"bostonHousing": 2.43, "concrete": 3.04, "kin8nm": -0.49,
               "naval-propulsion-plant": -5.34, "wine-quality-red": 0.91}
AMINI2020_EVIDENTIAL = {"bostonHousing": 2.36, "concrete": 3.01, "kin8nm": -1.24,
                        "naval-propulsion-plant": -5.73, "wine-quality-red": 0.89}
#: the issue's targets for the 5-member ensemble: the best published NLL per data set
BEST_PUBLISHED = {"bostonHousing": 2.35, "concrete": 2.93, "kin8nm": -1.24,
                  "naval-propulsion-plant": -5.73, "wine-quality-red": 0.89}


# -- data ------------------------------------------------------------------------------------
def load_split(name, k):
    """(X_train, y_train, X_test, y_test) of split k, from the data home."""
    from sklearn_dl.datasets import load_uci_regression

    X_tr, X_te, y_tr, y_te = load_uci_regression(name, split=k, data_home=DATA,
                                                 return_X_y=True)
    return X_tr, y_tr, X_te, y_te


# -- contenders ------------------------------------------------------------------------------
NET = dict(hidden=(50,), lr=1e-3, batch_size=32, max_epochs=500, patience=30,
           validation_fraction=0.1)


def fit_sklearn_dl(X, y, seed, heteroscedastic=True):
    from sklearn_dl import GaussianNLLRegressor

    reg = GaussianNLLRegressor(
        hidden_layer_sizes=NET["hidden"], activation="relu", lr=NET["lr"],
        batch_size=NET["batch_size"], max_epochs=NET["max_epochs"], early_stopping=True,
        patience=NET["patience"], validation_fraction=NET["validation_fraction"],
        heteroscedastic=heteroscedastic, random_state=seed)
    reg.fit(X, y)
    return reg, {"epochs": reg.n_epochs_, "best_epoch": reg.best_epoch_}


def eval_sklearn_dl(reg, X, y):
    from sklearn_dl.metrics import mean_nll

    dist = reg.predict_dist(X)
    return mean_nll(y, dist), float(np.sqrt(np.mean((dist.mean() - y) ** 2)))


def fit_sklearn_mlp(X, y, seed):
    from scipy import stats
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    mlp = MLPRegressor(hidden_layer_sizes=NET["hidden"], activation="relu", solver="adam",
                       learning_rate_init=NET["lr"], batch_size=NET["batch_size"],
                       max_iter=NET["max_epochs"], early_stopping=True,
                       validation_fraction=NET["validation_fraction"],
                       n_iter_no_change=NET["patience"], tol=1e-4, random_state=seed)
    model = TransformedTargetRegressor(make_pipeline(StandardScaler(), mlp),
                                       transformer=StandardScaler())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    sd = float(np.std(y - model.predict(X)))  # constant predictive sd: training residuals

    class Fitted:
        def predict_dist(self, X):
            return stats.norm(model.predict(X), sd)

    fitted = model.regressor_[-1]
    return Fitted(), {"epochs": fitted.n_iter_, "sd": sd}


def eval_dist_model(m, X, y):
    from sklearn_dl.metrics import mean_nll

    dist = m.predict_dist(X)
    return mean_nll(y, dist), float(np.sqrt(np.mean((dist.mean() - y) ** 2)))


def _quiet_fit(est, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def fit_defaults(X, y, seed):
    """GaussianNLLRegressor with no parameter set (but the seed)."""
    from sklearn_dl import GaussianNLLRegressor

    reg = _quiet_fit(GaussianNLLRegressor(random_state=seed), X, y)
    return reg, {"epochs": reg.n_epochs_, "best_epoch": reg.best_epoch_}


def fit_defaults_vf2(X, y, seed):
    """The defaults but a 20 % validation split (the small-table classifiers' default),
    a screen of whether the rule would help regressors too."""
    from sklearn_dl import GaussianNLLRegressor

    reg = _quiet_fit(GaussianNLLRegressor(validation_fraction=0.2, random_state=seed), X, y)
    return reg, {"epochs": reg.n_epochs_, "best_epoch": reg.best_epoch_}


ENSEMBLE_JOBS = [None]  # --ensemble-jobs


def fit_ensemble(X, y, seed, n_jobs=None):
    """DeepEnsembleRegressor of 5 default GaussianNLLRegressors."""
    from sklearn_dl import DeepEnsembleRegressor

    n_jobs = ENSEMBLE_JOBS[0] if n_jobs is None else n_jobs

    ens = _quiet_fit(DeepEnsembleRegressor(n_estimators=5, n_jobs=n_jobs,
                                           random_state=seed), X, y)
    return ens, {"epochs": int(np.median([m.n_epochs_ for m in ens.estimators_]))}


def fit_mc_dropout(X, y, seed):
    """Defaults plus dropout 0.05 and 50 MC dropout passes at prediction (Gal 2016)."""
    from sklearn_dl import GaussianNLLRegressor

    reg = _quiet_fit(GaussianNLLRegressor(dropout=0.05, mc_samples=50, random_state=seed),
                     X, y)
    return reg, {"epochs": reg.n_epochs_, "best_epoch": reg.best_epoch_}


def fit_sklearn_mlp_defaults(X, y, seed):
    """scikit-learn's MLPRegressor with *its* defaults (in a StandardScaler pipeline, as
    its documentation recommends) and a constant sd from the training residuals."""
    from scipy import stats
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = _quiet_fit(make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)), X, y)
    sd = float(np.std(y - model.predict(X)))

    class Fitted:
        def predict_dist(self, X):
            return stats.norm(model.predict(X), sd)

    return Fitted(), {"epochs": model[-1].n_iter_, "sd": sd}


CONTENDERS = {
    "defaults": (fit_defaults, eval_sklearn_dl),
    "defaults_vf2": (fit_defaults_vf2, eval_sklearn_dl),
    "ensemble5": (fit_ensemble, eval_sklearn_dl),
    "mc_dropout": (fit_mc_dropout, eval_sklearn_dl),
    "sklearn_dl": (lambda X, y, s: fit_sklearn_dl(X, y, s, True), eval_sklearn_dl),
    "sklearn_dl_hom": (lambda X, y, s: fit_sklearn_dl(X, y, s, False), eval_sklearn_dl),
    "sklearn_mlp": (fit_sklearn_mlp, eval_dist_model),
    "sklearn_mlp_defaults": (fit_sklearn_mlp_defaults, eval_dist_model),
}
LABELS = {
    "defaults": "GaussianNLLRegressor() -- defaults",
    "defaults_vf2": "GaussianNLLRegressor(validation_fraction=0.2)",
    "ensemble5": "DeepEnsembleRegressor(n_estimators=5) -- default members",
    "mc_dropout": "GaussianNLLRegressor(dropout=0.05, mc_samples=50)",
    "sklearn_dl": "GaussianNLLRegressor, tuned protocol (1x50, batch 32, ES patience 30)",
    "sklearn_dl_hom": "the same with heteroscedastic=False",
    "ngboost": "NGBoost NGBRegressor(Normal), early stopping",
    "ngboost_defaults": "NGBoost NGBRegressor() -- its defaults",
    "sklearn_mlp": "sklearn MLPRegressor + constant sd, tuned protocol",
    "sklearn_mlp_defaults": "sklearn MLPRegressor() -- its defaults, + constant sd",
}


# -- NGBoost in its own interpreter -----------------------------------------------------------
def start_ngboost(python, datasets, splits, args):
    job = {"datasets": {n: str(DATA / "uci" / n) for n in datasets}, "splits": splits,
           "n_estimators": args.ngb_estimators, "learning_rate": 0.01,
           "early_stopping_rounds": 50, "validation_fraction": NET["validation_fraction"],
           "modes": ["early_stopping", "defaults"]}
    worker = Path(__file__).resolve().parent / "_ngboost_worker.py"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    proc = subprocess.Popen([python, str(worker)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    proc.stdin.write(json.dumps(job))
    proc.stdin.close()
    return proc


def finish_ngboost(proc):
    out = proc.stdout.read()
    if proc.wait() != 0:
        print(f"NGBoost worker failed (exit {proc.returncode}); NGBoost left out.")
        return None
    return json.loads(out.strip().splitlines()[-1])


# -- reporting --------------------------------------------------------------------------------
def mean_se(values):
    v = np.asarray(values, dtype=float)
    se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return float(v.mean()), float(se)


def fmt(m, se, digits):
    return f"{m:.{digits}f} ± {se:.{digits}f}"


def rmse_digits(name):
    return {"naval-propulsion-plant": 4, "kin8nm": 3, "wine-quality-red": 3}.get(name, 2)


def summary_tables(rows, datasets, contenders):
    by = {}
    for r in rows:
        by.setdefault((r["dataset"], r["model"]), []).append(r)
    header = ["data set", "n splits"] + [LABELS[c] for c in contenders] + [
        "Gal 2016 Dropout (published)", "Lakshminarayanan 2017 ensemble M=5 (published)",
        "NGBoost 2020 (published)", "Deep evidential 2020 (published)",
        "best published (target)"]
    tables = {}
    summary = {}
    for metric in ("nll", "rmse"):
        out_rows = []
        for d in datasets:
            cells = [d]
            n = max((len(by.get((d, c), [])) for c in contenders), default=0)
            cells.append(str(n))
            for c in contenders:
                vals = [r[metric] for r in by.get((d, c), [])]
                if not vals:
                    cells.append("not run")
                    continue
                m, se = mean_se(vals)
                summary.setdefault(d, {}).setdefault(c, {})[metric] = {
                    "mean": m, "se": se, "n": len(vals)}
                cells.append(fmt(m, se, 2 if metric == "nll" else rmse_digits(d)))
            g = GAL2016_DROPOUT.get(d)
            e = LAKSHMINARAYANAN2017_ENSEMBLE5.get(d)
            if metric == "nll":
                cells.append(f"{-g[0]:.2f} ± {g[1]:.2f}" if g else "not recorded")
                cells.append(f"{e[0]:.2f} ± {e[1]:.2f}" if e else "not recorded")
                for table in (NGBOOST2020, AMINI2020_EVIDENTIAL, BEST_PUBLISHED):
                    cells.append(f"{table[d]:.2f}" if d in table else "not recorded")
            else:
                cells.append(f"{g[2]:.2f} ± {g[3]:.2f}" if g else "not recorded")
                cells.append(f"{e[2]:.2f} ± {e[3]:.2f}" if e else "not recorded")
                cells += ["", "", ""]
            out_rows.append(cells)
        tables[metric] = md_table(header, out_rows)
    # fit time and epochs
    trow = []
    for d in datasets:
        cells = [d]
        for c in contenders:
            rs = by.get((d, c), [])
            if not rs:
                cells.append("not run")
                continue
            t = np.median([r["fit_s"] for r in rs])
            extra = ""
            if "epochs" in rs[0]:
                extra = f" ({np.median([r['epochs'] for r in rs]):.0f} epochs)"
            elif "n_iter" in rs[0]:
                extra = f" ({np.median([r['n_iter'] for r in rs]):.0f} iters)"
            cells.append(f"{t:.1f}{extra}")
        trow.append(cells)
    tables["fit_s"] = md_table(["data set"] + [LABELS[c] for c in contenders], trow)
    return tables, summary


def _main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splits", type=int, default=5, help="first k of the 20 splits")
    p.add_argument("--datasets", nargs="+", default=DATASETS)
    p.add_argument("--models", nargs="*", default=["defaults", "ensemble5", "mc_dropout",
                                                   "sklearn_mlp_defaults"],
                   choices=list(CONTENDERS))
    p.add_argument("--ngb-python", default=os.environ.get("SKLEARN_DL_NGBOOST_PYTHON"),
                   help="python of a separate venv with ngboost (default: "
                        "$SKLEARN_DL_NGBOOST_PYTHON; none: NGBoost left out)")
    p.add_argument("--ngb-estimators", type=int, default=500)
    p.add_argument("--no-ngboost", action="store_true")
    p.add_argument("--sequential", action="store_true",
                   help="run NGBoost after the networks instead of in parallel")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--out", default="uci")
    p.add_argument("--ensemble-jobs", type=int, default=None,
                   help="n_jobs of the ensemble's members (default: sequential)")
    args = p.parse_args(argv)
    ENSEMBLE_JOBS[0] = args.ensemble_jobs
    require_data(*[f"uci/{d}/index_test_{args.splits - 1}.txt" for d in args.datasets],
                 loader="load_uci_regression")

    import torch

    torch.set_num_threads(args.threads)
    info = machine_info()
    print(f"{info['date']}  {info['cpu']}  nproc={info['nproc']}  torch {info['torch']} "
          f"sklearn {info['sklearn']} skorch {info['skorch']}")
    splits = list(range(args.splits))
    t_start = time.perf_counter()

    use_ngb = not args.no_ngboost
    if use_ngb and not (args.ngb_python and Path(args.ngb_python).exists()):
        what = (f"NGBoost interpreter {args.ngb_python} not found" if args.ngb_python
                else "no NGBoost interpreter given")
        print(f"{what}: NGBoost left out.  ngboost needs scikit-learn < 1.7, so it runs "
              "from its own virtual environment: create one with "
              "`python3 -m venv <dir> && <dir>/bin/pip install ngboost`, then pass "
              "--ngb-python <dir>/bin/python or set SKLEARN_DL_NGBOOST_PYTHON.")
        use_ngb = False
    proc = None
    if use_ngb and not args.sequential:
        proc = start_ngboost(args.ngb_python, args.datasets, splits, args)

    rows = []
    for d in args.datasets:
        for k in splits:
            X_tr, y_tr, X_te, y_te = load_split(d, k)
            for name in args.models:
                fit, evaluate = CONTENDERS[name]
                t0 = time.perf_counter()
                model, extra = fit(X_tr, y_tr, k)
                fit_s = time.perf_counter() - t0
                nll, rmse = evaluate(model, X_te, y_te)
                rows.append({"dataset": d, "split": k, "model": name, "nll": nll,
                             "rmse": rmse, "fit_s": fit_s, **extra})
                print(f"  {name:15s} {d} split {k}: nll {nll:.3f} rmse {rmse:.4f} "
                      f"({fit_s:.1f} s, {extra})", flush=True)

    ngb_versions = None
    if use_ngb:
        if proc is None:
            proc = start_ngboost(args.ngb_python, args.datasets, splits, args)
        res = finish_ngboost(proc)
        if res is not None:
            ngb_versions = res["versions"]
            rows += [{"model": "ngboost", **r} for r in res["rows"]]
    contenders = list(args.models) + (["ngboost", "ngboost_defaults"] if ngb_versions else [])
    order = ["defaults", "defaults_vf2", "ensemble5", "mc_dropout", "sklearn_dl", "sklearn_dl_hom",
             "ngboost_defaults", "ngboost", "sklearn_mlp_defaults", "sklearn_mlp"]
    contenders = [c for c in order if c in contenders]

    total = time.perf_counter() - t_start
    tables, summary = summary_tables(rows, args.datasets, contenders)
    print(f"\nTest NLL (lower is better), mean ± s.e. over {len(splits)} splits\n")
    print(tables["nll"])
    print(f"\nTest RMSE, mean ± s.e. over {len(splits)} splits\n")
    print(tables["rmse"])
    print("\nMedian fit time per split, seconds (median epochs / boosting iterations)\n")
    print(tables["fit_s"])
    print(f"\ntotal run time {total / 60:.1f} min")

    RESULTS_DIR.mkdir(exist_ok=True)
    with open(RESULTS_DIR / f"{args.out}_splits.csv", "w", newline="") as f:
        keys = ["dataset", "split", "model", "nll", "rmse", "fit_s", "epochs",
                "best_epoch", "n_iter", "sd"]
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    write_json(f"{args.out}.json", {
        "machine": info, "ngboost_env": ngb_versions, "args": vars(args),
        "protocol": NET, "total_s": total, "summary": summary, "tables": tables,
        "published": {"gal2016_dropout_LL_LLse_RMSE_RMSEse": GAL2016_DROPOUT,
                      "lakshminarayanan2017_ensemble5_NLL_err_RMSE_err":
                          LAKSHMINARAYANAN2017_ENSEMBLE5,
                      "ngboost2020_NLL": NGBOOST2020,
                      "amini2020_evidential_NLL": AMINI2020_EVIDENTIAL,
                      "best_published_NLL": BEST_PUBLISHED}})


def main(argv=None):
    # One thread everywhere: torch (set in _main) and the BLAS/OpenMP pools that numpy,
    # scikit-learn and torch use, so that no contender gets the second core.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _main(argv)


if __name__ == "__main__":
    main()
