"""Training/prediction overhead of sklearn_dl against a hand-written PyTorch loop.

The same network, data, epochs, batch size, optimiser and loss, trained four ways:

(a) ``plain``:    a hand-written PyTorch loop (``randperm`` + tensor slicing per batch,
                  ``zero_grad``/``backward``/``step``; no per-batch ``loss.item()``), with
                  torch's default Adam (a Python loop over the parameters on the CPU) and,
                  as ``plain (fused Adam)``, with ``Adam(fused=True)``, which sklearn_dl
                  uses: the first is what a user's own loop costs, the second isolates the
                  framework's overhead;
(b) ``skorch``:   plain skorch (``NeuralNetRegressor``/``NeuralNetClassifier``) with its
                  default ``DataLoader`` iterator and default callbacks;
(c) ``sklearn_dl``: ``GaussianNLLRegressor`` / ``NNClassifier``;
(d) ``sklearn_mlp``: scikit-learn's ``MLPRegressor``/``MLPClassifier`` (same architecture,
                  Adam, lr, batch size, exactly ``epochs`` epochs) -- a reference only: its
                  loss is squared error / cross-entropy and it is a numpy implementation.

Like with like: the regression task uses the *heteroscedastic Gaussian NLL* everywhere
(network output = mean and log-sd; the plain loop and skorch use a criterion with exactly
sklearn_dl's formula, log-sd clamped to [-20, 20]); the classification task (3 classes)
uses softmax cross-entropy everywhere.  The data are pre-standardised and sklearn_dl runs
with ``standardize=False`` so that nobody does extra work (the row ``sklearn_dl
(standardize=True)`` shows the cost of the default in-network input scaling).  skorch runs
with ``train_split=None`` (sklearn_dl holds out nothing by default either) and
``verbose=0``.  sklearn_dl's targets (y standardisation for the regressor, label encoding
for the classifier) and its float64 sample-weight bookkeeping are part of its ``fit``.

Timing: ``torch.set_num_threads(1)`` and ``threadpoolctl.threadpool_limits(1)`` (so
scikit-learn's MLP, whose matrix products go through numpy's OpenBLAS, is single-threaded
too); every repetition runs all contenders back to back in
a rotated order (interleaved), and the tables report the median and the minimum over the
repetitions of both wall-clock time and process CPU time.  On a shared machine the CPU time
is the steadier measure (time spent descheduled while other processes use the cores is not
counted); the ratios against the plain loop are computed for each measure separately.
Prediction is timed on 100,000 rows.  Two more sklearn_dl rows isolate what training
safety costs: ``checks off`` disables the divergence/best-weights monitor and the
start/end loss checks, ``verbose=1`` adds the progress bar.  Sizes: small (``--n 2000
--d 20``) and medium (``--n 20000 --d 50``); targets: sklearn_dl <= 1.10x the plain loop,
no slower than scikit-learn's MLP, checks and progress <= 2 %.

Usage::

    .venv/bin/python benchmarks/bench_overhead.py            # default: 5 repetitions
    .venv/bin/python benchmarks/bench_overhead.py --reps 7 --epochs 20 --n 20000
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, md_table, write_json  # noqa: E402

LOG_2PI = math.log(2 * math.pi)


# -- data and network ---------------------------------------------------------------------
def make_data(task, n, d, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=d) / np.sqrt(d)
    f = np.sin(X @ w * 2) + 0.5 * (X[:, 0] * X[:, 1])
    if task == "regression":
        y = f + rng.normal(size=n) * (0.2 + 0.3 * np.abs(X[:, -1]))
        y = ((y - y.mean()) / y.std()).astype(np.float32)
    else:
        s = f + 0.3 * rng.normal(size=n)
        y = np.digitize(s, np.quantile(s, [1 / 3, 2 / 3])).astype(np.int64)
    return X, y


def mlp(d, hidden, n_out):
    layers, width = [], d
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


class GaussianNLL(nn.Module):
    """Heteroscedastic Gaussian NLL with sklearn_dl's formula (raw = [mean, log_sd])."""

    def forward(self, raw, y):
        mean, log_sd = raw[:, :1], raw[:, 1:].clamp(-20.0, 20.0)
        z = (y.reshape(-1, 1) - mean) * torch.exp(-log_sd)
        return (log_sd + 0.5 * z * z + 0.5 * LOG_2PI).sum(dim=1).mean()


