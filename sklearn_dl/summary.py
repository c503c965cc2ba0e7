"""R-style fit reports: ``summary()`` and ``anova()`` (likelihood-ratio tests).

``estimator.summary()`` returns a :class:`ModelSummary`: print it for the report, or
``to_frame()`` for the numbers.  A network has no Wald standard errors, so no
coefficient table with p-values is faked; for a body without hidden layers (a GLM fitted
by gradient descent) the weights are shown in the inputs' units, next to
scikit-learn's maximum-likelihood GLM when the training data are passed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from torch import nn
from ._rstyle import aliased_inputs

NETWORK_NOTE = ("AIC and BIC count every trainable weight as a parameter; for a network "
                "they are only rough guides (weights are neither identifiable nor all "
                "used). Prefer held-out log-likelihood to compare networks.")


class ModelSummary:
    """A fit report with a readable ``str`` and the numbers as a DataFrame.

    Parameters
    ----------
    title : str
    sections : list of (str, list of (str, object))
        Named groups of (item, value) rows.
    coefficients : DataFrame or None
        Coefficients of a linear body (and of the reference GLM).
    notes : list of str

    Examples
    --------
    >>> from sklearn_dl.summary import ModelSummary
    >>> s = ModelSummary("demo", [("Fit", [("log-likelihood", -1.5)])])
    >>> float(s.to_frame().loc[("Fit", "log-likelihood"), "value"])
    -1.5
    >>> s["log-likelihood"]
    -1.5
    """

    def __init__(self, title, sections, coefficients=None, notes=()):
        self.title = title
        self.sections = sections
        self.coefficients = coefficients
        self.notes = list(notes)

    def to_frame(self):
        """The report's items as a DataFrame indexed by (section, item).

        Returns
        -------
        DataFrame
            One column, ``value``.

        Examples
        --------
        >>> from sklearn_dl.summary import ModelSummary
        >>> s = ModelSummary("demo", [("Data", [("observations", 100)]),
        ...                           ("Fit", [("log-likelihood", -1.5), ("AIC", 7.0)])])
        >>> s.to_frame().index.tolist()
        [('Data', 'observations'), ('Fit', 'log-likelihood'), ('Fit', 'AIC')]
        """
        rows = [(sec, item, value) for sec, items in self.sections for item, value in items]
        frame = pd.DataFrame(rows, columns=["section", "item", "value"])
        return frame.set_index(["section", "item"])

    def __getitem__(self, item):
        for _, items in self.sections:
            for name, value in items:
                if name == item:
                    return value
        raise KeyError(item)

    def __str__(self):
        width = 78
        lines = [self.title, "=" * min(width, max(len(self.title), 20))]
        for sec, items in self.sections:
            lines.append("")
            lines.append(sec)
            lines.append("-" * len(sec))
            key_w = max((len(k) for k, _ in items), default=0)
            for key, value in items:
                lines.append(f"  {key:<{key_w}}  {_fmt(value)}")
        if self.coefficients is not None:
            lines += ["", "Coefficients (no standard errors: a network is not fitted by "
                      "the GLM's likelihood theory)", "-" * 40]
            lines += ["  " + r for r in self.coefficients.to_string(
                float_format=lambda v: f"{v: .4f}").splitlines()]
        for note in self.notes:
            lines += ["", _wrap(f"Note: {note}", width)]
        return "\n".join(lines)

    def __repr__(self):
        return self.__str__()


def _fmt(value):
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.4e}"
    return str(value)


def _wrap(text, width):
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _layers(module, limit=30):
    """Leaf layers with parameters (and activations) as short strings."""
    out = []
    for name, m in module.named_modules():
        if list(m.children()) or isinstance(m, nn.Sequential):
            continue  # containers (an empty Sequential is a linear body's empty body)
        name = name or type(m).__name__.lower()  # a bare layer (a linear head) has no name
        if isinstance(m, nn.Linear):
            out.append(f"{name}: Linear({m.in_features} -> {m.out_features})")
        elif isinstance(m, nn.Conv2d):
            k = "x".join(map(str, m.kernel_size))
            out.append(f"{name}: Conv2d({m.in_channels} -> {m.out_channels}, {k})")
        elif isinstance(m, nn.Dropout):
            out.append(f"{name}: Dropout(p={m.p})")
        elif not isinstance(m, nn.Identity):
            out.append(f"{name}: {type(m).__name__}")
    if len(out) > limit:
        out = out[:limit // 2] + [f"... {len(out) - limit} more ..."] + out[-limit // 2:]
    return out


def _constant_params(est):
    """Distribution parameters that do not depend on the inputs (a negative binomial's
    constant dispersion, a homoscedastic Normal's sd), on their natural scale: a
    coefficient table cannot show them.  Found by predicting two different rows."""
    if est._input_kind() != "tabular" or est.family_.task == "classification":
        return []  # images have no two neutral inputs to probe with
    n = est.n_features_in_
    probe = np.array([np.zeros(n), np.ones(n)], dtype=np.float64)
    if hasattr(est, "feature_names_in_"):  # fitted on a DataFrame: probe with one
        probe = pd.DataFrame(probe, columns=est.feature_names_in_)
    params = est.predict_dist(probe).params
    out = []
    for name, value in params.items():
        value = np.asarray(value, dtype=float)
        if value.ndim and len(value) == 2 and np.allclose(value[0], value[1], rtol=1e-9):
            shown = value[0] if np.ndim(value[0]) == 0 else np.round(value[0], 6).tolist()
            out.append((f"{name} (constant)", shown))
    return out


def _linear_coefficients(est):
    """Coefficients of a linear body in the inputs' (and target's) units, or None."""
    module = est.net_.module_
    body_params = sum(p.numel() for p in module.body.parameters())
    head = module.head
    linear = head if isinstance(head, nn.Linear) else getattr(head, "linear", None)
    if body_params or not isinstance(linear, nn.Linear):
        return None
    W = linear.weight.detach().double().numpy()
    intercept = linear.bias is not None  # None: fitted without intercept
    b = linear.bias.detach().double().numpy() if intercept else np.zeros(len(W))
    pre = module.preprocess
    if hasattr(pre, "mean"):  # Standardize: raw = W (x - m) / s + b
        m, s = pre.mean.double().numpy(), pre.scale.double().numpy()
        W, b = W / s, b - (W / s) @ m
        W[:, ~np.isfinite(s)] = np.nan  # constant in the training rows: aliased, R's NA
    fam = est.family_
    names = list(getattr(est, "feature_names_in_", [f"x{i}" for i in range(W.shape[1])]))
    shift, scale = est._target_scaling()
    rows = {}
    k = len(b) if W.shape[0] == len(b) else W.shape[0]
    n_loc = len(np.atleast_1d(shift)) if scale is not None else 0
    log_scale_block = (scale is not None and len(fam.param_names) > 1
                       and fam.links.get(fam.param_names[1]) == "log")
    for j in range(k):
        w, c = W[j], b[j]
        if j < n_loc:  # the location of a standardised target, back in y's units
            w, c = w * scale[j], c * scale[j] + shift[j]
        elif log_scale_block and j < 2 * n_loc:  # log-scale: shift by log(y's scale)
            c = c + np.log(scale[j - n_loc])
        label = _output_label(est, j)
        rows[label] = np.r_[c, w] if intercept else w
    frame = pd.DataFrame(rows, index=["(Intercept)"] * intercept + names)
    if fam.name == "categorical":  # softmax: only differences to a reference are identifiable
        frame = frame.sub(frame.iloc[:, 0], axis=0).iloc[:, 1:]
        frame.columns = [f"{c} vs {_output_label(est, 0)}" for c in frame.columns]
    return frame


def _output_label(est, j):
    fam = est.family_
    if fam.task == "classification":
        classes = est.classes_
        return f"logit {classes[1]}" if fam.name == "bernoulli" else f"class {classes[j]}"
    names = fam.param_names or ("output",)
    n_t = getattr(est, "n_targets_", 1)
    param = names[min(j // max(n_t, 1), len(names) - 1)]
    link = fam.links.get(param, "")
    label = f"{link}({param})" if link and link != "identity" else param
    return label if n_t == 1 else f"{label}[{j % n_t}]"


# the reference GLM of a linear body, by family name (scikit-learn's ML estimators)
def _reference_glm(family_name):
    from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor

    return {
        "normal": lambda: LinearRegression(),
        "poisson": lambda: PoissonRegressor(alpha=0.0, max_iter=5000, tol=1e-10),
        "bernoulli": lambda: LogisticRegression(C=np.inf, max_iter=5000, tol=1e-10),
        "categorical": lambda: LogisticRegression(C=np.inf, max_iter=5000, tol=1e-10),
    }.get(family_name)


def _add_reference(est, frame, X, y):
    make = _reference_glm(est.family_.name)
    if make is None or getattr(est, "n_targets_", 1) != 1:
        return frame
    with_intercept = "(Intercept)" in frame.index
    ref = make().set_params(fit_intercept=with_intercept).fit(X, y)
    coef = np.atleast_2d(ref.coef_)
    intercept = np.atleast_1d(ref.intercept_) * np.ones(len(coef))  # 0.0 without

    def column(i):
        return np.r_[intercept[i], coef[i]] if with_intercept else coef[i]

    if est.family_.name == "categorical":
        coef, intercept = coef - coef[0], intercept - intercept[0]
        for i, col in enumerate(frame.columns, start=1):
            frame[f"GLM {col}"] = column(i)
    else:
        frame["GLM (scikit-learn)"] = column(0)
    return frame


def _training_items(est):
    net = est.net_
    history = est.history_
    items = [("epochs run", est.n_iter_), ("best epoch", est.best_epoch_)]
    if len(history):
        last = history[-1]
        best = history[est.best_epoch_ - 1] if est.best_epoch_ else last
        items.append(("train NLL (best epoch)", float(best["train_loss"])))
        if "valid_loss" in last:
            items.append(("validation NLL (best epoch)", float(best["valid_loss"])))
    null = ("NLL of the marginal model" if est._fits_intercept()
            else "NLL of the null model (no intercept)")
    items.append((null, float(est.null_loss_)))
    opt = net.optimizer_
    group = opt.param_groups[0]
    items += [("optimizer", f"{type(opt).__name__}(lr={group['lr']:g}, "
                            f"weight_decay={group.get('weight_decay', 0):g})"),
              ("batch size", net.batch_size), ("max epochs", net.max_epochs)]
    if getattr(est, "l1", 0):
        items.append(("L1 penalty", est.l1))
    return items


def network_summary(est, X=None, y=None):
    """The :class:`ModelSummary` of a fitted sklearn_dl network estimator.

    What ``est.summary(X, y)`` returns.

    Parameters
    ----------
    est : fitted sklearn_dl network estimator
        ``NNRegressor``, ``NNClassifier``, ``CNNClassifier``, ...
    X, y : array-like, default=None
        The training data: for a body without hidden layers the report then shows
        scikit-learn's maximum-likelihood GLM next to the network's coefficients.

    Returns
    -------
    ModelSummary

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import PoissonNLLRegressor
    >>> from sklearn_dl.summary import network_summary
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 1))
    >>> y = rng.poisson(np.exp(X[:, 0]))
    >>> glm = PoissonNLLRegressor(hidden_layer_sizes=(), lr=0.05, max_epochs=20,
    ...                           random_state=0).fit(X, y)
    >>> report = network_summary(glm, X, y)
    >>> report["trainable parameters"], report.coefficients.shape[0]  # intercept, x0
    (2, 2)
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "net_")
    module = est.net_.module_
    fam = est.family_
    body = [("layers", line) for line in _layers(module.body)] or [("layers", "none (linear)")]
    sections = [
        ("Model", [("estimator", type(est).__name__), ("family", fam.describe()),
                   ("target support", fam.support)]),
        ("Body", body + [("head", ", ".join(_layers(module.head)) or "-"),
                         ("trainable parameters", est.n_params_),
                         ("frozen parameters", est.n_params_frozen_)]),
        ("Data", [("observations", est.n_obs_)]
         + ([("features", est.n_features_in_)] if getattr(est, "n_features_in_", None)
            else [])),
        ("Training", _training_items(est)),
        ("Fit", [("log-likelihood", est.loglik_), ("parameters (k)", est.n_params_),
                 ("AIC", est.aic()), ("BIC", est.bic())] + _constant_params(est)),
    ]
    coefficients = _linear_coefficients(est)
    notes = [NETWORK_NOTE]
    if coefficients is not None:
        if X is not None and y is not None:
            coefficients = _add_reference(est, coefficients, X, y)
        notes.append("Coefficients are in the inputs' units (the network's input "
                     "standardisation folded in); on the scale of each parameter's link.")
    aliased = aliased_inputs(module)
    if aliased is not None and aliased.any():
        names = np.asarray(getattr(est, "feature_names_in_",
                                   [f"x{i}" for i in range(len(aliased))]))
        notes.append(f"Constant in the training rows, so not estimable (aliased, NaN; the "
                     f"network ignores them): {', '.join(map(str, names[aliased]))}.")
    return ModelSummary(f"{type(est).__name__} summary", sections, coefficients, notes)


