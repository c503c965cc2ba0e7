"""What ``"auto"`` means for the MLP body's size, activation, dropout and L2 penalty.

Defaults are the product, and the right capacity and regularisation depend on the data:

* **hidden_layer_sizes="auto"**: one hidden layer of 100 units below
  :data:`DEEP_FROM_ROWS` rows, two from there on.  On small data a second layer alone
  overfits (wine: test NLL 0.935 -> 0.974); from a few thousand rows it is what the data
  need (kin8nm: -1.10 -> -1.27 with dropout).  A small-data *regressor* that compares
  candidates (activation and dropout, below) gets two layers for all of them: the
  validation loss that picks among them also guards against the second layer's
  overfitting (10 UCI splits, ``benchmarks/results/explore_body_choice_4way*.json``:
  test NLL concrete 3.085 -> 3.057, Boston 2.478 -> 2.448, wine 0.957 -> 0.951, each
  better on 7 of 10 splits; concrete's RMSE 5.7 -> 5.1 on splits 5-9; six other real
  tables, ``explore_depth_other_tables*.json``: better on five).  A classifier keeps
  one layer: two cost breast cancer's log loss 0.109 -> 0.138
  (``explore_defaults_s9_c.json``).  Where nothing is compared (no validation split,
  explicit activation and dropout) it is one layer.
* **dropout="auto"**: 0.1 below :data:`DEEP_FROM_ROWS` rows (or with MC dropout), but a
  small-data *regressor* that stops early also compares 0.1 with none (with each
  compared activation: four fits) and drops it only when the validation NLL is lower
  by :data:`DROPOUT_OFF_MARGIN` nats per row.  A smooth, nearly noise-free target needs
  it off (Friedman's function with noise sd 0.05 on 768 rows: test NLL 0.70 with
  dropout, 0.01 without, 3 seeds), a noisy one on (concrete: 3.08 with it, 3.32
  without, 5 splits); on small validation splits the two are close and an unmargined
  choice picked the overfitted one (concrete 3.057 -> 3.100 over 10 splits), with the
  margin it gains a little everywhere (10 UCI splits, concrete 3.055, Boston 2.420,
  wine 0.951; ``benchmarks/results/explore_dropout_choice_s*.json``).  A classifier's
  dropout stays 0.1 (dropout inflates no learned variance there).  From
  :data:`DEEP_FROM_ROWS` rows on the data decide for every estimator:
  :func:`fit_choosing_body` fits the network with
  dropout 0.1 and without, on the same split, initialisation and batch order, and
  keeps the one with the lower validation loss.  Neither choice is right for every
  medium-sized table: dropout regularises a noisy target (kin8nm, 8,192 rows: test NLL
  -1.16 without, -1.27 with), but on a nearly noise-free one (naval, 11,934 rows) the
  noise it adds during training inflates the learned variance (-6.33 without, -5.28
  with).  The comparison needs the early-stopping validation split; without one
  (``early_stopping=False``, ``partial_fit``, a warm start) "auto" is 0 from
  :data:`DEEP_FROM_ROWS` rows on, as before.
* **activation="auto"**: below :data:`DEEP_FROM_ROWS` rows, when the fit stops early on
  a validation split, the network is fitted with ReLU and with ELU (same split,
  initialisation and batch order) and the one with the lower validation loss is kept
  (a tie keeps ReLU); ReLU wherever nothing compares (no validation split, from
  :data:`DEEP_FROM_ROWS` rows on, where dropout is compared instead).  Neither wins
  everywhere on small tables: ELU's smooth fit suits Boston (5 splits: test NLL 2.463
  with ReLU, 2.376 with ELU) and loses on concrete (3.104 vs 3.243); the validation
  loss picks right on 3 of Boston's 5 splits and all of concrete's (chosen, one layer:
  2.394 and 3.104; wine 0.935 / 0.938 / 0.936),
  ``benchmarks/results/explore_activation_choice*.json``.  A comparison needs at least
  :data:`MIN_VALIDATION_ROWS` validation rows (400 rows at the default 10 %, 200 for a
  classifier, which holds out 20 % below 1,000 rows): on the
  course's fish counts (200 rows, 20 validation rows; 4 seeds, three count families) the
  choice was a coin toss (right on 5 of 12 fits; on average 0.07 and 0.37 nats worse
  than ReLU for the Poisson and zero-inflated heads), so there ReLU is kept as before.
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

The price of a comparison is a second fit (on medium data the candidate without
dropout usually stops sooner; on small data a fit takes seconds).  The screens behind
the size and dropout rules (3-5 UCI splits, two bike-sharing seeds):
``benchmarks/results/explore_defaults_s6_*.json``; the bike counts gain too (time split
deviance 17.9 -> 15.0 with two layers).
"""

