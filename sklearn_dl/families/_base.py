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
  improved on it, and as the reference of summaries (generic fit in ``_marginal.py``);
* the numpy side of the predictive distribution (:meth:`to_scipy`, :meth:`logpdf`,
  :meth:`mean`, ...), which :class:`sklearn_dl.distributions.PredictiveDistribution`
  wraps (defaults in ``_numpy_distribution.py``).

``Family`` (here) holds the contract: the attributes, sizes, target checks, head and the
torch likelihood; the two groups of defaults above are mixins it inherits, so every
method is still ``Family.<name>``.

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

from ._marginal import _MarginalModel
from ._numpy_distribution import _NumpyDistribution
from ._support import get_support

LOG_2PI = math.log(2.0 * math.pi)


class Family(_MarginalModel, _NumpyDistribution):
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
    #: raw outputs the likelihood cannot tell apart: a softmax is unchanged when one
    #: value is added to every logit, so one output row of the head's last linear layer
    #: is not identifiable and ``n_params_`` (AIC, BIC, ``anova``'s degrees of freedom)
    #: does not count it, as R's ``multinom`` fixes a reference class
    redundant_outputs = 0
    #: constructor options of the family's GLM form, which :func:`sklearn_dl.glm` uses
    #: for a family given by name: R's glm has one dispersion (a constant scale), not
    #: one that depends on x, e.g. ``{"heteroscedastic": False}`` for the Normal
    glm_options = {}

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

    # -- helpers -----------------------------------------------------------------------
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


def as_2d(t):
    """View a (n,) tensor as (n, 1); leave (n, k) alone."""
    return t.reshape(-1, 1) if t.dim() == 1 else t


def weighted_column_mean(y, sample_weight):
    """Weighted mean of each target column (numpy), shape ``(n_targets,)``."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return np.average(y, axis=0, weights=sample_weight)
