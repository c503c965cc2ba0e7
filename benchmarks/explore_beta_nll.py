"""Screen: would the beta-NLL training loss help the Normal defaults on small data?

Seitzer et al. (2022), "On the pitfalls of heteroscedastic uncertainty estimation with
probabilistic neural networks": the Gaussian NLL's gradient for the mean is divided by
the predicted variance, so points the net already calls noisy stop teaching the mean,
and the mean underfits.  beta-NLL weights each row's NLL by ``stopgrad(sd^(2 beta))``
(beta=0: the NLL; beta=1: the mean's gradient is that of the squared error).  Here the
weighting applies to the training loss only (batches with gradients); the validation
loss that early stopping and the "auto" activation choice watch stays the NLL, and test
NLL is the plain NLL.

``NNRegressor(family=BetaNormal(beta))`` with every other parameter at its default, on
the UCI splits; reports test NLL and RMSE per beta, mean and standard error.

Usage::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/explore_beta_nll.py \
        --datasets bostonHousing concrete wine-quality-red --betas 0 0.5 --splits 5
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

from sklearn_dl.families import Normal  # noqa: E402
from sklearn_dl.families._base import as_2d  # noqa: E402


class BetaNormal(Normal):
    """The Normal family whose training loss is beta-NLL (evaluation stays the NLL)."""

    name = "beta_normal"

    def __init__(self, beta=0.5, heteroscedastic=True):
        super().__init__(heteroscedastic=heteroscedastic)
        self.beta = beta

    def nll(self, raw, y, sample_weight=None):
        if not (torch.is_grad_enabled() and self.beta):
            return super().nll(raw, y, sample_weight)
        mean, log_sd = self._split(raw)
        z = (as_2d(y) - mean) * torch.exp(-log_sd)
        per_target = log_sd + 0.5 * z * z + 0.5 * np.log(2 * np.pi)
        weight = torch.exp(2 * self.beta * log_sd).detach()
        nll = (weight * per_target).sum(dim=1)
        if sample_weight is not None:
            nll = nll * sample_weight
        return nll.mean()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+",
                   default=["bostonHousing", "concrete", "wine-quality-red"])
    p.add_argument("--betas", nargs="+", type=float, default=[0.0, 0.5])
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--out", default="explore_beta_nll.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    from sklearn_dl import NNRegressor
    from sklearn_dl.datasets import load_uci_regression
    from sklearn_dl.metrics import mean_nll

    rows, summary = [], []
    for name in args.datasets:
        per = {b: {"nll": [], "rmse": []} for b in args.betas}
        for k in range(args.splits):
            X_tr, X_te, y_tr, y_te = load_uci_regression(name, split=k, data_home=DATA,
                                                         return_X_y=True)
            for beta in args.betas:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reg = NNRegressor(family=BetaNormal(beta), random_state=k).fit(X_tr, y_tr)
                dist = reg.predict_dist(X_te)
                nll = float(mean_nll(y_te, dist))
                rmse = float(np.sqrt(np.mean((dist.mean() - y_te) ** 2)))
                per[beta]["nll"].append(nll)
                per[beta]["rmse"].append(rmse)
                rows.append(dict(data=name, split=k, beta=beta, test_nll=nll, rmse=rmse,
                                 activation=reg.activation_, epochs=len(reg.history_)))
                print(f"{name:16s} split {k} beta {beta}: test NLL {nll:.3f} RMSE "
                      f"{rmse:.3f} ({reg.activation_}, {len(reg.history_)} epochs)",
                      flush=True)
        for beta, v in per.items():
            (m, s), (rm, rs) = mean_se(v["nll"]), mean_se(v["rmse"])
            summary.append(dict(data=name, beta=beta, nll=m, nll_se=s, rmse=rm, rmse_se=rs))
            print(f"{name:16s} beta {beta}: NLL {m:.3f} ± {s:.3f}  RMSE {rm:.3f} ± {rs:.3f}",
                  flush=True)
    write_json(args.out, dict(machine=machine_info(), args=vars(args), rows=rows,
                              summary=summary))


if __name__ == "__main__":
    main()
