"""Private estimator base: ``_BaseNN``, the hooks of the two sides, nested parameters.

The public estimators are thin.  The *family side* (``regression.py``,
``classification.py``) chooses the family and encodes the target; the *input side*
(``_tabular.py``: MLP on tables, ``_image_base.py``: CNNs on images) validates inputs,
builds the body and yields prediction batches.  Everything else is ``_BaseNN``, as
scikit-learn's ``_GeneralizedLinearRegressor`` holds the logic for ``PoissonRegressor``.
It is put together from mixins, one module each:

* ``_param_checks``: parameter checks (in ``fit``) and the device;
* ``_fitting``: the fit skeleton -- the training plan (what ``"auto"`` means, see
  ``_plan``), the seeded split, warm starts and ``partial_fit``, atomic fits;
* ``_training_trust``: what happens after training (best weights, divergence,
  interrupts, convergence warnings);
* ``_forward``: the single forward pass that every prediction, MC dropout and the
  ensembles go through.

This module keeps the hooks the two sides override (with their defaults) and the
``callbacks__<name>__<param>`` nested parameters.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_sample_weight

from . import _skorch
from ._fitting import _FitMixin
from ._forward import _ForwardMixin
# the checks, resolve_device and the warnings are re-exported: the two sides, the
# public package and persistence import them from here
from ._param_checks import (  # noqa: F401
    _check_auto,
    _check_number,
    _ParamChecksMixin,
    resolve_device,
)
from ._rstyle import _RStyleMixin
from ._training_trust import (  # noqa: F401
    DivergenceWarning,
    FitInterruptedWarning,
    _TrainingTrustMixin,
)


def weighted_mean_std(a, w, center=True, constant_scale=1.0):
    """Column means and standard deviations of ``a`` under weights ``w`` (float64).

    Zero deviations (constant columns) are replaced by ``constant_scale``: one keeps
    dividing safe; ``inf`` maps the column to zero whatever its value (an input
    standardisation: a constant column carries nothing to learn from).  With
    ``center=False`` the "mean" is zero and the scale the root mean square: a model
    without intercept must not be shifted (a shift would bring an intercept back).
    """
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    mean = np.average(a, axis=0, weights=w) if center else np.zeros(a.shape[1])
    std = np.sqrt(np.average((a - mean) ** 2, axis=0, weights=w))
    # a constant column of large values has a rounding-noise sd of about n * eps * |mean|
    # (as in scikit-learn's StandardScaler); dividing by it would blow the noise up
    noise = len(a) * np.finfo(np.float64).eps * np.abs(mean)
    std[~(std > np.maximum(1e-12, noise))] = constant_scale
    return mean, std


class _BaseNN(_FitMixin, _TrainingTrustMixin, _ForwardMixin, _ParamChecksMixin, _RStyleMixin,
             BaseEstimator):
    """Shared logic of all sklearn_dl network estimators (no parameters of its own).

    The family side implements ``_get_family(y)``, ``_check_y``, ``_prepare_target``
    and ``_scale_target``; the input side implements ``_check_body_params``,
    ``_validate_xy``, ``_make_preprocess``, ``_make_body``, ``_dataset``,
    ``_predict_module`` and ``_predict_batches``.
    """

    # -- hooks for the family side ----------------------------------------------------------
    def _get_family(self, y):
        raise NotImplementedError

    def _prepare_target(self, y, classes=None, reset=True):
        """Validate/encode y (numpy) before training; may set fitted attributes."""
        return y

    def _scale_target(self, y, w, family, reset=True):
        """Transform the (validated, weighted) target for training (default: as is)."""
        return y

    def _target_scaling(self):
        """``(shift, scale)`` of the target standardisation, or ``(None, None)``."""
        return None, None

    def _fits_intercept(self):
        """Whether the network has an intercept (the head's bias); the tabular side's
        ``fit_intercept`` can switch it off for a body without hidden layers."""
        return True

    def _n_targets(self, y):
        return 1 if y.ndim == 1 else y.shape[1]

    def _stratify(self, y):
        return None

    # -- hooks for the input side -------------------------------------------------------------
    def _fine_tuning(self, module):
        """``freeze``/``unfreeze_at``/``param_groups`` for :func:`_skorch.make_net`
        (default: train everything at one learning rate)."""
        return {}

    def _train_transform(self, X):
        """Callable applied to training batches only (e.g. augmentation), or None."""
        return None

    def _fit_sample_weight(self, sample_weight, X, y):
        try:
            return _check_sample_weight(sample_weight, X, dtype=np.float64,
                                        ensure_non_negative=True)
        except (TypeError, ValueError) as exc:
            if "convert" not in str(exc):
                raise
            raise ValueError(f"sample_weight must hold numbers ({exc}).") from None

    def _input_kind(self):
        """``"tabular"`` or ``"image"``: which defaults the training plan uses."""
        return "tabular"

    def _body_can_overfit(self):
        """False for a body without hidden layers (a GLM): ``early_stopping="auto"``
        then trains the whole budget on all rows (see ``_plan``)."""
        return True

    #: training rows on which the start and end losses are compared (never-improved check)
    _check_rows = 2048

    # -- out of memory: what the input side names in the message ------------------------
    _batch_unit = "rows"

    def _size_settings(self):
        """The settings besides ``batch_size`` that decide memory use, as "the ... (...)"."""
        return "the network's size"

    def _predict_memory_advice(self):
        """What to lower when prediction runs out of memory."""
        return f"Lower {self._size_settings()}."

    # -- callbacks' parameters as nested parameters -------------------------------------------
    def _named_callbacks(self):
        cbs = [c[1] if isinstance(c, tuple) else c for c in (self.callbacks or ())]
        return dict(zip(_skorch.callback_names(self.callbacks), cbs))

    def get_params(self, deep=True):
        """Get parameters; with ``deep=True`` also ``callbacks__<name>__<param>``.

        Parameters
        ----------
        deep : bool, default=True
            Include the parameters of the callbacks (named as skorch names them).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.

        Examples
        --------
        >>> from skorch.callbacks import EpochScoring
        >>> from sklearn_dl import NNClassifier
        >>> clf = NNClassifier(lr=0.01, callbacks=[("acc", EpochScoring("accuracy"))])
        >>> params = clf.get_params()
        >>> params["lr"], params["callbacks__acc__scoring"]
        (0.01, 'accuracy')
        """
        params = super().get_params(deep=deep)
        if deep and isinstance(self.callbacks, (list, tuple)):
            for name, cb in self._named_callbacks().items():
                if hasattr(cb, "get_params"):
                    for key, value in cb.get_params(deep=False).items():
                        params[f"callbacks__{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set parameters, including ``callbacks__<name>__<param>`` of the callbacks.

        Parameters
        ----------
        **params : dict
            Estimator parameters, and callback parameters named as skorch names the
            callbacks (the tuple's name, else the class name, numbered when repeated).

        Returns
        -------
        self : object
            The estimator, changed in place.

        Examples
        --------
        >>> from skorch.callbacks import EpochScoring
        >>> from sklearn_dl import NNClassifier
        >>> clf = NNClassifier(callbacks=[("acc", EpochScoring("accuracy"))])
        >>> clf = clf.set_params(lr=0.01, callbacks__acc__lower_is_better=False)
        >>> clf.lr, clf.callbacks[0][1].lower_is_better
        (0.01, False)
        """
        nested = {k: v for k, v in params.items() if k.startswith("callbacks__")}
        super().set_params(**{k: v for k, v in params.items() if k not in nested})
        if nested:
            named = self._named_callbacks()
            for key, value in nested.items():
                parts = key.split("__", 2)
                if len(parts) != 3 or parts[1] not in named:
                    raise ValueError(f"Invalid parameter {key!r} for {type(self).__name__}: "
                                     f"callbacks are named {sorted(named)} (use "
                                     "callbacks__<name>__<param>).")
                named[parts[1]].set_params(**{parts[2]: value})
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
