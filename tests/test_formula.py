"""Formulas: FormulaTransformer, FormulaModel and glm (issue 13, R-style modelling)."""

import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dl import (
    FormulaModel,
    FormulaTransformer,
    GaussianNLLRegressor,
    NNClassifier,
    NNRegressor,
    glm,
)
from sklearn_dl.distributions import MixtureDistribution, ParametricDistribution
from sklearn_dl.families import Normal

FORMULA = "~ x1 + C(g) + x1:x2 + np.log(x1)"


def _frame(n, seed):
    rng = np.random.RandomState(seed)
    df = pd.DataFrame({"x1": rng.uniform(1, 3, n), "x2": rng.normal(size=n),
                       "g": rng.choice(["a", "b", "c"], n)})
    effect = df["g"].map({"a": 0.0, "b": 1.0, "c": -1.0})
    df["y"] = np.sin(2 * df["x1"]) + effect + 0.1 * rng.normal(size=n)
    return df


@pytest.fixture(scope="module")
def train():
    return _frame(300, 0)


@pytest.fixture(scope="module")
def new():
    return _frame(50, 1)


def _full_batch(n):
    """Full-batch Adam settings: GLMs then converge to the maximum-likelihood fit."""
    return dict(lr=0.1, max_epochs=200, batch_size=n, random_state=0)


def _implied_coefficients(design, linear_predictor):
    """Intercept and coefficients of a GLM from its linear predictor (exact for a
    model linear in the design), so no network internals are read."""
    A = np.column_stack([np.ones(len(design)), np.asarray(design, dtype=float)])
    return np.linalg.lstsq(A, linear_predictor, rcond=None)[0]


# -- FormulaTransformer ------------------------------------------------------------------
def test_design_matches_formulaic_without_the_intercept(train):
    ft = FormulaTransformer(FORMULA)
    design = ft.fit_transform(train)
    reference = model_matrix(FORMULA, train)
    names = [c for c in reference.columns if c != "Intercept"]
    assert ft.get_feature_names_out().tolist() == names
    assert "C(g)[T.b]" in names and "x1:x2" in names and "np.log(x1)" in names
    np.testing.assert_allclose(design, reference[names].to_numpy(dtype=float))
    np.testing.assert_allclose(ft.transform(train), design)
    assert ft.feature_names_in_.tolist() == list(train.columns)

    with_intercept = FormulaTransformer(FORMULA, intercept=True).fit(train)
    assert with_intercept.get_feature_names_out()[0] == "Intercept"
    np.testing.assert_array_equal(with_intercept.transform(train)[:, 0], 1.0)


def test_stateful_transforms_reuse_the_training_state(train, new):
    formula = "~ center(x2) + scale(x1) + bs(x1, df=4) + poly(x2, 2) + C(g)"
    ft = FormulaTransformer(formula).set_output(transform="pandas").fit(train)
    inside = new[(new.x1 > train.x1.min()) & (new.x1 < train.x1.max())]
    out = ft.transform(inside)
    np.testing.assert_allclose(out["center(x2)"], inside.x2 - train.x2.mean())
    np.testing.assert_allclose(out["scale(x1)"],
                               (inside.x1 - train.x1.mean()) / train.x1.std(ddof=1))
    # rows of the training data come out as in fit; a fit on those rows alone would
    # place other knots and another polynomial basis
    head = train.iloc[:7]
    np.testing.assert_allclose(ft.transform(head), ft.fit_transform(train)[:7])
    refit = FormulaTransformer(formula).fit_transform(head)
    spline = [i for i, c in enumerate(ft.get_feature_names_out())
              if c.startswith(("bs", "poly"))]
    assert not np.allclose(refit[:, spline], ft.transform(head).to_numpy()[:, spline])
    # a factor keeps all its training columns when new data show one level only
    only_b = inside.assign(g="b")
    assert ft.transform(only_b).shape[1] == len(ft.get_feature_names_out())
    np.testing.assert_array_equal(ft.transform(only_b)["C(g)[T.b]"], 1.0)


