"""Experiment: where sklearn_dl's per-batch training overhead goes, and what fixes it.

NOT a benchmark of the shipped package: every variant below except ``baseline``
monkeypatches sklearn_dl *inside this process only* to measure a proposed fix before it is
applied to the package.  The reported overhead of the package itself is
``bench_overhead.py``'s.

History: these patches were measured against commit deee082 (results in
``results/overhead_fixes.json`` and ``results/overhead_fixes_linear.json``); commit d2c20a4
then applied them to the package.  On a package that already contains them the variants
equal ``baseline``; ``--variants --fused`` (no fix variants) is then the useful mode.
Some fix variants patch names that the package no longer has (``_skorch.DivergenceCheck``,
``_BaseNN._dataset``): run them at deee082, as the results were.

Variants (each on top of the shipped code):

* ``set_training``: skorch calls ``module.train(True)`` on every batch, which recurses
  through all submodules via ``nn.Module.__setattr__``; the patch only calls it when some
  submodule is in the wrong mode.
* ``divergence``: ``DivergenceCheck`` runs ``torch.isfinite(loss)`` + ``bool`` per batch;
  the patch reads the float skorch has just recorded in the history (``loss.item()`` is
  already done by skorch) and checks it with ``math.isfinite``.
* ``no_unit_weights``: without ``sample_weight`` the dataset still carries an all-ones
  weight tensor that is indexed and multiplied into the loss every batch; the patch
  stores ``w=None`` when all weights are 1.
* ``lean_callbacks``: drops skorch's default ``print_log`` (when ``verbose=0``) and the
  ``valid_loss`` scorer (when there is no validation data), which are notified on every
  batch.
* ``normal_nll``: ``Normal.nll`` computed directly instead of ``-log_prob`` (regression
  only; two fewer elementwise ops forward and backward).
* ``categorical_nll``: ``Categorical.nll`` uses ``F.cross_entropy``'s fused mean when
  there are no weights (classification only; effective together with
  ``no_unit_weights``).
* ``skip_identity``: ``BodyHead.forward`` does not call the ``nn.Identity`` preprocess
  (``standardize=False``).
* ``all``: all of the above.

With ``--fused`` two more rows use ``torch.optim.Adam(fused=True)`` in the plain loop and in
the shipped sklearn_dl: a different optimiser kernel, shown as a possible further speed-up
of both, not as overhead.  (``results/overhead_fixes_linear.json`` was run before this
row existed, with a row "all, fused Adam" = all fixes + fused Adam on deee082.)

The row ``plain loop, sklearn_dl module+loss`` runs bench_overhead's hand-written loop with
sklearn_dl's ``BodyHead`` module and ``FamilyNLL`` criterion (all-ones weights): the
difference to ``plain`` is the cost of the network/loss code, the difference to
``baseline`` the cost of skorch's loop, our iterator and callbacks.

Usage::

    .venv/bin/python benchmarks/overhead_fixes.py --reps 5
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_overhead as bo  # noqa: E402
from _common import machine_info, md_table, write_json  # noqa: E402


@contextlib.contextmanager
def patch(obj, name, value):
    had = name in vars(obj)
    old = vars(obj).get(name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        if had:
            setattr(obj, name, old)
        else:
            delattr(obj, name)


def fix_set_training():
    from sklearn_dl import _skorch

    def _set_training(self, training=True):
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and any(
                    m.training != training for m in module.modules()):
                module.train(training)

    return patch(_skorch.DistributionNet, "_set_training", _set_training)


def fix_divergence():
    from sklearn_dl import _skorch

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if training and loss is not None:
            value = net.history[-1]["batches"][-1]["train_loss"]  # float, recorded by skorch
            if not math.isfinite(value):
                raise _skorch.DivergenceError(f"Training diverged: the loss became {value}.")

    return patch(_skorch.DivergenceCheck, "on_batch_end", on_batch_end)


@contextlib.contextmanager
def fix_no_unit_weights():
    from sklearn_dl import _base, _skorch

    orig_dataset = _base._BaseNN._dataset

    def _dataset(self, X, y, w, family):
        ds = orig_dataset(self, X, y, w, family)
        if ds.w is not None and bool(torch.all(ds.w == 1)):
            ds.w = None
        return ds

    def batch(self, idx):
        if self.y is None:
            return self.X[idx], None
        return self.X[idx], (self.y[idx], None if self.w is None else self.w[idx])

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y, w = y_true
        loss = self.criterion_(y_pred, y.to(self.device),
                               None if w is None else w.to(self.device))
        if training and self.l1:
            loss = loss + self.l1 * _skorch._l1_penalty(self.module_)
        return loss

    with patch(_base._BaseNN, "_dataset", _dataset), \
            patch(_skorch.ArrayDataset, "batch", batch), \
            patch(_skorch.DistributionNet, "get_loss", get_loss):
        yield


def fix_lean_callbacks():
    from sklearn_dl import _skorch

    orig = _skorch.make_net

    def make_net(*args, **kwargs):
        net = orig(*args, **kwargs)
        drop = {}
        if not kwargs.get("verbose"):
            drop["callbacks__print_log"] = None
        if kwargs.get("valid_data") is None:
            drop["callbacks__valid_loss"] = None
        # a package that already drops them (d2c20a4 on) passes them to the constructor
        drop = {k: v for k, v in drop.items() if not hasattr(net, k)}
        return net.set_params(**drop) if drop else net

    return patch(_skorch, "make_net", make_net)


def fix_normal_nll():
    """Normal.nll computed directly (log_prob builds -log_sd - z^2/2 - c and nll negates
    it again: two extra elementwise ops forward and backward per batch)."""
    from sklearn_dl.families import normal

    def nll(self, raw, y, sample_weight=None):
        mean, log_sd = self._split(raw)
        z = (normal.as_2d(y) - mean) * torch.exp(-log_sd)
        per_sample = (log_sd + 0.5 * z * z + 0.5 * normal.LOG_2PI).sum(dim=1)
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
        return per_sample.mean()

    return patch(normal.Normal, "nll", nll)


def fix_categorical_nll():
    """Categorical.nll with the fused mean reduction of cross_entropy when there are no
    sample weights (only matters together with ``no_unit_weights``)."""
    import torch.nn.functional as F
    from sklearn_dl.families import categorical

    def nll(self, raw, y, sample_weight=None):
        if sample_weight is None:
            return F.cross_entropy(raw, y)
        return (F.cross_entropy(raw, y, reduction="none") * sample_weight).mean()

    return patch(categorical.Categorical, "nll", nll)


def fix_skip_identity():
    """BodyHead.forward skips the ``nn.Identity`` preprocess (standardize=False): one
    module call (with its hook machinery) less per forward."""
    from sklearn_dl import _modules

    def forward(self, x):
        if not isinstance(self.preprocess, torch.nn.Identity):
            x = self.preprocess(x)
        return self.head(self.body(x))

    return patch(_modules.BodyHead, "forward", forward)


@contextlib.contextmanager
def fused_adam():
    """Adam(fused=True) -- a different optimiser kernel, NOT an overhead fix: used for
    both the plain loop and sklearn_dl in the ``fused`` variants."""
    orig = torch.optim.Adam

    class FusedAdam(orig):
        def __init__(self, params, **kwargs):
            kwargs.setdefault("fused", True)
            super().__init__(params, **kwargs)

    from sklearn_dl import _skorch

    with patch(torch.optim, "Adam", FusedAdam), \
            patch(_skorch.optim, "OPTIMIZERS", {**_skorch.OPTIMIZERS, "adam": FusedAdam}):
        yield


def fit_plain_sdl_parts(task, X, y, hidden, epochs, bs, lr, seed, weights=True):
    """The plain loop of bench_overhead, but with sklearn_dl's module (BodyHead with an
    Identity preprocess) and criterion (FamilyNLL, all-ones sample weights): separates
    the cost of sklearn_dl's network/loss from the cost of skorch's training loop."""
    from sklearn_dl._modules import BodyHead
    from sklearn_dl._skorch import FamilyNLL
    from sklearn_dl.bodies import make_mlp
    from sklearn_dl.families import Categorical, Normal

    torch.manual_seed(seed)
    family = Normal() if task == "regression" else Categorical()
    body, width = make_mlp(X.shape[1], hidden)
    module = BodyHead(body, family.make_head(width, 1 if task == "regression" else 3))
    loss_fn = FamilyNLL(family)
    Xt, yt = torch.from_numpy(X), family.target_tensor(y)
    wt = torch.ones(len(Xt))
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    n = len(Xt)
    module.train()
    for _ in range(epochs):
        perm = torch.randperm(n)
        total = torch.zeros(())
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            opt.zero_grad()
            loss = loss_fn(module(Xt[idx]), yt[idx], wt[idx] if weights else None)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
    return module, float(total) / n


FIXES = {
    "set_training": [fix_set_training],
    "divergence": [fix_divergence],
    "no_unit_weights": [fix_no_unit_weights],
    "lean_callbacks": [fix_lean_callbacks],
    "normal_nll": [fix_normal_nll],
    "categorical_nll": [fix_categorical_nll],
    "skip_identity": [fix_skip_identity],
    "all": [fix_set_training, fix_divergence, fix_no_unit_weights, fix_lean_callbacks,
            fix_normal_nll, fix_categorical_nll, fix_skip_identity],
}
ALL = FIXES["all"]


def with_fixes(fixes, fn):
    def run():
        with contextlib.ExitStack() as stack:
            for f in fixes:
                stack.enter_context(f())
            return fn()
    return run


def _main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--tasks", nargs="+", default=["regression", "classification"])
    p.add_argument("--d", type=int, default=20)
    p.add_argument("--hidden", type=int, nargs="*", default=[64, 64],
                   help="hidden layer sizes; none (just --hidden) gives a linear model, "
                        "which isolates the per-batch framework overhead")
    p.add_argument("--variants", nargs="*", default=None, choices=list(FIXES),
                   help="subset of the fix variants (default: all; no names: none)")
    p.add_argument("--fused", action="store_true")
    p.add_argument("--out", default="overhead_fixes.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    info = machine_info()
    payload = {"machine": info, "args": vars(args), "tasks": {}}
    for task in args.tasks:
        X, y = bo.make_data(task, args.n, args.d)
        fa = (task, X, y, tuple(args.hidden), args.epochs, 128, 1e-3, 0)
        funcs = {"plain": lambda: bo.fit_plain(*fa),
                 "plain loop, sklearn_dl module+loss": lambda: fit_plain_sdl_parts(*fa),
                 "baseline": lambda: bo.fit_sklearn_dl(*fa)}
        for name, fixes in FIXES.items():
            if args.variants is not None and name not in args.variants:
                continue
            funcs[name] = with_fixes(fixes, lambda: bo.fit_sklearn_dl(*fa))
        if args.fused:
            funcs["plain, fused Adam"] = with_fixes([fused_adam], lambda: bo.fit_plain(*fa))
            # the package as shipped (since d2c20a4 it contains the fixes) + fused Adam
            funcs["baseline, fused Adam"] = with_fixes([fused_adam],
                                                       lambda: bo.fit_sklearn_dl(*fa))
        # warm-up, and check that every variant trains to the same loss (same seed)
        losses = {k: float(f()[1]) for k, f in funcs.items()}
        wall, cpu, _ = bo.time_rounds(funcs, args.reps)
        summ = bo.summarise(wall, cpu, "plain")
        for k in summ:
            summ[k]["final_train_loss"] = losses[k]
        n_steps = args.epochs * -(-args.n // 128)
        print(f"\n[{task}] {args.n} x {args.d}, MLP {tuple(args.hidden)}, {args.epochs} "
              f"epochs, batch 128 ({n_steps} steps), {args.reps} interleaved reps, "
              "1 thread")
        base = summ["plain"]["median_cpu_s"]
        for k in summ:
            summ[k]["extra_us_per_step_cpu_median"] = (
                (summ[k]["median_cpu_s"] - base) / n_steps * 1e6)
        rows = [[k, f"{s['median_cpu_s']:.2f}", f"{s['min_cpu_s']:.2f}",
                 f"{s['ratio_median_cpu_s']:.3f}x", f"{s['ratio_min_cpu_s']:.3f}x",
                 f"{s['extra_us_per_step_cpu_median']:+.0f}",
                 f"{s['median_s']:.2f}", f"{s['final_train_loss']:.5f}"]
                for k, s in summ.items()]
        print(md_table(["variant", "CPU median s", "CPU min s", "ratio CPU median",
                        "ratio CPU min", "µs/step vs plain (CPU median)",
                        "wall median s", "final train loss"], rows))
        payload["tasks"][task] = summ
    write_json(args.out, payload)


def main(argv=None):
    # One thread everywhere: torch (set in _main) and the BLAS/OpenMP pools that numpy,
    # scikit-learn and torch use, so that no contender gets the second core.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _main(argv)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
