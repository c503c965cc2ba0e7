"""Where one optimisation step's time goes, next to scikit-learn's MLP step.

``bench_overhead.py`` times whole fits; this script times single steps on one fixed
batch (MLP 64-64, batch 128, one torch / BLAS thread, CPU time), so that the gap to
scikit-learn's ``MLPRegressor`` can be split into torch's own cost and the framework's:

* ``hand step``: ``zero_grad`` + forward + the Gaussian NLL + ``backward`` +
  ``Adam(fused=True).step()`` on a plain ``nn.Sequential`` (what the hand loop of
  ``bench_overhead.py`` does per batch, without the batch indexing);
* its parts: ``forward``, ``forward + loss``, ``forward + loss + backward`` and the
  optimiser step alone;
* ``one tiny product``: a 128 x d by d x 2 matrix product, ``.sum()`` and its backward
  (torch's fixed cost per operation, whatever the arithmetic);
* ``hand step, fused NLL``: the same with the loss and its gradient computed in one
  custom ``torch.autograd.Function`` (an option for the Normal family, measured here,
  not built);
* ``sklearn_dl train_step``: ``GaussianNLLRegressor``'s net (``BodyHead``, the family's
  ``nll`` with the ``(y, weight)`` targets) through skorch's ``train_step``;
  ``... + batch bookkeeping``: also skorch's per-batch notifications and history
  records, as in ``run_single_epoch``;
* ``sklearn_dl, one step of a fit``: (fit of ``E + 1`` epochs - fit of 1 epoch) /
  (``E`` x batches), so the per-epoch work (shuffling, the epoch's checks, history) is
  spread over the steps it belongs to;
* ``scikit-learn MLPRegressor``: a whole fit of ``E`` epochs (squared error, float64,
  its own Adam) divided by its steps.

Usage::

    .venv/bin/python benchmarks/step_breakdown.py --out step_breakdown.json
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from _common import machine_info, md_table, write_json
from torch import nn


def per_step(func, steps, rounds):
    """Median over ``rounds`` of the CPU microseconds per call of ``func``."""
    times = []
    for _ in range(rounds):
        t = time.process_time()
        for _ in range(steps):
            func()
        times.append((time.process_time() - t) / steps * 1e6)
    return statistics.median(times)


def gaussian_nll(out, y):
    mean, log_sd = out[:, 0], out[:, 1].clamp(-20, 20)
    z = (y - mean) * torch.exp(-log_sd)
    return (log_sd + 0.5 * z * z).mean()


class FusedGaussianNLL(torch.autograd.Function):
    """The mean Gaussian NLL and its gradient with respect to ``[mean, log_sd]`` in one
    node of the autograd graph (first derivatives only)."""

    @staticmethod
    def forward(ctx, out, y):
        log_sd = out[:, 1].clamp(-20, 20)
        inv_sd = torch.exp(-log_sd)
        z = (y - out[:, 0]) * inv_sd
        ctx.save_for_backward(torch.stack([-z * inv_sd, 1 - z * z], 1) / out.shape[0])
        return (log_sd + 0.5 * z * z).mean()

    @staticmethod
    def backward(ctx, grad):
        (g,) = ctx.saved_tensors
        return g * grad, None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--d", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", default="step_breakdown.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    from threadpoolctl import threadpool_limits

    from sklearn.neural_network import MLPRegressor

    from sklearn_dl import GaussianNLLRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(args.n, args.d)).astype(np.float32)
    y = (X[:, 0] + rng.normal(size=args.n)).astype(np.float32)
    B = args.batch_size
    xb, yb = torch.from_numpy(X[:B]), torch.from_numpy(y[:B])

    torch.manual_seed(0)
    plain = nn.Sequential(nn.Linear(args.d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 2))
    opt = torch.optim.Adam(plain.parameters(), lr=1e-3, fused=True)

    def hand_step(loss=gaussian_nll):
        opt.zero_grad(set_to_none=True)
        loss(plain(xb), yb).backward()
        opt.step()

    def fwd_bwd():
        opt.zero_grad(set_to_none=True)
        gaussian_nll(plain(xb), yb).backward()

    w_tiny = torch.randn(args.d, 2, requires_grad=True)

    def tiny_product():
        w_tiny.grad = None
        (xb @ w_tiny).sum().backward()

    settings = dict(hidden_layer_sizes=(64, 64), dropout=0.0, weight_decay=0.0,
                    batch_size=B, lr=1e-3, optimizer="adam", standardize=False,
                    random_state=0)

    def fit(epochs):
        est = GaussianNLLRegressor(max_epochs=epochs, **settings)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return est.fit(X, y)

    net = fit(2).net_
    batch = (xb, (yb[:, None], None))
    net.history.new_epoch()
    net.history.new_batch()

    def our_step():
        net.train_step(batch)

    def our_step_booked():
        net.notify("on_batch_begin", batch=batch, training=True)
        step = net.train_step(batch)
        net.history.record_batch("train_loss", step["loss"].item())
        net.history.record_batch("train_batch_size", B)
        net.notify("on_batch_end", batch=batch, training=True, **step)

    n_batches = -(-args.n // B)

    def fit_step():
        t = time.process_time()
        fit(1)
        one = time.process_time() - t
        t = time.process_time()
        fit(args.epochs + 1)
        return (time.process_time() - t - one) / (args.epochs * n_batches) * 1e6

    def sklearn_step():
        mlp = MLPRegressor(hidden_layer_sizes=(64, 64), batch_size=B, max_iter=args.epochs,
                           tol=0.0, n_iter_no_change=10**9, random_state=0)
        t = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mlp.fit(X.astype(np.float64), y.astype(np.float64))
        return (time.process_time() - t) / (args.epochs * n_batches) * 1e6

    parts = {
        "hand step (fused Adam)": lambda: per_step(hand_step, args.steps, args.rounds),
        "  forward": lambda: per_step(lambda: plain(xb), args.steps, args.rounds),
        "  forward + loss": lambda: per_step(lambda: gaussian_nll(plain(xb), yb),
                                             args.steps, args.rounds),
        "  forward + loss + backward": lambda: per_step(fwd_bwd, args.steps, args.rounds),
        "  optimiser step": lambda: per_step(opt.step, args.steps, args.rounds),
        "one tiny product, forward + backward": lambda: per_step(
            tiny_product, args.steps, args.rounds),
        "hand step, fused NLL": lambda: per_step(
            lambda: hand_step(FusedGaussianNLL.apply), args.steps, args.rounds),
        "sklearn_dl train_step": lambda: per_step(our_step, args.steps, args.rounds),
        "sklearn_dl train_step + batch bookkeeping": lambda: per_step(
            our_step_booked, args.steps, args.rounds),
        "sklearn_dl, one step of a fit": lambda: statistics.median(
            fit_step() for _ in range(args.rounds)),
        "scikit-learn MLPRegressor, one step of a fit": lambda: statistics.median(
            sklearn_step() for _ in range(args.rounds)),
    }
    with threadpool_limits(1):
        for _ in range(100):  # warm-up
            hand_step()
            our_step()
        micro = {name: run() for name, run in parts.items()}
    ref = micro["hand step (fused Adam)"]
    rows = [[name, f"{us:.0f}", f"{us / ref:.2f}x"] for name, us in micro.items()]
    print(md_table(["part", "CPU us per step", "vs hand step"], rows))
    write_json(args.out, dict(machine=machine_info(), args=vars(args), micro_us=micro))


if __name__ == "__main__":
    main()
