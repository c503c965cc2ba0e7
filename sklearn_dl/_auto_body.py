"""What ``hidden_layer_sizes="auto"`` and ``dropout="auto"`` mean for the MLP body.

Defaults are the product, and the right capacity and regularisation depend on the data:

* **hidden_layer_sizes="auto"**: one hidden layer of 100 units below
  :data:`DEEP_FROM_ROWS` rows, two from there on.  On small data a second layer
  overfits (wine: test NLL 0.935 -> 0.974); from a few thousand rows it is what the data
  need (kin8nm: -1.10 -> -1.27 with dropout).
* **dropout="auto"**: 0.1 below :data:`DEEP_FROM_ROWS` rows (or with MC dropout).  From
  there on the data decide: :func:`fit_choosing_dropout` fits the network with
  dropout 0.1 and without, on the same split, initialisation and batch order, and
  keeps the one with the lower validation loss.  Neither choice is right for every
  medium-sized table: dropout regularises a noisy target (kin8nm, 8,192 rows: test NLL
  -1.16 without, -1.27 with), but on a nearly noise-free one (naval, 11,934 rows) the
  noise it adds during training inflates the learned variance (-6.33 without, -5.28
  with).  The comparison needs the early-stopping validation split; without one
  (``early_stopping=False``, ``partial_fit``, a warm start) "auto" is 0 from
  :data:`DEEP_FROM_ROWS` rows on, as before.

* **weight_decay="auto"**: an L2 penalty of 1e-3 (the optimizer's weight decay) for an
  MLP with hidden layers below :data:`DEEP_FROM_ROWS` rows, 0 from there on, for a GLM
  (no hidden layer: its coefficients stay the maximum-likelihood ones that ``summary()``
  reports) and for your own module.  On small tables the penalty keeps the net from
  growing over-confident late in training (breast cancer, 455 rows: test log loss 0.151
  -> 0.108, where scikit-learn's MLP gets 0.10; Boston 2.479 -> 2.463, concrete 3.110 ->
  3.104, wine unchanged; banknote 0.0003 -> 0.006); the screens:
  ``benchmarks/results/explore_defaults_s7_*.json`` (5 splits).  On medium data the
  early-stopping comparison of dropout does the regularising, and a noise-free target
  (naval) needs the weights unshrunk.

The price of the dropout comparison is a second fit on medium data (the candidate
without dropout usually stops sooner).  The screens behind these numbers (3-5 UCI
splits, two bike-sharing seeds):
``benchmarks/results/explore_defaults_s6_*.json``; the bike counts gain too (time split
deviance 17.9 -> 15.0 with two layers).
"""

from __future__ import annotations

import warnings

from sklearn.utils.validation import _num_samples

from ._plan import resolve_plan
from ._training_trust import FitInterruptedWarning

#: ``"auto"``: the hidden layers below and from :data:`DEEP_FROM_ROWS` rows
AUTO_HIDDEN_SMALL, AUTO_HIDDEN_LARGE = (100,), (100, 100)
#: ``dropout="auto"``: the rate, and the rows from which the validation loss decides
AUTO_DROPOUT, DEEP_FROM_ROWS = 0.1, 5_000
#: ``weight_decay="auto"``: the L2 penalty of an MLP below :data:`DEEP_FROM_ROWS` rows
AUTO_WEIGHT_DECAY = 1e-3


def _is_auto(value):
    return isinstance(value, str) and value == "auto"


def auto_hidden_layer_sizes(n_rows):
    """The hidden layers ``hidden_layer_sizes="auto"`` gives a fit on ``n_rows`` rows."""
    return AUTO_HIDDEN_SMALL if n_rows < DEEP_FROM_ROWS else AUTO_HIDDEN_LARGE


def auto_dropout(est, n_rows):
    """The rate ``dropout="auto"`` gives when no comparison decides (see the module)."""
    choice = getattr(est, "_dropout_candidate", None)
    if choice is not None:
        return choice
    return AUTO_DROPOUT if n_rows < DEEP_FROM_ROWS or est.mc_samples else 0.0


def _mlp_with_hidden_layers(est):
    """Whether ``est`` builds its MLP body with hidden layers (not a GLM, not your own
    module): the only body the "auto" dropout and penalty apply to."""
    mlp = isinstance(est.architecture, str) and est.architecture == "mlp"
    return mlp and est._body_can_overfit()


def auto_weight_decay(est, n_rows):
    """The L2 penalty ``weight_decay="auto"`` gives a new network fitted on ``n_rows``
    rows (see the module)."""
    if not _mlp_with_hidden_layers(est):
        return 0.0  # a GLM keeps its maximum-likelihood fit; your own module is yours
    return AUTO_WEIGHT_DECAY if n_rows < DEEP_FROM_ROWS else 0.0


