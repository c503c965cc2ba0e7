"""Target supports: where a family's observations live, checked once for every family.

A family names its support (``Family.support``); the estimator's target check, the
scikit-learn tags (``positive_only``) and the error messages all come from the entry
here, so a new count family or a new positive family needs no ``isinstance`` anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Support:
    """The set a family's target values must lie in.

    Attributes
    ----------
    name : str
        Key in :data:`SUPPORTS`.
    description : str
        Human-readable set, used in error messages ("non-negative numbers").
    lower : float
        Lower bound (``-inf`` for none).
    lower_open : bool
        Whether ``lower`` itself is excluded.
    upper : float
        Upper bound (``inf`` for none).
    upper_open : bool
        Whether ``upper`` itself is excluded.
    positive_only : bool
        scikit-learn's ``target_tags.positive_only``: the estimator needs y >= 0 (the
        estimator checks then shift their targets to be positive).
    """

    name: str
    description: str
    lower: float = -np.inf
    lower_open: bool = True
    upper: float = np.inf
    upper_open: bool = True
    positive_only: bool = False

    def violations(self, y):
        """Boolean mask of the entries of ``y`` outside the support."""
        y = np.asarray(y, dtype=np.float64)
        low = (y <= self.lower) if self.lower_open else (y < self.lower)
        high = (y >= self.upper) if self.upper_open else (y > self.upper)
        if not np.isfinite(self.lower):
            low = np.zeros(y.shape, dtype=bool)
        if not np.isfinite(self.upper):
            high = np.zeros(y.shape, dtype=bool)
        return low | high

    def check(self, y, family_name):
        """Raise a ``ValueError`` naming the family and the bad values unless every entry
        of ``y`` is in the support; returns ``y`` as float64."""
        y = np.asarray(y, dtype=np.float64)
        bad = self.violations(y)
        if np.any(bad):
            examples = ", ".join(f"{v:g}" for v in np.unique(y[bad])[:3])
            raise ValueError(
                f"The {family_name} family needs targets that are {self.description}, but "
                f"y has {int(bad.sum())} value(s) outside that set (e.g. {examples}).")
        return y


SUPPORTS = {
    "real": Support("real", "real numbers"),
    "positive": Support("positive", "positive numbers (y > 0)", lower=0.0, lower_open=True,
                        positive_only=True),
    # counts and rates: non-integer values are frequencies (counts / exposure), to be
    # weighted by the exposure, as in scikit-learn's PoissonRegressor
    "nonnegative": Support("nonnegative", "non-negative counts or rates (y >= 0)",
                           lower=0.0, lower_open=False, positive_only=True),
    "unit_interval": Support("unit_interval", "strictly between 0 and 1", lower=0.0,
                             lower_open=True, upper=1.0, upper_open=True, positive_only=True),
    "labels": Support("labels", "class labels"),
}


def get_support(name):
    """The :class:`Support` registered under ``name``."""
    try:
        return SUPPORTS[name]
    except KeyError:
        raise ValueError(f"Unknown support {name!r}; use one of {sorted(SUPPORTS)}.") from None
