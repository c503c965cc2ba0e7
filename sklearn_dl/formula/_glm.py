"""``glm(formula, data, family)``: R's ``glm`` as an sklearn_dl network, no hidden layer."""

from __future__ import annotations

import pandas as pd

from ..classification import NNClassifier
from ..families import available_families, get_family
from ..regression import NNRegressor
from ._model import FormulaModel

# R's names for the families sklearn_dl registers under their distributions' names;
# used only when the name itself is not registered, so a family the registry gains
# later (e.g. a real "binomial" with trials) takes precedence.
R_FAMILY_NAMES = {"gaussian": "normal", "binomial": "bernoulli",
                  "multinomial": "categorical"}


def _resolve_family(family):
    """``(argument for the estimator, Family instance)``; ValueError for unknown names.

    A name gives the family's GLM form (its ``glm_options``: one dispersion, as in R);
    an instance is used as it is.
    """
    if isinstance(family, str):
        family = family.lower()
        if family not in available_families() and family in R_FAMILY_NAMES:
            family = R_FAMILY_NAMES[family]
    try:
        resolved = get_family(family)
    except ValueError as error:
        raise ValueError(f"glm: {error} R's names {sorted(R_FAMILY_NAMES)} are also "
                         "accepted.") from None
    if isinstance(family, str) and resolved.glm_options:
        resolved = get_family(family, **resolved.glm_options)
        family = resolved
    return family, resolved


def glm(formula, data, family="normal", *, sample_weight=None, na_action="raise",
        unseen="raise", context=None, **params):
    """Fit a generalised linear model written as an R formula, like R's ``glm``.

    ``glm("count ~ livebait + camper + persons + child", data=df, family="poisson")``
    builds ``NNRegressor(family="poisson", hidden_layer_sizes=())`` -- a network with
    no hidden layer, i.e. a GLM with the family's canonical link, fitted by maximum
    likelihood with the estimator's optimizer -- wraps it in a :class:`FormulaModel`,
    fits it on ``data`` and returns it.  Classification families (``"bernoulli"``,
    ``"categorical"``, R's ``"binomial"``) build an :class:`~sklearn_dl.NNClassifier`
    (logistic / softmax regression); the response may then be a factor column.

    Parameters
    ----------
    formula : str
        ``"response ~ terms"`` in formulaic's syntax (see :class:`FormulaModel`).
    data : DataFrame
        Holds the response and every variable of the formula.
    family : str or Family, default="normal"
        A registered family (:func:`sklearn_dl.families.available_families`), a
        :class:`~sklearn_dl.families.Family` instance, or one of R's names
        ``"gaussian"``, ``"binomial"`` (a 0/1 or two-level response; R's
        ``cbind(successes, failures)`` is not supported), ``"multinomial"``.  With
        ``"categorical"`` and only two classes the classifier uses the equivalent
        Bernoulli head.  A name gives the family's GLM form, as in R: one dispersion
        learned as a constant (``"gaussian"``/``"normal"`` is
        ``Normal(heteroscedastic=False)``: a single sd, estimated by maximum
        likelihood as ``sqrt(RSS / n)``, where R's ``sigma`` divides by ``n - p``);
        an instance is used as given (``family=Normal()`` lets the sd depend on x).
    sample_weight : array-like of shape (n_samples,), str or None, default=None
        Case weights (R's ``weights``), or the name of a column of ``data``.
    na_action, unseen, context
        As in :class:`FormulaModel`.
    **params : dict
        Parameters of the estimator (``lr``, ``max_epochs``, ``batch_size``,
        ``weight_decay``, ``random_state``...).  ``hidden_layer_sizes`` defaults to
        ``()``; giving hidden layers keeps the formula and family but makes the model
        a neural network instead of a GLM.

    Returns
    -------
    model : FormulaModel
        Fitted; ``model.estimator_`` is the network, ``model.predict(newdata)``,
        ``model.predict_dist(newdata)`` etc. re-apply the formula to new data.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import sklearn_dl
    >>> rng = np.random.RandomState(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(["a", "b"], 300)})
    >>> df["count"] = rng.poisson(np.exp(0.5 + 0.8 * df["x"] - 0.5 * (df["g"] == "b")))
    >>> model = sklearn_dl.glm("count ~ x + C(g)", df, family="poisson", lr=0.05,
    ...                        max_epochs=100, random_state=0)
    >>> model.design_columns_.tolist()
    ['x', 'C(g)[T.b]']
    >>> model.predict_dist(df.head(3)).mean().shape
    (3,)
    """
    family_arg, family_obj = _resolve_family(family)
    params.setdefault("hidden_layer_sizes", ())
    classify = family_obj.task == "classification"
    if classify:
        # NNClassifier picks Bernoulli or Categorical from the classes; pass the family
        # only if the classifier grows a family parameter.
        if "family" in NNClassifier().get_params():
            params["family"] = family_arg
        estimator = NNClassifier(**params)
    else:
        estimator = NNRegressor(family=family_arg, **params)
    if isinstance(sample_weight, str):
        if sample_weight not in getattr(data, "columns", ()):
            raise ValueError(f"glm: sample_weight={sample_weight!r} is not a column of "
                             "data.")
        sample_weight = data[sample_weight].to_numpy()
    fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
    two_classes = classify and family_obj.name == "bernoulli"
    if two_classes:  # a plain response column can be checked before any training
        response = (formula.split("~")[0].strip().strip("`")
                    if isinstance(formula, str) and "~" in formula else "")
        if response in getattr(data, "columns", ()):
            _check_two_classes(family, pd.unique(data[response].dropna()))
    model = FormulaModel(formula, estimator, na_action=na_action, unseen=unseen,
                         context=context).fit(data, **fit_params)
    if two_classes:
        _check_two_classes(family, model.classes_)
    return model


def _check_two_classes(family, classes):
    if len(classes) != 2:
        shown = sorted(classes, key=str)
        raise ValueError(
            f"glm: family={family!r} needs a response with two classes, but it has "
            f"{len(shown)}: {list(shown)}; use family='categorical'.")