def _may_compare(est, n_rows):
    """Whether a fit on ``n_rows`` rows may compare dropout 0.1 with none, but for the
    validation split it needs (:func:`_stops_early`)."""
    if not hasattr(est, "_fitted_body_params"):
        return False  # not a tabular MLP estimator
    if not (_is_auto(est.dropout) and n_rows >= DEEP_FROM_ROWS and not est.mc_samples):
        return False
    if not _mlp_with_hidden_layers(est):
        return False  # a GLM has no dropout to switch; your own module is yours
    return not (est.warm_start and hasattr(est, "net_"))


def candidate_rates(est, n_rows):
    """The dropout rates ``est.fit`` on ``n_rows`` rows would compare, or ``[None]``.

    For callers that run the candidates as separate jobs (a deep ensemble spreads its
    members' candidates over its workers): fit each with :func:`fit_as_candidate` and
    keep :func:`better_candidate`, which gives what ``est.fit`` gives.
    """
    if _may_compare(est, n_rows) and _stops_early(est, n_rows):
        return [AUTO_DROPOUT, 0.0]
    return [None]


def fit_as_candidate(est, rate, fit):
    """Run ``fit()`` (``est``'s own fit) as the candidate with dropout ``rate``."""
    if rate is None:
        return fit()
    est._dropout_candidate = rate
    try:
        return fit()
    finally:
        est.__dict__.pop("_dropout_candidate", None)


def better_candidate(fitted):
    """Index of the candidate :func:`fit_choosing_dropout` keeps among ``fitted``
    (estimators fitted by :func:`fit_as_candidate` in the order of
    :func:`candidate_rates`)."""
    if len(fitted) == 2 and _without_dropout_wins(
            *(getattr(e, "best_validation_score_", None) for e in fitted)):
        return 1
    return 0


def _without_dropout_wins(score_with, score_without):
    # strictly better only: a tie (or a missing score) keeps dropout
    return None not in (score_with, score_without) and score_without > score_with


def num_rows(X):
    """Rows of ``X`` for the rule, or 0 when ``X`` is no table (the fit's own validation
    then says what is wrong)."""
    try:
        return _num_samples(X)
    except TypeError:
        return 0


def _stops_early(est, n_rows):
    try:
        return resolve_plan(est, n_rows).early_stopping
    except Exception:  # a bad parameter: the fit itself says which
        return False


def _fit_candidate(est, fit_once, rate):
    """Fit with dropout ``rate``; returns the warnings it raised (not yet emitted)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_as_candidate(est, rate, fit_once)
    interrupted = any(issubclass(w.category, FitInterruptedWarning) for w in caught)
    return caught, interrupted


def _reemit(caught):
    for w in caught:  # under the caller's filters, as if raised there
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _keep(est, state):
    est.__dict__.clear()
    est.__dict__.update(state)


def fit_choosing_dropout(est, n_rows, fit_once):
    """Run ``fit_once()`` (one complete, atomic fit of ``est``) once or twice.

    Twice when ``dropout="auto"`` meets a table of at least :data:`DEEP_FROM_ROWS` rows
    and the fit stops early on a validation split: with dropout 0.1 and without, from
    the same seeds; the estimator keeps the candidate with the better best validation
    score (a tie keeps dropout) and emits only that candidate's warnings.  An error in
    either fit leaves the estimator as it was before, as every failed fit does.
    Returns ``est``.
    """
    if getattr(est, "_dropout_candidate", None) is not None or not (
            _may_compare(est, n_rows) and _stops_early(est, n_rows)):
        fit_once()  # one fit (or one candidate a caller compares, see candidate_rates)
        return est
    before = dict(est.__dict__)
    caught, interrupted = _fit_candidate(est, fit_once, AUTO_DROPOUT)
    if interrupted or est.best_validation_score_ is None:
        _reemit(caught)  # a stop the user asked for, or nothing to compare on
        return est
    with_dropout, caught_with = dict(est.__dict__), caught
    _keep(est, before)
    try:
        caught, interrupted = _fit_candidate(est, fit_once, 0.0)
    except BaseException:
        _keep(est, before)
        raise
    if interrupted:
        _keep(est, with_dropout)
        _reemit(caught_with)
        warnings.warn(
            f"{type(est).__name__}.fit was interrupted while it compared dropout=0 with "
            "dropout=0.1 (dropout='auto'); the model keeps the completed fit with "
            "dropout 0.1.", FitInterruptedWarning, stacklevel=3)
    elif _without_dropout_wins(with_dropout["best_validation_score_"],
                               est.best_validation_score_):
        _reemit(caught)
    else:
        _keep(est, with_dropout)
        _reemit(caught_with)
    return est