from __future__ import annotations

import math
import warnings

from sklearn.base import is_classifier
from sklearn.utils.validation import _num_samples

from . import _warn
from ._plan import is_auto, resolve_plan
from ._training_trust import FitInterruptedWarning

#: ``"auto"``: the hidden layers below and from :data:`DEEP_FROM_ROWS` rows
AUTO_HIDDEN_SMALL, AUTO_HIDDEN_LARGE = (100,), (100, 100)
#: ``dropout="auto"``: the rate, and the rows from which the validation loss decides
AUTO_DROPOUT, DEEP_FROM_ROWS = 0.1, 5_000
#: ``weight_decay="auto"``: the L2 penalty of an MLP below :data:`DEEP_FROM_ROWS` rows
AUTO_WEIGHT_DECAY = 1e-3
#: ``activation="auto"``: the activations compared below :data:`DEEP_FROM_ROWS` rows; the
#: first is kept on a tie and wherever nothing compares
AUTO_ACTIVATIONS = ("relu", "elu")
#: the fewest validation rows a comparison decides on (below, the first candidate is fitted)
MIN_VALIDATION_ROWS = 40
#: below :data:`DEEP_FROM_ROWS` rows, how much lower (nats per validation row) a
#: regressor's candidate without dropout must bring the validation NLL than the best
#: candidate with it, to be kept
DROPOUT_OFF_MARGIN = 0.02


def auto_hidden_layer_sizes(est, n_rows):
    """The hidden layers ``hidden_layer_sizes="auto"`` gives a fit on ``n_rows`` rows:
    the candidate's being fitted, else by the number of rows (see the module)."""
    choice = _candidate_setting(est, "hidden_layer_sizes")
    if choice is not None:
        return choice
    return AUTO_HIDDEN_SMALL if n_rows < DEEP_FROM_ROWS else AUTO_HIDDEN_LARGE


def _candidate_setting(est, name):
    return (getattr(est, "_body_candidate", None) or {}).get(name)


def auto_dropout(est, n_rows):
    """The rate ``dropout="auto"`` gives when no comparison decides (see the module)."""
    choice = _candidate_setting(est, "dropout")
    if choice is not None:
        return choice
    return AUTO_DROPOUT if n_rows < DEEP_FROM_ROWS or est.mc_samples else 0.0


def auto_activation(est):
    """The activation ``activation="auto"`` gives: the candidate being fitted, else the
    first of :data:`AUTO_ACTIVATIONS` (when nothing compares)."""
    return _candidate_setting(est, "activation") or AUTO_ACTIVATIONS[0]


def _mlp_with_hidden_layers(est):
    """Whether ``est`` builds its MLP body with hidden layers (not a GLM, not your own
    module): the only body the "auto" dropout, activation and penalty apply to."""
    mlp = isinstance(est.architecture, str) and est.architecture == "mlp"
    return mlp and est._body_can_overfit()


def auto_weight_decay(est, n_rows):
    """The L2 penalty ``weight_decay="auto"`` gives a new network fitted on ``n_rows``
    rows (see the module)."""
    if not _mlp_with_hidden_layers(est):
        return 0.0  # a GLM keeps its maximum-likelihood fit; your own module is yours
    return AUTO_WEIGHT_DECAY if n_rows < DEEP_FROM_ROWS else 0.0


