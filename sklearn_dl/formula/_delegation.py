"""The prediction methods ``FormulaModel`` passes on to its fitted estimator.

Each one exists exactly when the estimator has it (``available_if``, as in ``Pipeline``),
runs on the fitted formula's design matrix of the new data and passes its keyword
arguments on to the estimator's method unchanged.  The new data may be a DataFrame, an
array or a dict of columns (R's ``newdata = list(...)``), which ``FormulaModel._design``
reads as a DataFrame.
"""

from __future__ import annotations

from sklearn.utils.metaestimators import available_if


def _estimator_has(attr):
    """For ``available_if``: the fitted (else the unfitted) inner estimator has ``attr``."""

    def check(self):
        estimator = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        getattr(estimator, attr)  # AttributeError hides the method, as in Pipeline
        return True

    return check


class _DelegatedPredictions:
    """``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``,
    ``predict_dist``, ``predict_interval``, ``predict_uncertainty`` and ``score`` of a
    formula model.

    A mixin of :class:`~sklearn_dl.formula.FormulaModel` only: it uses its ``estimator_``,
    ``_design(X)`` and ``_target(X, y, where)``.
    """

    @available_if(_estimator_has("predict"))
    def predict(self, X, **predict_params):
        """The estimator's ``predict`` on the formula's design of ``X``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        **predict_params : dict
            Passed on to the estimator's ``predict``, e.g. ``return_std=True`` or
            ``type="link"`` for sklearn_dl estimators.

        Returns
        -------
        y_pred : ndarray

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
        >>> model.predict(pd.DataFrame({"x": [0.0, 1.0], "g": ["a", "b"]})).shape
        (2,)
        >>> model.predict({"x": 0.0, "g": "a"}).shape  # a dict of scalars: one row
        (1,)
        """
        design = self._design(X)  # checks fittedness first
        return self.estimator_.predict(design, **predict_params)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X, **kwargs):
        """The estimator's class probabilities for ``X``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        **kwargs : dict
            Passed on to the estimator's ``predict_proba``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn_dl import FormulaModel
        >>> model = FormulaModel("I(count > 1) ~ x", LogisticRegression()).fit(df)
        >>> model.predict_proba(df.head(2)).shape
        (2, 2)
        """
        design = self._design(X)  # checks fittedness first
        return self.estimator_.predict_proba(design, **kwargs)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X, **kwargs):
        """The estimator's log class probabilities for ``X``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        **kwargs : dict
            Passed on to the estimator's ``predict_log_proba``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn_dl import FormulaModel
        >>> model = FormulaModel("I(count > 1) ~ x", LogisticRegression()).fit(df)
        >>> model.predict_log_proba(df.head(2)).shape
        (2, 2)
        """
        design = self._design(X)  # checks fittedness first
        return self.estimator_.predict_log_proba(design, **kwargs)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X, **kwargs):
        """The estimator's decision function for ``X``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        **kwargs : dict
            Passed on to the estimator's ``decision_function``.

        Returns
        -------
        scores : ndarray

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"]))
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn_dl import FormulaModel
        >>> model = FormulaModel("I(count > 1) ~ x", LogisticRegression()).fit(df)
        >>> model.decision_function(df.head(2)).shape
        (2,)
        """
        design = self._design(X)  # checks fittedness first
        return self.estimator_.decision_function(design, **kwargs)

    @available_if(_estimator_has("predict_dist"))
    def predict_dist(self, X, **kwargs):
        """The estimator's predictive distribution for ``X``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        **kwargs : dict
            Passed on to the estimator's ``predict_dist``, e.g. ``mc_samples=0`` (no
            MC dropout) or ``random_state`` for sklearn_dl estimators.

        Returns
        -------
        dist : sklearn_dl.distributions.PredictiveDistribution
            Whatever the estimator's ``predict_dist`` returns, vectorised over samples.

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
        >>> model.predict_dist(df.head(2))
        ParametricDistribution(family=Poisson, batch_shape=(2,))
        >>> model.predict_dist({"x": 0.5, "g": "b"}, mc_samples=0)  # one row; keyword passed on
        ParametricDistribution(family=Poisson, batch_shape=(1,))
        """
        design = self._design(X)  # checks fittedness first
        return self.estimator_.predict_dist(design, **kwargs)

    @available_if(_estimator_has("predict_interval"))
    def predict_interval(self, X, **kwargs):
        """The estimator's predictive interval for ``X``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        **kwargs : dict
            Passed on to the estimator's ``predict_interval``, e.g. ``alpha=0.1``.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2)

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
        >>> model.predict_interval(df.head(2), alpha=0.1).shape
        (2, 2)
        """
        design = self._design(X)  # checks fittedness first
        return self.estimator_.predict_interval(design, **kwargs)

    @available_if(_estimator_has("predict_uncertainty"))
    def predict_uncertainty(self, X, **kwargs):
        """The estimator's aleatoric and epistemic parts of the uncertainty for ``X``.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        **kwargs : dict
            Passed on to the estimator's ``predict_uncertainty``, e.g. ``mc_samples``
            and ``random_state`` (MC dropout) for sklearn_dl networks.

        Returns
        -------
        uncertainty : Bunch
            Whatever the estimator's ``predict_uncertainty`` returns: for a regressor
            the variances ``aleatoric``, ``epistemic`` and ``total``, for a classifier
            ``entropy``, ``expected_entropy`` and ``mutual_information`` (see
            :func:`sklearn_dl.distributions.decompose_uncertainty`).

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> rng = np.random.RandomState(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=100), "g": rng.choice(["a", "b"], 100)})
        >>> df["y"] = df["x"] + (df["g"] == "b") + rng.normal(scale=0.5, size=100)
        >>> from sklearn_dl import FormulaModel, GaussianNLLRegressor
        >>> model = FormulaModel("y ~ x + C(g)", GaussianNLLRegressor(
        ...     dropout=0.2, mc_samples=10, max_epochs=10, random_state=0)).fit(df)
        >>> u = model.predict_uncertainty(df.head(3), random_state=0)
        >>> sorted(u), u.total.shape, bool(np.all(u.epistemic > 0))
        (['aleatoric', 'epistemic', 'total'], (3,), True)
        >>> bool(np.all(model.predict_uncertainty(df.head(3), mc_samples=0).epistemic == 0))
        True
        """
        design = self._design(X)  # checks fittedness first
        return self.estimator_.predict_uncertainty(design, **kwargs)

    @available_if(_estimator_has("score"))
    def score(self, X, y=None, sample_weight=None):
        """The estimator's ``score`` on new data, ``y`` from the left-hand side.

        Parameters
        ----------
        X : DataFrame, dict or array-like of shape (n_samples, n_features)
            New data with the variables of the right-hand side; a dict of columns
            is read as a DataFrame (one row when all its values are scalars).
        y : array-like or None, default=None
            The target of a formula without a response.  With one, the response is
            evaluated on ``X``; a ``y`` passed as well (as scikit-learn's tools do)
            must hold the same values.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            E.g. R^2 for regressors, accuracy for classifiers.

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
        >>> bool(model.score(df) > 0)  # R^2 of the counts, y taken from the formula
        True
        >>> bool(model.score(df, df["count"]) == model.score(df))  # y agrees: accepted
        True
        """
        y = self._target(X, y, "score")
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        design = self._design(X)  # checks fittedness first
        return self.estimator_.score(design, y, **kwargs)
