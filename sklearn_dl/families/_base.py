"""The distribution-family interface: raw network outputs -> a distribution.

A family is the *head* half of "estimator = body x family".  It states, as data,

* where its targets live (:attr:`Family.support`, see ``_support.py``): this drives the
  target check and the scikit-learn tags, so no estimator tests a family's type;
* its parameters and their links (:attr:`Family.param_names`, :attr:`Family.links`, see
  ``_links.py``), for summaries, ``predict(type="link")`` and plots;

and implements

* the number of raw outputs (:meth:`Family.n_outputs`) and the head (:meth:`make_head`);
* its inverse links in torch, raw outputs -> parameters (:meth:`Family.params`);
* its log-likelihood in torch, whose negative mean is the training loss
  (:meth:`Family.log_prob`, :meth:`Family.nll`);
* the marginal (null) model: the best constant prediction of the target
  (:meth:`Family.marginal_raw`), used to initialise the head, to detect a fit that never
  improved on it, and as the reference of summaries;
* the numpy side of the predictive distribution (:meth:`to_scipy`, :meth:`logpdf`,
  :meth:`mean`, ...), which :class:`sklearn_dl.distributions.PredictiveDistribution`
  wraps.

Families are stateless: constructor arguments are options, nothing is learned in them.
Learnable parameters that do not depend on the input (the constant standard deviation of
a homoscedastic Normal) live in the head module that :meth:`Family.make_head` returns, so
that everything that is trained is part of one ``nn.Module``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ._links import get_link
from ._support import get_support

LOG_2PI = math.log(2.0 * math.pi)


class Family:
    """Base class of distribution families.

    Subclasses set :attr:`name`, :attr:`task`, :attr:`support`, :attr:`param_names` and
    :attr:`links`, and implement :meth:`n_outputs`, :meth:`params`, :meth:`log_prob` and
    :meth:`to_scipy`.  Everything else has a generic default (the marginal fit, for
    example, maximises the likelihood of a constant raw output numerically), which a
    family may override with a closed form.  Register a new family with
    :func:`sklearn_dl.families.register_family`; nothing else needs to change.

    Examples
    --------
    >>> from sklearn_dl.families import Normal
    >>> fam = Normal()
    >>> fam.support, fam.param_names, fam.links
    ('real', ('mean', 'scale'), {'mean': 'identity', 'scale': 'log'})
    """

    #: short name used by the registry, e.g. ``"normal"``
    name = "family"
    #: ``"regression"`` or ``"classification"``
    task = "regression"
    #: whether the distribution is discrete (pmf) or continuous (pdf)
    discrete = False
    #: where targets live: a key of ``sklearn_dl.families._support.SUPPORTS``
    support = "real"
    #: names of the distribution parameters, in the order of :meth:`params`
    param_names = ()
    #: link name per parameter (keys of ``sklearn_dl.families._links.LINKS``)
    links = {}
    #: location-scale families can be trained on a standardised target and mapped back
    #: exactly by :meth:`rescale` (the estimator then standardises y for you)
    location_scale = False

    # -- sizes and targets -------------------------------------------------------------
    def n_outputs(self, n_targets):
        """Number of raw network outputs for ``n_targets`` targets (or classes).

        Parameters
        ----------
        n_targets : int
            Targets (regression) or classes (classification).

        Returns
        -------
        n_outputs : int
            Width of the head's output: e.g. 2 per target for a Normal with
            input-dependent sd (mean and log-sd), 1 for a Poisson.

        Examples
        --------
        >>> from sklearn_dl.families import Categorical, Normal
        >>> Normal().n_outputs(1), Categorical().n_outputs(3)
        (2, 3)
        """
        raise NotImplementedError

    def check_target(self, y):
        """Validate a target array against :attr:`support`; return it as float64.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The targets (encoded class indices for classification families).

        Returns
        -------
        y : ndarray of float64
            The same values.

        Raises
        ------
        ValueError
            Naming the family, its support and offending values.

        Examples
        --------
        >>> from sklearn_dl.families import Poisson
        >>> Poisson().check_target([0, 3, 1])
        array([0., 3., 1.])
        >>> Poisson().check_target([0, -1])
        Traceback (most recent call last):
        ...
        ValueError: ...
        """
        return get_support(self.support).check(y, self.name)

    def target_tensor(self, y):
        """Convert a validated numpy target to the tensor the NLL expects.

        Parameters
        ----------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Validated target (see :meth:`check_target`).

        Returns
        -------
        y : torch.Tensor
            float32 by default; classification families return class indices.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Normal
        >>> Normal().target_tensor(np.array([1.0, 2.0]))
        tensor([1., 2.])
        """
        return torch.as_tensor(np.asarray(y, dtype=np.float32))

    # -- network head ------------------------------------------------------------------
    def make_head(self, n_features, n_targets):
        """The layer mapping body features to raw outputs (default: one Linear).

        Parameters
        ----------
        n_features : int
            Width of the body's output.
        n_targets : int
            Targets (regression) or classes (classification).

        Returns
        -------
        head : torch.nn.Module
            Maps ``(batch, n_features)`` to ``(batch, n_outputs(n_targets))``; any
            learnable parameter that does not depend on the input lives here too.

        Examples
        --------
        >>> from sklearn_dl.families import Poisson
        >>> Poisson().make_head(16, 1)
        Linear(in_features=16, out_features=1, bias=True)
        """
        return nn.Linear(n_features, self.n_outputs(n_targets))

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

    def _search_marginal(self, y, sample_weight, n_targets):
        y_t = self.target_tensor(y)
        if y_t.is_floating_point():
            y_t = y_t.to(torch.float64)
        w_t = None if sample_weight is None else torch.as_tensor(sample_weight,
                                                                  dtype=torch.float64)
        start = np.asarray(self.marginal_start(y, sample_weight, n_targets), dtype=np.float64)
        raw = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([raw], lr=1.0, max_iter=200, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = self.nll(raw.expand(len(y), -1), y_t, w_t)
            loss.backward()
            return loss

        opt.step(closure)
        raw = raw.detach().numpy().copy()
        # a degenerate target (one row, a constant) can send the search to non-finite
        # values; the starting point is then the better constant
        return raw if np.all(np.isfinite(raw)) else start

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

    # -- distribution (torch) ---------------------------------------------------------------
    def params(self, raw):
        """Inverse link(s): raw outputs (torch) -> dict of distribution parameters.

        Parameters
        ----------
        raw : torch.Tensor of shape (n_samples, n_outputs)
            The head's output.

        Returns
        -------
        params : dict of str to torch.Tensor
            One entry per name of :attr:`param_names`, each of shape
            ``(n_samples, n_targets)`` (class probabilities: ``(n_samples, n_classes)``).

        Examples
        --------
        >>> import torch
        >>> from sklearn_dl.families import Normal
        >>> p = Normal().params(torch.tensor([[0.5, 0.0]]))  # mean, log sd
        >>> p["mean"].item(), p["scale"].item()
        (0.5, 1.0)
        """
        raise NotImplementedError

    def log_prob(self, raw, y):
        """Per-sample log-likelihood (torch, shape ``(n,)``), summed over targets.

        Parameters
        ----------
        raw : torch.Tensor of shape (n_samples, n_outputs)
            The head's output.
        y : torch.Tensor
            Targets as :meth:`target_tensor` returns them.

        Returns
        -------
        log_prob : torch.Tensor of shape (n_samples,)
            Differentiable in ``raw``.

        Examples
        --------
        >>> import torch
        >>> from sklearn_dl.families import Normal
        >>> Normal().log_prob(torch.tensor([[0.0, 0.0]]), torch.tensor([0.0]))
        tensor([-0.9189])
        """
        raise NotImplementedError

    def nll(self, raw, y, sample_weight=None):
        """Mean negative log-likelihood over the batch: the training loss.

        Parameters
        ----------
        raw : torch.Tensor of shape (n_samples, n_outputs)
            The head's output.
        y : torch.Tensor
            Targets as :meth:`target_tensor` returns them.
        sample_weight : torch.Tensor of shape (n_samples,), default=None
            Multiplies each sample's NLL; the estimator normalises weights to mean one
            over the training set, so all-ones weights give exactly the unweighted loss.

        Returns
        -------
        loss : torch.Tensor
            A scalar, differentiable in ``raw``.

        Examples
        --------
        >>> import torch
        >>> from sklearn_dl.families import Poisson
        >>> raw = torch.zeros(2, 1)  # rate 1
        >>> Poisson().nll(raw, torch.tensor([0.0, 1.0]))
        tensor(1.)
        """
        nll = -self.log_prob(raw, y)
        if sample_weight is not None:
            nll = nll * sample_weight
        return nll.mean()

    # -- distribution (numpy) -------------------------------------------------------------
    def to_scipy(self, params):
        """Frozen vectorised :mod:`scipy.stats` distribution from numpy parameters.

        Parameters
        ----------
        params : dict of str to ndarray
            As :meth:`params_numpy` returns them.

        Returns
        -------
        dist : scipy.stats frozen distribution
            One distribution per element of the parameter arrays.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Normal
        >>> dist = Normal().to_scipy({"mean": np.array([0.0, 1.0]),
        ...                           "scale": np.array([1.0, 2.0])})
        >>> dist.std()
        array([1., 2.])
        """
        raise NotImplementedError

    def logpdf(self, params, y):
        """Elementwise log density (log pmf for discrete families) of ``y`` (numpy).

        The default asks the scipy distribution; families override it where scipy's
        answer is not the one the training loss uses (e.g. Poisson rates).

        Parameters
        ----------
        params : dict of str to ndarray
            As :meth:`params_numpy` returns them, each ``(n_samples, n_targets)``.
        y : ndarray of shape (n_samples, n_targets)
            Observations.

        Returns
        -------
        logpdf : ndarray of shape (n_samples, n_targets)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Poisson
        >>> Poisson().logpdf({"mean": np.array([[1.0]])}, np.array([[0.0]]))
        array([[-1.]])
        """
        dist = self.to_scipy(params)
        return dist.logpmf(y) if self.discrete else dist.logpdf(y)

    def mean(self, params):
        """Point prediction (numpy): the mean, or class probabilities.

        Parameters
        ----------
        params : dict of str to ndarray
            As :meth:`params_numpy` returns them.

        Returns
        -------
        mean : ndarray
            ``(n_samples, n_targets)``, or ``(n_samples, n_classes)`` probabilities.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Normal
        >>> Normal().mean({"mean": np.array([[2.0]]), "scale": np.array([[1.0]])})
        array([[2.]])
        """
        return params["mean"]

    def variance(self, params):
        """Variance of the distribution (numpy, elementwise).

        Parameters
        ----------
        params : dict of str to ndarray
            As :meth:`params_numpy` returns them.

        Returns
        -------
        variance : ndarray of float64
            The shape of the parameter arrays.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Poisson
        >>> Poisson().variance({"mean": np.array([[3.0]])})
        array([[3.]])
        """
        return np.asarray(self.to_scipy(params).var(), dtype=np.float64)

    def unit_deviance(self, params, y):
        """Elementwise deviance ``2 (log p_saturated(y) - log p(y))`` (R's ``deviance``).

        Parameters
        ----------
        params : dict of str to ndarray
            As :meth:`params_numpy` returns them.
        y : ndarray
            Observations, the shape of the parameter arrays.

        Returns
        -------
        deviance : ndarray or None
            None where the family defines no saturated model (the default).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Poisson
        >>> Poisson().unit_deviance({"mean": np.array([2.0])}, np.array([2.0]))
        array([0.])
        """
        return None

    def link(self, params):
        """Linear predictors ``{name: g(theta)}`` of the parameters (``predict(type="link")``).

        Parameters
        ----------
        params : dict of str to ndarray
            As :meth:`params_numpy` returns them.

        Returns
        -------
        links : dict of str to ndarray
            The link function of :attr:`links` applied to each parameter that has one.

        Raises
        ------
        ValueError
            When the family declares no links.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Poisson
        >>> Poisson().link({"mean": np.array([1.0, np.e])})
        {'mean': array([0., 1.])}
        """
        if not self.links:
            raise ValueError(f"The {self.name} family declares no links (Family.links).")
        return {k: get_link(self.links[k]).link(params[k]) for k in self.param_names
                if k in self.links}

    def rescale(self, params, shift, scale):
        """Parameters of ``shift + scale * Y`` given those of ``Y`` (numpy).

        Only for :attr:`location_scale` families: the estimator trains on a
        standardised target and maps the distribution back with this.

        Parameters
        ----------
        params : dict of str to ndarray
            Parameters of the distribution of ``Y``.
        shift : float or ndarray
            Added location (the target mean).
        scale : float or ndarray
            Multiplied scale (the target sd), positive.

        Returns
        -------
        params : dict of str to ndarray
            Parameters of the distribution of ``shift + scale * Y``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Normal
        >>> Normal().rescale({"mean": np.array([0.0]), "scale": np.array([1.0])}, 10.0, 2.0)
        {'mean': array([10.]), 'scale': array([2.])}
        """
        raise NotImplementedError(f"{type(self).__name__} is not a location-scale family.")

    # -- helpers -----------------------------------------------------------------------
    def params_numpy(self, raw):
        """:meth:`params` on a tensor, returned as float64 numpy arrays.

        Parameters
        ----------
        raw : torch.Tensor of shape (n_samples, n_outputs)
            The head's output.

        Returns
        -------
        params : dict of str to ndarray of float64

        Examples
        --------
        >>> import torch
        >>> from sklearn_dl.families import Poisson
        >>> Poisson().params_numpy(torch.zeros(2, 1))
        {'mean': array([[1.],
               [1.]])}
        """
        with torch.no_grad():
            params = self.params(raw)
        return {k: v.detach().cpu().numpy().astype(np.float64) for k, v in params.items()}

    def describe(self):
        """One line naming the family, its parameters and links (for summaries).

        Returns
        -------
        description : str

        Examples
        --------
        >>> from sklearn_dl.families import Normal
        >>> Normal().describe()
        'Normal (mean: identity link, scale: log link)'
        """
        parts = [f"{p}: {self.links.get(p, '?')} link" for p in self.param_names]
        return f"{type(self).__name__}" + (f" ({', '.join(parts)})" if parts else "")

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self):
        return hash((type(self), tuple(sorted(vars(self).items()))))


def _n_targets(y):
    return 1 if np.ndim(y) == 1 else np.shape(y)[1]


def as_2d(t):
    """View a (n,) tensor as (n, 1); leave (n, k) alone."""
    return t.reshape(-1, 1) if t.dim() == 1 else t


def weighted_column_mean(y, sample_weight):
    """Weighted mean of each target column (numpy), shape ``(n_targets,)``."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return np.average(y, axis=0, weights=sample_weight)
