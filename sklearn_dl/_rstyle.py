"""The R-style surface of every estimator: logLik, AIC/BIC, deviance, predict types,
summary.  A mixin of ``_BaseNN``; the report itself lives in ``summary.py``."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from sklearn.utils.validation import check_is_fitted

from . import _skorch
from .distributions import ParametricDistribution

PREDICT_TYPES = ("response", "link")


def _own_linear(module):
    """``module`` itself, or the Linear a head wraps (``LinearWithConstants.linear``)."""
    return module if isinstance(module, nn.Linear) else getattr(module, "linear", None)


def aliased_inputs(module):
    """Mask of the inputs the standardisation feeds to the net as 0 (constant in the
    training rows, scale inf), or None without a standardisation."""
    scale = getattr(module.preprocess, "scale", None)
    return None if scale is None else ~torch.isfinite(scale).cpu().numpy()


def _unidentified_params(module, family):
    """Trainable weights the likelihood does not determine: those of inputs constant in
    the training rows (they never get a gradient), and the family's redundant output
    rows of the last linear layer (a softmax's reference class)."""
    n = 0
    aliased = aliased_inputs(module)
    first = next((m for part in (module.body, module.head) for m in part.modules()
                  if any(True for _ in m.parameters(recurse=False))), None)
    first = None if first is None else _own_linear(first)
    dead = 0
    if (aliased is not None and aliased.any() and isinstance(first, nn.Linear)
            and first.in_features == len(aliased) and first.weight.requires_grad):
        dead = int(aliased.sum())
        n += dead * first.out_features
    last = _own_linear(module.head)
    if family.redundant_outputs and isinstance(last, nn.Linear) and last.weight.requires_grad:
        width = last.in_features - (dead if last is first else 0)
        n += family.redundant_outputs * (width + (last.bias is not None))
    return n


class _RStyleMixin:
    """``loglik_``, ``n_params_``, ``log_likelihood``, ``aic``, ``bic``, ``deviance``,
    ``predict(type=...)`` support and ``summary`` for the network estimators."""

    # -- at the end of fit ----------------------------------------------------------------
    def _fit_statistics(self, datasets, weights):
        """Training log-likelihood (in the target's units) and parameter counts."""
        module = self.net_.module_
        self.n_params_ = (sum(p.numel() for p in module.parameters() if p.requires_grad)
                          - _unidentified_params(module, self.family_))
        self.n_params_frozen_ = sum(p.numel() for p in module.parameters()
                                    if not p.requires_grad)
        logp = np.concatenate([self._dataset_log_prob(d) for d in datasets if d is not None])
        self.n_obs_ = int(len(logp))
        self.loglik_ = float(np.dot(weights, logp))

    def _dataset_log_prob(self, data):
        """Per-row log-likelihood of a training dataset (user units), eval mode."""
        module = self.net_.module_
        module.eval()
        family = self.family_
        out = []
        with torch.no_grad():
            batch_size = _skorch.eval_batch_size(data, self.net_.batch_size)
            for X, (y, _) in _skorch.BatchIterator(data, batch_size=batch_size):
                raw = module(X.to(self.net_.device))
                out.append(family.log_prob(raw.double(), y.to(raw.device).to(
                    torch.float64 if y.is_floating_point() else y.dtype)).cpu().numpy())
        logp = np.concatenate(out) if out else np.zeros(0)
        shift, scale = self._target_scaling()
        if scale is not None:  # density of y = density of the standardised y / scale
            logp = logp - float(np.sum(np.log(scale)))
        return logp

    # -- R's accessors ------------------------------------------------------------------------
    def log_likelihood(self, X=None, y=None, sample_weight=None):
        """Log-likelihood (R's ``logLik``): of the training data, or of ``(X, y)``.

        Parameters
        ----------
        X : array-like, default=None
            Inputs; None gives the training log-likelihood ``loglik_``.
        y : array-like, default=None
            Observations for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the observations' log-likelihoods.

        Returns
        -------
        float
            ``sum_i w_i log p(y_i | x_i)``, which is ``-n`` times the mean NLL; continuous
            targets give log densities, so the value depends on the unit of y.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> ll = reg.log_likelihood()           # training data
        >>> bool(np.isclose(reg.log_likelihood(X, y), ll))
        True
        """

        check_is_fitted(self)
        if X is None:
            return self.loglik_
        if y is None:
            raise ValueError("log_likelihood(X, y) needs the observations y for X.")
        family = getattr(self, "family_", None)  # None: an ensemble (a mixture)
        if (family is not None and family.task == "classification"
                and not self.mc_samples):
            logp = self._class_log_prob(X, y)
        else:
            logp = self.predict_dist(X).log_likelihood(y)
        if sample_weight is None:
            return float(np.sum(logp))
        return float(np.dot(np.asarray(sample_weight, dtype=np.float64), logp))

    def _class_log_prob(self, X, y):
        """Per-row log-probabilities of labels ``y`` from the logits, as training
        computes them: a confident mistake costs its finite ``-|logit|``, where the
        probabilities (rounded to 0 or 1 beyond ``|logit| ~ 37``) would give -inf."""
        raw = self._forward(X)[0]
        dist = ParametricDistribution(self.family_, self._user_params(raw), self.classes_)
        target = self.family_.target_tensor(dist._encode(y))
        with torch.no_grad():
            return self.family_.log_prob(raw, target.to(raw.dtype if target.is_floating_point()
                                                       else target.dtype)).numpy()

    def _n_obs(self, X):
        return self.n_obs_ if X is None else len(self.predict_dist(X))

    def aic(self, X=None, y=None):
        """Akaike's information criterion ``2 k - 2 log L`` (R's ``AIC``).

        ``k`` is the number of trainable parameters (``n_params_``).  For a network it
        is only a rough guide (its parameters are neither identifiable nor all
        "used"); compare models by held-out log-likelihood where you can.

        Parameters
        ----------
        X, y : array-like, default=None
            Data to evaluate on; None for the training data.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> bool(np.isclose(reg.aic(), 2 * reg.n_params_ - 2 * reg.log_likelihood()))
        True
        """
        return 2.0 * self.n_params_ - 2.0 * self.log_likelihood(X, y)

    def bic(self, X=None, y=None):
        """Schwarz's Bayesian information criterion ``k log n - 2 log L`` (R's ``BIC``).

        Parameters
        ----------
        X, y : array-like, default=None
            Data to evaluate on; None for the training data.

        Returns
        -------
        float
            A rough guide for networks, as :meth:`aic`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> bool(reg.bic() > reg.aic())  # log(100) > 2: a larger penalty per weight
        True
        """

        n = self._n_obs(X)
        return self.n_params_ * math.log(max(n, 1)) - 2.0 * self.log_likelihood(X, y)

    def deviance(self, X, y, sample_weight=None):
        """Deviance of ``(X, y)``: the sum of the family's unit deviances (R's
        ``deviance``), where the family defines one.

        Parameters
        ----------
        X : array-like
        y : array-like
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float

        Raises
        ------
        ValueError
            When the family has no deviance.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import PoissonNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 1))
        >>> y = rng.poisson(np.exp(X[:, 0]))
        >>> glm = PoissonNLLRegressor(hidden_layer_sizes=(), lr=0.05, max_epochs=50,
        ...                           random_state=0).fit(X, y)
        >>> round(glm.deviance(X, y), -1)  # R's glm(y ~ x, poisson): 107.5
        110.0
        """
        dist = self.predict_dist(X, mc_samples=0)
        yy = dist._encode(y) if dist.is_classification else dist._check_y(y)
        unit = self.family_.unit_deviance(dist.params, yy)
        if unit is None:
            raise ValueError(f"The {self.family_.name} family defines no deviance; use "
                             "-2 * log_likelihood(X, y).")
        unit = np.asarray(unit, dtype=np.float64)
        unit = unit.reshape(len(unit), -1).sum(axis=1)
        return float(np.sum(unit) if sample_weight is None else np.dot(sample_weight, unit))

    def _check_predict_type(self, type):
        if type not in PREDICT_TYPES:
            raise ValueError(f"type must be one of {PREDICT_TYPES} (R's predict types); got "
                             f"{type!r}.")

    def _link_prediction(self, X):
        """``predict(X, type="link")``: the linear predictors, one deterministic pass.

        Single-parameter families give an array of the parameter's shape; others stack
        their parameters' linear predictors on a last axis in ``param_names`` order (the
        Normal: mean and log-sd)."""
        if self.family_.task == "classification":  # the logits as they are: exact
            links = self.family_.raw_link(self._forward(X)[0])  # Bernoulli: of classes_[1]
        else:  # in y's units (a standardised y scaled back) through the parameters
            links = self.family_.link(dict(self.predict_dist(X, mc_samples=0).params))
        values = [links[name] for name in self.family_.param_names if name in links]
        return values[0] if len(values) == 1 else np.stack(values, axis=-1)

    def summary(self, X=None, y=None):
        """A fit report, as R's ``summary()``: body, family, data, training, fit.

        Printing it shows the estimator, the body (layers, trainable and frozen
        parameters), family and links, the number of observations, epochs run and
        best epoch, training and validation NLL, log-likelihood, number of parameters,
        AIC and BIC (rough guides for a network), the optimiser settings; for a body
        without hidden layers (a GLM) the coefficients in the inputs' units, next to
        scikit-learn's GLM fitted on ``(X, y)`` when given.  A network has no Wald
        standard errors, so none are shown.

        Parameters
        ----------
        X, y : array-like, default=None
            The training data, to compare a linear body's coefficients with the
            reference GLM (optional).

        Returns
        -------
        ModelSummary
            ``print(summary)`` for the report; ``summary.to_frame()`` for the numbers.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(max_epochs=10, random_state=0).fit(X, y)
        >>> print(reg.summary())  # doctest: +ELLIPSIS
        GaussianNLLRegressor summary
        ============================
        ...
          family          Normal (mean: identity link, scale: log link)
        ...
        """

        from .summary import network_summary

        return network_summary(self, X, y)
