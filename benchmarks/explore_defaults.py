"""Search for the default training recipe ("auto" epochs / batch size / early stopping).

Research script, not part of the package: every candidate rule is *simulated* with the
estimators' existing explicit parameters (``hidden_layer_sizes``, ``lr``, ``batch_size``,
``max_epochs``, ``early_stopping``, ``patience``, ``validation_fraction``,
``weight_decay``, ``optimizer``, ``dropout``, ``callbacks``); meta-strategies (a budget
in optimisation steps, a refit on all the data for the early-stopped number of epochs,
LR schedules through skorch's ``LRScheduler``) are carried out here.

A candidate is a rule ``(n_samples, n_features, family, linear body?) -> parameters``
written as a spec string ``key=value,...`` (see ``RULE_DEFAULTS`` and
:func:`resolve`), e.g. ``steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1,refit=1``.
Named candidates are in ``CANDIDATES``; ``--candidates`` takes names or raw specs.

Data: the data home of ``sklearn_dl.datasets`` (``$SKLEARN_DL_DATA``; on the development
machines ``SKLEARN_DL_DATA=../shared/data``), as for the other benchmarks:

* ``uci:<name>`` -- standard UCI splits (bostonHousing, concrete, wine-quality-red,
  kin8nm, naval-propulsion-plant), GaussianNLLRegressor; test NLL in original units
  and RMSE;
* ``fish_glm`` / ``fish_mlp`` -- course fish counts, ``train_test_split(test_size=0.2,
  random_state=42)``; PoissonNLLRegressor with ``hidden_layer_sizes=()`` (the GLM) and
  with the candidate's hidden layers; seeds vary the network;
* ``bike_time`` / ``bike_random`` -- bench_poisson.py's protocol (one-hot features),
  PoissonNLLRegressor; Poisson deviance and NLL;
* ``banknote2`` -- the course's logistic NN on WaveletSkewness and Entropy, fitted on
  all 1,372 rows, training accuracy and NLL reported (as the course does);
* ``banknote4`` / ``cancer`` -- NNClassifier on stratified 75/25 splits of banknote (4
  features) and sklearn's breast cancer; test accuracy and log loss.

Usage (from the repository root)::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/explore_defaults.py \
        --data uci:bostonHousing fish_glm \
        --candidates today bench S8k --splits 5 --out explore_defaults_a.json
    .venv/bin/python benchmarks/explore_defaults.py --report   # markdown from all JSON
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH_DIR))
from _common import DATA, RESULTS_DIR, machine_info, md_table  # noqa: E402

UCI = ["bostonHousing", "concrete", "wine-quality-red", "kin8nm", "naval-propulsion-plant"]

# Deep-ensembles paper (Lakshminarayanan et al. 2017, Table 1, M=5 ensemble) test NLL:
# the target for the default *single* network.
TARGET_NLL = {"bostonHousing": 2.41, "concrete": 3.06, "kin8nm": -1.20,
              "naval-propulsion-plant": -5.63, "wine-quality-red": 0.94}


# =====================================================================================
# data
# =====================================================================================
class Task:
    """One data set: ``kind`` in {normal, poisson, class}; ``splits(k)`` yields
    ``(X_tr, y_tr, X_te, y_te, seed)``; ``linear`` forces ``hidden_layer_sizes=()``."""

    def __init__(self, name, kind, splits, linear=False, train_metrics=False):
        self.name, self.kind, self._splits = name, kind, splits
        self.linear, self.train_metrics = linear, train_metrics

    def splits(self, k):
        return self._splits(k)


def _uci(name):
    d = DATA / "uci" / name
    cache = {}

    def splits(k):
        if "data" not in cache:
            cache["data"] = np.loadtxt(d / "data.txt")
        data = cache["data"]
        fi = np.loadtxt(d / "index_features.txt").astype(int)
        ti = int(np.loadtxt(d / "index_target.txt"))
        X, y = data[:, fi], data[:, ti]
        for s in range(k):
            tr = np.loadtxt(d / f"index_train_{s}.txt").astype(int)
            te = np.loadtxt(d / f"index_test_{s}.txt").astype(int)
            yield X[tr], y[tr], X[te], y[te], s
    return Task(f"uci:{name}", "normal", splits)


def _fish(linear):
    def splits(k):
        import pandas as pd
        from sklearn.model_selection import train_test_split

        df = pd.read_csv(DATA / "fish.csv")
        X = df[["livebait", "camper", "persons", "child"]].to_numpy(float)
        y = df["count"].to_numpy(float)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=42)
        for s in range(k):  # one split (the course's), k network seeds
            yield X_tr, y_tr, X_te, y_te, s
    return Task("fish_glm" if linear else "fish_mlp", "poisson", splits, linear=linear)


def _bike(how):
    def splits(k):
        import bench_poisson as bp

        bp.DATA = DATA  # read from this script's data folder
        X, y = bp.load()
        X_tr, y_tr, X_te, y_te = bp.split(X, y, how)
        enc = bp.onehot_encoder().fit(X_tr)
        Xtr, Xte = enc.transform(X_tr), enc.transform(X_te)
        for s in range(k):
            yield Xtr, y_tr, Xte, y_te, s
    return Task(f"bike_{how}", "poisson", splits)


def _banknote2():
    def splits(k):
        from sklearn_dl.datasets import load_banknote

        X, y = load_banknote(return_X_y=True, as_frame=True)
        X = X[["WaveletSkewness", "Entropy"]].to_numpy(float)
        y = y.to_numpy()
        for s in range(k):  # course protocol: fit on all rows, report training metrics
            yield X, y, X, y, s
    return Task("banknote2", "class", splits, linear=True, train_metrics=True)


def _classif(name):
    def splits(k):
        from sklearn.model_selection import StratifiedShuffleSplit

        if name == "banknote4":
            from sklearn_dl.datasets import load_banknote
            X, y = load_banknote(return_X_y=True)
        else:
            from sklearn.datasets import load_breast_cancer
            X, y = load_breast_cancer(return_X_y=True)
        sss = StratifiedShuffleSplit(n_splits=k, test_size=0.25, random_state=0)
        for s, (tr, te) in enumerate(sss.split(X, y)):
            yield X[tr], y[tr], X[te], y[te], s
    return Task(name, "class", splits)


def get_task(name):
    if name.startswith("uci:"):
        return _uci(name[4:])
    return {"fish_glm": lambda: _fish(True), "fish_mlp": lambda: _fish(False),
            "bike_time": lambda: _bike("time"), "bike_random": lambda: _bike("random"),
            "banknote2": _banknote2, "banknote4": lambda: _classif("banknote4"),
            "cancer": lambda: _classif("cancer")}[name]()


ALL_DATA = [f"uci:{n}" for n in UCI] + ["fish_glm", "fish_mlp", "bike_time",
                                        "bike_random", "banknote2", "banknote4", "cancer"]


# =====================================================================================
# candidate rules
# =====================================================================================
# Every key of a spec and its default.  The defaults reproduce today's estimator
# defaults, so "today" is the empty spec.
RULE_DEFAULTS = {
    "hidden": "100",     # "100", "50", "64-64", "" (linear); linear tasks force ""
    "act": "relu",
    "lr": 1e-3,          # learning rate with hidden layers
    "lr_lin": None,      # learning rate without hidden layers (None: same as lr)
    "bs": "128",         # "B" fixed, or "lo:hi:/k" = clip(n_fit // k, lo, hi)
    "steps": 0,          # step budget S; 0: use "epochs"
    "epochs": 100,       # fixed max_epochs when steps=0
    "ep_min": 1,         # clip of the epochs derived from the step budget
    "ep_max": 100000,
    "es": "inf",         # early stopping when n_samples >= es (0 always, inf never)
    "es_lin": "same",    # threshold for linear bodies ("same": as es)
    "vf": 0.1,           # validation fraction when stopping early
    "vmin": 0,           # ... raised to hold out at least vmin rows ...
    "vmax": 0.25,        # ... but never more than this fraction
    "pat": 10.0,         # patience: >= 1 epochs, < 1 share of max_epochs
    "pat_min": 5,        # lower bound of the patience in epochs (share form)
    "pat_steps": 0,      # patience in optimisation steps (overrides pat when > 0)
    "wd": 0.0,
    "wd_n": 0.0,         # > 0: weight_decay = wd_n / n_samples (an L2 prior of fixed
                         # strength, like scikit-learn's alpha); overrides wd
    "drop_n": "inf",     # dropout only when n_samples < drop_n
    "opt": "adam",
    "drop": 0.0,
    "refit": 0,          # 1: after early stopping, refit on all rows for best epochs
    "refit_scale": 1.0,  # refit epochs = round(best_epoch * refit_scale)
    "sched": "none",     # "none", "cos" (cosine to 0 over the run, per batch),
                         # "plateau" (lr/10 after pat/2 epochs without improvement)
    "hom": 0,            # 1: heteroscedastic=False (Normal family only)
}

CANDIDATES = {
    # references
    "today": "",
    "bench": "hidden=50,bs=32,epochs=500,es=0,vf=0.1,pat=30",
    "sk_mlp": "SKLEARN",   # scikit-learn MLPRegressor/MLPClassifier defaults
    "glm": "GLM",          # sklearn PoissonRegressor(alpha=0) / LogisticRegression()
    "hgb": "HGB",          # HistGradientBoosting defaults (Poisson loss / classifier)
    "bench_bike": "hidden=64-64,bs=128,epochs=200,es=0,vf=0.1,pat=20",
    # screen 1: a step budget, early stopping always, patience 10% of the epochs
    "A": "steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1",
    "A_lin01": "steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1,lr_lin=0.01",
    "A_lin03": "steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1,lr_lin=0.03",
    "A_refit": "steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1,lr_lin=0.01,refit=1",
    "A_cos": "steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1,lr_lin=0.01,sched=cos",
    "A_noes": "steps=8000,bs=32:256:/32,es=inf,lr_lin=0.01",
    "A_wd": "steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1,lr_lin=0.01,opt=adamw,wd=0.01",
    "A_50": "steps=8000,bs=32:256:/32,es=0,vf=0.1,pat=0.1,lr_lin=0.01,hidden=50",
    "A_vf2": "steps=8000,bs=32:256:/32,es=0,vf=0.2,pat=0.1,lr_lin=0.01",
    # screen 2: linear bodies never stop early; regularisation of the hidden-layer nets
    "B": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01",
    "B_l2e4": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,wd=1e-4",
    "B_l2e3": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,wd=1e-3",
    "B_l2e2": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,wd=1e-2",
    "B_aw1": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,opt=adamw,wd=0.1",
    "B_aw10": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,opt=adamw,wd=1.0",
    "B_drop": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,drop=0.1",
    "B_cos": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,sched=cos",
    "B_vf2": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,vf=0.2",
    "B_vf2cos": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,vf=0.2,sched=cos",
    "B_lr3": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,lr=3e-3",
    # screen 3: dropout 0.1 on hidden layers; at least 100 validation rows (<= 25%)
    "C": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,drop=0.1",
    "D": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,drop=0.1,vmin=100",
    "E": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,drop=0.1,vmin=100,wd=1e-2",
    # screen 4: regularisation that fades with n
    "F1": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,vmin=100,wd_n=5",
    "F2": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,vmin=100,wd_n=5,drop=0.1,drop_n=5000",
    # screen 5 (lead): the rule implemented first, and B with dropout on small data only
    "M": "steps=10000,bs=16:128:/10,es=200,vf=0.1,pat_steps=1000,pat_min=10,ep_min=100,ep_max=2000",
    "G": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,drop=0.1,drop_n=5000",
    "G_vmin": "steps=8000,bs=32:256:/32,es=0,es_lin=inf,vf=0.1,pat=0.1,lr_lin=0.01,drop=0.1,drop_n=5000,vmin=100",
}


def parse_spec(spec):
    cfg = dict(RULE_DEFAULTS)
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, _, value = item.partition("=")
        if key not in cfg:
            raise ValueError(f"unknown rule key {key!r} in {spec!r}")
        default = RULE_DEFAULTS[key]
        if isinstance(default, bool) or isinstance(default, int) and key not in ("es",):
            cfg[key] = int(float(value))
        elif isinstance(default, float) or default is None:
            cfg[key] = None if value == "None" else float(value)
        else:
            cfg[key] = value
    return cfg


def batch_size_rule(rule, n_fit):
    if ":" not in rule:
        return int(rule)
    lo, hi, div = rule.split(":")
    return int(min(max(n_fit // int(div.lstrip("/")), int(lo)), int(hi)))


def resolve(cfg, n, d, kind, linear):
    """The candidate rule: estimator parameters for ``n`` rows, plus meta settings."""
    hidden = () if linear or cfg["hidden"] == "" else tuple(
        int(h) for h in cfg["hidden"].split("-"))
    es_key = "es" if hidden or cfg["es_lin"] == "same" else "es_lin"
    early = n >= float(cfg[es_key])
    vf = min(max(cfg["vf"], cfg["vmin"] / n), max(cfg["vf"], cfg["vmax"])) if early else 0.0
    n_fit = n - int(math.ceil(vf * n)) if early else n
    bs = min(batch_size_rule(cfg["bs"], n_fit), n_fit)
    spe = math.ceil(n_fit / bs)  # steps per epoch
    if cfg["steps"] > 0:
        epochs = int(min(max(math.ceil(cfg["steps"] / spe), cfg["ep_min"]), cfg["ep_max"]))
    else:
        epochs = int(cfg["epochs"])
    if cfg["pat_steps"] > 0:
        patience = max(int(cfg["pat_min"]), math.ceil(cfg["pat_steps"] / spe))
    elif cfg["pat"] >= 1:
        patience = int(cfg["pat"])
    else:
        patience = max(int(cfg["pat_min"]), int(math.ceil(cfg["pat"] * epochs)))
    lr = cfg["lr"] if hidden or cfg["lr_lin"] is None else cfg["lr_lin"]
    params = dict(hidden_layer_sizes=hidden, activation=cfg["act"], lr=lr, batch_size=bs,
                  max_epochs=epochs, early_stopping=early, patience=patience,
                  validation_fraction=vf if early else None,
                  weight_decay=cfg["wd_n"] / n if cfg["wd_n"] > 0 else cfg["wd"],
                  optimizer=cfg["opt"],
                  dropout=cfg["drop"] if n < float(cfg["drop_n"]) else 0.0)
    if kind == "normal" and cfg["hom"]:
        params["heteroscedastic"] = False
    meta = {"steps_per_epoch": spe, "refit": bool(cfg["refit"] and early),
            "sched": cfg["sched"], "refit_scale": cfg["refit_scale"]}
    return params, meta


def _callbacks(sched, epochs, spe, patience):
    from skorch.callbacks import LRScheduler
    from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau

    if sched == "cos":
        return [LRScheduler(policy=CosineAnnealingLR, T_max=epochs * spe,
                            step_every="batch")]
    if sched == "plateau":
        return [LRScheduler(policy=ReduceLROnPlateau, monitor="valid_loss",
                            factor=0.1, patience=max(1, patience // 2))]
    return None


def _estimator(kind, params, callbacks, seed):
    from sklearn_dl import GaussianNLLRegressor, NNClassifier, PoissonNLLRegressor

    cls = {"normal": GaussianNLLRegressor, "poisson": PoissonNLLRegressor,
           "class": NNClassifier}[kind]
    return cls(**params, callbacks=callbacks, random_state=seed)


def fit_rule(cfg, task, X, y, seed):
    params, meta = resolve(cfg, len(X), X.shape[1], task.kind, task.linear)
    sched = meta["sched"]
    if sched == "plateau" and not params["early_stopping"]:
        sched = "none"  # nothing to monitor
    cbs = _callbacks(sched, params["max_epochs"], meta["steps_per_epoch"],
                     params["patience"])
    est = _estimator(task.kind, params, cbs, seed).fit(X, y)
    info = {"bs": params["batch_size"], "max_epochs": params["max_epochs"],
            "es": params["early_stopping"], "patience": params["patience"],
            "epochs": est.n_epochs_, "best_epoch": est.best_epoch_,
            "steps": est.n_epochs_ * meta["steps_per_epoch"]}
    if meta["refit"]:
        epochs = max(1, int(round(est.best_epoch_ * meta["refit_scale"])))
        n = len(X)
        spe = math.ceil(n / params["batch_size"])
        p2 = dict(params, early_stopping=False, validation_fraction=None,
                  max_epochs=epochs)
        cbs = _callbacks("cos" if sched == "cos" else "none", epochs, spe, 1)
        est = _estimator(task.kind, p2, cbs, seed).fit(X, y)
        info["refit_epochs"] = epochs
        info["steps"] += epochs * spe
    return est, info


# -- scikit-learn references ---------------------------------------------------------
class _NormalWrap:
    def __init__(self, model, sd):
        self.model, self.sd = model, sd

    def predict_dist(self, X):
        from scipy import stats
        return stats.norm(self.model.predict(X), self.sd)


class _PoissonWrap:
    def __init__(self, model):
        self.model = model

    def predict_dist(self, X):
        from scipy import stats
        return stats.poisson(np.clip(self.model.predict(X), 1e-12, None))


def fit_reference(which, task, X, y, seed):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if task.kind == "normal":
            if which != "SKLEARN":
                return None, None
            from sklearn.neural_network import MLPRegressor
            m = TransformedTargetRegressor(
                make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)),
                transformer=StandardScaler()).fit(X, y)
            sd = float(np.std(y - m.predict(X)))  # constant sd: training residuals
            return _NormalWrap(m, sd), {"epochs": m.regressor_[-1].n_iter_}
        if task.kind == "poisson":
            if which == "SKLEARN":
                from sklearn.neural_network import MLPRegressor
                if task.linear:
                    return None, None
                m = make_pipeline(StandardScaler(),
                                  MLPRegressor(loss="poisson", random_state=seed))
            elif which == "GLM":
                from sklearn.linear_model import PoissonRegressor
                m = make_pipeline(StandardScaler(), PoissonRegressor(
                    alpha=0.0, solver="newton-cholesky", max_iter=1000))
            else:
                from sklearn.ensemble import HistGradientBoostingRegressor
                m = HistGradientBoostingRegressor(loss="poisson", random_state=seed)
            return _PoissonWrap(m.fit(X, y)), {}
        # classification
        if which == "SKLEARN":
            from sklearn.neural_network import MLPClassifier
            if task.linear:
                return None, None
            m = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))
        elif which == "GLM":
            from sklearn.linear_model import LogisticRegression
            m = make_pipeline(StandardScaler(), LogisticRegression())
        else:
            from sklearn.ensemble import HistGradientBoostingClassifier
            m = HistGradientBoostingClassifier(random_state=seed)
        return m.fit(X, y), {}


# =====================================================================================
# evaluation
# =====================================================================================
def evaluate(model, kind, X, y):
    if kind == "class":
        from sklearn.metrics import accuracy_score, log_loss
        p = model.predict_proba(X)
        return {"acc": float(accuracy_score(y, model.classes_[p.argmax(1)])),
                "nll": float(log_loss(y, p, labels=model.classes_))}
    from sklearn_dl.metrics import mean_nll
    dist = model.predict_dist(X)
    mu = np.asarray(dist.mean(), dtype=float)
    out = {"nll": mean_nll(y, dist), "rmse": float(np.sqrt(np.mean((mu - y) ** 2)))}
    if kind == "poisson":
        from sklearn.metrics import mean_poisson_deviance
        out["deviance"] = float(mean_poisson_deviance(y, np.clip(mu, 1e-12, None)))
    return out


def run(args, save):
    """Fit every candidate on every split; ``save(rows)`` after each data set x
    candidate, so that an interrupted run keeps what it measured."""
    import torch

    torch.set_num_threads(1)
    rows = []
    for data_name in args.data:
        task = get_task(data_name)
        k = args.splits
        if data_name.startswith("bike"):
            k = min(k, args.bike_seeds)
        splits = list(task.splits(k))
        for cand in args.candidates:
            spec = CANDIDATES.get(cand, cand)
            for X_tr, y_tr, X_te, y_te, s in splits:
                t0, c0 = time.perf_counter(), time.process_time()
                if spec in ("SKLEARN", "GLM", "HGB"):
                    model, info = fit_reference(spec, task, X_tr, y_tr, s)
                    if model is None:
                        break
                else:
                    model, info = fit_rule(parse_spec(spec), task, X_tr, y_tr, s)
                fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
                res = evaluate(model, task.kind, X_te, y_te)
                row = {"data": data_name, "candidate": cand, "spec": spec, "split": s,
                       "n_train": len(X_tr), "fit_s": fit_s, "cpu_s": cpu_s, **res,
                       **(info or {})}
                rows.append(row)
                shown = {k_: (round(v, 4) if isinstance(v, float) else v)
                         for k_, v in row.items() if k_ not in ("spec", "data",
                                                                "candidate", "split")}
                print(f"{data_name:28s} {cand:14s} s{s} {shown}", flush=True)
            save(rows)
    return rows


# =====================================================================================
# report
# =====================================================================================
def mean_se(v):
    v = np.asarray(v, float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0


def load_all(paths=None):
    paths = paths or sorted(RESULTS_DIR.glob("explore_defaults*.json"))
    rows = []
    for p in paths:
        with open(p) as f:
            rows += [dict(r, file=p.name) for r in json.load(f)["rows"]]
    return rows


def summarize(rows):
    """{(data, candidate): {metric: (mean, se, n)}} using the latest file per pair."""
    latest = {}
    for r in rows:
        latest.setdefault((r["data"], r["candidate"]), r["file"])
        latest[(r["data"], r["candidate"])] = max(latest[(r["data"], r["candidate"])],
                                                  r["file"])
    groups = {}
    for r in rows:
        key = (r["data"], r["candidate"])
        if r["file"] == latest[key]:
            groups.setdefault(key, []).append(r)
    out = {}
    for key, rs in groups.items():
        stats = {}
        for m in ("nll", "rmse", "deviance", "acc", "fit_s", "cpu_s", "epochs", "steps"):
            vals = [r[m] for r in rs if m in r]
            if vals:
                stats[m] = (*mean_se(vals), len(vals))
        out[key] = stats
    return out


def report(rows, data=None, candidates=None):
    summ = summarize(rows)
    data = data or [d for d in ALL_DATA if any(k[0] == d for k in summ)]
    cands = candidates or list(dict.fromkeys(k[1] for k in summ))
    lines = []
    for metric, digits in (("nll", 3), ("rmse", 3), ("deviance", 2), ("acc", 4),
                           ("cpu_s", 1), ("epochs", 0)):
        rows_md = []
        for c in cands:
            cells = [c]
            for d in data:
                st = summ.get((d, c), {}).get(metric)
                cells.append("" if st is None else
                             f"{st[0]:.{digits}f} ± {st[1]:.{digits}f} ({st[2]})")
            if any(cells[1:]):
                rows_md.append(cells)
        if metric == "nll":
            rows_md.append(["*target (deep ensembles M=5)*"] + [
                f"*{TARGET_NLL[d[4:]]:.2f}*" if d[4:] in TARGET_NLL else "" for d in data])
        if rows_md:
            lines.append(f"\n**{metric}** (mean ± s.e.)\n")
            lines.append(md_table(["candidate"] + [d.replace("uci:", "") for d in data],
                                  rows_md))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", nargs="+", default=ALL_DATA)
    p.add_argument("--candidates", nargs="+", default=["today", "bench"])
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--bike-seeds", type=int, default=2)
    p.add_argument("--out", default="explore_defaults.json")
    p.add_argument("--report", nargs="*", default=None, metavar="JSON",
                   help="print tables of these result files (names under "
                        "benchmarks/results/; none: all explore_defaults*.json)")
    args = p.parse_args(argv)
    if args.report is not None:
        paths = [RESULTS_DIR / f for f in args.report] or None
        print(report(load_all(paths), candidates=None))
        return
    if not DATA.exists():
        print(f"SKIP: data folder {DATA} not found (set SKLEARN_DL_DATA).")
        return
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    machine = machine_info()
    RESULTS_DIR.mkdir(exist_ok=True)

    def save(rows, complete=False):
        payload = {"machine": machine, "argv": sys.argv[1:], "args": vars(args),
                   "candidates": {c: CANDIDATES.get(c, c) for c in args.candidates},
                   "complete": complete, "total_s": time.perf_counter() - t0,
                   "rows": rows}
        with open(RESULTS_DIR / args.out, "w") as f:
            json.dump(payload, f, indent=1, default=float)
        return payload

    with threadpool_limits(limits=1):
        rows = run(args, save)
    payload = save(rows, complete=True)
    print(report([dict(r, file=args.out) for r in rows], data=args.data,
                 candidates=args.candidates))
    print(f"total {payload['total_s'] / 60:.1f} min; wrote benchmarks/results/{args.out}")


if __name__ == "__main__":
    main()
