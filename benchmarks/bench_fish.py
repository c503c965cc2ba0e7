"""Camper fish counts: Poisson, negative binomial and zero-inflated Poisson heads.

The course's count-regression case: 250 groups of campers, the number of fish caught
(``count``) from ``livebait, camper, persons, child``; the course's split
``train_test_split(test_size=0.2, random_state=42)`` (200 training, 50 test rows).  The
course reports a test NLL of about 2.70 for the Poisson GLM and 2.24 for a
zero-inflated Poisson: most zeros come from groups that did not fish at all.

Contenders (test NLL = ``-mean log p(y_test)``, in nats per group):

* ``statsmodels``: Poisson GLM, NB2 regression (``NegativeBinomial``) and a ZIP with the
  four features in both the count and the zero model -- the classical references,
  fitted by maximum likelihood (deterministic);
* ``marginal``: each family's constant (null) model, ``Family.marginal_raw`` on the
  training counts -- the floor to beat;
* ``sklearn_dl``: ``PoissonNLLRegressor(hidden_layer_sizes=())`` (the Poisson GLM by
  gradient descent), ``NNRegressor(family=...)`` with ``"poisson"``,
  ``"negative_binomial"`` (one dispersion) and ``"zero_inflated_poisson"`` (rate and
  zero probability from the network), each linear (``hidden_layer_sizes=()``) and with
  one hidden layer of 32 ReLU units; ``--seeds`` seeds, mean and standard error.

Two training settings for every network, both reported:

* ``defaults``: only ``hidden_layer_sizes`` and ``random_state`` set, the estimators'
  ``"auto"`` plan: on 200 rows that is batch 32, lr 1e-3, 8,000 steps (1,143 epochs);
  early stopping on 20 held-out rows (patience a tenth of the epochs) for the
  hidden-layer nets, training to convergence on all rows for the linear ones;
* ``tuned``: fixed a priori (not searched on the test set): full batch, no early
  stopping, 300 epochs, lr 0.05 for the linear models (plain GLM fitting) and lr 0.01
  for the hidden-layer ones.

Data: ``$SKLEARN_DL_DATA/fish.csv`` (or ``$SKLEARN_DL_SHARED/data/fish.csv``); run from
the repository root with ``SKLEARN_DL_DATA=../shared/data``.  One torch thread.

Usage::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/bench_fish.py
    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/bench_fish.py --seeds 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, machine_info, md_table, write_json  # noqa: E402

FEATURES = ["livebait", "camper", "persons", "child"]
TARGET = "count"
COURSE = {"Poisson GLM": 2.70, "ZIP": 2.24}
HIDDEN = (32,)


def fish_csv():
    """The fish data's location from the environment, or None."""
    if os.environ.get("SKLEARN_DL_DATA"):
        return Path(os.environ["SKLEARN_DL_DATA"]) / "fish.csv"
    if os.environ.get("SKLEARN_DL_SHARED"):
        return Path(os.environ["SKLEARN_DL_SHARED"]) / "data" / "fish.csv"
    return None


def load_split():
    import pandas as pd
    from sklearn.model_selection import train_test_split

    path = fish_csv()
    if path is None or not path.exists():
        print(f"SKIP: fish.csv not found ({path}); set SKLEARN_DL_DATA to the folder "
              "holding it (e.g. SKLEARN_DL_DATA=../shared/data).")
        sys.exit(0)
    data = pd.read_csv(path)
    X = data[FEATURES].to_numpy(dtype=np.float64)
    y = data[TARGET].to_numpy(dtype=np.float64)
    return train_test_split(X, y, test_size=0.2, random_state=42)


def statsmodels_references(X_train, X_test, y_train, y_test):
    import statsmodels.api as sm
    from scipy import stats
    from statsmodels.discrete.count_model import ZeroInflatedPoisson

    A_train, A_test = sm.add_constant(X_train), sm.add_constant(X_test)
    out = {}
    glm = sm.GLM(y_train, A_train, family=sm.families.Poisson()).fit()
    out["Poisson GLM"] = -sm.Poisson(y_test, A_test).loglikeobs(glm.params).mean()
    nb = sm.NegativeBinomial(y_train, A_train).fit(disp=0, maxiter=500)
    # scipy on the fitted coefficients: a fresh statsmodels NegativeBinomial model reads
    # the last parameter as log(alpha) in loglikeobs (its _transparams flag), which
    # would score the test set under a different dispersion
    mean, alpha = np.exp(A_test @ nb.params[:-1]), nb.params[-1]
    out["NB2 regression"] = -stats.nbinom(1.0 / alpha, 1.0 / (1.0 + alpha * mean)).logpmf(
        y_test).mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the ZIP optimiser
        zip_ = ZeroInflatedPoisson(y_train, A_train, exog_infl=A_train).fit(
            disp=0, maxiter=1000)
    out["ZIP"] = -ZeroInflatedPoisson(y_test, A_test, exog_infl=A_test).loglikeobs(
        zip_.params).mean()
    return {k: float(v) for k, v in out.items()}


def marginal_references(y_train, y_test):
    """Test NLL of each family's marginal (constant) model fitted on the training counts:
    the floor a network must beat."""
    import torch

    from sklearn_dl.families import get_family

    out = {}
    for name in ("poisson", "negative_binomial", "zero_inflated_poisson"):
        family = get_family(name)
        raw = np.tile(family.marginal_raw(y_train), (len(y_test), 1))
        with torch.no_grad():
            out[f"marginal {name}"] = float(family.nll(torch.as_tensor(raw),
                                                       torch.as_tensor(y_test)))
    return out


