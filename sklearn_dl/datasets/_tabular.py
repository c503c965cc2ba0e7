"""Tabular data sets: banknote (shipped), fish counts and bike sharing (data home), and
synthetic generators.

``load_fish`` and ``load_bike_sharing`` read their file from the data home (see
:func:`~sklearn_dl.datasets.get_data_home`) and download it only with ``download=True``.
"""

import re
import zipfile
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._download import extract_zip_member, fetch_file
from ._home import _not_found, _search_homes, get_data_home

_DATA = "sklearn_dl.datasets.data"


def _descr(name):
    return resources.files(_DATA).joinpath(name).read_text()


def _find_file(relative_paths, data_home):
    """The first existing ``<home>/<relative>``, and every place looked at."""
    looked = [home / rel for home in _search_homes(data_home) for rel in relative_paths]
    return next((p for p in looked if p.is_file()), None), looked


def _bunch(frame, feature_names, target_name, *, descr, return_X_y, as_frame,
           target_dtype=np.int64):
    """A scikit-learn style result: Bunch, ``(X, y)``, numpy or pandas."""
    X = frame[feature_names]
    y = frame[target_name].astype(target_dtype)
    if not as_frame:
        X, y = X.to_numpy(dtype=np.float64), y.to_numpy()
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, feature_names=list(feature_names),
                 target_names=[target_name], frame=frame if as_frame else None,
                 DESCR=descr)


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
    >>> X.shape, sorted(set(y.tolist()))
    ((1372, 4), [0, 1])
    """
    with resources.files(_DATA).joinpath("banknote.csv").open("r") as f:
        frame = pd.read_csv(f)
    descr = _descr("banknote.rst")
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

    Parameters
    ----------
    n_samples : int, default=1000
        Number of points.
    noise : float, default=0.3
        Scale of the noise standard deviation.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
        The inputs x.
    y : ndarray of shape (n_samples,)
        The noisy targets.
    sd : ndarray of shape (n_samples,)
        The true noise standard deviation at each x (for coverage checks).

    Examples
    --------
    >>> from sklearn_dl.datasets import make_heteroscedastic
    >>> X, y, sd = make_heteroscedastic(100, random_state=0)
    >>> X.shape, bool(sd.min() > 0)
    ((100, 1), True)
    """
    rng = np.random.RandomState(random_state)
    x = rng.uniform(-4, 4, size=n_samples)
    sd = noise * (0.2 + np.abs(x))
    y = np.sin(x) + 0.5 * x + rng.normal(size=n_samples) * sd
    return x.reshape(-1, 1), y, sd


def make_counts(n_samples=1000, n_features=3, *, random_state=None):
    """Synthetic Poisson counts with a non-linear log rate.

    ``log mu = 0.5 + x0 - 0.5 x1^2 + 0.3 sin(3 x2)`` (extra features are noise).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=3
        Number of features, at least 3 (the ones after the third do not enter the rate).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Features drawn uniformly from [-1.5, 1.5].
    y : ndarray of shape (n_samples,), int
        Poisson counts with rate ``mu``.
    mu : ndarray of shape (n_samples,)
        The true rate.

    Examples
    --------
    >>> from sklearn_dl.datasets import make_counts
    >>> X, y, mu = make_counts(100, random_state=0)
    >>> X.shape, y.dtype.kind
    ((100, 3), 'i')
    """
    if n_features < 3:
        raise ValueError(f"make_counts needs n_features >= 3, got {n_features}.")
    rng = np.random.RandomState(random_state)
    X = rng.uniform(-1.5, 1.5, size=(n_samples, n_features))
    mu = np.exp(0.5 + X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.3 * np.sin(3 * X[:, 2]))
    return X, rng.poisson(mu), mu


# -- camper fish counts ------------------------------------------------------------------
_FISH_URLS = ("https://stats.idre.ucla.edu/stat/data/fish.csv",
              "https://stats.oarc.ucla.edu/stat/data/fish.csv")  # the site's current name
_FISH_COLUMNS = ["nofish", "livebait", "camper", "persons", "child", "xb", "zg", "count"]
FISH_FEATURES = ["livebait", "camper", "persons", "child"]


def _read_fish(path):
    frame = pd.read_csv(path)
    missing = [c for c in _FISH_COLUMNS if c not in frame.columns]
    if missing or len(frame) != 250:
        raise ValueError(f"{path} is not the camper fish file: {len(frame)} rows (expected "
                         f"250), missing columns {missing}.")
    return frame


def load_fish(*, data_home=None, download=False, return_X_y=False, as_frame=False):
    """Load the camper fish counts: 250 groups of park visitors and the fish they caught.

    The course's Poisson-regression case: ``count`` (0-149, 57% zeros) from
    ``livebait``, ``camper``, ``persons`` and ``child``.  Read from ``fish.csv`` in the
    data home (see :func:`get_data_home`); not shipped with the package, because its
    source states no licence.

    Parameters
    ----------
    data_home : str or path-like, optional
        The data home (default: ``$SKLEARN_DL_DATA``, else ``~/sklearn_dl_data``).
    download : bool, default=False
        If the file is not found, fetch it from the UCLA statistics site into the data
        home (needs internet; there is no published checksum, so the content is
        checked: 8 columns, 250 rows).
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        X as a DataFrame and y as a Series, and the whole file as ``frame``.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (250, 4), ``target`` (250,) int64, ``feature_names``, ``target_names``,
        ``frame`` (all 8 columns, with ``as_frame=True``; ``xb`` and ``zg`` are derived
        from the target) and ``DESCR``.
    (X, y) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        When the file is not found and ``download=False``; the message names the
        folders, ``SKLEARN_DL_DATA`` and ``download=True``.

    Examples
    --------
    >>> from sklearn_dl.datasets import load_fish
    >>> X, y = load_fish(return_X_y=True)  # doctest: +SKIP
    >>> X.shape, int(y.max())  # doctest: +SKIP
    ((250, 4), 149)
    """
    path, looked = _find_file(["fish.csv"], data_home)
    if path is None and download:
        path = fetch_file(_FISH_URLS, get_data_home(data_home) / "fish.csv",
                          validate=_read_fish)
    if path is None:
        raise _not_found("The camper fish data", "fish.csv", looked,
                         hint="holding fish.csv", loader="load_fish")
    return _bunch(_read_fish(path), FISH_FEATURES, "count", descr=_descr("fish.rst"),
                  return_X_y=return_X_y, as_frame=as_frame)


