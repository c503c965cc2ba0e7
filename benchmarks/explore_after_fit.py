"""Screen: two things a default fit could do after early stopping, on the UCI small sets.

``GaussianNLLRegressor()`` with its defaults is fitted on each UCI split; then

* ``recalibrate``: the predicted sd is multiplied by the factor that maximises the
  Gaussian likelihood of the fit's own validation rows (``sqrt(mean(z**2))`` of the
  standardised validation residuals; ``sqrt`` of it too, a factor shrunk halfway to 1);
* ``refit``: the chosen candidate (hidden layers, activation, dropout) is refitted on
  every training row, validation rows included, for the epoch early stopping chose
  (``same_epochs``) or for the same number of optimisation steps (``same_steps``, 0.9
  of the epochs: the validation share is 10 %), as Goodfellow et al. (2016, 7.8) describe.

Reports the test NLL of each next to the defaults' (mean and standard error).

Usage::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/explore_after_fit.py \
        --datasets concrete bostonHousing wine-quality-red --splits 5
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine_info, mean_se, write_json  # noqa: E402


def _record_validation_rows():
    """Make every fit remember its validation rows (``_screen_valid``): the estimator
    does not expose them, and this screen needs them for the recalibration."""
    from sklearn_dl._fitting import _FitMixin

    split = _FitMixin._split

    def recording_split(self, n, y, seed, frac):
        train_idx, valid_idx = split(self, n, y, seed, frac)
        self._screen_valid = valid_idx
        return train_idx, valid_idx

    _FitMixin._split = recording_split


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+",
                   default=["concrete", "bostonHousing", "wine-quality-red"])
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--first-split", type=int, default=0)
    p.add_argument("--no-refit", action="store_true",
                   help="only the recalibrations (no refit: one fit per split)")
    p.add_argument("--out", default="explore_after_fit.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    _record_validation_rows()

    from sklearn_dl import GaussianNLLRegressor
    from sklearn_dl.datasets import load_uci_regression

    variants = ["defaults", "recalibrated", "recalibrated_sqrt"]
    refits = [] if args.no_refit else ["same_epochs", "same_steps"]
    variants += refits
    rows, summary = [], []
    for name in args.datasets:
        per = {v: [] for v in variants}
        for k in range(args.first_split, args.first_split + args.splits):
            X_tr, X_te, y_tr, y_te = load_uci_regression(name, split=k, data_home=DATA,
                                                         return_X_y=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg = GaussianNLLRegressor(random_state=k).fit(X_tr, y_tr)
            valid = reg._screen_valid
            d_valid = reg.predict_dist(X_tr[valid])
            z = (y_tr[valid] - d_valid.mean()) / d_valid.std()
            factor = float(np.sqrt(np.mean(z ** 2)))
            d_test = reg.predict_dist(X_te)
            mean, sd = d_test.mean(), d_test.std()

            def nll(scale, mean=mean, sd=sd):
                return float(-np.mean(stats.norm.logpdf(y_te, mean, sd * scale)))

            z_test = (y_te - mean) / sd
            row = dict(data=name, split=k, factor=factor,
                       test_factor=float(np.sqrt(np.mean(z_test ** 2))), best_epoch=reg.best_epoch_,
                       setting=[list(reg.hidden_layer_sizes_), reg.activation_, reg.dropout_],
                       defaults=nll(1.0), recalibrated=nll(factor),
                       recalibrated_sqrt=nll(np.sqrt(factor)))
            for variant, epochs in (("same_epochs", reg.best_epoch_),
                                    ("same_steps", max(1, round(0.9 * reg.best_epoch_)))):
                if variant not in refits:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    refit = GaussianNLLRegressor(
                        hidden_layer_sizes=reg.hidden_layer_sizes_, activation=reg.activation_,
                        dropout=reg.dropout_, max_epochs=int(epochs), random_state=k,
                    ).fit(X_tr, y_tr)
                d = refit.predict_dist(X_te)
                row[variant] = float(-np.mean(stats.norm.logpdf(y_te, d.mean(), d.std())))
            for v in variants:
                per[v].append(row[v])
            rows.append(row)
            print(f"{name:16s} split {k}: factor {factor:.3f} "
                  f"(test {row['test_factor']:.3f}), "
                  + ", ".join(f"{v} {row[v]:.3f}" for v in variants), flush=True)
        line = {v: mean_se(per[v]) for v in variants}
        summary.append(dict(data=name, **{v: m for v, (m, _) in line.items()},
                            **{f"{v}_se": s for v, (_, s) in line.items()}))
        print(f"{name:16s} " + "  ".join(f"{v} {m:.3f} ± {s:.3f}"
                                         for v, (m, s) in line.items()), flush=True)
    write_json(args.out, dict(machine=machine_info(), args=vars(args), rows=rows,
                              summary=summary))


if __name__ == "__main__":
    main()