def test_unseen_level_raises_naming_column_and_level(train):
    ft = FormulaTransformer("~ x1 + C(g)").fit(train)
    bad = train.head(3).assign(g=["a", "zebra", "b"])
    with pytest.raises(ValueError, match=r"column 'g'.*'zebra'.*unseen='zeros'"):
        ft.transform(bad)


def test_unseen_level_as_zeros_is_the_reference_coding(train):
    ft = FormulaTransformer("~ x1 + C(g) + g:x2", unseen="zeros").fit(train)
    bad = train.head(3).assign(g=["a", "zebra", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # formulaic's warning is handled, not shown
        out = ft.transform(bad)
    names = ft.get_feature_names_out().tolist()
    dummies = [i for i, c in enumerate(names) if "g" in c and c != "x1"]
    np.testing.assert_array_equal(out[1, dummies], 0.0)
    np.testing.assert_allclose(out[[0, 2]], ft.transform(bad.iloc[[0, 2]]))
    # the treatment-coded main effect of 'zebra' equals that of the reference level 'a'
    as_a = ft.transform(bad.assign(g="a"))
    np.testing.assert_allclose(out[1, names.index("C(g)[T.b]")],
                               as_a[1, names.index("C(g)[T.b]")])


def test_declared_levels_are_not_unseen(train):
    levels = ["a", "b", "c", "d"]
    data = train.assign(g=pd.Categorical(train.g, categories=levels))
    ft = FormulaTransformer("~ C(g)").fit(data)
    assert "C(g)[T.d]" in ft.get_feature_names_out()
    out = ft.transform(data.head(2).assign(g=pd.Categorical(["d", "a"], categories=levels)))
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 0, 0]])


def test_missing_and_infinite_values(train):
    with_nan = train.copy()
    with_nan.loc[3, "x1"] = np.nan
    with pytest.raises(ValueError, match="x1.*null"):
        FormulaTransformer("~ x1 + C(g)").fit(with_nan)
    ft = FormulaTransformer("~ np.log(x1)").fit(train)
    with np.errstate(divide="ignore"), pytest.raises(ValueError, match=r"np\.log\(x1\)"):
        ft.transform(train.head(2).assign(x1=[0.0, 1.0]))
    passed = FormulaTransformer("~ x1 + x2", na_action="ignore").fit(train)
    passed = passed.transform(with_nan)
    assert np.isnan(passed[3, 0]) and np.isfinite(np.delete(passed, 3, axis=0)).all()


def test_numpy_input_names_columns_x0_to_xp(rng):
    X = rng.uniform(1, 2, size=(20, 3))
    ft = FormulaTransformer("~ x0 + np.log(x2)").fit(X)
    np.testing.assert_allclose(ft.transform(X), np.column_stack([X[:, 0], np.log(X[:, 2])]))
    with pytest.raises(ValueError, match="X has 2 features"):
        ft.transform(X[:, :2])
    assert FormulaTransformer("~ .").fit(X).get_feature_names_out().tolist() == [
        "x0", "x1", "x2"]


def test_columns_are_found_by_name(train):
    ft = FormulaTransformer(FORMULA).fit(train)
    shuffled = train[["g", "x2", "x1"]].assign(extra=1.0)
    np.testing.assert_allclose(ft.transform(shuffled), ft.transform(train))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['x2'\]"):
        ft.transform(train.drop(columns="x2"))


@pytest.mark.parametrize("params, error, match", [
    (dict(formula=3), TypeError, "formula must be a string"),
    (dict(formula="y ~ x1"), ValueError, "left-hand side.*FormulaModel"),
    (dict(formula="~ x1 | x2"), ValueError, "several parts"),
    (dict(formula="~ x1 +* x2"), ValueError, "not a valid formula"),
    (dict(formula="~ x1 + nothere"), ValueError, "nothere"),
    (dict(formula="~ x1", na_action="drop"), ValueError, "na_action must be one of"),
    (dict(formula="~ x1", unseen="ignore"), ValueError, "unseen must be one of"),
    (dict(formula="~ x1", intercept="no"), TypeError, "intercept must be"),
    (dict(formula="~ x1", context=[1]), TypeError, "context must be a dict"),
])
def test_invalid_parameters_are_reported_in_fit(train, params, error, match):
    ft = FormulaTransformer(**params)  # __init__ only stores
    with pytest.raises(error, match=match):
        ft.fit(train)


