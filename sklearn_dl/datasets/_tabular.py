"""Small tabular data sets shipped with the package."""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

_DATA = "sklearn_dl.datasets.data"


def load_banknote(*, return_X_y=False, as_frame=False):
    """Load the banknote authentication data set (binary classification).

    1,372 banknote images described by 4 wavelet features; the target is 1 for forged
    and 0 for genuine notes.  Shipped with the package (UCI, Lohweg 2013, CC BY 4.0).

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        X as a DataFrame and y as a Series (and ``frame`` in the Bunch).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data``, ``target``, ``feature_names``, ``target_names``, ``frame``, ``DESCR``.
    (X, y) : tuple, when ``return_X_y=True``

    Examples
    --------
    >>> from sklearn_dl.datasets import load_banknote
    >>> X, y = load_banknote(return_X_y=True)
    >>> X.shape, sorted(set(y))
    ((1372, 4), [0, 1])
    """
    with resources.files(_DATA).joinpath("banknote.csv").open("r") as f:
        frame = pd.read_csv(f)
    descr = resources.files(_DATA).joinpath("banknote.rst").read_text()
    feature_names = [c for c in frame.columns if c != "Class"]
    X = frame[feature_names]
    y = frame["Class"].astype(np.int64)
    if not as_frame:
        X, y = X.to_numpy(dtype=np.float64), y.to_numpy()
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, feature_names=feature_names,
                 target_names=np.array(["genuine", "forged"]),
                 frame=frame if as_frame else None, DESCR=descr)


def make_heteroscedastic(n_samples=1000, *, noise=0.3, random_state=None):
    """Synthetic 1-D regression whose noise grows with ``|x|`` (for interval demos).

    ``y = sin(x) + 0.5 x + eps``,  ``eps ~ N(0, (noise * (0.2 + |x|))^2)``, ``x ~ U(-4, 4)``.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    y : ndarray of shape (n_samples,)
    sd : ndarray of shape (n_samples,)
        The true noise standard deviation at each x (for coverage checks).
    """
    rng = np.random.RandomState(random_state)
    x = rng.uniform(-4, 4, size=n_samples)
    sd = noise * (0.2 + np.abs(x))
    y = np.sin(x) + 0.5 * x + rng.normal(size=n_samples) * sd
    return x.reshape(-1, 1), y, sd


def make_counts(n_samples=1000, n_features=3, *, random_state=None):
    """Synthetic Poisson counts with a non-linear log rate.

    ``log mu = 0.5 + x0 - 0.5 x1^2 + 0.3 sin(3 x2)`` (extra features are noise).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), int
    mu : ndarray of shape (n_samples,)
        The true rate.
    """
    if n_features < 3:
        raise ValueError(f"make_counts needs n_features >= 3, got {n_features}.")
    rng = np.random.RandomState(random_state)
    X = rng.uniform(-1.5, 1.5, size=(n_samples, n_features))
    mu = np.exp(0.5 + X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.3 * np.sin(3 * X[:, 2]))
    return X, rng.poisson(mu), mu