def ensemble_summary(ens):
    """The :class:`ModelSummary` of a fitted deep ensemble.

    What ``ensemble.summary()`` returns: the members, and the mixture's fit.

    Parameters
    ----------
    ens : fitted DeepEnsembleRegressor or DeepEnsembleClassifier

    Returns
    -------
    ModelSummary

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import DeepEnsembleRegressor, GaussianNLLRegressor
    >>> from sklearn_dl.summary import ensemble_summary
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 1))
    >>> y = X[:, 0] + rng.normal(size=100)
    >>> ens = DeepEnsembleRegressor(GaussianNLLRegressor(max_epochs=5), n_estimators=2,
    ...                             random_state=0).fit(X, y)
    >>> ensemble_summary(ens)["members"]
    2
    """
    members = [(f"member {i}", f"{type(m).__name__}(random_state={m.random_state}): "
                               f"{m.n_iter_} epochs, train loglik {m.loglik_:.6g}")
               for i, m in enumerate(ens.estimators_)]
    sections = [
        ("Model", [("estimator", type(ens).__name__),
                   ("family", ens.estimators_[0].family_.describe()),
                   ("members", len(ens.estimators_))]),
        ("Members", members),
        ("Fit", [("observations", ens.n_obs_), ("log-likelihood (mixture)", ens.loglik_),
                 ("parameters (k)", ens.n_params_), ("AIC", ens.aic()),
                 ("BIC", ens.bic())]),
    ]
    return ModelSummary(f"{type(ens).__name__} summary", sections, None, [NETWORK_NOTE])


