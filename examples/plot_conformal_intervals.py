"""
Conformal prediction intervals around a network's predictive distribution
=========================================================================

A ``GaussianNLLRegressor`` gives a whole Normal distribution per input, hence central
intervals at any level; whether they cover what they claim depends on the model being
right.  Split conformal prediction guarantees the coverage on average over new data
(for exchangeable data) whatever the model: it sets aside a *calibration* part of the
training data, measures the model's errors there, and widens or narrows the intervals
until the calibration errors are covered at the wanted rate.

Conformal libraries wrap our regressors as they are (they are scikit-learn regressors):

* MAPIE's ``SplitConformalRegressor`` (absolute residuals: the same width everywhere),
  on the already fitted network (``prefit=True``);
* crepes' ``ConformalRegressor`` with the network's own predicted standard deviation as
  difficulty estimate (normalised residuals: the widths follow the network's sd).

Data: UCI regression sets in the standard 20-split format
(:func:`sklearn_dl.datasets.load_uci_regression`, ``uci/<name>/`` in the data home:
concrete, bostonHousing, wine-quality-red; the first 5 splits of each); the sets that
are absent are left out, and without any the example prints a SKIP line and stops.  In
every split the network is fitted on 80% of the training rows and the other 20% are the
calibration set; all three kinds of intervals are measured on the split's test rows.

The run prints, per data set and method, the coverage and mean width of the 90%
intervals pooled over the splits' test rows, and flags coverage more than two binomial
standard errors below 90% as under-coverage, then the activation and dropout rate each
split's network chose (``activation="auto"``, ``dropout="auto"``: with at least 40
validation rows it is fitted with ReLU and with ELU, each with dropout 0.1 and without,
and the lower validation loss decides, a fit without dropout only if it is at least
0.02 nats lower; Boston's 364 fitting rows hold out 37, so ReLU with dropout 0.1); the
coverage-vs-level plots go to ``examples/output/conformal_intervals.png``.

What the full run printed (1 torch thread on a busy 2-core machine)::

                data                                 method  coverage 90%  mean width 90%      verdict
            concrete                          network's own         0.893          17.654           ok
            concrete                  MAPIE split conformal         0.899          20.309           ok
            concrete crepes, normalised by the network's sd         0.895          17.563           ok
       bostonHousing                          network's own         0.890           8.713           ok
       bostonHousing                  MAPIE split conformal         0.953          10.933           ok
       bostonHousing crepes, normalised by the network's sd         0.957          11.463           ok
    wine-quality-red                          network's own         0.879           1.961 under-covers
    wine-quality-red                  MAPIE split conformal         0.909           2.172           ok
    wine-quality-red crepes, normalised by the network's sd         0.897           2.081           ok
    activation and dropout chosen per split:
      concrete: relu 0.1, relu 0.1, relu 0.1, elu 0.0, relu 0.1
      bostonHousing: relu 0.1, relu 0.1, relu 0.1, relu 0.1, relu 0.1
      wine-quality-red: elu 0.1, relu 0.1, relu 0.1, relu 0.1, relu 0.0

Both conformal methods cover 90% or a little more everywhere (0.895-0.957); the
network's own intervals cover about 90% on concrete and Boston, but on wine they fall
just below the two-standard-error line (0.879, 703 of 800 test rows; one of the five
wine networks, and one of concrete's, kept no dropout).  With dropout fixed at 0.1 (the
default before the dropout comparison) the network's own wine intervals covered 0.891
(width 2.011) and concrete's 0.889; Boston, which compares nothing, is unchanged.  The
conformal intervals are wider than the network's own on Boston and wine; on concrete
crepes' are about as wide and MAPIE's constant-width ones the widest.

Run: ``SKLEARN_DL_DATA=../shared/data python examples/plot_conformal_intervals.py`` from
the repository root (112-138 seconds measured on a busy 2-core machine, 1 torch
thread).  ``SKLEARN_DL_EXAMPLE_QUICK=1`` runs a short version.
"""

# %%
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from crepes import ConformalRegressor  # noqa: E402
from mapie.regression import SplitConformalRegressor  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_dl import GaussianNLLRegressor  # noqa: E402
from sklearn_dl.datasets import load_uci_regression  # noqa: E402
from sklearn_dl.metrics import interval_coverage, mean_interval_width  # noqa: E402
from sklearn_dl.plotting import plot_coverage  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
# small networks: more threads only wait on a busy machine
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = os.path.join(os.path.dirname(__file__), "output")
os.makedirs(OUT, exist_ok=True)
LEVELS = [0.5, 0.7, 0.8, 0.9, 0.95]
N_SPLITS = 1 if QUICK else 5
EPOCHS = 20 if QUICK else 300