def test_context_supplies_functions(train):
    ft = FormulaTransformer("~ twice(x1)", context={"twice": np.double}).fit(train)
    assert ft.get_feature_names_out().tolist() == ["twice(x1)"]


def test_clone_and_pickle(train, new):
    ft = FormulaTransformer("~ bs(x1, df=4, extrapolation='clip') + C(g)").fit(train)
    restored = pickle.loads(pickle.dumps(ft))
    np.testing.assert_array_equal(restored.transform(new), ft.transform(new))
    fresh = clone(ft)
    assert fresh.get_params() == ft.get_params() and not hasattr(fresh, "model_spec_")


def test_pipeline_passes_formula_names_to_the_network(train):
    pipe = Pipeline([("formula", FormulaTransformer(FORMULA)),
                     ("model", NNRegressor(hidden_layer_sizes=(), max_epochs=2))])
    pipe.set_output(transform="pandas").fit(train, train.y)
    names = pipe[:-1].get_feature_names_out()
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, names)
    assert pipe.predict(train.head(4)).shape == (4,)


def test_grid_search_chooses_the_spline_formula(train):
    # y = sin(2 x1) + group effect: linear in x1 is wrong, a spline is right.
    # cr() extends linearly beyond the training range, which CV folds need.
    pipe = Pipeline([("formula", FormulaTransformer("~ x1")),
                     ("model", NNRegressor(hidden_layer_sizes=(), **_full_batch(200)))])
    formulas = ["~ x1 + C(g)", "~ cr(x1, df=6) + C(g)"]
    search = GridSearchCV(pipe, {"formula__formula": formulas}, cv=3)
    search.fit(train, train.y)
    assert search.best_params_["formula__formula"] == formulas[1]
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > 0.9 and scores[1] > scores[0] + 0.2


# -- FormulaModel ------------------------------------------------------------------------
def test_formula_model_takes_y_from_the_left_hand_side(train, new):
    data = train.assign(z=np.exp(train.x1 - 2 * (train.g == "c")))
    model = FormulaModel("np.log(z) ~ x1 + C(g)", LinearRegression()).fit(data)
    assert model.response_ == ["np.log(z)"]
    assert model.design_columns_.tolist() == ["x1", "C(g)[T.b]", "C(g)[T.c]"]
    np.testing.assert_array_equal(model.estimator_.feature_names_in_, model.design_columns_)
    np.testing.assert_allclose(model.estimator_.coef_, [1, 0, -2], atol=1e-10)
    newdata = new[["x1", "g"]]  # no response needed to predict
    np.testing.assert_allclose(model.predict(newdata), new.x1 - 2 * (new.g == "c"))
    assert model.score(data) == pytest.approx(1.0)
    assert model.model_matrix(newdata).columns.tolist() == model.design_columns_.tolist()


def test_formula_model_with_y_argument_or_both(train):
    model = FormulaModel("~ x1 + C(g)", Ridge()).fit(train, train.y)
    assert model.response_ is None
    assert model.score(train, train.y) > 0.5
    # a y passed along with a response formula (as scikit-learn's tools do) must agree
    both = FormulaModel("y ~ x1 + C(g)", Ridge()).fit(train, train.y)
    assert both.response_ == ["y"]
    np.testing.assert_allclose(both.estimator_.coef_, model.estimator_.coef_)
    assert both.score(train, train.y) == pytest.approx(model.score(train, train.y))
    assert both.score(train, train.y.to_numpy()) == both.score(train)
    data = train.assign(z=np.exp(train.y))
    logged = FormulaModel("np.log(z) ~ x1", Ridge())
    logged.fit(data, np.log(data.z))  # the response's own values are fine
    with pytest.raises(ValueError, match=r"fit: y does not hold the formula's "
                                         r"response 'np.log\(z\)'"):
        logged.fit(data, data.z)  # the raw column would be scored against log(z)
    with pytest.raises(ValueError, match="score: y does not hold"):
        logged.score(data, data.z)
    with pytest.raises(ValueError, match="y does not hold"):
        both.fit(train, train.y.head(10))


