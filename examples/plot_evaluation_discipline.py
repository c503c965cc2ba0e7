"""
Evaluating a probabilistic model the way the course teaches
===========================================================

Split the data once into train / validation / test.  Tune ``dropout`` and ``lr`` by
the negative log-likelihood on the validation part (``GridSearchCV`` with a
``PredefinedSplit``: one fold, the validation rows), refit the chosen setting on train +
validation, and only then look at the locked-away test set, once, next to baselines.
Pictures over tables: a reliability diagram for the classifier and a coverage plot for
the regressor.

1. Classification of the 8x8 digits: ``NNClassifier`` against logistic regression and a
   random forest.
2. Regression on the UCI concrete data (:func:`sklearn_dl.datasets.load_uci_regression`,
   ``uci/concrete`` in the data home): ``GaussianNLLRegressor`` against Bayesian ridge
   regression (a Normal predictive distribution too) and a random forest (point
   predictions only).  NGBoost is compared where it is installed.

The run prints, for each part, the grid-search table (validation NLL per setting), the
chosen setting, the activation the refit network chose (``activation="auto"``: every
network is fitted with ReLU and with ELU, and the lower loss on its early-stopping
split decides), and the test-set scores of every model from :func:`sklearn_dl.evaluate`;
the figures go to ``examples/output/evaluation_discipline_*.png``.

Run: ``SKLEARN_DL_DATA=../shared/data python examples/plot_evaluation_discipline.py``
from the repository root (80 seconds measured on a busy 2-core machine, 1 torch thread);
without the concrete data the example prints a SKIP line and stops
(``load_uci_regression("concrete", download=True)`` fetches them).
``SKLEARN_DL_EXAMPLE_QUICK=1`` runs a short version.
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
from scipy import stats  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.linear_model import BayesianRidge, LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, PredefinedSplit  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_dl import GaussianNLLRegressor, NNClassifier, evaluate  # noqa: E402
from sklearn_dl.datasets import load_digits_images, load_uci_regression  # noqa: E402
from sklearn_dl.metrics import neg_mean_nll_scorer, predict_dist  # noqa: E402
from sklearn_dl.plotting import plot_coverage, plot_reliability_diagram  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
# these networks are too small to gain from several threads; on a busy machine extra
# threads only wait for each other
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = os.path.join(os.path.dirname(__file__), "output")
os.makedirs(OUT, exist_ok=True)
pd.set_option("display.width", 120)
EPOCHS = 20 if QUICK else 300
try:
    concrete = load_uci_regression("concrete")
except FileNotFoundError as exc:
    print(f"SKIP: this example needs the UCI concrete data. {exc}")
    sys.exit(0)


def three_way_split(X, y, stratify=False, seed=0):
    """60% train, 20% validation, 20% test."""
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=y if stratify else None)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=0.25, random_state=seed,
        stratify=y_rest if stratify else None)
    return X_train, X_val, X_test, y_train, y_val, y_test


def tune_on_validation(estimator, grid, X_train, X_val, y_train, y_val):
    """GridSearchCV scored by validation NLL on one predefined fold, refit on train +
    validation."""
    X = np.concatenate([X_train, X_val])
    y = np.concatenate([y_train, y_val])
    fold = np.r_[np.full(len(X_train), -1), np.zeros(len(X_val))]  # -1: always train
    search = GridSearchCV(estimator, grid, scoring=neg_mean_nll_scorer,
                          cv=PredefinedSplit(fold), refit=True).fit(X, y)
    table = pd.DataFrame(search.cv_results_["params"])
    table["validation NLL"] = -search.cv_results_["mean_test_score"]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("chosen:", search.best_params_)
    print("activation of the refit network (ReLU or ELU, by its early-stopping "
          "validation loss):", search.best_estimator_.activation_)
    return search.best_estimator_, X, y


# %%
# Part 1: classification
# ----------------------
images, y = load_digits_images(return_X_y=True)
X = images.reshape(len(images), -1)  # 64 pixel values (0-16) per digit, as a table
X_train, X_val, X_test, y_train, y_val, y_test = three_way_split(X, y, stratify=True)
print(f"digits: {len(X_train)} train, {len(X_val)} validation, {len(X_test)} test")
nn, X_fit, y_fit = tune_on_validation(
    NNClassifier(hidden_layer_sizes=(128,), max_epochs=EPOCHS, early_stopping=True,
                 patience=15, random_state=0),
    {"dropout": [0.0, 0.3], "lr": [1e-3, 3e-3]}, X_train, X_val, y_train, y_val)
baselines = {
    "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(C=0.1)),
    "random forest": RandomForestClassifier(n_estimators=300, random_state=0),
}
for model in baselines.values():
    model.fit(X_fit, y_fit)
classifiers = {"NNClassifier": nn, **baselines}
report = evaluate(classifiers, X_test, y_test)  # the test set, once
print(report.scores.to_string(float_format=lambda v: f"{v:.4f}"))

fig, axes = plt.subplots(1, 2, figsize=(11, 5))
for name, model in classifiers.items():
    plot_reliability_diagram(y_test, model.predict_proba(X_test), n_bins=10, name=name,
                             labels=model.classes_, ax=axes[0])
    plot_reliability_diagram(y_test, model.predict_proba(X_test), n_bins=10,
                             strategy="quantile", name=name, labels=model.classes_,
                             ax=axes[1], show_counts=False)
axes[0].set_title("digits, test set: reliability (uniform bins)")
axes[1].set_title("equal-count bins")
fig.tight_layout()
fig.savefig(os.path.join(OUT, "evaluation_discipline_reliability.png"), dpi=100)

# %%
# Part 2: regression
# ------------------
X, y, data_name = concrete.data, concrete.target, "UCI concrete"
X_train, X_val, X_test, y_train, y_val, y_test = three_way_split(X, y)
print(f"\n{data_name}: {len(X_train)} train, {len(X_val)} validation, {len(X_test)} test")
reg, X_fit, y_fit = tune_on_validation(
    GaussianNLLRegressor(hidden_layer_sizes=(64, 64), max_epochs=EPOCHS,
                         early_stopping=True, patience=20, random_state=0),
    {"dropout": [0.0, 0.2], "lr": [1e-3, 3e-3]}, X_train, X_val, y_train, y_val)
regressors = {"GaussianNLLRegressor": reg,
              "Bayesian ridge": make_pipeline(StandardScaler(), BayesianRidge()),
              "random forest": RandomForestRegressor(n_estimators=300, random_state=0)}
try:
    from ngboost import NGBRegressor

    regressors["NGBoost"] = NGBRegressor(verbose=False, random_state=0)
except ImportError:
    print("ngboost is not installed: no NGBoost baseline")
for name, model in regressors.items():
    if name != "GaussianNLLRegressor":
        model.fit(X_fit, y_fit)
if "NGBoost" in regressors:  # its Normal predictive distribution, as a scipy object
    ngb = regressors["NGBoost"]
    ngb.predict_dist = lambda X: stats.norm(**ngb.pred_dist(X).params)
report = evaluate(regressors, X_test, y_test, level=0.9)
print(report.scores.to_string(float_format=lambda v: f"{v:.4f}"))

fig, ax = plt.subplots(figsize=(5, 5))
for name in ("GaussianNLLRegressor", "Bayesian ridge"):
    plot_coverage(y_test, predict_dist(regressors[name], X_test), name=name, ax=ax)
ax.set_title(f"{data_name}, test set: coverage", fontsize="medium")
fig.tight_layout()
fig.savefig(os.path.join(OUT, "evaluation_discipline_coverage.png"), dpi=100)
print("figures:", os.path.join(OUT, "evaluation_discipline_reliability.png"), "and",
      os.path.join(OUT, "evaluation_discipline_coverage.png"))
plt.show()
