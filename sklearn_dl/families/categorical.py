"""Categorical family for multiclass classification: softmax link."""

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats

from ._base import Family


class Categorical(Family):
    """Categorical distribution over ``K`` classes, ``p = softmax(raw)``.

    The classifiers use it for three classes or more; training by its NLL is training
    by cross-entropy.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.families import Categorical
    >>> Categorical().params(torch.zeros(1, 4))["p"]
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    name = "categorical"
    task = "classification"
    discrete = True
    support = "labels"
    param_names = ("p",)
    links = {"p": "softmax"}
    redundant_outputs = 1  # softmax(raw + c) = softmax(raw)

    def n_outputs(self, n_targets):
        return n_targets

    def target_tensor(self, y):
        return torch.as_tensor(np.asarray(y, dtype=np.int64))

    def params(self, raw):
        return {"p": torch.softmax(raw, dim=1)}

    def log_prob(self, raw, y):
        return -F.cross_entropy(raw, y, reduction="none")

    def nll(self, raw, y, sample_weight=None):
        if sample_weight is None:
            return F.cross_entropy(raw, y)  # fused mean reduction
        return (F.cross_entropy(raw, y, reduction="none") * sample_weight).mean()

    def raw_link(self, raw):
        # log-probabilities straight from the logits: finite where softmax rounds to 0
        with torch.no_grad():
            logp = torch.log_softmax(raw.double(), dim=1)
        return {"p": logp.cpu().numpy()}

    def check_target(self, y):
        return np.asarray(y)  # labels, encoded by the classifier

    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        y = np.asarray(y, dtype=np.int64)
        k = int(n_targets if n_targets is not None else y.max() + 1)
        freq = np.bincount(y, weights=sample_weight, minlength=k)[:k]
        freq = np.maximum(freq / freq.sum(), 1e-6)
        return np.log(freq)

    def logpdf(self, params, y):
        """Log-probability of the encoded labels ``y`` (ints ``0..K-1``).

        Parameters
        ----------
        params : dict of str to ndarray
            ``{"p": class probabilities}``, shape ``(n, K)``.
        y : array-like of int, shape (n,)
            Encoded labels.

        Returns
        -------
        logpdf : ndarray of shape (n,)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Categorical
        >>> Categorical().logpdf({"p": np.array([[0.5, 0.5], [0.1, 0.9]])}, [0, 1]).round(3)
        array([-0.693, -0.105])
        """
        p = params["p"]
        y = np.asarray(y, dtype=np.int64)
        with np.errstate(divide="ignore"):
            return np.log(p[np.arange(len(y)), y])

    def unit_deviance(self, params, y):
        return -2.0 * self.logpdf(params, y)

    def to_scipy(self, params):
        # a one-trial multinomial is the categorical distribution on one-hot vectors
        return stats.multinomial(n=1, p=params["p"])

    def mean(self, params):
        """Class probabilities, shape ``(n, K)``.

        Parameters
        ----------
        params : dict of str to ndarray
            ``{"p": class probabilities}``, shape ``(n, K)``.

        Returns
        -------
        proba : ndarray of shape (n, K)
            ``params["p"]`` itself.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Categorical
        >>> Categorical().mean({"p": np.array([[0.2, 0.3, 0.5]])})
        array([[0.2, 0.3, 0.5]])
        """
        return params["p"]