def test_scikit_learn_tools_pass_y_to_a_response_formula(train):
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import cross_val_score

    model = FormulaModel("y ~ cr(x1, df=6) + C(g)", LinearRegression())
    scores = cross_val_score(model, train, train.y, cv=3, error_score="raise")
    assert scores.shape == (3,) and np.all(scores > 0.9)
    labels = train.assign(label=np.where(train.x2 > 0, "up", "down"))
    classifier = FormulaModel("label ~ x2", LogisticRegression())
    accuracy = cross_val_score(classifier, labels, labels.label, cv=3,
                               error_score="raise")  # stratified by the y passed
    assert np.all(accuracy > 0.9)
    search = GridSearchCV(model, {"formula": ["y ~ x1", "y ~ cr(x1, df=6) + C(g)"]},
                          cv=3, scoring="neg_mean_absolute_error", error_score="raise")
    search.fit(train, train.y)
    assert search.best_params_["formula"] == "y ~ cr(x1, df=6) + C(g)"
    fitted = search.best_estimator_
    assert get_scorer("r2")(fitted, train, train.y) == pytest.approx(
        fitted.score(train, train.y))


def test_factor_response_for_a_classifier(train):
    data = train.assign(label=np.where(train.x2 > 0.5, "high",
                                       np.where(train.x2 < -0.5, "low", "mid")))
    model = FormulaModel("label ~ x2 + x1", LogisticRegression(C=100)).fit(data)
    assert is_classifier(model)
    assert sorted(model.classes_) == ["high", "low", "mid"]
    assert model.predict_proba(data.head(5)).shape == (5, 3)
    assert model.score(data) > 0.9
    with pytest.raises(ValueError, match="categorical response must be a plain column"):
        FormulaModel("C(label) ~ x2", LogisticRegression()).fit(data)


class _RStyleRegressor(RegressorMixin, BaseEstimator):
    """Least squares with R-style statistics, to test FormulaModel's delegation."""

    def fit(self, X, y):
        self.model_ = LinearRegression().fit(X, y)
        self.n_ = len(y)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def log_likelihood(self, X=None, y=None):
        return ("fit", self.n_) if X is None else ("data", len(X), float(np.sum(y)))

    def aic(self):
        return 42.0

    def summary(self):
        return list(self.feature_names_in_)


def test_delegates_exactly_the_methods_the_estimator_has(train):
    plain = FormulaModel("y ~ x1", LinearRegression()).fit(train)
    assert hasattr(plain, "predict") and not hasattr(plain, "predict_proba")
    assert not hasattr(plain, "aic") and not hasattr(plain, "predict_dist")
    model = FormulaModel("y ~ x1 + C(g)", _RStyleRegressor()).fit(train)
    assert model.summary() == ["x1", "C(g)[T.b]", "C(g)[T.c]"]
    assert model.aic() == 42.0
    assert model.log_likelihood() == ("fit", 300)
    assert model.log_likelihood(train.head(5)) == ("data", 5, float(train.y.head(5).sum()))
    assert not hasattr(model, "bic")


def test_distributional_methods_and_pickle(train, new):
    model = FormulaModel("y ~ cr(x1, df=5) + C(g)",
                         NNRegressor(hidden_layer_sizes=(), **_full_batch(300))).fit(train)
    assert is_regressor(model)
    mean, std = model.predict(new, return_std=True)
    np.testing.assert_allclose(model.predict_dist(new).mean(), mean)
    interval = model.predict_interval(new, alpha=0.1)
    assert np.mean((new.y > interval[:, 0]) & (new.y < interval[:, 1])) > 0.75
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(new), mean)


