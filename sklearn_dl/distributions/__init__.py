"""Predictive distributions: what every ``predict_dist`` returns.

* :class:`PredictiveDistribution` -- the shared, scipy-like surface;
* :class:`ParametricDistribution` -- one network: a family at predicted parameters
  (``.scipy`` is the frozen scipy object);
* :class:`MixtureDistribution` -- deep ensembles and MC dropout: a weighted mixture with
  the same surface (moments by total variance, log-sum-exp densities, averaged cdfs,
  quantiles by root search).
"""

from ._base import PredictiveDistribution
from ._mixture import MixtureDistribution
from ._parametric import ParametricDistribution
from ._uncertainty import decompose_uncertainty

__all__ = ["PredictiveDistribution", "ParametricDistribution", "MixtureDistribution",
           "decompose_uncertainty"]
