"""Everything that touches skorch lives in this package: the net, its data, callbacks.

The estimators own a :class:`DistributionNet` (``net_``) built by :func:`make_net`; they do
not subclass skorch's ``NeuralNet``, so ``get_params``/``clone``/``check_estimator`` keep
scikit-learn's semantics.  skorch does the training loop, history, callbacks (early
stopping, LR schedules, freezing, checkpoints, user callbacks) and prediction batching;
this package adds

* a fast batch iterator for in-memory tensors (``data``: skorch's default ``DataLoader``
  indexes and collates sample by sample, which costs more than a small MLP's
  forward/backward);
* :class:`TrainingMonitor` (``monitor``): keeps the best weights seen, detects divergence
  (non-finite or exploding losses, non-finite weights) and records why training stopped,
  so the estimator can restore the best weights after a divergence or an interrupt;
* :class:`EpochProgress` (``callbacks``): a tqdm progress bar over epochs (``verbose=1``),
  and :class:`EpochTable`, skorch's per-epoch table without colour codes in logs
  (``verbose=2``);
* skorch's own callbacks as plain data for ``sklearn_dl.save`` (``saving``);
* a scoring view of the net (:class:`NetOutputs`, ``net``): skorch's ``EpochScoring``
  with a string scorer sees predictions and targets in the estimator's terms (labels,
  means in the target's units), not raw outputs and ``(y, weight)`` pairs.

The rest of the package imports this package, never skorch itself and never the
submodules: ``from . import _skorch; _skorch.make_net(...)``.  Every name is re-exported
here (private ones too: pickles written before the split name ``sklearn_dl._skorch.X``),
and the estimators look them up here at call time, so patching ``_skorch.make_net`` or
``_skorch.fit_net`` affects them.
"""

from __future__ import annotations

from .callbacks import EpochProgress, EpochTable, _user_callbacks, _UserTargets, callback_names
from .data import (
    ArrayDataset,
    BatchIterator,
    ShuffleSeeds,
    _collate,
    as_float_tensor,
    eval_batch_size,
)
from .history import history_frame, history_from_rows
from .monitor import TrainingMonitor, _marginal_state, _state_copy, dataset_loss
from .net import LOSS_TOLERANCE, DistributionNet, FamilyNLL, NetOutputs, _l1_penalty, make_net
from .optim import (
    _FUSED_DEVICES,
    _FUSED_OPTIMIZERS,
    OPTIMIZERS,
    optimizer_options,
    resolve_optimizer,
)
from .saving import callback_from_spec, callback_spec, function_path, named_function
from .training import (
    callback,
    continue_from,
    fit_net,
    partial_epoch,
    seeded,
    set_validation,
    stopped_early,
)

__all__ = [
    "ArrayDataset",
    "BatchIterator",
    "DistributionNet",
    "EpochProgress",
    "EpochTable",
    "FamilyNLL",
    "NetOutputs",
    "TrainingMonitor",
    "make_net",
    "seeded",
    "resolve_optimizer",
]
