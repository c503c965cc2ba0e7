"""Screen: does an exponential moving average (EMA) of the weights help the defaults?

A candidate for the small-data defaults that was screened and not adopted (see
``RESULTS.md`` section 0).  ``GaussianNLLRegressor()`` with its defaults, once as it is and
once with an EMA of its weights kept by a skorch callback: the validation loss of each
epoch is measured on the averaged weights (so early stopping keeps and restores the best
*averaged* weights), training continues from the raw ones.  UCI splits from the data home,
test NLL, mean and standard error over the splits.

Usage::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/explore_weight_averaging.py \
        --datasets bostonHousing concrete --decays 0 0.99 0.998 --splits 5
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine_info, write_json  # noqa: E402


def ema_callback(decay):
    """A skorch callback averaging the weights; validation runs on the average."""
    from skorch.callbacks import Callback

    class WeightAverage(Callback):
        def __init__(self, decay):
            self.decay = decay

        def initialize(self):
            self.average, self.raw = None, None
            return self

        def on_batch_end(self, net, training=False, **kwargs):
            if not training:
                return
            params = [p.detach() for p in net.module_.parameters()]
            if self.average is None:
                self.average = [p.clone() for p in params]
            else:
                torch._foreach_lerp_(self.average, params, 1 - self.decay)

        def on_batch_begin(self, net, training=False, **kwargs):
            # the first validation batch of an epoch: swap the average in
            if training or self.average is None or self.raw is not None:
                return
            params = list(net.module_.parameters())
            self.raw = [p.detach().clone() for p in params]
            with torch.no_grad():
                for p, a in zip(params, self.average):
                    p.copy_(a)

        def on_epoch_end(self, net, **kwargs):
            # after the package's monitor (listed before user callbacks) has kept the
            # epoch's weights: back to the raw ones for the next epoch's steps
            if self.raw is None:
                return
            with torch.no_grad():
                for p, r in zip(net.module_.parameters(), self.raw):
                    p.copy_(r)
            self.raw = None

    return WeightAverage(decay)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=["bostonHousing", "concrete"])
    p.add_argument("--decays", nargs="+", type=float, default=[0.0, 0.99, 0.998],
                   help="0: no averaging (the defaults)")
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--out", default="explore_weight_averaging.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    from sklearn_dl import GaussianNLLRegressor
    from sklearn_dl.datasets import load_uci_regression
    from sklearn_dl.metrics import mean_nll

    rows = []
    for name in args.datasets:
        for decay in args.decays:
            nll, start = [], time.time()
            for k in range(args.splits):
                X_tr, X_te, y_tr, y_te = load_uci_regression(name, split=k, data_home=DATA,
                                                             return_X_y=True)
                callbacks = [ema_callback(decay)] if decay else None
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reg = GaussianNLLRegressor(random_state=k, callbacks=callbacks)
                    reg.fit(X_tr, y_tr)
                nll.append(float(mean_nll(y_te, reg.predict_dist(X_te))))
            se = float(np.std(nll, ddof=1) / np.sqrt(len(nll))) if len(nll) > 1 else 0.0
            rows.append(dict(data=name, decay=decay, nll=nll, nll_mean=float(np.mean(nll)),
                             nll_se=se, seconds=time.time() - start))
            print(f"{name:16s} decay {decay:<6g} test NLL {np.mean(nll):.3f} ± {se:.3f} "
                  f"{np.round(nll, 3)} ({time.time() - start:.0f} s)", flush=True)
    write_json(args.out, dict(machine=machine_info(), args=vars(args), rows=rows))


if __name__ == "__main__":
    main()
