"""Classification with defaults: NNClassifier() against scikit-learn's defaults.

Every contender with **no** parameter set (only the seed): ``NNClassifier()``,
``NNClassifier(hidden_layer_sizes=())`` (the course's logistic-regression network),
``LogisticRegression()``, ``MLPClassifier()`` and ``RandomForestClassifier()``; the linear
and MLP models of scikit-learn in a ``StandardScaler`` pipeline as their documentation
recommends (sklearn_dl standardises inside the network).  Data: banknote (4 features,
and the course's two features skewness and entropy), scikit-learn's breast cancer; 5
stratified 70/30 splits; test accuracy and log loss (mean ± s.e.), fit time.

Usage::

    .venv/bin/python benchmarks/bench_classification.py --splits 5
    .venv/bin/python benchmarks/bench_classification.py --splits 5 --ensemble \
        --out classification_ensemble.json
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, md_table, write_json  # noqa: E402


def datasets():
    from sklearn.datasets import load_breast_cancer

    from sklearn_dl.datasets import load_banknote

    X, y = load_banknote(return_X_y=True)
    Xc, yc = load_breast_cancer(return_X_y=True)
    return {"banknote (4 features)": (X, y),
            "banknote (skewness, entropy)": (X[:, [1, 3]], y),
            "breast cancer": (Xc, yc)}


def contenders(seed, with_ensemble=False):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_dl import DeepEnsembleClassifier, NNClassifier

    every = {
        "NNClassifier()": NNClassifier(random_state=seed),
        "NNClassifier(hidden_layer_sizes=())": NNClassifier(hidden_layer_sizes=(),
                                                            random_state=seed),
        "LogisticRegression()": make_pipeline(StandardScaler(), LogisticRegression()),
        "MLPClassifier()": make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)),
        "RandomForestClassifier()": RandomForestClassifier(random_state=seed),
    }
    if with_ensemble:  # the single net, the ensemble of five, scikit-learn's MLP
        return {"NNClassifier()": every["NNClassifier()"],
                "DeepEnsembleClassifier(n_jobs=2)": DeepEnsembleClassifier(
                    n_jobs=2, random_state=seed),
                "MLPClassifier()": every["MLPClassifier()"]}
    return every


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--ensemble", action="store_true",
                   help="instead: NNClassifier() against a default 5-member "
                        "DeepEnsembleClassifier (two workers) and MLPClassifier()")
    p.add_argument("--out", default="classification_defaults.json")
    args = p.parse_args(argv)
    import torch
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    info = machine_info()
    rows = []
    with threadpool_limits(limits=1):
        for dname, (X, y) in datasets().items():
            for k in range(args.splits):
                Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=k,
                                                      stratify=y)
                for name, est in contenders(k, args.ensemble).items():
                    t0 = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        est.fit(Xtr, ytr)
                    fit_s = time.perf_counter() - t0
                    proba = est.predict_proba(Xte)
                    rows.append({"data": dname, "split": k, "model": name,
                                 "accuracy": float(est.score(Xte, yte)),
                                 "train_accuracy": float(est.score(Xtr, ytr)),
                                 "log_loss": float(log_loss(yte, proba)), "fit_s": fit_s})
                    print(f"{dname:30s} {name:38s} s{k} acc {rows[-1]['accuracy']:.4f} "
                          f"nll {rows[-1]['log_loss']:.4f} ({fit_s:.1f} s)", flush=True)
    names = list(contenders(0, args.ensemble))
    data = list(datasets())
    tables = {}
    for metric, digits in (("accuracy", 4), ("log_loss", 4), ("train_accuracy", 4),
                           ("fit_s", 1)):
        out = []
        for name in names:
            cells = [name]
            for d in data:
                v = np.array([r[metric] for r in rows if r["model"] == name and r["data"] == d])
                se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
                cells.append(f"{v.mean():.{digits}f} ± {se:.{digits}f}")
            out.append(cells)
        tables[metric] = md_table(["model"] + data, out)
        print(f"\n{metric}\n{tables[metric]}")
    write_json(args.out, {"machine": info, "args": vars(args), "rows": rows,
                          "tables": tables})


if __name__ == "__main__":
    main()