class _KeywordEcho(BaseEstimator):
    """Returns the keywords each prediction method gets, to test that they are passed."""

    def fit(self, X, y):
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X, **kwargs):
        return ("predict_proba", len(X), kwargs)

    def predict_log_proba(self, X, **kwargs):
        return ("predict_log_proba", len(X), kwargs)

    def decision_function(self, X, **kwargs):
        return ("decision_function", len(X), kwargs)

    def predict_interval(self, X, **kwargs):
        return ("predict_interval", len(X), kwargs)


def _mc_dropout_model(train):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short fit is enough
        return FormulaModel("y ~ x1 + C(g)", GaussianNLLRegressor(
            hidden_layer_sizes=(8,), dropout=0.2, mc_samples=5, max_epochs=3,
            random_state=0)).fit(train)


def test_prediction_methods_pass_keyword_arguments_on(train, new):
    model = _mc_dropout_model(train)
    design = model.model_matrix(new)
    assert isinstance(model.predict_dist(new), MixtureDistribution)  # mc_samples=5
    single = model.predict_dist(new, mc_samples=0)
    assert isinstance(single, ParametricDistribution)
    np.testing.assert_allclose(single.mean(),
                               model.estimator_.predict_dist(design, mc_samples=0).mean())
    np.testing.assert_allclose(model.predict_dist(new, random_state=3).mean(),
                               model.estimator_.predict_dist(design, random_state=3).mean())
    np.testing.assert_allclose(model.predict(new, type="link"),
                               model.estimator_.predict(design, type="link"))
    echo = FormulaModel("y ~ x1", _KeywordEcho()).fit(train)
    for method in ("predict_proba", "predict_log_proba", "decision_function",
                   "predict_interval"):
        assert getattr(echo, method)(new, alpha=0.2, k=1) == (method, 50,
                                                               {"alpha": 0.2, "k": 1})


def test_predict_uncertainty_is_delegated_when_the_estimator_has_it(train, new):
    assert not hasattr(FormulaModel("y ~ x1", LinearRegression()).fit(train),
                       "predict_uncertainty")
    model = _mc_dropout_model(train)
    parts = model.predict_uncertainty(new, random_state=0)
    expected = model.estimator_.predict_uncertainty(model.model_matrix(new),
                                                    random_state=0)
    assert sorted(parts) == ["aleatoric", "epistemic", "total"]
    for name in parts:
        np.testing.assert_allclose(parts[name], expected[name])
    assert np.all(parts["epistemic"] > 0)
    np.testing.assert_array_equal(model.predict_uncertainty(new, mc_samples=0).epistemic, 0)
    with pytest.raises(NotFittedError):
        FormulaModel("y ~ x1", GaussianNLLRegressor()).predict_uncertainty(new)


def test_a_dict_of_columns_is_read_as_new_data(train, new):
    model = FormulaModel("y ~ x1 + C(g) + x1:x2", LinearRegression()).fit(train)
    row = new.iloc[0]
    one = {"x1": float(row.x1), "x2": float(row.x2), "g": row.g}  # R's newdata=list(...)
    np.testing.assert_allclose(model.predict(one), model.predict(new.head(1)))
    columns = {name: new[name].tolist() for name in ("x1", "x2", "g")}
    np.testing.assert_allclose(model.predict(columns), model.predict(new))
    np.testing.assert_allclose(model.predict({"x1": new.x1.to_numpy(), "x2": 0.0, "g": "b"}),
                               model.predict(new.assign(x2=0.0, g="b")))  # scalars repeat
    assert model.score({**columns, "y": new.y.to_numpy()}) == pytest.approx(model.score(new))
    assert model.model_matrix(one).shape == (1, 4)
    classifier = FormulaModel("I(y > 0) ~ x1 + C(g)", LogisticRegression()).fit(train)
    np.testing.assert_allclose(classifier.predict_proba(one),
                               classifier.predict_proba(new.head(1)))
    np.testing.assert_allclose(classifier.decision_function(columns),
                               classifier.decision_function(new))
    with pytest.raises(ValueError, match="cannot read the dict of columns.*same length"):
        model.predict({"x1": [1.0, 2.0], "x2": [0.0], "g": ["a", "b"]})
    with pytest.raises(ValueError, match="empty dict"):
        model.predict({})
    refit = FormulaModel("y ~ x1", LinearRegression()).fit(train.to_dict("list"))
    np.testing.assert_allclose(refit.predict(new),
                               FormulaModel("y ~ x1", LinearRegression()).fit(train).predict(new))


