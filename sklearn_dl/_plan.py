"""The training plan: what ``"auto"`` means for batch size, epochs and early stopping.

Defaults are the product: most users never set a training parameter, so the ``"auto"``
values must train long enough on small data and stop at the right time on larger data.
The rule, the same for every estimator (documented in ``docs/design.md`` and the
estimators' docstrings), chosen by ``benchmarks/explore_defaults.py`` (its screens are in
``benchmarks/results/explore_defaults_*.json``):

* **batch_size="auto"**: ``clip(n_train // 32, 32, 256)`` for tables, so an epoch has
  about 32 steps on small and medium data; images keep 128 (capped at the data size).
* **max_epochs="auto"**: a budget in optimisation *steps*, not epochs: enough epochs for
  :data:`STEP_BUDGET` steps, within ``[MIN_EPOCHS, MAX_EPOCHS]``.  With early stopping
  this is a ceiling that is rarely reached.
* **early_stopping="auto"**: on when ``max_epochs="auto"``, there are at least
  :data:`MIN_EARLY_STOPPING` samples and the body can overfit; it holds out
  ``validation_fraction`` and restores the weights of the best validation epoch.
  ``validation_fraction=None`` holds out 0.1, but 0.2 for a table classifier on fewer
  than :data:`SMALL_CLASSIFIER_ROWS` rows, where 10 % would be under 100 rows: there
  the best epoch (and the activation the body compares) is picked on too few labels,
  and the net stops over-confident.  Doubling the split lowered the test log loss on
  five tables of 105-960 training rows (breast cancer 0.121 -> 0.101, wine 0.042 ->
  0.038, banknote 0.0083 -> 0.0080, its two features 0.263 -> 0.261, iris 0.088 ->
  0.087) and raised it on digits' 1,257 rows (0.077 -> 0.083), which hold out 126 at
  10 % (5 splits, ``benchmarks/results/explore_classifier_validation.json``).
  Regressors keep 0.1: with 20 % the default regressor lost a little on Boston (455
  rows, test NLL 2.316 -> 2.328) and concrete (927 rows, 3.081 -> 3.095; 5 splits,
  ``results/uci_defaults_vf2.json``).  A body without hidden layers (a GLM:
  ``hidden_layer_sizes=()``) trains its whole budget on all rows instead: a convex
  model does not overfit that way, and stopping on a small validation share stops it
  short of the GLM's optimum.  It stops
  once converged: the training loss has not improved by 1e-4 nats for ``patience``
  epochs.  Early stopping, too, counts improvements of at least 1e-4 nats only.
* **patience="auto"**: a tenth of the epochs (tables) or about :data:`PATIENCE_STEPS`
  steps (images), at least :data:`MIN_PATIENCE` epochs.

Explicit values always win and behave exactly as given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sklearn.base import is_classifier

#: samples from which early stopping is on by default
MIN_EARLY_STOPPING = 100
#: optimisation steps of the default budget
STEP_BUDGET = {"tabular": 8_000, "image": 3_000}
MIN_EPOCHS = {"tabular": 10, "image": 10}
MAX_EPOCHS = {"tabular": 2_000, "image": 100}
#: "auto" batch size of tables: clip(n_train // TABULAR_BATCH_DIVISOR, low, high)
TABULAR_BATCH_DIVISOR, TABULAR_BATCH_RANGE = 32, (32, 256)
#: tables: patience as a share of the epochs; images: optimisation steps
PATIENCE_SHARE = 0.1
PATIENCE_STEPS = {"image": 300}
MIN_PATIENCE = {"tabular": 5, "image": 5}
DEFAULT_VALIDATION_FRACTION = 0.1
#: ``validation_fraction=None`` of a table classifier on fewer than SMALL_CLASSIFIER_ROWS
SMALL_CLASSIFIER_VALIDATION_FRACTION, SMALL_CLASSIFIER_ROWS = 0.2, 1_000


@dataclass(frozen=True)
class Plan:
    """Resolved training settings of one ``fit`` call."""

    batch_size: int
    max_epochs: int
    early_stopping: bool
    validation_fraction: float
    patience: int
    converge: bool = False  # stop on a training-loss plateau (no early stopping)


def is_auto(value):
    """Whether a parameter is the string ``"auto"`` (not an array, not another string)."""
    return isinstance(value, str) and value == "auto"


def default_validation_fraction(est, n_samples):
    """The share ``validation_fraction=None`` holds out when ``est`` stops early on
    ``n_samples`` rows (see the module)."""
    if (est._input_kind() == "tabular" and is_classifier(est)
            and n_samples < SMALL_CLASSIFIER_ROWS):
        return SMALL_CLASSIFIER_VALIDATION_FRACTION
    return DEFAULT_VALIDATION_FRACTION


def resolve_plan(est, n_samples, partial=False):
    """The :class:`Plan` for estimator ``est`` fitted on ``n_samples`` rows.

    ``partial=True`` (``partial_fit``): one epoch, no validation split.
    """
    kind = est._input_kind()
    if partial:
        early, frac = False, 0.0
    else:
        early = est.early_stopping
        if is_auto(early):
            # an explicit max_epochs asks for that many epochs: no early stopping then
            early = (is_auto(est.max_epochs) and n_samples >= MIN_EARLY_STOPPING
                     and est.validation_fraction != 0 and est._body_can_overfit())
        frac = est.validation_fraction
        if frac is None:
            frac = default_validation_fraction(est, n_samples) if early else 0.0
    n_train = max(1, n_samples - math.ceil(frac * n_samples))

    batch = est.batch_size
    if is_auto(batch):
        low, high = TABULAR_BATCH_RANGE
        batch = 128 if kind == "image" else min(high, max(low, n_train // TABULAR_BATCH_DIVISOR))
    batch = int(min(batch, n_train))
    steps_per_epoch = math.ceil(n_train / batch)

    epochs = est.max_epochs
    if partial:
        epochs = 1
    elif is_auto(epochs):
        epochs = math.ceil(STEP_BUDGET[kind] / steps_per_epoch)
        epochs = int(min(MAX_EPOCHS[kind], max(MIN_EPOCHS[kind], epochs)))

    patience = est.patience
    if is_auto(patience):
        if kind == "image":
            patience = math.ceil(PATIENCE_STEPS[kind] / steps_per_epoch)
        else:
            patience = math.ceil(PATIENCE_SHARE * epochs)
        patience = max(MIN_PATIENCE[kind], patience)
    # a GLM's auto budget ends when it has converged (see the module's docstring)
    converge = (not partial and not early and is_auto(est.max_epochs)
                and is_auto(est.early_stopping) and not est._body_can_overfit())
    return Plan(batch_size=batch, max_epochs=int(epochs), early_stopping=bool(early),
                validation_fraction=float(frac), patience=int(patience),
                converge=bool(converge))