def n_outputs(task):
    return 2 if task == "regression" else 3


def criterion(task):
    return GaussianNLL() if task == "regression" else nn.CrossEntropyLoss()


# -- contenders: each returns (fitted object, final training loss) -------------------------
def fit_plain(task, X, y, hidden, epochs, bs, lr, seed, fused=False):
    torch.manual_seed(seed)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y)
    model = mlp(X.shape[1], hidden, n_outputs(task))
    loss_fn = criterion(task)
    opt = torch.optim.Adam(model.parameters(), lr=lr, **({"fused": True} if fused else {}))
    n = len(Xt)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n)
        total = torch.zeros(())
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            xb, yb = Xt[idx], yt[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
    return model, float(total) / n


def fit_skorch(task, X, y, hidden, epochs, bs, lr, seed):
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    torch.manual_seed(seed)
    cls = NeuralNetRegressor if task == "regression" else NeuralNetClassifier
    net = cls(
        mlp, module__d=X.shape[1], module__hidden=hidden, module__n_out=n_outputs(task),
        criterion=GaussianNLL if task == "regression" else nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam, lr=lr, max_epochs=epochs, batch_size=bs,
        iterator_train__shuffle=True, train_split=None, verbose=0,
    )
    yy = y.reshape(-1, 1) if task == "regression" else y
    net.fit(X, yy)
    return net, net.history[-1, "train_loss"]


def fit_sklearn_dl(task, X, y, hidden, epochs, bs, lr, seed, standardize=False, verbose=0):
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_dl import GaussianNLLRegressor, NNClassifier

    # dropout=0, weight_decay=0: the same network and optimizer as the others ("auto"
    # adds both below 5,000 rows)
    common = dict(hidden_layer_sizes=hidden, dropout=0.0, weight_decay=0.0,
                  max_epochs=epochs, batch_size=bs,
                  lr=lr, optimizer="adam", standardize=standardize, random_state=seed,
                  verbose=verbose)
    est = (GaussianNLLRegressor(heteroscedastic=True, **common) if task == "regression"
           else NNClassifier(**common))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est, est.history_[-1, "train_loss"]


def fit_sklearn_dl_unchecked(*args):
    """sklearn_dl with the training monitor's checks (non-finite batch loss, exploding
    epoch loss, non-finite weights, best-weight copies) and the start/end loss checks
    switched off: the difference to ``sklearn_dl`` is what the checks cost."""
    from sklearn_dl import DivergenceWarning, _base, _skorch

    saved = (_skorch.TrainingMonitor.on_batch_end, _skorch.TrainingMonitor.on_epoch_end,
             _base._BaseNN._check_rows)
    _skorch.TrainingMonitor.on_batch_end = lambda self, net, **kw: None
    _skorch.TrainingMonitor.on_epoch_end = lambda self, net, **kw: None
    _base._BaseNN._check_rows = 0
    try:
        with warnings.catch_warnings():  # without the start loss, "never improved" is moot
            warnings.simplefilter("ignore", DivergenceWarning)
            return fit_sklearn_dl(*args)
    finally:
        (_skorch.TrainingMonitor.on_batch_end, _skorch.TrainingMonitor.on_epoch_end,
         _base._BaseNN._check_rows) = saved


def fit_sklearn_dl_progress(*args):
    """sklearn_dl with verbose=1 (a tqdm bar over epochs, written to /dev/null)."""
    import contextlib
    import os

    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        return fit_sklearn_dl(*args, verbose=1)


def fit_sklearn_mlp(task, X, y, hidden, epochs, bs, lr, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPRegressor if task == "regression" else MLPClassifier
    # tol=0 and n_iter_no_change > epochs: exactly `epochs` passes, no early stop
    est = cls(hidden_layer_sizes=hidden, activation="relu", solver="adam",
              learning_rate_init=lr, batch_size=bs, max_iter=epochs, shuffle=True,
              tol=0.0, n_iter_no_change=epochs + 1, early_stopping=False, alpha=0.0,
              random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == epochs, est.n_iter_
    return est, est.loss_


CONTENDERS = {
    "plain": fit_plain,
    # sklearn_dl uses Adam's fused kernel (one call per step); the same in the hand loop
    # separates the framework's overhead from the optimiser kernel
    "plain (fused Adam)": lambda *a: fit_plain(*a, fused=True),
    "skorch": fit_skorch,
    "sklearn_dl": fit_sklearn_dl,
    "sklearn_dl (standardize=True)": lambda *a: fit_sklearn_dl(*a, standardize=True),
    "sklearn_dl (checks off)": fit_sklearn_dl_unchecked,
    "sklearn_dl (verbose=1)": fit_sklearn_dl_progress,
    "sklearn_mlp": fit_sklearn_mlp,
}


PLAIN_PREDICT = "plain (float32, batches of 4096)"  # reference: sklearn_dl's batch size


# -- prediction -----------------------------------------------------------------------------
def predictors(task, fitted):
    """name -> zero-argument callable predicting on the global X_pred."""
    plain = fitted["plain"]
    est = fitted["sklearn_dl"]

    def plain_predict(X):
        plain.eval()
        with torch.inference_mode():
            out = plain(torch.from_numpy(X))
            return (out[:, 0] if task == "regression" else torch.softmax(out, 1)).numpy()

    def plain_predict_batched(X, bs=4096):
        plain.eval()
        Xt = torch.from_numpy(X)
        with torch.inference_mode():
            out = torch.cat([plain(Xt[i:i + bs]) for i in range(0, len(Xt), bs)])
            return (out[:, 0] if task == "regression" else torch.softmax(out, 1)).numpy()

    preds = {
        PLAIN_PREDICT: plain_predict_batched,
        "plain (float32, one batch)": plain_predict,
        "skorch net.predict" if task == "regression" else "skorch predict_proba":
            (fitted["skorch"].predict if task == "regression"
             else fitted["skorch"].predict_proba),
        "sklearn_dl predict" if task == "regression" else "sklearn_dl predict_proba":
            est.predict if task == "regression" else est.predict_proba,
        "sklearn_dl predict_dist": est.predict_dist,
        "sklearn_mlp predict" if task == "regression" else "sklearn_mlp predict_proba":
            (fitted["sklearn_mlp"].predict if task == "regression"
             else fitted["sklearn_mlp"].predict_proba),
    }
    return preds


def time_rounds(funcs, reps):
    """Run every callable once per repetition, rotating the order (interleaved).

    Returns wall-clock and process-CPU seconds per name, and the last results.  With one
    torch thread the CPU time is barely affected by other processes competing for the
    cores (time spent descheduled is not counted), so it is the steadier measure on a
    shared machine; wall time is what a user waits.
    """
    names = list(funcs)
    wall = {k: [] for k in names}
    cpu = {k: [] for k in names}
    results = {}
    for r in range(reps):
        order = names[r % len(names):] + names[:r % len(names)]
        for k in order:
            c0, t0 = time.process_time(), time.perf_counter()
            results[k] = funcs[k]()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
    return wall, cpu, results


def summarise(wall, cpu, base):
    out = {}
    for k in wall:
        out[k] = {
            "median_s": statistics.median(wall[k]), "min_s": min(wall[k]),
            "median_cpu_s": statistics.median(cpu[k]), "min_cpu_s": min(cpu[k]),
            "all_s": wall[k], "all_cpu_s": cpu[k],
        }
    for k in wall:
        for m in ("median_s", "min_s", "median_cpu_s", "min_cpu_s"):
            out[k]["ratio_" + m] = out[k][m] / out[base][m]
        # paired: the ratio within each repetition (both ran in the same round, under
        # similar load), then the median over repetitions
        out[k]["paired_ratio_cpu"] = statistics.median(
            c / b for c, b in zip(cpu[k], cpu[base]))
    return out


def _main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--d", type=int, default=20)
    p.add_argument("--hidden", type=int, nargs="+", default=[64, 64])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--predict-n", type=int, default=100_000)
    p.add_argument("--predict-reps", type=int, default=7)
    p.add_argument("--tasks", nargs="+", default=["regression", "classification"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="overhead.json")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    hidden = tuple(args.hidden)
    info = machine_info()
    info["torch_threads"] = torch.get_num_threads()
    print(f"{info['date']}  {info['cpu']}  nproc={info['nproc']}  torch threads="
          f"{info['torch_threads']}  torch {info['torch']} skorch {info['skorch']} "
          f"sklearn {info['sklearn']}")
    payload = {"machine": info, "args": vars(args), "tasks": {}}

    for task in args.tasks:
        X, y = make_data(task, args.n, args.d)
        fit_args = (task, X, y, hidden, args.epochs, args.batch_size, args.lr, 0)
        # warm-up (imports, allocator, first-call costs) outside the timings
        for f in CONTENDERS.values():
            f(task, X[:1000], y[:1000], hidden, 1, args.batch_size, args.lr, 0)
        funcs = {k: (lambda f=f: f(*fit_args)) for k, f in CONTENDERS.items()}
        t_start = time.perf_counter()
        wall, cpu, fitted = time_rounds(funcs, args.reps)
        fit_summary = summarise(wall, cpu, "plain")
        for k in fit_summary:
            fit_summary[k]["final_train_loss"] = float(fitted[k][1])
        print(f"\n[{task}] fit: {args.n} x {args.d}, MLP {hidden}, {args.epochs} epochs, "
              f"batch {args.batch_size}, Adam lr={args.lr}, {args.reps} interleaved reps "
              f"({time.perf_counter() - t_start:.0f} s)")
        rows = [[k, f"{s['median_s']:.2f}", f"{s['min_s']:.2f}",
                 f"{s['median_cpu_s']:.2f}", f"{s['min_cpu_s']:.2f}",
                 f"{s['ratio_median_s']:.2f}x", f"{s['ratio_min_s']:.2f}x",
                 f"{s['ratio_median_cpu_s']:.2f}x", f"{s['ratio_min_cpu_s']:.2f}x",
                 f"{s['paired_ratio_cpu']:.2f}x", f"{s['final_train_loss']:.4f}"]
                for k, s in fit_summary.items()]
        print(md_table(["contender", "wall median s", "wall min s", "CPU median s",
                        "CPU min s", "ratio wall median", "ratio wall min",
                        "ratio CPU median", "ratio CPU min", "paired ratio CPU",
                        "final train loss"], rows))

        Xp = np.random.RandomState(1).normal(size=(args.predict_n, args.d)).astype(np.float32)
        preds = predictors(task, {k: v[0] for k, v in fitted.items()})
        for f in preds.values():
            f(Xp[:100])
        pwall, pcpu, _ = time_rounds({k: (lambda f=f: f(Xp)) for k, f in preds.items()},
                                     args.predict_reps)
        pred_summary = summarise(pwall, pcpu, PLAIN_PREDICT)
        print(f"\n[{task}] predict on {args.predict_n} rows, {args.predict_reps} reps")
        rows = [[k, f"{s['median_s'] * 1e3:.1f}", f"{s['min_s'] * 1e3:.1f}",
                 f"{s['median_cpu_s'] * 1e3:.1f}", f"{s['ratio_median_s']:.2f}x",
                 f"{s['ratio_median_cpu_s']:.2f}x"] for k, s in pred_summary.items()]
        print(md_table(["predict", "wall median ms", "wall min ms", "CPU median ms",
                        "ratio wall median", "ratio CPU median"], rows))
        payload["tasks"][task] = {"fit": fit_summary, "predict": pred_summary}

    write_json(args.out, payload)


def main(argv=None):
    # One thread everywhere: torch (set in _main) and the BLAS/OpenMP pools that numpy,
    # scikit-learn and torch use, so that no contender gets the second core.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _main(argv)


if __name__ == "__main__":
    main()
