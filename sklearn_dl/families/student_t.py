"""Student t family for heavy-tailed real targets: location, scale, degrees of freedom."""

import math

import numpy as np
import torch
from scipy import stats

from ._base import Family, weighted_column_mean
from ._heads import float64_target, make_blocks_head, split_blocks, weighted_column_var
from ._links import get_link
from .normal import LOG_SD_MAX, LOG_SD_MIN

#: learned degrees of freedom are ``DF_MIN + exp(raw)``: above 2, so the variance (and
#: ``predict(return_std=True)``) exists.  The log scale matters: a gradient step changes
#: df by a factor, so the fit moves from a Normal-like start (df = 100) to heavy tails
#: (df = 3) in a few hundred steps, where ``2 + softplus(raw)`` would move df by ``lr``
#: per step and need tens of thousands.
DF_MIN = 2.0
#: the marginal fit's df is capped here (a t with 100 degrees of freedom is a Normal
#: for every practical purpose): on light-tailed data its maximum-likelihood df is
#: infinite, and the head must start where a step can still reach heavy tails
DF_START_MAX = 100.0
# raw df above 20 (df ~ 5e8) would only overflow; never reached from the capped start
RAW_DF_MAX = 20.0
# start of the marginal fit's search: 5 degrees of freedom, clearly heavier than Normal
DF_START = 5.0


class StudentT(Family):
    """Student t distribution: ``y = loc + scale * T_df``.

    A Normal with heavier tails: outliers cost a logarithmic rather than a quadratic
    loss, so they pull the fit less.  With learned degrees of freedom the data decide
    how heavy the tails are (large ``df`` is the Normal).

    Parameters
    ----------
    df : float > 0 or None, default=None
        None: the degrees of freedom are learned, one per target, as ``2 +
        exp(raw)`` (so above 2, where the variance exists).  A number fixes them
        (``df=1`` is the Cauchy distribution, whose variance is infinite).
    heteroscedastic : bool, default=True
        If True the network outputs a log scale for every input; if False one scale per
        target is learned.

    Notes
    -----
    Raw outputs are ``(loc_1..k, log_scale_1..k)`` followed, for learned ``df``, by
    ``(raw_df_1..k)``.  The log-likelihood (float64) is::

        lgamma((df + 1) / 2) - lgamma(df / 2) - log(pi df) / 2 - log(scale)
            - (df + 1) / 2 * log1p(z^2 / df),      z = (y - loc) / scale

    A location-scale family: the estimator standardises y and maps ``loc`` and
    ``scale`` back.  ``to_scipy`` is ``scipy.stats.t(df, loc, scale)``.  The marginal
    model is fitted by L-BFGS from the sample mean, the sd and ``df = 5``.  No classical
    unit deviance (``unit_deviance`` is None).  The marginal (and so the starting) df is
    capped at 100: on light-tailed data its maximum-likelihood value is infinite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.families import StudentT
    >>> params = {"loc": np.zeros(1), "scale": np.ones(1), "df": np.array([4.0])}
    >>> StudentT().variance(params)
    array([2.])
    """

    name = "student_t"
    support = "real"
    param_names = ("loc", "scale", "df")
    location_scale = True
    glm_options = {"heteroscedastic": False}

    def __init__(self, df=None, heteroscedastic=True):
        if df is not None and (isinstance(df, bool) or not isinstance(df, (int, float))
                               or not df > 0 or not math.isfinite(df)):
            raise ValueError(f"StudentT: df must be None (learned) or a positive number, "
                             f"got {df!r}.")
        self.df = df
        self.heteroscedastic = heteroscedastic

    @property
    def links(self):
        links = {"loc": "identity", "scale": "log"}
        if self.df is None:
            links["df"] = "log(x-2)"
        return links

    @property
    def _n_blocks(self):
        return 2 if self.df is not None else 3

    def n_outputs(self, n_targets):
        return self._n_blocks * n_targets

    def make_head(self, n_features, n_targets):
        constant = (0 if self.heteroscedastic else 1) + (1 if self.df is None else 0)
        return make_blocks_head(n_features, n_targets, self._n_blocks, constant)

    def _split(self, raw):
        blocks = split_blocks(raw, self._n_blocks)
        loc, log_scale = blocks[0], blocks[1].clamp(LOG_SD_MIN, LOG_SD_MAX)
        if self.df is None:
            df = DF_MIN + torch.exp(blocks[2].clamp(max=RAW_DF_MAX))
        else:
            df = torch.full_like(loc, float(self.df))
        return loc, log_scale, df

    def params(self, raw):
        loc, log_scale, df = self._split(raw)
        return {"loc": loc, "scale": log_scale.exp(), "df": df}

    def log_prob(self, raw, y):
        raw64, y = float64_target(raw, y)
        loc, log_scale, df = self._split(raw64)
        z = (y - loc) * torch.exp(-log_scale)
        half = 0.5 * (df + 1.0)
        logp = (torch.lgamma(half) - torch.lgamma(0.5 * df) - 0.5 * torch.log(math.pi * df)
                - log_scale - half * torch.log1p(z * z / df))
        return logp.sum(dim=1).to(raw.dtype)

    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        raw = super().marginal_raw(y, sample_weight, n_targets)
        # a degenerate target (one row, a constant) drives the scale to zero: start the
        # head inside the clamps, where its gradients are alive
        k = len(raw) // self._n_blocks
        raw[k:2 * k] = np.clip(raw[k:2 * k], LOG_SD_MIN, LOG_SD_MAX)
        if self.df is None:
            raw[2 * k:] = np.minimum(raw[2 * k:], np.log(DF_START_MAX - DF_MIN))
        return raw

    def marginal_start(self, y, sample_weight=None, n_targets=None):
        loc = weighted_column_mean(y, sample_weight)
        sd = np.sqrt(weighted_column_var(y, loc, sample_weight))
        df = DF_START if self.df is None else float(self.df)
        # the scale whose t variance is the sample variance (where that exists)
        scale = sd * math.sqrt((df - 2.0) / df) if df > 2 else sd
        blocks = [loc, np.log(np.maximum(scale, np.exp(LOG_SD_MIN + 1)))]
        if self.df is None:
            blocks.append(np.full_like(loc, get_link("log(x-2)").link(DF_START)))
        return np.concatenate(blocks)

    def to_scipy(self, params):
        return stats.t(df=params["df"], loc=params["loc"], scale=params["scale"])

    def mean(self, params):
        return params["loc"]

    def variance(self, params):
        df = params["df"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(df > 2, df / (df - 2.0), np.inf)
        return params["scale"] ** 2 * ratio

    def rescale(self, params, shift, scale):
        return {"loc": params["loc"] * scale + shift, "scale": params["scale"] * scale,
                "df": params["df"]}

    def describe(self):
        if self.df is None:
            return super().describe()
        return (f"StudentT (loc: identity link, scale: log link, df: fixed at "
                f"{self.df:g})")