def load_splits():
    """{name: (X, y, [(train_index, test_index), ...])} for the sets that are present."""
    sets = {}
    for name in ("concrete",) if QUICK else ("concrete", "bostonHousing", "wine-quality-red"):
        try:
            splits = [load_uci_regression(name, split=k) for k in range(N_SPLITS)]
        except FileNotFoundError:
            continue
        sets[name] = (splits[0].data, splits[0].target,
                      [(b.train_index, b.test_index) for b in splits])
    return sets


def intervals_of_one_split(X, y, train, test, seed):
    """{method: {level: (n_test, 2) intervals}} for one split, and the activation and
    dropout rate the network chose ("auto": ReLU or ELU, dropout 0.1 or none, by its
    validation loss)."""
    fit, cal = train_test_split(train, test_size=0.2, random_state=seed)
    net = GaussianNLLRegressor(hidden_layer_sizes=(50,), lr=3e-3, max_epochs=EPOCHS,
                               early_stopping=True, patience=20, random_state=seed)
    net.fit(X[fit], y[fit])
    dist = net.predict_dist(X[test])
    own = {level: np.column_stack(dist.interval(level)) for level in LEVELS}

    mapie = SplitConformalRegressor(estimator=net, confidence_level=LEVELS, prefit=True)
    mapie.conformalize(X[cal], y[cal])
    _, bounds = mapie.predict_interval(X[test])  # (n_test, 2, n_levels)
    absolute = {level: bounds[:, :, i] for i, level in enumerate(LEVELS)}

    mean_cal, sd_cal = net.predict(X[cal], return_std=True)
    crepes = ConformalRegressor().fit(y[cal] - mean_cal, sigmas=sd_cal)
    mean_test, sd_test = net.predict(X[test], return_std=True)
    normalised = {level: crepes.predict_int(mean_test, sigmas=sd_test, confidence=level)
                  for level in LEVELS}
    return {"network's own": own, "MAPIE split conformal": absolute,
            "crepes, normalised by the network's sd": normalised}, \
        f"{net.activation_} {net.dropout_}"


# %%
rows, activations = [], {}
sets = load_splits()
if not sets:
    print("SKIP: this example needs UCI regression sets in the data home (e.g. "
          "load_uci_regression('concrete', download=True)); none was found.")
    sys.exit(0)
fig, axes = plt.subplots(1, len(sets), figsize=(5 * len(sets), 5), squeeze=False)
for ax, (name, (X, y, splits)) in zip(axes[0], sets.items()):
    pooled_y, pooled = [], {}
    for seed, (train, test) in enumerate(splits):
        pooled_y.append(y[test])
        intervals, activation = intervals_of_one_split(X, y, train, test, seed)
        activations.setdefault(name, []).append(activation)
        for method, by_level in intervals.items():
            for level, interval in by_level.items():
                pooled.setdefault(method, {}).setdefault(level, []).append(interval)
    y_test = np.concatenate(pooled_y)
    se = np.sqrt(0.9 * 0.1 / len(y_test))  # binomial standard error of a 90% coverage
    for method, by_level in pooled.items():
        by_level = {level: np.concatenate(parts) for level, parts in by_level.items()}
        coverage = interval_coverage(y_test, by_level[0.9])
        rows.append({"data": name, "method": method, "coverage 90%": coverage,
                     "mean width 90%": mean_interval_width(by_level[0.9]),
                     "verdict": "under-covers" if coverage < 0.9 - 2 * se else "ok"})
        plot_coverage(y_test, by_level, name=method, ax=ax)
    ax.set_title(f"{name}: {len(splits)} splits, {len(y_test)} test rows",
                 fontsize="medium")
print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
print("activation and dropout chosen per split:")
for name, chosen in activations.items():
    print(f"  {name}: {', '.join(chosen)}")
fig.tight_layout()
fig.savefig(os.path.join(OUT, "conformal_intervals.png"), dpi=100)
print("figure:", os.path.join(OUT, "conformal_intervals.png"))
plt.show()