class LikelihoodRatioTest:
    """Result of :func:`anova`: the likelihood-ratio statistic and its chi-squared
    p-value, with the caveat that for networks it is a rough guide.

    Printing it shows R's ``anova`` table and the caveat.

    Parameters
    ----------
    loglik_small, loglik_large : float
        Log-likelihoods of the smaller and the larger model.
    df : int
        Difference in the number of parameters.
    statistic : float
        ``2 (loglik_large - loglik_small)``, at least 0.
    p_value : float
        Chi-squared survival function of ``statistic`` with ``df`` degrees of freedom.
    note : str
        The caveat printed under the table.

    Attributes
    ----------
    loglik_small, loglik_large, df, statistic, p_value, note
        The parameters, as given.

    Examples
    --------
    >>> from sklearn_dl.summary import LikelihoodRatioTest
    >>> test = LikelihoodRatioTest(-120.0, -115.0, 1, 10.0, 0.0016, "a rough guide")
    >>> test.p_value < 0.01
    True
    """

    def __init__(self, loglik_small, loglik_large, df, statistic, p_value, note):
        self.loglik_small, self.loglik_large = loglik_small, loglik_large
        self.df, self.statistic, self.p_value, self.note = df, statistic, p_value, note

    def to_frame(self):
        """The test as a one-row DataFrame (R's ``anova`` table).

        Returns
        -------
        DataFrame
            Columns ``loglik (smaller)``, ``loglik (larger)``, ``df``,
            ``LR statistic`` and ``p-value``.

        Examples
        --------
        >>> from sklearn_dl.summary import LikelihoodRatioTest
        >>> test = LikelihoodRatioTest(-120.0, -115.0, 1, 10.0, 0.0016, "a rough guide")
        >>> test.to_frame()["LR statistic"].tolist()
        [10.0]
        """
        return pd.DataFrame([{"loglik (smaller)": self.loglik_small,
                              "loglik (larger)": self.loglik_large, "df": self.df,
                              "LR statistic": self.statistic, "p-value": self.p_value}])

    def __str__(self):
        return (self.to_frame().to_string(index=False) + "\n" + _wrap(f"Note: {self.note}", 78))

    __repr__ = __str__


