"""Distribution families (the *head* axis): one small file per family.

To add a family, subclass :class:`Family` in a new file and register it here.
"""

from ._base import Family
from ._registry import available_families, get_family, register_family
from .bernoulli import Bernoulli
from .categorical import Categorical
from .normal import Normal
from .poisson import Poisson

for _cls in (Normal, Poisson, Bernoulli, Categorical):
    register_family(_cls)

__all__ = [
    "Family",
    "Normal",
    "Poisson",
    "Bernoulli",
    "Categorical",
    "get_family",
    "register_family",
    "available_families",
]
