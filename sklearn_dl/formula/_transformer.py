"""FormulaTransformer: an R-style formula as a stateful scikit-learn transformer.

formulaic does all the formula work (parsing, factor coding, stateful transforms such as
``center``, ``scale``, ``bs``, ``cr``, ``poly``); this module only makes its
``ModelSpec`` behave like a fitted scikit-learn transformer: learned in ``fit``,
re-applied unchanged in ``transform``, with scikit-learn's validation conventions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from formulaic import model_matrix
from formulaic.errors import DataMismatchWarning, FormulaicError, FormulaParsingError
from formulaic.model_matrix import ModelMatrices
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

NA_ACTIONS = ("raise", "ignore")
UNSEEN_ACTIONS = ("raise", "zeros")


def _check_options(owner, formula, na_action, unseen, context):
    """Validate the formula parameters shared by the transformer and the model."""
    if not isinstance(formula, str):
        raise TypeError(f"{owner}: formula must be a string such as '~ x1 + C(group)', "
                        f"got {type(formula).__name__} {formula!r}.")
    if na_action not in NA_ACTIONS:
        raise ValueError(f"{owner}: na_action must be one of {NA_ACTIONS}, got "
                         f"{na_action!r}.")
    if unseen not in UNSEEN_ACTIONS:
        raise ValueError(f"{owner}: unseen must be one of {UNSEEN_ACTIONS}, got "
                         f"{unseen!r}.")
    if context is not None and not hasattr(context, "keys"):
        raise TypeError(f"{owner}: context must be a dict of names usable in the "
                        f"formula, or None; got {type(context).__name__}.")


def _unseen_levels(spec, data):
    """``[(column, factor, unseen values, training levels)]`` for the categorical factors
    of ``spec`` that read one data column (enough to name the culprit in an error)."""
    found = []
    factors = {str(factor): names for factor, names in spec.factor_variables.items()}
    data_vars = spec.variables_by_source.get("data", set())
    for factor, (kind, state) in spec.encoder_state.items():
        levels = state.get("categories") if isinstance(state, dict) else None
        if getattr(kind, "value", kind) != "categorical" or levels is None:
            continue
        columns = [v for v in factors.get(factor, ()) if v in data_vars]
        if len(columns) != 1 or columns[0] not in data:
            continue
        values = pd.unique(data[columns[0]].dropna())
        unseen = [v for v in values if v not in set(levels)]
        if unseen:
            found.append((columns[0], factor, unseen, list(levels)))
    return found


def _unseen_error(owner, spec, data, warning):
    details = [f"column {col!r} (factor {factor}) has level(s) {unseen!r} not among the "
               f"levels learned in fit {levels!r}"
               for col, factor, unseen, levels in _unseen_levels(spec, data)]
    what = "; ".join(details) if details else str(warning)
    return ValueError(
        f"{owner}: unseen categorical level(s): {what}. Declare all levels "
        "(a pandas Categorical column, or C(x, levels=[...]) in the formula), or set "
        "unseen='zeros' to code them as all-zero dummy columns.")


def _blank_unseen(owner, spec, data, na_action):
    """For ``unseen="zeros"``: unseen levels become missing, which formulaic codes as
    all-zero dummies.  (Letting formulaic meet them itself goes through a pandas code
    path deprecated in pandas 3.)  Returns ``(data, spec)`` to evaluate."""
    found = _unseen_levels(spec, data)
    if not found:
        return data, spec
    if na_action == "raise":  # the blanks must not hide real missing values
        used = sorted(spec.variables_by_source.get("data", set()) & set(data.columns))
        missing = [name for name in used if data[name].isna().any()]
        if missing:
            raise ValueError(f"{owner}: column(s) {missing} used by the formula have "
                             "missing values.")
    data = data.copy()
    for column, _, unseen, _ in found:
        values = data[column]
        keep = ~values.isin(unseen)
        data[column] = values.where(keep) if isinstance(values.dtype, pd.CategoricalDtype) \
            else values.astype(object).where(keep, None)
    return data, spec.update(na_action="ignore")


def materialize(owner, formula_or_spec, data, *, na_action, unseen, context):
    """Evaluate a formula (learning a spec) or re-apply a fitted ``ModelSpec`` on a
    DataFrame, turning formulaic's errors and unseen-level warnings into ``ValueError``
    messages that name the estimator.

    Returns formulaic's ``ModelMatrix`` (right-hand side only) or ``ModelMatrices``
    (``.lhs`` and ``.rhs``).
    """
    context = dict(context or {})
    learn = isinstance(formula_or_spec, str)
    with warnings.catch_warnings():
        # formulaic only warns about unseen levels; "raise" makes that an error here.
        # With "zeros" they are blanked beforehand, so the warning can only come from
        # factors that are expressions of several columns (formulaic then codes zeros).
        warnings.simplefilter("error" if unseen == "raise" else "ignore",
                              DataMismatchWarning)
        try:
            if learn:
                return model_matrix(formula_or_spec, data, context=context,
                                    na_action=na_action, output="pandas")
            spec = formula_or_spec
            if unseen == "zeros":
                data, spec = _blank_unseen(owner, spec, data, na_action)
            return spec.get_model_matrix(data, context=context)
        except DataMismatchWarning as warning:
            if learn:  # levels given in the formula, e.g. C(g, levels=[...])
                raise ValueError(f"{owner}: {warning}") from None
            raise _unseen_error(owner, formula_or_spec, data, warning) from None
        except FormulaParsingError as error:
            raise ValueError(f"{owner}: formula={formula_or_spec!r} is not a valid "
                             f"formula: {error}") from error
        except (FormulaicError, ValueError, TypeError, NameError, KeyError) as error:
            raise ValueError(f"{owner}: cannot evaluate the formula on this data: "
                             f"{error}{_r_hint(str(error))}") from error


# R habits that formulaic spells differently, recognised in its error message
_R_HINTS = (
    ("xor", "In Python a power is **, not ^: write I(x**2) (or poly(x, 2))."),
    ("name 'factor' is not defined", "R's factor(g) is C(g) here."),
    ("name 'offset' is not defined",
     "There is no offset(): model a rate as y = counts / exposure with "
     "sample_weight=exposure, as scikit-learn's Poisson examples do."),
)


def _r_hint(message):
    hints = [hint for key, hint in _R_HINTS if key in message]
    return (" " + " ".join(hints)) if hints else ""


def check_finite(owner, design):
    """Raise naming the design columns that hold NaN or infinity (e.g. ``np.log(0)``)."""
    bad = ~np.isfinite(design.to_numpy(dtype=np.float64)).all(axis=0)
    if bad.any():
        names = list(design.columns[bad])
        raise ValueError(
            f"{owner}: the design matrix has NaN or infinite values in column(s) "
            f"{names} after evaluating the formula; clean the data (or "
            "set na_action='ignore' to pass them on).")


class FormulaTransformer(TransformerMixin, BaseEstimator):
    """Turn a DataFrame into a design matrix with an R-style formula (via formulaic).

    ``FormulaTransformer("~ x1 + C(group) + x1:x2 + np.log(x3) + bs(x4, df=4)")`` learns
    in :meth:`fit` everything the formula needs from the training data (the levels of
    each factor, the mean of ``center(x)``, the knots of ``bs(x)`` / ``cr(x)``, the
    basis of ``poly(x, 2)``) and :meth:`transform` re-applies exactly that to new
    data, so the same columns come out in the same order.  It can be the first step of
    a :class:`~sklearn.pipeline.Pipeline`, and the formula is an ordinary
    hyperparameter for :class:`~sklearn.model_selection.GridSearchCV`
    (``{"formula__formula": ["~ x", "~ bs(x, df=5)"]}``).

    The formula syntax is formulaic's (``+``, ``:``, ``*``, ``-``, ``C()``, ``I()``,
    ``np.*``, ``log``, ``center``, ``scale``, ``bs``, ``cr``, ``cc``, ``poly``, ``.``
    for all columns); see https://matthewwardrop.github.io/formulaic/.

    Parameters
    ----------
    formula : str
        A right-hand-side formula such as ``"~ x1 + C(group)"`` (the ``~`` may be
        omitted).  A response (``"y ~ ..."``) is refused: use
        :class:`sklearn_dl.FormulaModel` to model it.
    intercept : bool, default=False
        Keep formulaic's ``Intercept`` column.  The default drops it because every
        sklearn_dl network (and most scikit-learn models) has its own bias; a constant
        column would only duplicate it.  The intercept is still *part of the formula*,
        so factors are coded as in R's ``model.matrix`` (treatment contrasts, the first
        level as reference).  Writing ``"~ 0 + C(g)"`` instead removes it from the
        formula, and formulaic then codes the first factor with all its levels; the
        model after this step should then have no intercept either
        (``fit_intercept=False``), which :class:`sklearn_dl.FormulaModel` sets for you.
    na_action : {"raise", "ignore"}, default="raise"
        ``"raise"``: a clear ``ValueError`` when a variable used by the formula is
        missing (NaN/None) or a column of the design is not finite (``np.log(0)``).
        ``"ignore"``: NaN/inf pass through to the design (for models that accept
        missing values); a missing factor value is then coded as all-zero dummies.
        Dropping rows is not offered: a transformer must keep its rows.
    unseen : {"raise", "zeros"}, default="raise"
        Factor levels in :meth:`transform` that were not seen in :meth:`fit`.
        ``"raise"``: ``ValueError`` naming the column and the levels.  ``"zeros"``:
        such rows get zeros in all of that factor's dummy columns, which under the
        default treatment coding is the code of the reference (first) level.
        Declaring the levels in advance (a pandas ``Categorical`` column, or
        ``C(g, levels=[...])``) avoids the problem, e.g. in cross-validation folds.
    context : dict or None, default=None
        Extra names the formula may use, e.g. ``{"log1p": np.log1p}``.  formulaic's own
        transforms and ``np`` are always available.  Must be picklable for the fitted
        transformer to pickle.

    Attributes
    ----------
    model_spec_ : formulaic.ModelSpec
        The fitted formula: structure, factor levels and stateful-transform state.
    feature_names_in_ : ndarray of str
        Columns of the training DataFrame (``x0 ... x{p-1}`` for a numpy array).
        :meth:`transform` needs only the columns the formula uses; extra columns and
        their order do not matter (as in R's ``predict(newdata=)``).
    n_features_in_ : int
        Number of columns of the training data.

    Notes
    -----
    A numeric array (no column names) is read as columns ``x0 ... x{p-1}``, so
    ``"~ x0 + np.log(x1)"`` or ``"~ ."`` works on arrays too (this is what
    scikit-learn's estimator checks feed).  The output is a float64 array; use
    ``set_output(transform="pandas")`` for a DataFrame with formulaic's column names
    (also available from :meth:`get_feature_names_out`).

    ``bs(x)`` refuses values outside the training range by default (formulaic's
    ``extrapolation="raise"``), which cross-validation folds easily produce; write
    ``bs(x, df=4, extrapolation="clip")`` (or ``"extend"``), or use ``cr(x, df=4)``,
    which continues linearly.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_dl import FormulaTransformer
    >>> train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "g": ["a", "b", "a", "c"]})
    >>> ft = FormulaTransformer("~ center(x) + C(g)").fit(train)
    >>> ft.get_feature_names_out().tolist()
    ['center(x)', 'C(g)[T.b]', 'C(g)[T.c]']
    >>> ft.transform(pd.DataFrame({"x": [2.5], "g": ["c"]}))
    array([[0., 0., 1.]])
    """

    def __init__(self, formula, *, intercept=False, na_action="raise", unseen="raise",
                 context=None):
        self.formula = formula
        self.intercept = intercept
        self.na_action = na_action
        self.unseen = unseen
        self.context = context

    # -- input ---------------------------------------------------------------------------
    def _as_frame(self, X, reset):
        """DataFrame with the data's own columns, or ``x0..x{p-1}`` for arrays."""
        if isinstance(X, pd.DataFrame):
            if reset:
                validate_data(self, X, skip_check_array=True, reset=True)
                if len(X) == 0:
                    raise ValueError(f"{self._name}: found a DataFrame with 0 rows; "
                                     "at least 1 is required.")
            if hasattr(self, "feature_names_in_") or all(isinstance(c, str)
                                                         for c in X.columns):
                return X
            return X.set_axis([f"x{i}" for i in range(X.shape[1])], axis=1)
        finite = True if self.na_action == "raise" else False
        array = validate_data(self, X, reset=reset, dtype="numeric",
                              ensure_all_finite=finite)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(array.shape[1])]
        return pd.DataFrame(array, columns=list(names))

    @property
    def _name(self):
        return type(self).__name__

    def _check_params(self):
        _check_options(self._name, self.formula, self.na_action, self.unseen, self.context)
        if not isinstance(self.intercept, (bool, np.bool_)):
            raise TypeError(f"{self._name}: intercept must be True or False, got "
                            f"{self.intercept!r}.")

    # -- fit / transform -------------------------------------------------------------------
    def _fit_matrix(self, data, matrix):
        """Store the fitted state from formulaic's model matrix of the training data."""
        self.model_spec_ = matrix.model_spec
        keep = [col for term in self.model_spec_.structure for col in term.columns
                if self.intercept or str(term.term) != "1"]
        self._columns = keep
        design = matrix[keep]
        if self.na_action == "raise":
            check_finite(self._name, design)
        return design.to_numpy(dtype=np.float64)

    def fit(self, X, y=None):
        """Learn the formula's levels and stateful transforms from the training data.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The variables the formula refers to.
        y : None
            Ignored.

        Returns
        -------
        self : FormulaTransformer

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn_dl import FormulaTransformer
        >>> FormulaTransformer("~ x + C(g)").fit(df).n_features_in_
        3
        """
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit to the training data and return its design matrix.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        design : ndarray of shape (n_samples, n_columns)
            Same as ``fit(X).transform(X)``.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn_dl import FormulaTransformer
        >>> FormulaTransformer("~ x + C(g)").fit_transform(df).shape  # no intercept column by default
        (100, 2)
        """
        self._check_params()
        data = self._as_frame(X, reset=True)
        matrix = materialize(self._name, self.formula, data, na_action=self.na_action,
                             unseen=self.unseen, context=self.context)
        if isinstance(matrix, ModelMatrices):
            what = ("has a left-hand side (a response); model it with "
                    "sklearn_dl.FormulaModel('y ~ ...', estimator)" if "lhs" in matrix
                    else "has several parts")
            raise ValueError(f"{self._name}: formula={self.formula!r} {what}. "
                             "FormulaTransformer takes one right-hand side such as "
                             "'~ x1 + C(g)'.")
        return self._fit_matrix(data, matrix)

    def transform(self, X):
        """Re-apply the fitted formula to (new) data.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Must contain the columns the formula uses; factor levels and transform
            state are those learned in :meth:`fit`.

        Returns
        -------
        design : ndarray of shape (n_samples, n_columns)
            Columns named by :meth:`get_feature_names_out`.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn_dl import FormulaTransformer
        >>> step = FormulaTransformer("~ x + C(g)").fit(df)
        >>> step.transform(pd.DataFrame({"x": [2.0], "g": ["b"]}))
        array([[2., 1.]])
        """
        return self._transform_frame(X).to_numpy(dtype=np.float64)

    def _transform_frame(self, X):
        check_is_fitted(self, "model_spec_")
        data = self._as_frame(X, reset=False)
        needed = sorted(self.model_spec_.variables_by_source.get("data", set()))
        missing = [name for name in needed if name not in data.columns]
        if missing:
            raise ValueError(f"{self._name}: the data lacks column(s) {missing} used by "
                             f"the formula {self.formula!r}.")
        matrix = materialize(self._name, self.model_spec_, data, na_action=self.na_action,
                             unseen=self.unseen, context=self.context)
        design = matrix[self._columns]
        if self.na_action == "raise":
            check_finite(self._name, design)
        return design

    def get_feature_names_out(self, input_features=None):
        """Names of the design columns, as formulaic writes them.

        E.g. ``x1``, ``C(g)[T.b]``, ``x1:x2``, ``np.log(x3)``, ``bs(x4, df=4)[1]``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_`` (the names come from the
            formula).

        Returns
        -------
        feature_names_out : ndarray of str objects

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn_dl import FormulaTransformer
        >>> FormulaTransformer("~ x * C(g)").fit(df).get_feature_names_out().tolist()
        ['x', 'C(g)[T.b]', 'x:C(g)[T.b]']
        """
        check_is_fitted(self, "model_spec_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray(self._columns, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.na_action == "ignore"
        return tags
