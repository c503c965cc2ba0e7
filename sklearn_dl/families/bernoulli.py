"""Bernoulli family for binary classification: logit link."""

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats

from ._base import Family


class Bernoulli(Family):
    """Bernoulli distribution, ``p = sigmoid(raw)``: the network's single output is the
    logit of the positive class (encoded as 1), i.e. NN logistic regression.

    :class:`~sklearn_dl.NNClassifier` and :class:`~sklearn_dl.CNNClassifier` use it for
    two classes.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.families import Bernoulli
    >>> Bernoulli().params(torch.tensor([[0.0], [2.0]]))["p"]
    tensor([0.5000, 0.8808])
    """

    name = "bernoulli"
    task = "classification"
    discrete = True
    support = "labels"
    param_names = ("p",)
    links = {"p": "logit"}

    def n_outputs(self, n_targets):
        # n_targets is the number of classes here; two classes need one logit.
        return 1

    def target_tensor(self, y):
        return torch.as_tensor(np.asarray(y, dtype=np.float32))

    def params(self, raw):
        return {"p": torch.sigmoid(raw[:, 0])}

    def log_prob(self, raw, y):
        return -F.binary_cross_entropy_with_logits(raw[:, 0], y, reduction="none")

    def nll(self, raw, y, sample_weight=None):
        return F.binary_cross_entropy_with_logits(raw[:, 0], y, weight=sample_weight)

    def raw_link(self, raw):
        # the raw output is the logit: exact where sigmoid(raw) rounds to 0 or 1
        return {"p": raw[:, 0].detach().cpu().numpy().astype(np.float64)}

    def check_target(self, y):
        return np.asarray(y)  # labels, encoded by the classifier

    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        p = np.average(np.asarray(y, dtype=np.float64), weights=sample_weight)
        p = float(np.clip(p, 1e-6, 1 - 1e-6))
        return np.array([np.log(p / (1 - p))])

    def to_scipy(self, params):
        return stats.bernoulli(p=params["p"])

    def variance(self, params):
        return params["p"] * (1.0 - params["p"])

    def unit_deviance(self, params, y):
        return -2.0 * self.logpdf(params, y)

    def mean(self, params):
        """Class probabilities, shape ``(n, 2)``.

        Parameters
        ----------
        params : dict of str to ndarray
            ``{"p": probability of class 1}``, shape ``(n,)``.

        Returns
        -------
        proba : ndarray of shape (n, 2)
            Probabilities of class 0 and class 1.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_dl.families import Bernoulli
        >>> Bernoulli().mean({"p": np.array([0.25])})
        array([[0.75, 0.25]])
        """
        p = params["p"]
        return np.column_stack([1.0 - p, p])
