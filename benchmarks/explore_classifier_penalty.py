"""Screen: the small-data L2 penalty of ``NNClassifier()`` as a function of the data.

``weight_decay="auto"`` gives every MLP with hidden layers below 5,000 rows the same
1e-3.  Breast cancer (30 features, ~400 training rows) wants about 1e-2 (test log loss
0.097 against 0.121), banknote (4 features, ~1,000 rows) is hurt by it (0.053 against
0.008).  The screen compares fixed penalties with one that grows with the features per
training row, ``c * n_features / n_rows`` (clipped to [1e-3, 3e-2]): the first layer's
weights are what overfit, and there are ``n_features`` of them per hidden unit.

Data: banknote (4 features and the course's two), scikit-learn's breast cancer, wine,
iris and digits; stratified 70/30 splits as in ``bench_classification.py``; test log
loss and accuracy (mean ± s.e.), next to scikit-learn's ``MLPClassifier()`` and
``LogisticRegression()`` (in a ``StandardScaler`` pipeline).

Usage::

    .venv/bin/python benchmarks/explore_classifier_penalty.py --splits 5
    .venv/bin/python benchmarks/explore_classifier_penalty.py --splits 5 --only-extra \
        --extra validation_fraction=0.2 --out explore_classifier_validation.json
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, md_table, write_json  # noqa: E402


def datasets():
    from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine

    from sklearn_dl.datasets import load_banknote

    X, y = load_banknote(return_X_y=True)
    out = {"banknote": (X, y), "banknote (2 features)": (X[:, [1, 3]], y)}
    for name, loader in (("breast cancer", load_breast_cancer), ("wine", load_wine),
                         ("iris", load_iris), ("digits", load_digits)):
        out[name] = loader(return_X_y=True)
    return out


def rule(c):
    def penalty(n_rows, n_features):
        return float(np.clip(c * n_features / n_rows, 1e-3, 3e-2))
    return penalty


SETTINGS = {
    "auto (1e-3)": None,
    "3e-3": 3e-3,
    "1e-2": 1e-2,
    "0.1 p/n": rule(0.1),
    "0.2 p/n": rule(0.2),
}


def _parse_setting(text):
    """``"validation_fraction=0.2,weight_decay=3e-3"`` -> a dict of NNClassifier
    parameters (numbers where they parse as numbers)."""
    out = {}
    for part in text.split(","):
        key, value = part.split("=")
        try:
            value = float(value)
        except ValueError:
            pass
        out[key] = value
    return out


def contenders(seed, n_rows, n_features, extra=(), only_extra=False):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_dl import NNClassifier

    out = {"auto (1e-3)": (NNClassifier(random_state=seed), "auto")} if only_extra else {}
    for text in extra:
        out[text] = (NNClassifier(random_state=seed, **_parse_setting(text)), None)
    if only_extra:
        return out
    for name, wd in SETTINGS.items():
        value = "auto" if wd is None else wd(n_rows, n_features) if callable(wd) else wd
        out[name] = (NNClassifier(weight_decay=value, random_state=seed), value)
    out["MLPClassifier()"] = (make_pipeline(StandardScaler(),
                                            MLPClassifier(random_state=seed)), None)
    out["LogisticRegression()"] = (make_pipeline(StandardScaler(), LogisticRegression()),
                                   None)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--datasets", nargs="+")
    p.add_argument("--extra", nargs="+", default=[],
                   help="more NNClassifier settings, e.g. validation_fraction=0.2")
    p.add_argument("--only-extra", action="store_true",
                   help="only the defaults and the --extra settings")
    p.add_argument("--out", default="explore_classifier_penalty.json")
    args = p.parse_args(argv)
    import torch
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    info = machine_info()
    rows = []
    data = datasets()
    names = args.datasets or list(data)
    with threadpool_limits(limits=1):
        for dname in names:
            X, y = data[dname]
            for k in range(args.splits):
                Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=k,
                                                      stratify=y)
                for name, (est, wd) in contenders(k, *Xtr.shape, args.extra,
                                                      args.only_extra).items():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        est.fit(Xtr, ytr)
                    proba = est.predict_proba(Xte)
                    row = dict(dataset=dname, split=k, model=name, weight_decay=wd,
                               log_loss=float(log_loss(yte, proba, labels=est.classes_)),
                               accuracy=float(accuracy_score(yte, est.predict(Xte))))
                    rows.append(row)
                    print(row, flush=True)
    models = list(dict.fromkeys(r["model"] for r in rows))
    table = []
    for dname in names:
        line = [dname]
        for m in models:
            v = np.array([r["log_loss"] for r in rows
                          if r["dataset"] == dname and r["model"] == m])
            line.append(f"{v.mean():.4f} ± {v.std(ddof=1) / np.sqrt(len(v)):.4f}")
        table.append(line)
    text = md_table(["data (test log loss)"] + models, table)
    print(text)
    write_json(args.out, dict(machine=info, args=vars(args), rows=rows, table=text))


if __name__ == "__main__":
    main()
