"""R-style surface: summary(), logLik / AIC / BIC, deviance, predict types, anova."""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_poisson_deviance

from sklearn_dl import (
    DeepEnsembleRegressor,
    GaussianNLLRegressor,
    NNClassifier,
    PoissonNLLRegressor,
    anova,
    glm,
)
from sklearn_dl.metrics import mean_nll

GLM = dict(hidden_layer_sizes=(), lr=0.05, max_epochs=150, batch_size=400,
           early_stopping=False)


@pytest.fixture(scope="module")
def counts():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    y = rng.poisson(np.exp(0.3 + 0.5 * X[:, 0] - 0.3 * X[:, 1]))
    return X, y


@pytest.fixture(scope="module")
def poisson_glm(counts):
    X, y = counts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return PoissonNLLRegressor(random_state=0, **GLM).fit(X, y)


def test_summary_reports_the_fit(poisson_glm, counts):
    X, y = counts
    s = poisson_glm.summary(X, y)
    assert s["observations"] == 400
    assert s["epochs run"] == 150 == poisson_glm.n_iter_
    assert s["best epoch"] == poisson_glm.best_epoch_
    assert s["trainable parameters"] == 4 == poisson_glm.n_params_
    assert s["family"].startswith("Poisson (mean: log link)")
    text = str(s)
    for word in ("log-likelihood", "AIC", "BIC", "rough guide", "Adam(lr=0.05"):
        assert word in text
    assert "Std. Error" not in text and "p-value" not in text  # nothing faked
    frame = s.to_frame()
    assert frame.loc[("Fit", "AIC"), "value"] == pytest.approx(poisson_glm.aic())
    # a linear body: the weights in the inputs' units match the ML GLM
    coef = s.coefficients
    np.testing.assert_allclose(coef["log(mean)"], coef["GLM (scikit-learn)"], atol=0.02)


def test_log_likelihood_is_minus_n_times_mean_nll(poisson_glm, counts):
    X, y = counts
    n = len(y)
    ll = poisson_glm.log_likelihood(X, y)
    assert ll == pytest.approx(-n * mean_nll(y, poisson_glm.predict_dist(X)))
    assert poisson_glm.loglik_ == pytest.approx(ll, rel=1e-5)  # the training fit itself
    assert poisson_glm.aic() == pytest.approx(2 * 4 - 2 * ll, rel=1e-5)
    assert poisson_glm.bic(X, y) == pytest.approx(4 * np.log(n) - 2 * ll)
    assert poisson_glm.deviance(X, y) == pytest.approx(
        n * mean_poisson_deviance(y, poisson_glm.predict(X)))


def test_gaussian_loglik_is_in_the_targets_units():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(300, 2))
    y = 100 + 30 * X[:, 0] + rng.normal(scale=5, size=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = GaussianNLLRegressor(heteroscedastic=False, random_state=0, **GLM).fit(X, y)
    assert reg.loglik_ == pytest.approx(reg.log_likelihood(X, y), rel=1e-5)
    # about n * log-density of N(0, 5^2) at the residuals
    assert reg.loglik_ / 300 == pytest.approx(-np.log(5) - 0.5 * np.log(2 * np.pi) - 0.5,
                                              abs=0.1)


def test_aic_prefers_the_true_model():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(500, 4))
    y = rng.poisson(np.exp(0.2 + 0.6 * X[:, 0] + 0.4 * X[:, 1]))  # x2, x3: noise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        small = PoissonNLLRegressor(random_state=0, **GLM).fit(X[:, :1], y)
        true = PoissonNLLRegressor(random_state=0, **GLM).fit(X[:, :2], y)
        big = PoissonNLLRegressor(random_state=0, **GLM).fit(X, y)
    assert true.aic() < small.aic() and true.aic() < big.aic()
    assert true.bic() < big.bic()
    test = anova(small, true)
    assert test.df == 1 and test.p_value < 1e-6
    assert anova(true, big).p_value > 0.01
    assert "rough guide" in str(test)
    with pytest.raises(ValueError, match="more parameters"):
        anova(big, true)


