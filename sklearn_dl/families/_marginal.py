"""The marginal (null) model of a family: the best constant prediction of the target.

It starts the network's head (:meth:`Family.init_head`), gives the loss a fit must beat
(:meth:`Family.null_nll`, which the divergence checks compare with) and is the reference
of summaries.  The generic fit maximises the likelihood of a constant raw output with
L-BFGS, so it works for any family; families with a closed form override
:meth:`Family.marginal_raw`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class _MarginalModel:
    """The marginal-model methods of :class:`~sklearn_dl.families.Family`.

    A mixin of ``Family`` only: it relies on the family's :meth:`n_outputs`,
    :meth:`target_tensor` and :meth:`nll`.
    """

    def init_head(self, head, y, sample_weight, n_targets, raw=None):
        """Start the head at the marginal model: its bias becomes :meth:`marginal_raw`.

        The network then begins at the best constant prediction (the null model), so
        the first epochs fit structure instead of the overall level, and the starting
        loss is known (which divergence checks compare against).  A head that is not a
        ``Linear`` may define ``init_from_raw(raw)``; otherwise it is left as is.

        Parameters
        ----------
        head : torch.nn.Module
            The head built by :meth:`make_head`; changed in place.
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Validated (for location-scale families, standardised) target.
        sample_weight : ndarray of shape (n_samples,) or None
        n_targets : int
            Targets (regression) or classes (classification).
        raw : ndarray of shape (n_outputs,), default=None
            The already computed :meth:`marginal_raw`, if any.

        Returns
        -------
        None

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Poisson
        >>> fam = Poisson()
        >>> head = fam.make_head(4, 1)
        >>> fam.init_head(head, np.array([1.0, 2.0, 3.0]), None, 1)
        >>> round(head.bias.item(), 4)  # log of the mean count, 2
        0.6931
        """
        if raw is None:
            raw = self.marginal_raw(y, sample_weight, n_targets)
        with torch.no_grad():
            if hasattr(head, "init_from_raw"):
                head.init_from_raw(raw)
            elif isinstance(head, nn.Linear) and head.bias is not None:
                head.bias.copy_(torch.as_tensor(raw, dtype=head.bias.dtype))

    # -- the marginal (null) model -------------------------------------------------------
    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        """Raw outputs of the best constant prediction of ``y`` (maximum likelihood).

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Validated (and, for location-scale families, standardised) target.
        sample_weight : ndarray of shape (n_samples,), default=None
        n_targets : int, default=None
            Targets (regression) or classes (classification); default from ``y``.

        Returns
        -------
        raw : ndarray of shape (n_outputs,)
            The default maximises the weighted log-likelihood of a constant raw output
            numerically (L-BFGS), so it works for any family; families override it with
            a closed form.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Normal
        >>> Normal().marginal_raw(np.array([1.0, 2.0, 3.0])).round(4)  # mean, log sd
        array([ 2.    , -0.2027])
        """
        y = np.asarray(y)
        n_targets = _n_targets(y) if n_targets is None else n_targets
        return self._search_marginal(y, sample_weight, n_targets)

    def _search_marginal(self, y, sample_weight, n_targets, start=None, n_zero=0):
        """Maximum-likelihood constant raw outputs by L-BFGS from ``start``; the first
        ``n_zero`` of them are held at 0 (see :meth:`_marginal_without_intercept`)."""
        y_t = self.target_tensor(y)
        if y_t.is_floating_point():
            y_t = y_t.to(torch.float64)
        w_t = None if sample_weight is None else torch.as_tensor(sample_weight,
                                                                  dtype=torch.float64)
        if start is None:
            start = self.marginal_start(y, sample_weight, n_targets)
        start = np.asarray(start, dtype=np.float64).copy()
        start[:n_zero] = 0.0
        fixed = torch.zeros(n_zero, dtype=torch.float64)
        free = torch.tensor(start[n_zero:], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([free], lr=1.0, max_iter=200, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            raw = torch.cat([fixed, free])
            loss = self.nll(raw.expand(len(y), -1), y_t, w_t)
            loss.backward()
            return loss

        opt.step(closure)
        raw = np.r_[np.zeros(n_zero), free.detach().numpy()]
        # a degenerate target (one row, a constant) can send the search to non-finite
        # values; the starting point is then the better constant
        return raw if np.all(np.isfinite(raw)) else start

    def _marginal_without_intercept(self, y, sample_weight, n_targets, n_zero):
        """The null model of a network without intercept: the first ``n_zero`` raw
        outputs (the linear predictors, 0 when the weights are 0) are 0 and only the
        constant ones (a dispersion) are fitted, starting from :meth:`marginal_raw`."""
        start = self.marginal_raw(y, sample_weight, n_targets)
        if n_zero >= len(start):
            return np.zeros(len(start))
        return self._search_marginal(np.asarray(y), sample_weight, n_targets, start=start,
                                     n_zero=n_zero)

    def marginal_start(self, y, sample_weight=None, n_targets=None):
        """Starting raw outputs of the numerical marginal fit (:meth:`marginal_raw`).

        The default is zeros; families without a closed-form marginal return a
        method-of-moments guess here, so the L-BFGS search starts near the optimum
        whatever the units of ``y``.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : ndarray of shape (n_samples,), default=None
        n_targets : int, default=None

        Returns
        -------
        raw : ndarray of shape (n_outputs,)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Normal
        >>> Normal().marginal_start(np.array([1.0, 2.0, 3.0]))
        array([0., 0.])
        """
        n_targets = _n_targets(np.asarray(y)) if n_targets is None else n_targets
        return np.zeros(self.n_outputs(n_targets))

    def null_nll(self, y, sample_weight=None, n_targets=None, raw=None):
        """Mean (weighted) NLL of ``y`` under the marginal model: the loss to beat.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Validated target.
        sample_weight : ndarray of shape (n_samples,), default=None
        n_targets : int, default=None
            Targets (regression) or classes (classification); default from ``y``.
        raw : ndarray of shape (n_outputs,), default=None
            The already computed :meth:`marginal_raw`, if any.

        Returns
        -------
        nll : float
            What ``null_loss_`` of a fitted estimator reports.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Normal
        >>> round(Normal().null_nll(np.array([1.0, 2.0, 3.0])), 4)
        1.2162
        """
        if raw is None:
            raw = self.marginal_raw(y, sample_weight, n_targets)
        raw = torch.as_tensor(raw, dtype=torch.float64)
        y_t = self.target_tensor(np.asarray(y))
        if y_t.is_floating_point():
            y_t = y_t.to(torch.float64)
        w = None if sample_weight is None else torch.as_tensor(sample_weight,
                                                                dtype=torch.float64)
        with torch.no_grad():
            return float(self.nll(raw.expand(len(y), -1), y_t, w))


def _n_targets(y):
    return 1 if np.ndim(y) == 1 else np.shape(y)[1]

