"""FormulaModel: ``y ~ x1 + C(g)`` plus any estimator, fitted on one DataFrame.

Here: the formula, the fit and the design matrices.  The methods passed on to the fitted
estimator are mixins: predictions in ``_delegation.py``, R-style statistics in
``_statistics.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import pandas as pd
from formulaic.model_matrix import ModelMatrices
from scipy import sparse
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ._delegation import _DelegatedPredictions
from ._statistics import _DelegatedStatistics
from ._transformer import FormulaTransformer, _check_options, materialize


class FormulaModel(_DelegatedStatistics, _DelegatedPredictions, MetaEstimatorMixin,
                   BaseEstimator):
    """Fit any estimator with an R-style formula: ``FormulaModel("y ~ x1 + C(g)", est)``.

    :meth:`fit` takes one DataFrame: the left-hand side of the formula gives ``y``, the
    right-hand side is turned into a design matrix by a :class:`FormulaTransformer`
    (factor levels and stateful transforms are learned here), and a clone of
    ``estimator`` is fitted to that design (as a DataFrame, so the estimator's
    ``feature_names_in_`` are the design's column names).  Every prediction method
    re-applies the fitted formula to new data, which need not contain the response,
    as R's ``predict(fit, newdata)``; like R's ``newdata = list(...)`` it may also be
    a dict of columns (one row when all its values are scalars).  The estimator's
    ``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``,
    ``predict_dist``, ``predict_interval``, ``predict_uncertainty``, ``score`` and the
    R-style ``summary``, ``log_likelihood``, ``aic``, ``bic`` are offered exactly when
    the estimator has them, and keyword arguments are passed on to them
    (``predict_dist(newdata, mc_samples=0)``).

    For a GLM written as a formula see :func:`sklearn_dl.glm`.

    Parameters
    ----------
    formula : str
        ``"response ~ terms"``, in formulaic's syntax (see :class:`FormulaTransformer`).
        The response is either column name(s) of the data, taken as they are (numbers,
        or labels for a classifier, e.g. ``"species ~ ."``; ``"y1 + y2 ~ x"`` gives a
        2-D target), or a numeric expression such as ``"np.log(y) ~ x"`` or
        ``"I(count / exposure) ~ x"``.  A formula without a response (``"~ x1 + x2"``)
        takes ``y`` from the ``y`` argument of :meth:`fit`, as scikit-learn does.
        With a response, ``y`` may still be passed, as scikit-learn's tools do
        (``cross_val_score(model, df, df["y"])``, ``GridSearchCV``, scorers,
        ``score(X, y)``): the formula's response is used, and ``y`` must hold the
        same values (a ``ValueError`` otherwise, e.g. for the raw column of
        ``"np.log(y) ~ x"``, which a scorer would compare with predictions of
        ``log(y)``).
        R's ``cbind(successes, failures)`` response is not supported.
    estimator : estimator object
        Any scikit-learn compatible estimator (an sklearn_dl network, a scikit-learn
        model...); it is cloned in :meth:`fit`.  The formula's intercept decides
        whether the model has one, as in R.  Its constant column is never passed on:
        the estimator's own intercept (a network's bias) plays its part, and an
        estimator with a ``fit_intercept`` parameter (scikit-learn's linear models,
        the tabular sklearn_dl networks) gets it set from the formula: False for
        ``"y ~ x - 1"`` or ``"y ~ 0 + x"``, True otherwise.  An estimator without that
        parameter always has its own intercept, so a formula without one is refused
        with a ``ValueError``.  (For a network ``fit_intercept=False`` needs
        ``hidden_layer_sizes=()``.)
    na_action : {"raise", "ignore"}, default="raise"
        Missing values in the variables the formula uses (response included):
        ``"raise"`` a clear ``ValueError``, ``"ignore"`` pass them on.  To drop
        incomplete rows as R's ``na.omit`` does, use ``data.dropna(subset=[...])``.
    unseen : {"raise", "zeros"}, default="raise"
        Factor levels at prediction time that were not in the training data; see
        :class:`FormulaTransformer`.
    context : dict or None, default=None
        Extra names the formula may use (functions, constants).

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    formula_ : FormulaTransformer
        The fitted right-hand side (``"~ 1 + x1 + C(g)"``, with ``.`` expanded).
    response_ : list of str or None
        The left-hand-side term(s); None for a formula without one (``y`` then comes
        from :meth:`fit`'s argument).
    has_intercept_ : bool
        Whether the formula, and so the fitted model, has an intercept.
    design_columns_ : ndarray of str
        Columns of the design matrix the estimator was fitted on (formulaic's names,
        e.g. ``C(g)[T.b]``), equal to ``estimator_.feature_names_in_``.
    feature_names_in_ : ndarray of str
        Columns of the training DataFrame (predictions need only those the formula
        uses).
    n_features_in_ : int
        Number of columns of the training data.
    classes_ : ndarray
        The classifier's classes (only for a classifier).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_dl import FormulaModel
    >>> rng = np.random.RandomState(0)
    >>> df = pd.DataFrame({"x": rng.uniform(1, 5, 50), "g": rng.choice(["a", "b"], 50)})
    >>> df["y"] = 2 * np.log(df["x"]) + (df["g"] == "b") + rng.normal(0, 0.1, 50)
    >>> model = FormulaModel("y ~ np.log(x) + C(g)", LinearRegression()).fit(df)
    >>> model.design_columns_.tolist()
    ['np.log(x)', 'C(g)[T.b]']
    >>> model.predict(pd.DataFrame({"x": [np.e], "g": ["b"]})).round(1)
    array([3.])
    """

    def __init__(self, formula, estimator, *, na_action="raise", unseen="raise",
                 context=None):
        self.formula = formula
        self.estimator = estimator
        self.na_action = na_action
        self.unseen = unseen
        self.context = context

    @property
    def _name(self):
        return type(self).__name__

    # -- fit ---------------------------------------------------------------------------
    def fit(self, X, y=None, **fit_params):
        """Evaluate the formula on the data and fit the estimator to its design matrix.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            The data: the response and the variables of the formula (arrays are read
            as columns ``x0 ... x{p-1}``, a dict of columns as a DataFrame).
        y : array-like or None, default=None
            The target of a formula without a left-hand side.  With one, None or the
            same values as the response evaluated on ``X`` (checked; the formula's
            response is used).
        **fit_params : dict
            Passed to the estimator's ``fit``, e.g. ``sample_weight``.

        Returns
        -------
        self : FormulaModel

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn_dl import FormulaModel, PoissonNLLRegressor
        >>> model = FormulaModel("count ~ x + C(g)", PoissonNLLRegressor(
        ...     hidden_layer_sizes=(), lr=0.05, max_epochs=20, random_state=0)).fit(df)
        >>> model.response_, model.design_columns_.tolist()
        (['count'], ['x', 'C(g)[T.b]'])
        """
        _check_options(self._name, self.formula, self.na_action, self.unseen, self.context)
        if not hasattr(self.estimator, "fit"):
            raise TypeError(f"{self._name}: estimator must be a scikit-learn estimator "
                            f"with a fit method, got {self.estimator!r}.")
        rhs_step = FormulaTransformer(self.formula, intercept=False,
                                      na_action=self.na_action, unseen=self.unseen,
                                      context=self.context)
        data = rhs_step._as_frame(self._data(X), reset=True)
        matrix = materialize(self._name, self.formula, data, na_action=self.na_action,
                             unseen=self.unseen, context=self.context)
        lhs = None
        if isinstance(matrix, ModelMatrices):
            if "lhs" not in matrix or isinstance(matrix.rhs, ModelMatrices):
                raise ValueError(f"{self._name}: formula={self.formula!r} has several "
                                 "right-hand parts; use one, as in 'y ~ x1 + C(g)'.")
            lhs, matrix = matrix.lhs, matrix.rhs
        design = rhs_step._fit_matrix(data, matrix)
        # The fitted step holds the right-hand side only (with "." expanded), so it can
        # be refitted or used on its own; predictions never need the response.
        rhs_step.formula = f"~ {matrix.model_spec.formula}"

        if lhs is not None:
            self._lhs_spec = lhs.model_spec
            self.response_ = [str(term) for term in lhs.model_spec.formula]
            y = self._agreeing(y, self._response(data, lhs), "fit")
        else:
            self._lhs_spec = None
            self.response_ = None
        design = pd.DataFrame(design, columns=rhs_step._columns, index=data.index)
        has_intercept = any(str(term.term) == "1" for term in matrix.model_spec.structure)
        estimator = self._with_intercept(clone(self.estimator), has_intercept)
        self.estimator_ = estimator.fit(design, y, **fit_params)
        self.has_intercept_ = has_intercept
        self.formula_ = rhs_step
        self.design_columns_ = np.asarray(rhs_step._columns, dtype=object)
        self.n_features_in_ = rhs_step.n_features_in_
        if hasattr(rhs_step, "feature_names_in_"):
            self.feature_names_in_ = rhs_step.feature_names_in_
        return self

    def _with_intercept(self, estimator, has_intercept):
        """``estimator`` with the formula's intercept (its ``fit_intercept``), or a
        ValueError when it cannot go without one."""
        if "fit_intercept" in estimator.get_params(deep=False):
            return estimator.set_params(fit_intercept=has_intercept)
        if not has_intercept:
            raise ValueError(
                f"{self._name}: formula={self.formula!r} has no intercept ('- 1' or "
                f"'0 +'), but {type(estimator).__name__} has no fit_intercept parameter: "
                "it always has its own intercept. Keep the intercept in the formula, or "
                "use an estimator with fit_intercept.")
        return estimator

    def _response(self, data, lhs_matrix=None):
        """The target from the left-hand side: raw columns, or formulaic's numbers."""
        spec = self._lhs_spec
        terms = [str(term) for term in spec.formula]
        if all(term in data.columns for term in terms):
            y = data[terms[0]] if len(terms) == 1 else data[terms]
            if self.na_action == "raise" and bool(np.any(pd.isna(y))):
                raise ValueError(f"{self._name}: the response {terms} has missing "
                                 "values.")
            return y.to_numpy()
        kinds = [getattr(kind, "value", kind) for kind, _ in spec.encoder_state.values()]
        if "categorical" in kinds:
            raise ValueError(f"{self._name}: a categorical response must be a plain "
                             f"column name ('label ~ ...'), got {' + '.join(terms)!r}.")
        if lhs_matrix is None:
            lhs_matrix = materialize(self._name, spec, data, na_action=self.na_action,
                                     unseen=self.unseen, context=self.context)
        y = lhs_matrix.to_numpy(dtype=np.float64)
        return y[:, 0] if y.shape[1] == 1 else y

    # -- design matrices -------------------------------------------------------------------
    def _data(self, X):
        """``X``, with a dict of columns (R's ``newdata = list(...)``) read as a DataFrame:
        one row when all its values are scalars, else ``pd.DataFrame(X)`` (scalars are
        repeated along the columns given as lists or arrays)."""
        if not isinstance(X, Mapping) or sparse.issparse(X):  # a DOK array is a dict
            return X
        if len(X) == 0:
            raise ValueError(f"{self._name}: the data is an empty dict; give the "
                             "variables of the formula as {column: value(s)}, or a "
                             "pandas DataFrame.")
        try:
            if all(np.ndim(value) == 0 for value in X.values()):
                return pd.DataFrame({name: [value] for name, value in X.items()})
            return pd.DataFrame(dict(X))
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"{self._name}: cannot read the dict of columns as a DataFrame: {error}. "
                "Give each column as a scalar (one row) or as a list or 1-D array of "
                "the same length, or pass a pandas DataFrame.") from None

    def _design(self, X):
        check_is_fitted(self, "estimator_")
        frame = self.formula_._transform_frame(self._data(X))
        return pd.DataFrame(frame.to_numpy(dtype=np.float64), columns=self.design_columns_,
                            index=frame.index)

    def _target(self, X, y, where):
        """``y`` for new data: the formula's response on ``X`` (a ``y`` given as well
        must agree), or ``y`` itself for a formula without one."""
        if self._lhs_spec is None:
            return y
        response = self._response(self.formula_._as_frame(self._data(X), reset=False))
        return self._agreeing(y, response, where)

    def _agreeing(self, y, response, where):
        """The formula's response; a ``y`` passed as well must hold the same values.

        scikit-learn's tools pass ``y`` along with ``X`` (cross-validation splits,
        scorers), so it is accepted, but never used in place of the formula's
        response: a scorer compares predictions with ``y``, so a ``y`` other than the
        modelled response (the raw column of ``np.log(y) ~ x``) would be scored wrongly.
        """
        if y is None:
            return response
        given = np.asarray(y)
        same = given.size == response.size
        if same:
            given = given.reshape(response.shape)
            if given.dtype.kind in "biuf" and response.dtype.kind in "biuf":
                same = np.allclose(given, response, rtol=1e-9, atol=1e-12, equal_nan=True)
            else:
                same = bool(np.all(given.astype(object) == response.astype(object)))
        if not same:
            raise ValueError(
                f"{self._name}.{where}: y does not hold the formula's response "
                f"{' + '.join(self.response_)!r} evaluated on X (formula="
                f"{self.formula!r}); pass y=None (the formula gives the response), the "
                "same values, or a formula without a left-hand side ('~ x1 + ...').")
        return response

    def model_matrix(self, X):
        """The design matrix of (new) data, as R's ``model.matrix(fit, newdata)``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            A dict of columns is read as a DataFrame (one row when all its values are
            scalars).

        Returns
        -------
        design : DataFrame of shape (n_samples, n_design_columns)
            What the estimator sees (without the intercept column); its columns are
            ``design_columns_``.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn_dl import FormulaModel, PoissonNLLRegressor
        >>> model = FormulaModel("count ~ x + C(g)", PoissonNLLRegressor(
        ...     hidden_layer_sizes=(), lr=0.05, max_epochs=20, random_state=0)).fit(df)
        >>> model.model_matrix(df.head(2)).columns.tolist()
        ['x', 'C(g)[T.b]']
        """
        return self._design(X)

    @property
    def classes_(self):
        """Class labels of the fitted classifier."""
        return self.estimator_.classes_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        # a FormulaModel is whatever its estimator is (classifier, regressor...)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.target_tags = copy.deepcopy(inner.target_tags)
        tags.input_tags.allow_nan = (inner.input_tags.allow_nan
                                     and self.na_action == "ignore")
        return tags