def test_grid_search_over_formula_model_without_y(train):
    search = GridSearchCV(FormulaModel("y ~ x1", Ridge()),
                          {"formula": ["y ~ x1", "y ~ cr(x1, df=6) + C(g)"],
                           "estimator__alpha": [1e-3, 1.0]}, cv=3)
    search.fit(train)  # y comes from the formula, in fit and in score
    assert search.best_params_["formula"] == "y ~ cr(x1, df=6) + C(g)"
    assert search.best_estimator_.score(train) > 0.9


# -- scikit-learn's estimator checks ------------------------------------------------------
FAST = dict(hidden_layer_sizes=(16,), lr=0.01, max_epochs=30, batch_size=32)


# No expected failures: the column-order check (check_dataframe_column_names_consistency)
# is not among the yielded checks; it would fail by design, since formula variables are
# found by name (test_columns_are_found_by_name).  The inner network is seeded: the
# checks' set_random_state reaches top-level parameters only.
@parametrize_with_checks(
    [FormulaTransformer("~ ."), FormulaModel("~ .", LinearRegression()),
     FormulaModel("~ .", NNClassifier(**FAST, random_state=0))])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- glm -----------------------------------------------------------------------------------
def test_glm_poisson_matches_statsmodels_on_fish(shared_dir):
    sm = pytest.importorskip("statsmodels.api")
    smf = pytest.importorskip("statsmodels.formula.api")
    path = os.path.join(shared_dir, "data", "fish.csv")
    if not os.path.exists(path):
        pytest.skip("fish.csv is not in the shared data")
    fish = pd.read_csv(path)
    train, test = train_test_split(fish, test_size=0.2, random_state=42)
    formula = "count ~ livebait + camper + persons + child"
    reference = smf.glm(formula, train, family=sm.families.Poisson()).fit()

    model = glm(formula, train, family="poisson", **_full_batch(len(train)))
    assert model.estimator_.hidden_layer_sizes == ()
    assert model.design_columns_.tolist() == ["livebait", "camper", "persons", "child"]
    coef = _implied_coefficients(model.model_matrix(train), np.log(model.predict(train)))
    np.testing.assert_allclose(coef, reference.params.to_numpy(), atol=2e-3)
    nll = -stats.poisson.logpmf(test["count"], model.predict(test)).mean()
    nll_ref = -stats.poisson.logpmf(test["count"], reference.predict(test)).mean()
    assert nll == pytest.approx(nll_ref, abs=1e-3)
    assert nll_ref == pytest.approx(2.69, abs=0.02)  # the course's figure


def test_glm_logistic_matches_statsmodels_logit(train):
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.RandomState(3)
    logit = -0.5 + 1.5 * train.x2 + train.g.map({"a": 0.0, "b": 1.0, "c": -1.0})
    yes = rng.uniform(size=len(train)) < 1 / (1 + np.exp(-logit))
    data = train.assign(outcome=np.where(yes, "yes", "no"))
    model = glm("outcome ~ x2 + C(g)", data, family="binomial", **_full_batch(len(data)))
    assert model.classes_.tolist() == ["no", "yes"]
    design = model.model_matrix(data)
    p = model.predict_proba(data)[:, 1]
    coef = _implied_coefficients(design, np.log(p / (1 - p)))
    exog = sm.add_constant(design)
    reference = sm.Logit((data.outcome == "yes").astype(float), exog).fit(disp=0)
    np.testing.assert_allclose(coef, reference.params.to_numpy(), atol=5e-3)


