"""R-style statistics of a formula model, taken from its fitted estimator.

``summary``, ``log_likelihood``, ``aic`` and ``bic`` on the fit itself (R's
``logLik(fit)``) or on new data passed through the formula, and the fitted ``loglik_``,
``n_obs_`` and ``n_params_`` that ``sklearn_dl.anova`` compares.
"""

from __future__ import annotations

from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._delegation import _estimator_has


class _DelegatedStatistics:
    """The R-style statistics of :class:`~sklearn_dl.formula.FormulaModel`.

    A mixin of ``FormulaModel`` only: it uses its ``estimator_``, ``_name``,
    ``_design(X)`` and ``_target(X, y, where)``.
    """

    # the fitted model's R-style statistics, so that anova(m1, m2) takes formula models
    @property
    def loglik_(self):
        """Training log-likelihood of the fitted estimator."""
        return self.estimator_.loglik_

    @property
    def n_obs_(self):
        """Number of training observations of the fitted estimator."""
        return self.estimator_.n_obs_

    @property
    def n_params_(self):
        """Number of trained parameters of the fitted estimator."""
        return self.estimator_.n_params_

    def _statistic(self, name, X, y, kwargs):
        check_is_fitted(self, "estimator_")
        method = getattr(self.estimator_, name)
        if X is None:  # R's logLik(fit), AIC(fit), summary(fit): the fitted model
            if y is not None:
                raise ValueError(f"{self._name}.{name}: y was given without X.")
            return method(**kwargs)
        design = self._design(X)
        y = self._target(X, y, name)
        return method(design, **kwargs) if y is None else method(design, y, **kwargs)

    @available_if(_estimator_has("summary"))
    def summary(self, X=None, y=None, **kwargs):
        """The estimator's ``summary``; coefficients are named by the design columns.

        Parameters
        ----------
        X : DataFrame or None, default=None
            Data to evaluate on, passed through the formula; None for the fit itself.
        y : array-like or None, default=None
            The target of a formula without a response; with one, None or the same
            values as the response evaluated on ``X``.
        **kwargs : dict
            Passed on.

        Returns
        -------
        summary : object
            Whatever the estimator's ``summary`` returns.

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
        >>> print(model.summary())  # doctest: +ELLIPSIS
        PoissonNLLRegressor summary
        ...
                       log(mean)
          (Intercept)  ...
          x            ...
          C(g)[T.b]    ...
        """
        return self._statistic("summary", X, y, kwargs)

    @available_if(_estimator_has("log_likelihood"))
    def log_likelihood(self, X=None, y=None, **kwargs):
        """The estimator's log-likelihood (R's ``logLik``), on the fit or on new data.

        Parameters
        ----------
        X : DataFrame or None, default=None
        y : array-like or None, default=None
            The target of a formula without a response; with one, None or the same
            values as the response evaluated on ``X``.
        **kwargs : dict
            Passed on.

        Returns
        -------
        log_likelihood : float

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
        >>> bool(np.isclose(model.log_likelihood(), model.log_likelihood(df)))
        True
        """
        return self._statistic("log_likelihood", X, y, kwargs)

    @available_if(_estimator_has("aic"))
    def aic(self, X=None, y=None, **kwargs):
        """The estimator's Akaike information criterion (R's ``AIC``).

        Parameters
        ----------
        X : DataFrame or None, default=None
        y : array-like or None, default=None
            The target of a formula without a response; with one, None or the same
            values as the response evaluated on ``X``.
        **kwargs : dict
            Passed on.

        Returns
        -------
        aic : float

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
        >>> bool(np.isclose(model.aic(), 2 * 3 - 2 * model.log_likelihood()))  # 3 weights
        True
        """
        return self._statistic("aic", X, y, kwargs)

    @available_if(_estimator_has("bic"))
    def bic(self, X=None, y=None, **kwargs):
        """The estimator's Bayesian information criterion (R's ``BIC``).

        Parameters
        ----------
        X : DataFrame or None, default=None
        y : array-like or None, default=None
            The target of a formula without a response; with one, None or the same
            values as the response evaluated on ``X``.
        **kwargs : dict
            Passed on.

        Returns
        -------
        bic : float

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
        >>> bool(np.isclose(model.bic(), 3 * np.log(100) - 2 * model.log_likelihood()))
        True
        """
        return self._statistic("bic", X, y, kwargs)
