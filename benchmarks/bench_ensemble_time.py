"""Where a parallel deep ensemble's fit time goes on small data.

Issue 11's target: a 5-member ``DeepEnsembleRegressor`` with ``n_jobs=2`` fits in at most
``n_estimators / n_jobs`` single fits plus 10 % (2.75x).  ``bench_uci.py`` measures the
ratio split by split, which mixes three things this script separates, on one UCI split:

* ``cold``: the first parallel fit of the process (joblib's workers start and import
  torch and sklearn_dl);
* ``warm``: the same ensemble fitted again (the workers are reused);
* ``members``: each member's own fit alone in this process (with every comparison its
  own fit makes, also under ``--body-choice shared``, where the ensemble's members but
  the first fit only the first member's choice), and the makespan a greedy
  two-worker schedule of those times would reach (the floor for whole-member jobs);
  their mean is the expected time of one fit (the default seed's ``single`` fit is one
  draw of it: how soon early stopping ends a fit varies with the seed);
* ``pair``: the default fit run twice at once, one copy per worker, each copy timed in
  its worker: what running side by side does to a fit's time on this machine (shared
  caches and memory bandwidth may slow it; the runs so far scatter around 1x);

all against ``single``: one default fit.  Repetitions interleave single and warm fits.

Usage::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/bench_ensemble_time.py \
        --datasets bostonHousing concrete wine-quality-red --reps 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine_info, md_table, write_json  # noqa: E402


def _timed(fit):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit()
    return time.perf_counter() - start, result


def greedy_makespan(durations, workers):
    """Finish time of jobs taken in order by the first free worker (joblib's way)."""
    loads = [0.0] * workers
    for d in durations:
        loads[loads.index(min(loads))] += d
    return max(loads)


def _fit_seconds(est, X, y):
    """Fit ``est`` and return how long it took (runs in a joblib worker)."""
    return _timed(lambda: est.fit(X, y))[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+",
                   default=["bostonHousing", "concrete", "wine-quality-red"])
    p.add_argument("--split", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--n-estimators", type=int, default=5)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--body-choice", default="shared", choices=["shared", "each"],
                   help="the ensembles' body_choice (members' 'auto' body comparisons)")
    p.add_argument("--out", default="ensemble_time.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    from joblib import Parallel, delayed
    from sklearn.base import clone

    from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
    from sklearn_dl.datasets import load_uci_regression

    info = machine_info()
    rows, table = [], []
    for name in args.datasets:
        X, _, y, _ = load_uci_regression(name, split=args.split, data_home=DATA,
                                         return_X_y=True)
        base = GaussianNLLRegressor(random_state=args.split)

        def ensemble():
            return DeepEnsembleRegressor(base, n_estimators=args.n_estimators,
                                         n_jobs=args.n_jobs, random_state=args.split,
                                         body_choice=args.body_choice)

        # the workers start with the first data set's first fit; later ones find them up
        cold, fitted = _timed(lambda: ensemble().fit(X, y))
        cold_start = not rows
        singles, warms = [], []
        for _ in range(args.reps):
            singles.append(_timed(lambda: clone(base).fit(X, y))[0])
            warms.append(_timed(lambda: ensemble().fit(X, y))[0])
        members = [_timed(lambda m=m: clone(m).fit(X, y))[0] for m in fitted.estimators_]
        pair = Parallel(n_jobs=args.n_jobs)(
            delayed(_fit_seconds)(clone(base), X, y) for _ in range(args.n_jobs))
        single = statistics.median(singles)
        floor = greedy_makespan(members, args.n_jobs)
        member_mean = statistics.mean(members)
        row = dict(data=name, n_rows=len(y), single_s=singles, warm_s=warms, cold_s=cold,
                   workers_started_here=cold_start,
                   members_s=members, greedy_makespan_s=floor,
                   warm_ratio=statistics.median(warms) / single, cold_ratio=cold / single,
                   floor_ratio=floor / single,
                   member_mean_ratio=member_mean / single,
                   warm_per_member_mean=statistics.median(warms) / member_mean,
                   pair_s=pair, side_by_side_slowdown=statistics.mean(pair) / single)
        rows.append(row)
        first = f"{cold:.2f} ({row['cold_ratio']:.2f}x)" + ("" if cold_start else ", workers up")
        table.append([name, f"{single:.2f}", first,
                      f"{statistics.median(warms):.2f} ({row['warm_ratio']:.2f}x)",
                      f"{floor:.2f} ({row['floor_ratio']:.2f}x)",
                      f"{row['member_mean_ratio']:.2f}x",
                      f"{row['warm_per_member_mean']:.2f}x",
                      f"{row['side_by_side_slowdown']:.2f}x"])
        print(table[-1], flush=True)
    md = md_table(["data", "single fit s", "ensemble, first parallel fit s",
                   "ensemble, workers reused s", "greedy schedule of the members' own times s",
                   "mean member / single", "ensemble (reused) / mean member",
                   "a fit side by side / alone"], table)
    print(md)
    write_json(args.out, dict(machine=info, args=vars(args), rows=rows, table=md))


if __name__ == "__main__":
    main()