def test_glm_family_resolution(train):
    counts = train.assign(k=np.random.RandomState(0).poisson(np.exp(train.x2 / 2)),
                          label=train.g)
    normal = glm("y ~ x1", train, family="gaussian", max_epochs=1)
    assert normal.estimator_.family_.name == "normal"
    assert isinstance(normal.estimator_, NNRegressor)
    weighted = glm("k ~ x2", counts, family="poisson", sample_weight="x1", max_epochs=1)
    assert weighted.estimator_.family_.name == "poisson"
    three = glm("label ~ x2", counts, family="categorical", max_epochs=1)
    assert three.estimator_.family_.name == "categorical" and len(three.classes_) == 3
    with pytest.raises(ValueError, match="two classes.*categorical"):
        glm("label ~ x2", counts, family="bernoulli", max_epochs=1)
    with pytest.raises(ValueError, match="Unknown family 'tweedie'.*poisson"):
        glm("y ~ x1", train, family="tweedie")
    with pytest.raises(ValueError, match="'nothere' is not a column"):
        glm("y ~ x1", train, sample_weight="nothere")


# -- the formula's intercept ---------------------------------------------------------------
def _through_origin(n, seed):
    """Counts and a real response whose true model has a large intercept, so a fit
    that keeps one differs clearly from one through the origin."""
    rng = np.random.RandomState(seed)
    df = pd.DataFrame({"x": rng.uniform(0.5, 2.0, n), "g": rng.choice(["a", "b"], n)})
    df["y"] = 3.0 + 2.0 * df.x + rng.normal(size=n)
    df["k"] = rng.poisson(np.exp(0.8 * df.x))
    return df


@pytest.mark.parametrize("formula", ["k ~ x - 1", "k ~ 0 + x"])
def test_glm_without_intercept_fits_none(formula):
    from sklearn.linear_model import PoissonRegressor

    df = _through_origin(200, 0)
    model = glm(formula, df, family="poisson", **_full_batch(200))
    assert not model.has_intercept_ and model.estimator_.fit_intercept is False
    assert model.estimator_.net_.module_.head.bias is None
    assert model.estimator_.n_params_ == 1  # the slope only
    # the linear predictor is 0 at x = 0, as in R's glm(k ~ x - 1)
    assert model.predict(pd.DataFrame({"x": [0.0]}), type="link") == pytest.approx(0.0)
    coefficients = model.summary(df).coefficients
    assert coefficients.index.tolist() == ["x"]
    reference = PoissonRegressor(alpha=0, fit_intercept=False, tol=1e-10, max_iter=5000)
    reference.fit(df[["x"]], df.k)
    assert coefficients.loc["x", "log(mean)"] == pytest.approx(reference.coef_[0], abs=2e-3)
    assert coefficients.loc["x", "GLM (scikit-learn)"] == pytest.approx(reference.coef_[0])
    ll = model.log_likelihood()
    assert ll == pytest.approx(stats.poisson.logpmf(df.k, model.predict(df)).sum())
    assert model.aic() == pytest.approx(2 * 1 - 2 * ll)
    # the null model of a fit without intercept has linear predictor 0 (mean 1)
    null = -stats.poisson.logpmf(df.k, 1.0).mean()
    assert model.estimator_.null_loss_ == pytest.approx(null)


def test_glm_with_all_levels_of_a_factor_and_no_intercept():
    df = _through_origin(200, 1)
    model = glm("k ~ 0 + C(g)", df, family="poisson", **_full_batch(200))
    assert model.design_columns_.tolist() == ["C(g)[a]", "C(g)[b]"]
    coefficients = model.summary().coefficients["log(mean)"]
    means = np.log(df.groupby("g").k.mean())  # R: one log-mean per level
    np.testing.assert_allclose(coefficients.to_numpy(), means.to_numpy(), atol=2e-3)


def test_formula_intercept_sets_the_estimators_fit_intercept():
    from sklearn.neighbors import KNeighborsRegressor

    df = _through_origin(100, 2)
    without = FormulaModel("y ~ x - 1", LinearRegression()).fit(df)
    assert without.estimator_.fit_intercept is False and without.estimator_.intercept_ == 0
    np.testing.assert_allclose(without.estimator_.coef_,
                               np.linalg.lstsq(df[["x"]], df.y, rcond=None)[0])
    # the formula decides both ways
    kept = FormulaModel("y ~ x", LinearRegression(fit_intercept=False)).fit(df)
    assert kept.has_intercept_ and kept.estimator_.intercept_ == pytest.approx(
        np.polyfit(df.x, df.y, 1)[1])
    assert FormulaModel("y ~ x", KNeighborsRegressor()).fit(df).has_intercept_
    with pytest.raises(ValueError, match="KNeighborsRegressor has no fit_intercept "
                                         "parameter: it always has its own intercept"):
        FormulaModel("y ~ 0 + x", KNeighborsRegressor()).fit(df)


