"""Link functions by name: distribution parameter <-> linear predictor (numpy).

A family declares, per parameter, the name of its link (``Family.links``); summaries,
``predict(type="link")`` and head initialisation read them here.  The torch side of a
family (its ``params``) applies the inverse links itself, fused with the NLL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, logit, softmax


def _softplus(x):
    return np.logaddexp(0.0, x)


def _inv_softplus(y):
    # log(exp(y) - 1), stable for large y
    y = np.asarray(y, dtype=np.float64)
    return y + np.log(-np.expm1(-y))


def _log_probabilities(p):
    with np.errstate(divide="ignore"):
        return np.log(p)


@dataclass(frozen=True)
class Link:
    """A link ``g``: ``eta = g(theta)`` (:attr:`link`) and ``theta = g^-1(eta)``
    (:attr:`inverse`), both vectorised numpy functions."""

    name: str
    link: Callable
    inverse: Callable


LINKS = {
    "identity": Link("identity", lambda x: np.asarray(x, dtype=np.float64),
                     lambda x: np.asarray(x, dtype=np.float64)),
    "log": Link("log", np.log, np.exp),
    "logit": Link("logit", logit, expit),
    # log-probabilities up to a constant per row: softmax(log p) = p
    "softmax": Link("softmax", _log_probabilities, lambda x: softmax(x, axis=-1)),
    "softplus": Link("softplus", _inv_softplus, _softplus),
    # a parameter above 2, e.g. the degrees of freedom of a Student t with a variance;
    # on the log scale, so a step moves it by a factor, from 2.1 to 1000 alike
    "log(x-2)": Link("log(x-2)", lambda x: np.log(np.asarray(x, dtype=np.float64) - 2.0),
                     lambda x: 2.0 + np.exp(x)),
}


def get_link(name):
    """The :class:`Link` registered under ``name``."""
    try:
        return LINKS[name]
    except KeyError:
        raise ValueError(f"Unknown link {name!r}; use one of {sorted(LINKS)}.") from None