@pytest.mark.parametrize("make, y_kind", [
    (lambda: PoissonNLLRegressor(max_epochs=5, random_state=0), "counts"),
    (lambda: GaussianNLLRegressor(max_epochs=5, random_state=0), "real"),
    (lambda: NNClassifier(max_epochs=5, random_state=0), "binary"),
    (lambda: NNClassifier(max_epochs=5, random_state=0), "three"),
])
def test_link_composed_with_inverse_link_is_the_response(counts, make, y_kind):
    X, y = counts
    y = {"counts": y, "real": X[:, 0] + 0.1 * y, "binary": (y > 1).astype(int),
         "three": np.minimum(y, 2)}[y_kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = make().fit(X, y)
    eta = est.predict(X, type="link")
    if y_kind == "counts":
        np.testing.assert_allclose(np.exp(eta), est.predict(X), rtol=1e-10)
    elif y_kind == "real":
        assert eta.shape == (len(X), 2)  # mean and log-sd
        mean, sd = est.predict(X, return_std=True)
        np.testing.assert_allclose(eta[:, 0], mean, rtol=1e-10)
        np.testing.assert_allclose(np.exp(eta[:, 1]), sd, rtol=1e-10)
    elif y_kind == "binary":
        np.testing.assert_allclose(expit(eta), est.predict_proba(X)[:, 1], rtol=1e-10)
    else:
        p = np.exp(eta)
        np.testing.assert_allclose(p / p.sum(axis=1, keepdims=True), est.predict_proba(X),
                                   rtol=1e-10)
    with pytest.raises(ValueError, match="type must be one of"):
        est.predict(X, type="terms")


def test_deviance_needs_a_family_that_defines_one(poisson_glm, counts):
    X, y = counts
    assert poisson_glm.deviance(X, y) > 0


def test_ensemble_summary_lists_members(counts):
    X, y = counts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ens = DeepEnsembleRegressor(PoissonNLLRegressor(hidden_layer_sizes=(8,), max_epochs=5),
                                    n_estimators=2, random_state=0).fit(X, y)
    s = ens.summary()
    assert s["members"] == 2 and "member 1" in str(s)
    assert ens.n_params_ == sum(m.n_params_ for m in ens.estimators_)
    assert ens.loglik_ == pytest.approx(ens.log_likelihood(X, y))
    with pytest.raises(ValueError, match="no single linear predictor"):
        ens.predict(X, type="link")


def test_formula_glm_summary_names_the_design_columns():
    import pandas as pd

    rng = np.random.RandomState(0)
    df = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(["a", "b"], 300)})
    df["count"] = rng.poisson(np.exp(0.5 * df["x"] + (df["g"] == "b")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = glm("count ~ x + C(g)", df, family="poisson", random_state=0,
                **{k: v for k, v in GLM.items() if k != "hidden_layer_sizes"})
    coef = m.summary().coefficients
    assert list(coef.index) == ["(Intercept)", "x", "C(g)[T.b]"]
    assert coef.loc["C(g)[T.b]", "log(mean)"] == pytest.approx(1.0, abs=0.2)
    assert m.aic() == pytest.approx(m.estimator_.aic())


def _quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_multinomial_counts_identifiable_parameters_as_r_multinom():
    # a softmax over K classes has (K - 1)(p + 1) parameters (R's multinom,
    # statsmodels' MNLogit): adding z to x costs K - 1 = 2 degrees of freedom, not 3
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    eta = np.c_[np.zeros(300), df.x, -df.x]
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    df["k"] = [rng.choice(["a", "b", "c"], p=row) for row in p]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        small = glm("k ~ x", df, family="multinomial", random_state=0)
        large = glm("k ~ x + z", df, family="multinomial", random_state=0)
    assert (small.estimator_.n_params_, large.estimator_.n_params_) == (4, 6)
    assert anova(small, large).df == 2
    assert np.isclose(small.estimator_.aic(),
                      2 * 4 - 2 * small.estimator_.log_likelihood())


def test_column_constant_in_training_is_aliased_not_random():
    # a category declared but never observed: its dummy column is all zeros, so its
    # weight never gets a gradient.  It must neither count as a parameter, nor show
    # its random start as a coefficient, nor move predictions where the column is 1
    rng = np.random.RandomState(1)
    X = np.c_[rng.normal(size=(200, 2)), np.zeros(200)]
    y = X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=200)
    preds = []
    for seed in (0, 1):
        reg = _quiet_fit(GaussianNLLRegressor(random_state=seed, **GLM), X, y)
        # intercept, two slopes, the sd's intercept and two slopes: the dead column's
        # two weights (mean, log-sd) are not counted
        assert reg.n_params_ == 6
        coef = reg.summary().coefficients
        assert coef.loc["x2"].isna().all() and coef.loc["x0"].notna().all()
        assert "not estimable" in str(reg.summary())
        X_new = X[:5].copy()
        X_new[:, 2] = 1.0
        preds.append(reg.predict(X_new))
        np.testing.assert_allclose(preds[-1], reg.predict(X[:5]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(preds[0], preds[1], atol=0.05)


def test_a_confident_logistic_model_keeps_finite_links_and_log_likelihood():
    # beyond |logit| ~ 37, p rounds to 1.0 in float64: the link rebuilt from p would be
    # inf and a confident mistake's log-probability -inf.  Both come from the logits
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 1))
    y = (40 * X[:, 0] + rng.logistic(size=400) > 0).astype(int)
    clf = _quiet_fit(NNClassifier(hidden_layer_sizes=(), lr=0.5, max_epochs=200,
                                  early_stopping=False, random_state=0), X, y)
    far = np.array([[3.0], [6.0]])
    link = clf.predict(far, type="link")
    assert np.all(np.isfinite(link)) and np.all(link > 40)
    raw = clf._forward(far)[0][:, 0].numpy()
    np.testing.assert_allclose(link, raw)
    wrong = clf.log_likelihood(far, [0, 0])
    np.testing.assert_allclose(wrong, -np.logaddexp(0, raw).sum(), rtol=1e-9)
