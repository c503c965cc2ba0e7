"""Normal (Gaussian) family: mean and standard deviation per target."""

import numpy as np
import torch
from scipy import stats
from torch import nn

from ._base import LOG_2PI, Family, as_2d, weighted_column_mean

# Log-sd is clamped when turned into a scale: exp(-20) ~ 2e-9 and exp(20) ~ 5e8 are far
# outside what a standardised target needs, and the clamp keeps one bad batch from
# producing inf/0 scales (which would make the loss NaN).
LOG_SD_MIN, LOG_SD_MAX = -20.0, 20.0


class ConstantLogSD(nn.Module):
    """Head for the homoscedastic Normal: a Linear for the mean plus one learned log-sd
    per target, broadcast over the batch, so raw outputs keep the layout (mean, log_sd).

    Parameters
    ----------
    n_features : int
        Width of the body's output.
    n_targets : int
        Number of targets.

    Attributes
    ----------
    linear : torch.nn.Linear
        Features -> means.
    log_sd : torch.nn.Parameter of shape (n_targets,)
        The learned log standard deviations.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.families.normal import ConstantLogSD
    >>> ConstantLogSD(3, 1)(torch.zeros(2, 3)).shape  # (mean, log_sd) per row
    torch.Size([2, 2])
    """

    def __init__(self, n_features, n_targets):
        super().__init__()
        self.linear = nn.Linear(n_features, n_targets)
        self.log_sd = nn.Parameter(torch.zeros(n_targets))

    def forward(self, features):
        mean = self.linear(features)
        return torch.cat([mean, self.log_sd.expand_as(mean)], dim=1)

    def init_from_raw(self, raw):
        """Set the mean bias and the log-sd from a raw output vector (mean, log_sd).

        :meth:`Family.init_head <sklearn_dl.families.Family.init_head>` calls it with the
        marginal model's raw outputs; call it under ``torch.no_grad()``.

        Parameters
        ----------
        raw : array-like of shape (2 * n_targets,)
            Means, then log standard deviations.

        Returns
        -------
        None

        Examples
        --------
        >>> import torch
        >>> from sklearn_dl.families.normal import ConstantLogSD
        >>> head = ConstantLogSD(3, 1)
        >>> with torch.no_grad():
        ...     head.init_from_raw([2.0, -1.0])
        >>> head.log_sd.item()
        -1.0
        """
        k = self.log_sd.numel()
        raw = torch.as_tensor(raw, dtype=self.log_sd.dtype)
        if self.linear.bias is not None:  # None: a model without intercept
            self.linear.bias.copy_(raw[:k])
        self.log_sd.copy_(raw[k:])


class Normal(Family):
    """Normal distribution with identity link for the mean and log link for the sd.

    Parameters
    ----------
    heteroscedastic : bool, default=True
        If True the network outputs a log standard deviation for every input (the
        course's "flexible non-constant variance").  If False one log-sd per target is
        learned as a free parameter: the mean then has the same optimum as under MSE
        training.

    Notes
    -----
    Raw outputs are ``(mean_1..k, log_sd_1..k)``; the NLL is
    ``log_sd + (y - mean)^2 / (2 sd^2) + log(2 pi) / 2`` summed over targets.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.families import Normal
    >>> Normal().n_outputs(1), Normal(heteroscedastic=False).n_outputs(1)
    (2, 2)
    >>> Normal(heteroscedastic=False).make_head(3, 1)  # one free log-sd
    ConstantLogSD(
      (linear): Linear(in_features=3, out_features=1, bias=True)
    )
    """

    name = "normal"
    support = "real"
    param_names = ("mean", "scale")
    links = {"mean": "identity", "scale": "log"}
    location_scale = True
    glm_options = {"heteroscedastic": False}

    def __init__(self, heteroscedastic=True):
        self.heteroscedastic = heteroscedastic

    def n_outputs(self, n_targets):
        return 2 * n_targets

    def make_head(self, n_features, n_targets):
        if self.heteroscedastic:
            return nn.Linear(n_features, 2 * n_targets)
        return ConstantLogSD(n_features, n_targets)

    def _split(self, raw):
        k = raw.shape[1] // 2
        return raw[:, :k], raw[:, k:].clamp(LOG_SD_MIN, LOG_SD_MAX)

    def params(self, raw):
        mean, log_sd = self._split(raw)
        return {"mean": mean, "scale": log_sd.exp()}

    def log_prob(self, raw, y):
        mean, log_sd = self._split(raw)
        z = (as_2d(y) - mean) * torch.exp(-log_sd)
        return (-log_sd - 0.5 * z * z - 0.5 * LOG_2PI).sum(dim=1)

    def nll(self, raw, y, sample_weight=None):
        # written out rather than -log_prob: two elementwise ops fewer per batch
        mean, log_sd = self._split(raw)
        z = (as_2d(y) - mean) * torch.exp(-log_sd)
        nll = (log_sd + 0.5 * z * z + 0.5 * LOG_2PI).sum(dim=1)
        if sample_weight is not None:
            nll = nll * sample_weight
        return nll.mean()

    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        # closed form: weighted mean and (maximum-likelihood) sd of each target
        mean = weighted_column_mean(y, sample_weight)
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        sd = np.sqrt(np.average((y2 - mean) ** 2, axis=0, weights=sample_weight))
        log_sd = np.log(np.maximum(sd, np.exp(LOG_SD_MIN)))
        return np.concatenate([mean, log_sd])

    def to_scipy(self, params):
        return stats.norm(loc=params["mean"], scale=params["scale"])

    def logpdf(self, params, y):
        z = (np.asarray(y, dtype=np.float64) - params["mean"]) / params["scale"]
        return -np.log(params["scale"]) - 0.5 * z * z - 0.5 * LOG_2PI

    def variance(self, params):
        return params["scale"] ** 2

    def unit_deviance(self, params, y):
        # R's gaussian deviance: the squared residual (the sd is a nuisance parameter)
        return (np.asarray(y, dtype=np.float64) - params["mean"]) ** 2

    def rescale(self, params, shift, scale):
        return {"mean": params["mean"] * scale + shift, "scale": params["scale"] * scale}
