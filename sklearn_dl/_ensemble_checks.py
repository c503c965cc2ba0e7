"""What a deep ensemble checks before it fits anything: its own parameters and that its
member is an sklearn_dl estimator of the right kind (kept apart from ``ensemble.py``, the
estimators and their mixture)."""

from __future__ import annotations

from sklearn.base import is_classifier, is_regressor

from ._base import _check_number
from ._ensemble_jobs import BODY_CHOICES
from ._param_checks import check_verbose
from ._validation import check_random_state_param


def check_ensemble_params(ens):
    """Validate the ensemble ``ens``'s parameters; returns the member estimator to clone."""
    _check_number("n_estimators", ens.n_estimators, low=1, integer=True)
    if ens.n_jobs is not None:
        _check_number("n_jobs", ens.n_jobs, integer=True)
        if ens.n_jobs == 0:
            raise ValueError("n_jobs must be a non-zero int or None, got 0.")
    check_random_state_param(ens.random_state)
    check_verbose(ens.verbose)
    if not (isinstance(ens.body_choice, str) and ens.body_choice in BODY_CHOICES):
        raise ValueError(f"body_choice must be one of {BODY_CHOICES}; got "
                         f"{ens.body_choice!r}.")
    est = ens._default_estimator() if ens.estimator is None else ens.estimator
    if not hasattr(est, "predict_dist") or not hasattr(est, "fit"):
        raise TypeError(f"estimator must be an sklearn_dl estimator (something with fit "
                        f"and predict_dist); got {type(est).__name__}.")
    # a member of the other kind would "fit" and mix labels with means
    wrong_kind = is_regressor if is_classifier(ens) else is_classifier
    try:
        wrong = wrong_kind(est)
    except Exception:  # a duck-typed member without scikit-learn tags
        wrong = False
    if wrong:
        kind = "classifier" if is_classifier(ens) else "regressor"
        other = "Regressor" if kind == "classifier" else "Classifier"
        raise TypeError(f"{type(ens).__name__} needs a {kind} as its estimator; got "
                        f"{type(est).__name__}. Use DeepEnsemble{other} for it.")
    return est


def refuse_link(type):
    """Refuse a prediction ``type`` an ensemble cannot give (a mixture has no link)."""
    if type == "link":
        raise ValueError("A mixture has no single linear predictor (type='link'); ask a "
                         "member: estimators_[k].predict(X, type='link').")
    if type != "response":
        raise ValueError(f"type must be 'response' for an ensemble; got {type!r}.")
