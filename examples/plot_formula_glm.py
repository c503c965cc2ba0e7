"""
GLMs written as R formulas: ``sklearn_dl.glm`` next to statsmodels
==================================================================

A statistics course writes a Poisson regression as
``glm(count ~ livebait + camper + persons + child, family = poisson)``.  sklearn_dl
accepts the same formula (parsed by formulaic) and fits it as a network without a
hidden layer, trained by the Poisson negative log-likelihood.  We fit the camper fish
counts with statsmodels' Poisson GLM and with ``sklearn_dl.glm``, and print both sets
of coefficients and the test negative log-likelihood (NLL).  Then a logistic
regression with an interaction, written as a formula, on the banknote data: the
coefficients and the test log loss of statsmodels' ``Logit`` and of
``sklearn_dl.glm(..., family="binomial")``, and the prediction for a new DataFrame.

The fish counts come from ``fish.csv`` in the data home (:func:`sklearn_dl.datasets.load_fish`;
run with ``SKLEARN_DL_DATA=../shared/data`` from the repository root, or fetch the file
with ``load_fish(download=True)``); without it the example prints a SKIP line and stops.
A bar chart of the Poisson coefficients goes to
``examples/output/formula_glm_coefficients.png``.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsmodels.api as sm  # noqa: E402
import statsmodels.formula.api as smf  # noqa: E402
import torch  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import sklearn_dl  # noqa: E402

from sklearn_dl.datasets import load_banknote, load_fish  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = os.path.join(os.path.dirname(__file__), "output")


def implied_coefficients(model, data, link):
    """Intercept and coefficients of a fitted GLM, read off its linear predictor.

    The model is linear in its design matrix, so least squares on the linear predictor
    recovers them exactly (without touching the network's internals).
    """
    design = model.model_matrix(data)
    A = np.column_stack([np.ones(len(design)), design.to_numpy()])
    return pd.Series(np.linalg.lstsq(A, link(model, data), rcond=None)[0],
                     index=["Intercept", *design.columns])


# %%
# Poisson regression: the fish counts as a formula
# -------------------------------------------------
try:
    data = load_fish(as_frame=True).frame
except FileNotFoundError as exc:
    print(f"SKIP: this example needs the camper fish counts. {exc}")
    sys.exit(0)
formula = "count ~ livebait + camper + persons + child"
print(f"camper fish counts: {len(data)} rows")
response = formula.split("~")[0].strip()
train, test = train_test_split(data, test_size=0.2, random_state=42)

reference = smf.glm(formula, train, family=sm.families.Poisson()).fit()
# Explicit training settings: full-batch Adam, which converges to the maximum
# likelihood fit on a few hundred rows.
model = sklearn_dl.glm(formula, train, family="poisson", lr=0.1, max_epochs=50 if QUICK else 200,
                       batch_size=len(train), random_state=0)

ours = implied_coefficients(model, train, lambda m, d: np.log(m.predict(d)))
coefficients = pd.DataFrame({"statsmodels": reference.params[ours.index],
                             "sklearn_dl.glm": ours})
print(f"\n{formula}  (family = poisson)")
print(coefficients.round(4).to_string())
nll = {
    "statsmodels": -stats.poisson.logpmf(test[response], reference.predict(test)).mean(),
    "sklearn_dl.glm": -stats.poisson.logpmf(test[response], model.predict(test)).mean(),
}
print("test NLL per row: " + ", ".join(f"{k} {v:.4f}" for k, v in nll.items()))
print("design columns the network sees:", model.estimator_.feature_names_in_.tolist())

ax = coefficients.plot.bar(figsize=(7, 4), rot=30)
ax.set_title(f"Poisson GLM {formula}")
ax.set_ylabel("coefficient (log rate)")
ax.figure.tight_layout()
os.makedirs(OUT, exist_ok=True)
path = os.path.join(OUT, "formula_glm_coefficients.png")
ax.figure.savefig(path, dpi=100)
print("figure:", path)

# %%
# Logistic regression with an interaction
# ---------------------------------------
# ``a:b`` is the product term; ``C(...)`` would code a factor.  The response here is the
# 0/1 column ``Class``; a column of labels (strings) works the same way.
banknote = load_banknote(as_frame=True).frame
train, test = train_test_split(banknote, test_size=0.25, stratify=banknote["Class"],
                               random_state=0)
formula = "Class ~ WaveletVariance + WaveletSkewness + WaveletVariance:WaveletSkewness"
reference = smf.logit(formula, train).fit(disp=0)
model = sklearn_dl.glm(formula, train, family="binomial", lr=0.1, max_epochs=100 if QUICK else 1000,
                       batch_size=len(train), random_state=0)


def logit(m, d):
    p = m.predict_proba(d)[:, 1]
    return np.log(p / (1 - p))


print(f"\n{formula}  (family = binomial)")
ours = implied_coefficients(model, train, logit)
print(pd.DataFrame({"statsmodels": reference.params[ours.index], "sklearn_dl.glm": ours})
      .round(4).to_string())
print("test log loss: " + ", ".join([
    f"statsmodels {log_loss(test['Class'], reference.predict(test)):.4f}",
    f"sklearn_dl.glm {log_loss(test['Class'], model.predict_proba(test)[:, 1]):.4f}"]))

new = pd.DataFrame({"WaveletVariance": [2.0, -2.0], "WaveletSkewness": [5.0, -5.0]})
print("P(forged) for two new notes:", model.predict_proba(new)[:, 1].round(3).tolist())
plt.show()