def _comparable_settings(est, n_rows):
    """The body settings a fit on ``n_rows`` rows may compare, but for the validation
    split it needs (:func:`_validation_rows`): a list of dicts, or ``[]``."""
    if not hasattr(est, "_fitted_body_params"):
        return []  # not a tabular MLP estimator
    if not _mlp_with_hidden_layers(est):
        return []  # a GLM has no hidden layer to change; your own module is yours
    if est.warm_start and hasattr(est, "net_"):
        return []  # a warm start continues the network it has
    if n_rows >= DEEP_FROM_ROWS:
        return _dropout_rates(est)
    else:  # below, the activation and (for a regressor) the dropout, where "auto"
        names = ([{"activation": name} for name in AUTO_ACTIVATIONS]
                 if is_auto(est.activation) else [{}])
        settings = [{**name, **rate} for rate in _rates_when_compared(est)
                    for name in names]
        if settings != [{}]:
            return [{**setting, **_depth_when_compared(est)} for setting in settings]
    return []


def _dropout_rates(est):
    """The rates ``dropout="auto"`` compares, 0.1 and none, or ``[]`` (an explicit rate;
    MC dropout needs its dropout)."""
    if is_auto(est.dropout) and not est.mc_samples:
        return [{"dropout": AUTO_DROPOUT}, {"dropout": 0.0}]
    return []


def _rates_when_compared(est):
    """A small-data regressor's dropout candidates (see the module); a classifier, MC
    dropout or an explicit rate keep one (``[{}]``)."""
    return (not is_classifier(est) and _dropout_rates(est)) or [{}]


def _handicap(setting, n_rows):
    """Nats per validation row a candidate's score is lowered by before the comparison:
    dropping the dropout of a small-data fit needs clear evidence (see the module)."""
    if setting and setting.get("dropout") == 0.0 and n_rows < DEEP_FROM_ROWS:
        return DROPOUT_OFF_MARGIN
    return 0.0


def _depth_when_compared(est):
    """The hidden layers of a small-data regressor's compared candidates (see the
    module): two layers, where the validation loss guards against their overfitting;
    a classifier keeps one."""
    if is_auto(est.hidden_layer_sizes) and not is_classifier(est):
        return {"hidden_layer_sizes": AUTO_HIDDEN_LARGE}
    return {}


def candidates(est, n_rows):
    """The body settings ``est.fit`` on ``n_rows`` rows would compare, or ``[None]``.

    Each is a dict of the "auto" settings it fixes (``{"dropout": 0.0}``,
    ``{"activation": "elu"}``).  For callers that run the candidates as separate jobs (a
    deep ensemble spreads its members' candidates over its workers): fit each with
    :func:`fit_as_candidate` and keep :func:`better_candidate`, which gives what
    ``est.fit`` gives.
    """
    settings = _comparable_settings(est, n_rows)
    if settings and _validation_rows(est, n_rows) >= MIN_VALIDATION_ROWS:
        return settings
    return [None]


def fit_as_candidate(est, setting, fit, label=None):
    """Run ``fit()`` (``est``'s own fit) as the candidate with the body ``setting``;
    ``label`` names it in the progress bar (``verbose=1``)."""
    if setting is None:
        return fit()
    est._body_candidate = dict(setting)
    est._candidate_label = label
    try:
        return fit()
    finally:
        est.__dict__.pop("_body_candidate", None)
        est.__dict__.pop("_candidate_label", None)


def _score(est, setting=None, n_rows=0):
    """The validation score the comparison counts: the fit's, less its handicap."""
    score = getattr(est, "best_validation_score_", None)
    return None if score is None else score - _handicap(setting, n_rows)


def _beats(score, best_score):
    # strictly better only: a tie (or a missing score) keeps the earlier candidate
    return None not in (score, best_score) and score > best_score


def better_candidate(fitted, settings, n_rows):
    """Index of the candidate :func:`fit_choosing_body` keeps among ``fitted``
    (estimators fitted by :func:`fit_as_candidate` with ``settings``, the
    :func:`candidates` of a fit on ``n_rows`` rows, in their order): the best
    validation score after handicaps, the earlier one on a tie."""
    scores = [_score(f, s, n_rows) for f, s in zip(fitted, settings)]
    best = 0
    for k in range(1, len(fitted)):
        if _beats(scores[k], scores[best]):
            best = k
    return best


def num_rows(X):
    """Rows of ``X`` for the rule, or 0 when ``X`` is no table (the fit's own validation
    then says what is wrong)."""
    try:
        return _num_samples(X)
    except TypeError:
        return 0