def network_models():
    """(label, family, hidden layers) of the sklearn_dl contenders."""
    return [
        ("PoissonNLLRegressor, linear", "poisson_estimator", ()),
        ("poisson, linear", "poisson", ()),
        ("poisson, hidden", "poisson", HIDDEN),
        ("negative_binomial, linear", "negative_binomial", ()),
        ("negative_binomial, hidden", "negative_binomial", HIDDEN),
        ("zero_inflated_poisson, linear", "zero_inflated_poisson", ()),
        ("zero_inflated_poisson, hidden", "zero_inflated_poisson", HIDDEN),
    ]


def make_estimator(family, hidden, setting, seed):
    from sklearn_dl import NNRegressor, PoissonNLLRegressor

    params = dict(hidden_layer_sizes=hidden, random_state=seed)
    if setting == "tuned":
        params.update(lr=0.05 if hidden == () else 0.01, batch_size=200, max_epochs=300,
                      early_stopping=False)
    if family == "poisson_estimator":
        return PoissonNLLRegressor(**params)
    return NNRegressor(family=family, **params)


def run(seeds):
    import torch

    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = load_split()
    refs = {f"statsmodels {k}": v for k, v in
            statsmodels_references(X_train, X_test, y_train, y_test).items()}
    refs.update(marginal_references(y_train, y_test))
    for k, v in refs.items():
        print(f"{k:40s} test NLL {v:.3f}", flush=True)
    rows = []
    for setting in ("defaults", "tuned"):
        for label, family, hidden in network_models():
            nlls, times, epochs = [], [], []
            for seed in range(seeds):
                est = make_estimator(family, hidden, setting, seed)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(X_train, y_train)
                times.append(time.perf_counter() - start)
                nlls.append(-est.predict_dist(X_test).log_likelihood(y_test).mean())
                epochs.append(est.n_iter_)
            row = dict(setting=setting, model=label, family=family, hidden=list(hidden),
                       nll=nlls, nll_mean=float(np.mean(nlls)),
                       nll_se=float(np.std(nlls, ddof=1) / np.sqrt(len(nlls)))
                       if len(nlls) > 1 else float("nan"),
                       epochs_mean=float(np.mean(epochs)), fit_seconds_mean=float(np.mean(times)))
            rows.append(row)
            print(f"{setting:8s} {label:32s} test NLL {row['nll_mean']:.3f} "
                  f"+- {row['nll_se']:.3f}  ({row['epochs_mean']:.0f} epochs, "
                  f"{row['fit_seconds_mean']:.1f} s)", flush=True)
    return refs, rows, len(y_train), len(y_test)


def markdown(info, refs, rows, n_train, n_test, seeds, command):
    lines = [
        "# Camper fish counts: Poisson, negative binomial and zero-inflated heads",
        "",
        f"Date {info['date']}; machine: {info['cpu']}, {info['nproc']} cores (shared; "
        f"load average at start {info.get('loadavg_at_start', ('?',))[0]:.1f}), torch "
        f"{info['torch']}, one torch thread; commit {info.get('git_commit')}.",
        "",
        f"Command: `{command}`",
        "",
        f"The course's split of `fish.csv`: train_test_split(test_size=0.2, random_state=42), "
        f"{n_train} training and {n_test} test groups; features livebait, camper, persons, "
        "child; target count.  Test NLL in nats per group (lower is better).  Networks: "
        f"mean +- standard error over {seeds} seeds.  `defaults` = the estimators' "
        "`\"auto\"` plan (8,000 steps at batch 32, lr 1e-3; early stopping on 20 held-out "
        "rows for the hidden-layer nets, none for the linear ones); `tuned` = "
        "full batch, no early stopping, 300 epochs, lr 0.05 (linear) / 0.01 (one hidden "
        "layer of 32), fixed before looking at the test set.",
        "",
        "## References",
        "",
        md_table(["model", "test NLL", "course"],
                 [[k, f"{v:.3f}", f"{COURSE[k[12:]]:.2f}" if k[12:] in COURSE else ""]
                  for k, v in refs.items()]),
        "",
        "## sklearn_dl",
        "",
        md_table(["model", "test NLL (defaults)", "test NLL (tuned)", "epochs (defaults)",
                  "fit s (defaults / tuned)"],
                 _paired(rows)),
        "",
    ]
    return "\n".join(lines)


def _paired(rows):
    by = {(r["setting"], r["model"]): r for r in rows}
    out = []
    for label, _, _ in network_models():
        d, t = by[("defaults", label)], by[("tuned", label)]
        out.append([label, f"{d['nll_mean']:.3f} +- {d['nll_se']:.3f}",
                    f"{t['nll_mean']:.3f} +- {t['nll_se']:.3f}", f"{d['epochs_mean']:.0f}",
                    f"{d['fit_seconds_mean']:.1f} / {t['fit_seconds_mean']:.1f}"])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    info = machine_info()
    refs, rows, n_train, n_test = run(args.seeds)
    env = " ".join(f"{k}={os.environ[k]}" for k in ("SKLEARN_DL_DATA", "SKLEARN_DL_SHARED")
                   if os.environ.get(k))
    command = (f"{env} .venv/bin/python benchmarks/bench_fish.py"
               + (f" --seeds {args.seeds}" if args.seeds != 5 else "")).strip()
    write_json("fish.json", dict(machine=info, command=command, seeds=args.seeds,
                                 n_train=n_train, n_test=n_test, course=COURSE,
                                 statsmodels=refs, networks=rows))
    md = markdown(info, refs, rows, n_train, n_test, args.seeds, command)
    (BENCH_DIR / "RESULTS_fish.md").write_text(md)
    print("wrote benchmarks/RESULTS_fish.md")


if __name__ == "__main__":
    main()
