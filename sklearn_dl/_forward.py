"""The one forward path: every prediction, MC dropout and the ensembles go through it."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np

import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._param_checks import _check_number
from ._validation import allocation_failure, memory_error
from .distributions import MixtureDistribution, ParametricDistribution, decompose_uncertainty

_DROPOUT_TYPES = (torch.nn.Dropout, torch.nn.Dropout1d, torch.nn.Dropout2d,
                  torch.nn.Dropout3d, torch.nn.AlphaDropout, torch.nn.FeatureAlphaDropout)


def refuse_mc_without_dropout(est, module, mc_samples):
    """Raise a ValueError naming ``mc_samples`` unless ``module`` has dropout with p > 0
    (checked before training by ``fit`` and before MC passes by ``_forward``)."""
    if mc_samples and not any(isinstance(m, _DROPOUT_TYPES) and m.p > 0
                              for m in module.modules()):
        raise ValueError(
            f"mc_samples={mc_samples} needs dropout layers, but this "
            f"{type(est).__name__}'s network has no dropout with p > 0; fit it with "
            "dropout > 0 (or use a DeepEnsemble for uncertainty without dropout).")


# Dropout types whose mask drops whole channels (dims 2... share one draw) rather
# than single features
_CHANNEL_DROPOUT = (torch.nn.Dropout1d, torch.nn.Dropout2d, torch.nn.Dropout3d,
                    torch.nn.FeatureAlphaDropout)
_ALPHA_DROPOUT = (torch.nn.AlphaDropout, torch.nn.FeatureAlphaDropout)
_SELU_ALPHA = -1.7580993408473766  # -scale * alpha of SELU, the value alpha dropout sets


class _PassMasks:
    """One dropout mask per MC pass and dropout layer, shared by every row.

    Pass ``k`` is then one sampled network (the dropout layers of the fitted one with a
    fixed set of units switched off), as in MC dropout's derivation: a row's prediction
    does not depend on which other rows are predicted with it, on its position in the
    batch or on the batch size, so ``predict_dist(X[:5])`` is ``predict_dist(X)[:5]``.
    Torch's own dropout draws a mask per element of the batch instead.  The layers stay
    in eval mode (identity); a forward hook applies the pass's mask, drawn when the
    layer's output shape is first seen from a generator seeded by (seed, pass, layer).
    """

    def __init__(self, dropouts, seed):
        self.layers = [m for m in dropouts if m.p > 0]
        self.seed = int(seed)
        self._masks = {}

    def _mask(self, k, index, layer, out):
        shape = (1, *out.shape[1:])
        if isinstance(layer, _CHANNEL_DROPOUT) and out.dim() > 2:
            shape = (1, out.shape[1]) + (1,) * (out.dim() - 2)
        key = (k, index, shape)
        if key not in self._masks:
            state = np.random.SeedSequence([self.seed, k, index]).generate_state(1)[0]
            generator = torch.Generator().manual_seed(int(state))
            keep = torch.full(shape, 1.0 - layer.p)
            self._masks[key] = torch.bernoulli(keep, generator=generator)
        return self._masks[key].to(dtype=out.dtype, device=out.device)

    def _hook(self, k, index):
        def apply(layer, inputs, out):
            mask = self._mask(k, index, layer, out)
            if isinstance(layer, _ALPHA_DROPOUT):
                # alpha dropout sets dropped units to the SELU's saturation value and
                # rescales so mean and variance are kept (torch.nn.AlphaDropout)
                p = layer.p
                a = ((1.0 - p) * (1.0 + p * _SELU_ALPHA ** 2)) ** -0.5
                return a * (out * mask + _SELU_ALPHA * (1.0 - mask)) - a * _SELU_ALPHA * p
            return out * mask / (1.0 - layer.p)
        return apply

    @contextlib.contextmanager
    def sampling(self, k):
        handles = [layer.register_forward_hook(self._hook(k, i))
                   for i, layer in enumerate(self.layers)]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()


class _ForwardMixin:
    """``_forward`` and the predictive distribution of :class:`~sklearn_dl._base._BaseNN`;
    the input side supplies ``_predict_module`` and ``_predict_batches``."""

    def _forward(self, X, mc_samples=0, random_state=None):
        """Raw network outputs for ``X``, in float64.

        Parameters
        ----------
        X : input accepted by the estimator's ``predict``
        mc_samples : int, default=0
            0: one deterministic pass (dropout off).  k > 0: k passes, each with one
            dropout mask per dropout layer shared by all rows (see :class:`_PassMasks`;
            batch normalisation stays in eval mode), seeded by ``random_state``.
        random_state : int or None
            Seed of the MC dropout masks; None uses the estimator's ``random_state``
            (or 0), so predictions are reproducible.

        Returns
        -------
        list of torch.Tensor
            One ``(n_samples, n_outputs)`` tensor per pass.
        """
        check_is_fitted(self, "net_")
        _check_number("mc_samples", mc_samples, low=0, integer=True)
        module = self._predict_module()
        batches = self._predict_batches(X)  # validates X before any forward pass
        passes = max(1, mc_samples)
        dropouts = [m for m in module.modules() if isinstance(m, _DROPOUT_TYPES)]
        refuse_mc_without_dropout(self, module, mc_samples)
        outs = [[] for _ in range(passes)]
        seed = self._mc_seed(random_state)
        masks = _PassMasks(dropouts, seed) if mc_samples else None
        module.eval()
        batch = None
        try:
            # no seeded section (nor its lock, see _skorch.seeded): the MC masks come
            # from their own generators, so prediction draws nothing from torch's
            # global generator, and threads may predict side by side
            with torch.inference_mode():
                for batch in batches:
                    for k in range(passes):
                        if masks is None:
                            outs[k].append(module(batch))
                        else:
                            with masks.sampling(k):
                                outs[k].append(module(batch))
        except RuntimeError as exc:
            detail = allocation_failure(exc)
            if detail is None:
                raise
            raise memory_error(self, "predict", detail,
                               None if batch is None else len(batch)) from exc
        finally:
            module.eval()
        if not outs[0]:
            return [torch.empty((0, 0), dtype=torch.float64)]
        # float64 before the family maps outputs to probabilities or means, so class
        # probabilities sum to one to float64 precision
        return [torch.cat(o).to(dtype=torch.float64, device="cpu") for o in outs]

    def _mc_seed(self, random_state):
        if random_state is None:
            random_state = self.random_state
        if isinstance(random_state, numbers.Integral):
            return int(random_state)
        if random_state is None:
            return 0
        return int(check_random_state(random_state).randint(0, 2**31 - 1))

    def _user_params(self, raw):
        """Distribution parameters (numpy, float64) in the target's units."""
        return self.family_.params_numpy(raw)

    def _predictive(self, X, mc_samples=None, random_state=None):
        """The predictive distribution: single, or a mixture over MC dropout passes."""
        if mc_samples is None:
            check_is_fitted(self, "net_")
            mc_samples = self.mc_samples
        raws = self._forward(X, mc_samples=mc_samples, random_state=random_state)
        classes = getattr(self, "classes_", None)
        comps = [ParametricDistribution(self.family_, self._user_params(raw), classes)
                 for raw in raws]
        return comps[0] if len(comps) == 1 else MixtureDistribution(comps)

    def predict_uncertainty(self, X, mc_samples=None, random_state=None):
        """Aleatoric and epistemic parts of the predictive uncertainty per sample.

        A single network has epistemic uncertainty only through MC dropout
        (``mc_samples > 0``); otherwise that part is zero.  A regressor's parts are
        variances (``aleatoric``, ``epistemic``, ``total``), a classifier's are
        entropies in nats (``entropy``, ``expected_entropy``, ``mutual_information``).

        Parameters
        ----------
        X : array-like
        mc_samples : int, default=None
            MC dropout passes (None: the estimator's ``mc_samples``).
        random_state : int or None, default=None
            Seed of the dropout masks.

        Returns
        -------
        Bunch
            See :func:`sklearn_dl.distributions.decompose_uncertainty`.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl import GaussianNLLRegressor, NNClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.5, size=100)
        >>> reg = GaussianNLLRegressor(dropout=0.2, mc_samples=10, max_epochs=10,
        ...                            random_state=0).fit(X, y)
        >>> u = reg.predict_uncertainty(X[:3])
        >>> sorted(u), bool(np.all(u.epistemic > 0))
        (['aleatoric', 'epistemic', 'total'], True)
        >>> clf = NNClassifier(dropout=0.2, mc_samples=10, max_epochs=10,
        ...                    random_state=0).fit(X, np.where(y > 0, "yes", "no"))
        >>> sorted(clf.predict_uncertainty(X[:3]))
        ['entropy', 'expected_entropy', 'mutual_information']
        """
        return decompose_uncertainty(self._predictive(X, mc_samples, random_state))