def _validation_rows(est, n_rows):
    """Rows of the early-stopping validation split of a fit on ``n_rows`` rows (0 when
    the fit does not stop early); as ``_FitMixin._split`` counts them."""
    try:
        plan = resolve_plan(est, n_rows)
    except Exception:  # a bad parameter: the fit itself says which
        return 0
    return math.ceil(plan.validation_fraction * n_rows) if plan.early_stopping else 0


def _fit_candidate(est, fit_once, setting, label=None):
    """Fit with the body ``setting``; returns the warnings it raised (not yet emitted)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_as_candidate(est, setting, fit_once, label)
    interrupted = any(issubclass(w.category, FitInterruptedWarning) for w in caught)
    return caught, interrupted


def _reemit(caught):
    for w in caught:  # under the caller's filters, as if raised there
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _keep(est, state):
    est.__dict__.clear()
    est.__dict__.update(state)


def _describe(setting, other):
    """``setting`` as ``name=value`` pairs, the ones it differs from ``other`` in."""
    return ", ".join(f"{k}={v!r}" for k, v in setting.items() if other.get(k) != v)


def _pairs(setting, keys):
    """``setting``'s values of ``keys`` as ``name=value`` pairs."""
    return ", ".join(f"{k}={setting.get(k)!r}" for k in keys)


def _labels(settings):
    """``"k/n: name=value, ..."`` per setting, naming only what the settings vary in."""
    varying = [k for k in settings[0] if len({repr(s.get(k)) for s in settings}) > 1]
    return [f"{i}/{len(settings)}: {_pairs(s, varying)}"
            for i, s in enumerate(settings, 1)], varying


def _report_choice(est, setting, varying, n_compared):
    """With ``verbose``, say which body the comparison kept (after the progress bars)."""
    if est.verbose:
        print(f"{type(est).__name__}: kept {_pairs(setting, varying)} of {n_compared} "
              "bodies compared on the "
              f"validation loss (best valid_loss {-est.best_validation_score_:.4f}).")


def fit_choosing_body(est, n_rows, fit_once):
    """Run ``fit_once()`` (one complete, atomic fit of ``est``) once per candidate.

    Once, unless :func:`candidates` has several settings for this fit (an "auto" body
    that stops early on a validation split, see the module); then once per setting,
    from the same seeds (split, initialisation, batch order).  The estimator keeps the
    candidate with the best validation score (a tie keeps the earlier one) and emits
    only that candidate's warnings.  An error in any fit leaves the estimator as it was
    before, as every failed fit does.  Returns ``est``.
    """
    settings = [None]
    if getattr(est, "_body_candidate", None) is None:  # else a caller compares
        settings = candidates(est, n_rows)
    if settings == [None]:
        fit_once()
        return est
    before = dict(est.__dict__)
    labels, varying = _labels(settings)
    caught, interrupted = _fit_candidate(est, fit_once, settings[0], labels[0])
    if interrupted or _score(est) is None:
        _reemit(caught)  # a stop the user asked for, or nothing to compare on
        return est
    best_state, best_caught, best_setting = dict(est.__dict__), caught, settings[0]
    best_score = _score(est, settings[0], n_rows)
    for setting, label in zip(settings[1:], labels[1:]):
        _keep(est, before)
        try:
            caught, interrupted = _fit_candidate(est, fit_once, setting, label)
        except BaseException:
            _keep(est, before)
            raise
        if interrupted:
            _keep(est, best_state)
            _reemit(best_caught)
            _warn.warn(
                f"{type(est).__name__}.fit was interrupted while it compared "
                f"{_describe(setting, best_setting)} with "
                f"{_describe(best_setting, setting)} (the 'auto' body); the model keeps "
                f"the completed fit with {_describe(best_setting, setting)}.",
                FitInterruptedWarning)
            return est
        score = _score(est, setting, n_rows)
        if _beats(score, best_score):
            best_state, best_caught, best_setting = dict(est.__dict__), caught, setting
            best_score = score
    _keep(est, best_state)
    _report_choice(est, best_setting, varying, len(settings))
    _reemit(best_caught)
    return est
