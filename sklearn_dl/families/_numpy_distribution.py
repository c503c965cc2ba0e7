"""The numpy side of a family: what ``PredictiveDistribution`` is built on.

Parameters as float64 arrays (:meth:`Family.params_numpy`), the frozen scipy
distribution, log densities, mean, variance, deviance, links and the rescaling of
location-scale families, all elementwise over samples and targets.
"""

from __future__ import annotations

import numpy as np
import torch

from ._links import get_link


class _NumpyDistribution:
    """The numpy-side methods of :class:`~sklearn_dl.families.Family`.

    A mixin of ``Family`` only: it relies on the family's :attr:`name`,
    :attr:`discrete`, :attr:`param_names`, :attr:`links` and :meth:`params`; subclasses
    implement :meth:`to_scipy`.
    """

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

    def raw_link(self, raw):
        """:meth:`link` of the parameters the raw outputs ``raw`` give.

        By default the link of :meth:`params_numpy`; a family whose raw outputs *are*
        its linear predictors overrides this to return them as they are, which stays
        exact where the parameter rounds to its bound (a probability of 1.0 has an
        infinite logit).

        Parameters
        ----------
        raw : torch.Tensor of shape (n_samples, n_outputs)
            The head's output.

        Returns
        -------
        links : dict of str to ndarray of float64

        Examples
        --------
        >>> import torch
        >>> from sklearn_dl.families import Bernoulli
        >>> Bernoulli().raw_link(torch.tensor([[40.0]], dtype=torch.float64))
        {'p': array([40.])}
        """
        return self.link(self.params_numpy(raw))

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
