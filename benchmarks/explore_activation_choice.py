"""Screen: would choosing the activation on the validation split help the small-data
defaults?

``GaussianNLLRegressor()`` with its defaults but for ``activation``, fitted once per
candidate activation on each UCI split; the candidate with the best validation score
(``best_validation_score_``, minus the validation NLL of the restored epoch) is "chosen",
as ``dropout="auto"`` chooses its rate on 5,000+ rows.  Reports each candidate's test NLL,
the chosen one's and an oracle's (the best test NLL per split), mean and standard error.

``--hidden`` also varies the hidden layers (candidates ``activation/layers``), and
``--dropouts`` with it the dropout rate (``activation/layers/rate``).

Usage::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/explore_activation_choice.py \
        --datasets bostonHousing concrete wine-quality-red --activations relu elu --splits 5
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine_info, mean_se, write_json  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+",
                   default=["bostonHousing", "concrete", "wine-quality-red"])
    p.add_argument("--activations", nargs="+", default=["relu", "elu"])
    p.add_argument("--hidden", nargs="+", default=None,
                   help="also vary the hidden layers, e.g. 100 100-100; candidates are "
                        "then named activation/layers (default: the estimator's 'auto')")
    p.add_argument("--dropouts", nargs="+", type=float, default=None,
                   help="also vary the dropout rate; candidates are then named "
                        "activation/layers/rate (needs --hidden)")
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--first-split", type=int, default=0,
                   help="run splits first-split .. first-split + splits - 1")
    p.add_argument("--out", default="explore_activation_choice.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    from sklearn_dl import GaussianNLLRegressor
    from sklearn_dl.datasets import load_uci_regression
    from sklearn_dl.metrics import mean_nll

    rows, summary = [], []
    for name in args.datasets:
        configs = {a: dict(activation=a) for a in args.activations}
        if args.hidden:
            configs = {f"{a}/{h}": dict(activation=a, hidden_layer_sizes=tuple(
                int(u) for u in h.split("-"))) for a in args.activations for h in args.hidden}
        if args.hidden and args.dropouts:
            configs = {f"{n}/{r:g}": dict(c, dropout=r)
                       for n, c in configs.items() for r in args.dropouts}
        per = {a: [] for a in list(configs) + ["chosen", "oracle"]}
        for k in range(args.first_split, args.first_split + args.splits):
            X_tr, X_te, y_tr, y_te = load_uci_regression(name, split=k, data_home=DATA,
                                                         return_X_y=True)
            fits = {}
            for act, params in configs.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reg = GaussianNLLRegressor(**params, random_state=k).fit(X_tr, y_tr)
                fits[act] = (reg.best_validation_score_,
                             float(mean_nll(y_te, reg.predict_dist(X_te))),
                             float(np.sqrt(np.mean((reg.predict(X_te) - y_te) ** 2))))
                per[act].append(fits[act][1])
            chosen = max(fits, key=lambda a: fits[a][0])
            per["chosen"].append(fits[chosen][1])
            per["oracle"].append(min(f[1] for f in fits.values()))
            rows.append(dict(data=name, split=k, chosen=chosen,
                             **{f"{a}_valid_score": fits[a][0] for a in fits},
                             **{f"{a}_test_nll": fits[a][1] for a in fits},
                             **{f"{a}_test_rmse": fits[a][2] for a in fits}))
            print(f"{name:16s} split {k}: " + ", ".join(
                f"{a} valid {fits[a][0]:.3f} test {fits[a][1]:.3f}" for a in fits)
                + f" -> {chosen}", flush=True)
        line = {a: mean_se(v) for a, v in per.items()}
        summary.append(dict(data=name, **{a: m for a, (m, _) in line.items()},
                            **{f"{a}_se": s for a, (_, s) in line.items()}))
        print(f"{name:16s} " + "  ".join(f"{a} {m:.3f} ± {s:.3f}"
                                         for a, (m, s) in line.items()), flush=True)
    write_json(args.out, dict(machine=machine_info(), args=vars(args), rows=rows,
                              summary=summary))


if __name__ == "__main__":
    main()
