"""Distribution families (the *head* axis): one small file per family.

To add a family, subclass :class:`Family` in a new file and register it here (or, in
user code, pass an instance: ``NNRegressor(family=MyFamily())`` needs no registration).
"""

from ._base import Family
from ._registry import available_families, get_family, register_family
from .bernoulli import Bernoulli
from .categorical import Categorical
from .gamma import Gamma
from .lognormal import LogNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .poisson import Poisson
from .student_t import StudentT
from .zero_inflated_poisson import ZeroInflatedPoisson

for _cls in (Normal, Poisson, Bernoulli, Categorical, NegativeBinomial,
             ZeroInflatedPoisson, LogNormal, StudentT, Gamma):
    register_family(_cls)

__all__ = [
    "Family",
    "Normal",
    "Poisson",
    "Bernoulli",
    "Categorical",
    "NegativeBinomial",
    "ZeroInflatedPoisson",
    "LogNormal",
    "StudentT",
    "Gamma",
    "get_family",
    "register_family",
    "available_families",
]
