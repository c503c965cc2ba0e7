"""What the training checks and the progress bar cost, part by part.

``bench_overhead.py`` times whole fits with the checks on and off, but on a shared machine
its runs scatter by more than the 2 % the checks may cost.  This script times the parts
instead, inside one fitted net, and relates them to the training step they ride on:

* per batch: ``TrainingMonitor.on_batch_end`` (the non-finite batch-loss check);
* per epoch: ``TrainingMonitor.on_epoch_end`` (non-finite weights, exploding loss, a
  copy of the best weights) and ``EpochProgress.on_epoch_end`` (the tqdm bar, written
  to /dev/null);
* per fit: the loss of the starting weights and the end-of-fit check, each a forward
  pass over at most ``check_rows`` (2,048) training rows (``dataset_loss``);
* the reference: one optimisation step (``net.train_step``) on a batch.

The cost of the checks in a fit of ``E`` epochs of ``B`` batches is then
``B*E*batch_check + E*epoch_check + 2*fit_check`` against ``B*E*step``.

Usage::

    .venv/bin/python benchmarks/bench_check_cost.py                 # 20000 x 50, MLP 64-64
    .venv/bin/python benchmarks/bench_check_cost.py --n 2000 --d 20
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
import warnings

import numpy as np
import torch
from _common import machine_info, md_table, write_json


def per_call(func, repeat):
    """Median CPU seconds of one call over ``repeat`` calls, in 5 rounds."""
    rounds = []
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeat):
            func()
        rounds.append((time.process_time() - start) / repeat)
    return float(np.median(rounds))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 64])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=20, help="epochs of the fit priced")
    parser.add_argument("--out", default="check_cost.json")
    args = parser.parse_args()

    from sklearn.exceptions import ConvergenceWarning

    from sklearn_dl import NNClassifier, _skorch

    torch.set_num_threads(1)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(args.n, args.d)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    est = NNClassifier(hidden_layer_sizes=tuple(args.hidden), dropout=0.0, weight_decay=0.0,
                       max_epochs=1, batch_size=args.batch_size, standardize=False,
                       random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    net = est.net_
    monitor = _skorch.callback(net, "monitor")
    data = est._dataset(X, np.searchsorted(est.classes_, y), np.ones(len(y)), est.family_)
    batch = data.batch(torch.arange(args.batch_size))
    progress = _skorch.EpochProgress(desc="fit", total=args.epochs).initialize()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        progress.on_train_begin(net)
        parts = {
            "step": per_call(lambda: net.train_step(batch), 200),
            "batch_check": per_call(lambda: monitor.on_batch_end(net, training=True), 20000),
            "epoch_check": per_call(lambda: monitor.on_epoch_end(net), 200),
            "progress_epoch": per_call(lambda: progress.on_epoch_end(net), 200),
            "fit_check": per_call(lambda: _skorch.dataset_loss(
                net, data, max_rows=monitor.check_rows), 20),
        }
        progress.on_train_end(net)
    batches = -(-args.n // args.batch_size)
    train = batches * args.epochs * parts["step"]
    checks = (batches * args.epochs * parts["batch_check"]
              + args.epochs * parts["epoch_check"] + 2 * parts["fit_check"])
    progress_cost = args.epochs * parts["progress_epoch"]
    share = {"checks": checks / train, "progress": progress_cost / train}
    rows = [[name, f"{1e6 * sec:.1f}"] for name, sec in parts.items()]
    print(md_table(["part", "CPU µs per call"], rows))
    print(f"\nA fit of {args.epochs} epochs x {batches} batches ({args.n} x {args.d}, MLP "
          f"{tuple(args.hidden)}): steps {train:.2f} s; checks {100 * share['checks']:.2f} "
          f"%, progress bar {100 * share['progress']:.2f} %")
    write_json(args.out, {"machine": machine_info(), "args": vars(args), "per_call_s": parts,
                          "share_of_training": share})


if __name__ == "__main__":
    main()