@pytest.mark.parametrize("params, match", [
    (dict(fit_intercept="no"), "fit_intercept must be True or False"),
    (dict(fit_intercept=False), r"without hidden layers.*hidden_layer_sizes='auto'"),
    (dict(fit_intercept=False, hidden_layer_sizes=(4,)), r"hidden_layer_sizes=\(4,\)"),
])
def test_fit_intercept_is_checked_before_training(params, match):
    df = _through_origin(50, 3)
    with pytest.raises(ValueError, match=match):
        NNRegressor(**params).fit(df[["x"]], df.y)
    if params["fit_intercept"] is False:  # the formula's '- 1' reaches the check too
        inner = NNRegressor(**{**params, "fit_intercept": True})
        with pytest.raises(ValueError, match=match):
            FormulaModel("y ~ x - 1", inner).fit(df)


@pytest.mark.parametrize("family", ["gaussian", "normal"])
def test_glm_gaussian_has_one_sd_as_r(family):
    df = _through_origin(300, 4)
    model = glm("y ~ x + C(g)", df, family=family, **_full_batch(300))
    assert model.estimator_.family_.heteroscedastic is False
    sd = model.predict_dist(df).std()
    assert np.ptp(sd) == 0.0  # one sd for every row, as R's dispersion
    design = np.column_stack([np.ones(len(df)), model.model_matrix(df)])
    coef, rss = np.linalg.lstsq(design, df.y, rcond=None)[:2]
    np.testing.assert_allclose(_implied_coefficients(model.model_matrix(df),
                                                     model.predict(df)), coef, atol=2e-3)
    assert sd[0] == pytest.approx(np.sqrt(rss[0] / len(df)), rel=2e-3)  # the ML estimate
    summary = model.summary()
    assert summary.coefficients.columns.tolist() == ["mean"]  # no log(scale) column
    assert summary["scale (constant)"] == pytest.approx(sd[0])
    # an instance is used as given: Normal() lets the sd depend on x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short fit is enough
        flexible = glm("y ~ x", df, family=Normal(), max_epochs=20, random_state=0)
    assert flexible.estimator_.family_.heteroscedastic is True


def test_a_fit_without_intercept_names_its_null_model():
    df = _through_origin(100, 5)
    model = glm("k ~ x - 1", df, family="poisson", **_full_batch(100))
    assert model.summary()["NLL of the null model (no intercept)"] == pytest.approx(
        model.estimator_.null_loss_)
    assert model.estimator_._null_model() == (
        "the null model (without intercept: linear predictors 0)")


def test_glm_refuses_a_binomial_response_with_three_classes_before_training(monkeypatch):
    from sklearn_dl import NNClassifier
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"x": rng.normal(size=60), "k": rng.choice(["a", "b", "c"], 60)})

    def no_training(self, *args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(NNClassifier, "fit", no_training)
    with pytest.raises(ValueError, match="two classes, but it has 3"):
        glm("k ~ x", df, family="binomial")


@pytest.mark.parametrize("formula, hint", [
    ("y ~ I(x^2)", r"I\(x\*\*2\)"),
    ("y ~ factor(g)", r"C\(g\)"),
    ("y ~ x + offset(x)", "sample_weight=exposure"),
])
def test_r_spellings_formulaic_does_not_know_get_the_python_spelling(formula, hint):
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"x": rng.normal(size=30), "g": rng.choice(["a", "b"], 30)})
    df["y"] = df.x + rng.normal(size=30)
    with pytest.raises(ValueError, match=hint):
        glm(formula, df, family="gaussian", max_epochs=1)