def anova(small, large, X=None, y=None):
    """Likelihood-ratio test of two nested fitted models on the same data (R's
    ``anova(m1, m2, test="Chisq")``).

    ``LR = 2 (log L_large - log L_small)`` is compared with a chi-squared distribution
    with ``k_large - k_small`` degrees of freedom.  Valid for nested GLMs fitted to
    convergence; for networks (non-identifiable weights, early stopping, local optima)
    treat the p-value as a rough guide.

    Parameters
    ----------
    small, large : fitted sklearn_dl estimators
        The smaller model must be nested in the larger (fewer parameters).
    X, y : array-like, default=None
        Data to evaluate both on; None uses their training log-likelihoods, which then
        must come from the same number of observations.

    Returns
    -------
    LikelihoodRatioTest

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import PoissonNLLRegressor
    >>> from sklearn_dl.summary import anova
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 2)); y = rng.poisson(np.exp(0.5 * X[:, 0]))
    >>> m1 = PoissonNLLRegressor(hidden_layer_sizes=(), lr=0.05, max_epochs=30,
    ...                          random_state=0).fit(X[:, :1], y)
    >>> m2 = PoissonNLLRegressor(hidden_layer_sizes=(), lr=0.05, max_epochs=30,
    ...                          random_state=0).fit(X, y)
    >>> test = anova(m1, m2)  # x1 has no effect on y
    >>> test.df, bool(test.p_value > 0.01)
    (1, True)
    """
    if X is None:
        if small.n_obs_ != large.n_obs_:
            raise ValueError(f"The models were fitted on {small.n_obs_} and {large.n_obs_} "
                             "observations; a likelihood-ratio test needs the same data "
                             "(or pass X, y).")
        ll_s, ll_l = small.loglik_, large.loglik_
    else:
        Xs = X[0] if isinstance(X, tuple) else X
        Xl = X[1] if isinstance(X, tuple) else X
        ll_s, ll_l = small.log_likelihood(Xs, y), large.log_likelihood(Xl, y)
    df = int(large.n_params_ - small.n_params_)
    if df <= 0:
        raise ValueError(f"The larger model must have more parameters: {large.n_params_} vs "
                         f"{small.n_params_}; pass the smaller model first.")
    statistic = max(0.0, 2.0 * (ll_l - ll_s))
    p_value = float(stats.chi2.sf(statistic, df))
    return LikelihoodRatioTest(ll_s, ll_l, df, statistic, p_value, (
        "The chi-squared reference holds for nested models fitted by maximum likelihood "
        "to convergence; for networks it is only a rough guide."))