# -- bike sharing, hourly -----------------------------------------------------------------
_BIKE_URLS = ("https://archive.ics.uci.edu/static/public/275/bike+sharing+dataset.zip",
              "https://archive.ics.uci.edu/ml/machine-learning-databases/00275/"
              "Bike-Sharing-Dataset.zip")
# UCI's column names -> the descriptive names of the course's copy
_BIKE_RENAME = {"dteday": "dateday", "yr": "year", "mnth": "month", "hr": "hour",
                "atemp": "feelingTemp", "hum": "humidity", "cnt": "count"}
_BIKE_COLUMNS = ["instant", "dateday", "season", "year", "month", "hour", "holiday",
                 "weekday", "workingday", "weathersit", "temp", "feelingTemp", "humidity",
                 "windspeed", "casual", "registered", "count"]
BIKE_SHARING_FEATURES = ["season", "year", "month", "hour", "holiday", "weekday",
                         "workingday", "weathersit", "temp", "feelingTemp", "humidity",
                         "windspeed"]


def _read_bike(path):
    frame = pd.read_csv(path).rename(columns=_BIKE_RENAME)
    missing = [c for c in _BIKE_COLUMNS if c not in frame.columns]
    if missing or len(frame) != 17379:
        raise ValueError(f"{path} is not the hourly bike sharing file: {len(frame)} rows "
                         f"(expected 17,379), missing columns {missing}.")
    first = str(frame["dateday"].iloc[0])
    # UCI writes 2011-01-01, the course's copy 01-01-2011
    fmt = "%Y-%m-%d" if re.fullmatch(r"\d{4}-\d\d-\d\d", first) else "%d-%m-%Y"
    frame["dateday"] = pd.to_datetime(frame["dateday"], format=fmt)
    return frame[_BIKE_COLUMNS]


def _check_bike_zip(path):
    if not zipfile.is_zipfile(path):
        raise ValueError("not a zip archive")
    with zipfile.ZipFile(path) as zf:
        if not any(n.rsplit("/", 1)[-1] == "hour.csv" for n in zf.namelist()):
            raise ValueError(f"the archive holds no hour.csv ({zf.namelist()})")


def load_bike_sharing(*, data_home=None, download=False, return_X_y=False, as_frame=False):
    """Load UCI Bike Sharing, hourly: rentals per hour in Washington D.C., 2011-2012.

    17,379 hours; the target ``count`` (rentals in the hour) from 12 calendar and
    weather features.  Read from the data home (see :func:`get_data_home`):
    ``bike_sharing_hour.csv`` (the course's copy) or ``bike_sharing/hour.csv`` (the UCI
    file, where a download puts it).  Both come out with the same descriptive column
    names (see ``DESCR``).

    Parameters
    ----------
    data_home : str or path-like, optional
        The data home (default: ``$SKLEARN_DL_DATA``, else ``~/sklearn_dl_data``).
    download : bool, default=False
        If no file is found, fetch UCI's zip archive and extract ``hour.csv`` into
        ``<data home>/bike_sharing/`` (needs internet; UCI publishes no checksum, so
        the content is checked: 17 columns, 17,379 rows).
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        X as a DataFrame and y as a Series, and all 17 columns as ``frame`` (dates
        parsed; ``casual`` and ``registered`` sum to the target).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (17379, 12), ``target`` (17379,) int64, ``feature_names``,
        ``target_names``, ``frame`` (with ``as_frame=True``) and ``DESCR``.
    (X, y) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        When no file is found and ``download=False``; the message names the folders,
        ``SKLEARN_DL_DATA`` and ``download=True``.

    Examples
    --------
    >>> from sklearn_dl.datasets import load_bike_sharing
    >>> bike = load_bike_sharing(as_frame=True)  # doctest: +SKIP
    >>> bike.frame.shape  # doctest: +SKIP
    (17379, 17)
    """
    path, looked = _find_file(["bike_sharing_hour.csv", "bike_sharing/hour.csv"],
                              data_home)
    if path is None and download:
        folder = get_data_home(data_home) / "bike_sharing"
        archive = fetch_file(_BIKE_URLS, folder / "bike_sharing_dataset.zip",
                             validate=_check_bike_zip)
        path = extract_zip_member(archive, "hour.csv", folder / "hour.csv",
                                  validate=_read_bike)
    if path is None:
        raise _not_found("The bike sharing data",
                         "bike_sharing_hour.csv or bike_sharing/hour.csv", looked,
                         hint="holding one of these files", loader="load_bike_sharing")
    return _bunch(_read_bike(path), BIKE_SHARING_FEATURES, "count",
                  descr=_descr("bike_sharing.rst"), return_X_y=return_X_y,
                  as_frame=as_frame)
