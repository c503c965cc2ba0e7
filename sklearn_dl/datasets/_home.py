"""Where data sets and local weight files live: the data home and the weights home.

No folder of any particular machine is named here.  Data are found through

* the *data home*: the ``data_home=`` argument of a loader, else the environment variable
  ``SKLEARN_DL_DATA``, else ``~/sklearn_dl_data`` (like scikit-learn's
  ``get_data_home``).  Before version 0.2 the default was ``~/scikit_dl_data``; when no
  argument and no variable is given and that old folder exists, loaders still read it
  (they never write there);
* the *weights home* for pretrained weight files: ``SKLEARN_DL_WEIGHTS``, else
  ``<data home>/weights``, else torch hub's checkpoint folder.

Nothing is created by asking for a location: folders appear only when a download writes.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "SKLEARN_DL_DATA"
WEIGHTS_ENV = "SKLEARN_DL_WEIGHTS"
DEFAULT_DATA_HOME = "~/sklearn_dl_data"
LEGACY_DATA_HOME = "~/scikit_dl_data"  # the default before 0.2: still read, never written


def _as_path(folder):
    # absolute (not resolved) so that a relative SKLEARN_DL_DATA keeps its meaning when a
    # script changes directory later, and error messages show where was looked
    return Path(folder).expanduser().absolute()


def get_data_home(data_home=None):
    """The folder where sklearn_dl's loaders look for data and download into.

    Resolution order: the ``data_home`` argument, else the environment variable
    ``SKLEARN_DL_DATA`` (an empty value counts as unset), else ``~/sklearn_dl_data``.
    Nothing is created here; a folder appears only when a download writes into it.

    Inside the data home every data set has its own place:

    ==========================  ==========================================================
    ``mnist/``                  the four ``*-idx?-ubyte[.gz]`` files of MNIST
    ``fashion-mnist/``          the same for Fashion-MNIST
    ``cifar10/``                ``cifar-10-batches-py/`` of the official CIFAR-10 archive
    ``cifar10_subset.npz``      a class-balanced CIFAR-10 slice (see ``load_cifar10``)
    ``uci/<name>/``             a UCI regression set in the split format of
                                ``load_uci_regression``
    ``fish.csv``                the camper fish counts (``load_fish``)
    ``bike_sharing_hour.csv``   UCI Bike Sharing, hourly (``load_bike_sharing``; a
                                download goes to ``bike_sharing/hour.csv``)
    ``weights/``                local pretrained weight files (``find_weights_file``)
    ==========================  ==========================================================

    Parameters
    ----------
    data_home : str or path-like, optional
        Use this folder (``~`` is expanded).

    Returns
    -------
    pathlib.Path
        The data home as an absolute path (it may not exist).

    Examples
    --------
    >>> from sklearn_dl.datasets import get_data_home
    >>> get_data_home("/data/course").as_posix()
    '/data/course'
    """
    if data_home is not None:
        return _as_path(data_home)
    return _as_path(os.environ.get(DATA_ENV) or DEFAULT_DATA_HOME)


def _search_homes(data_home=None):
    """Data homes to read from: the data home, plus the legacy default where it applies."""
    homes = [get_data_home(data_home)]
    if data_home is None and not os.environ.get(DATA_ENV):
        legacy = _as_path(LEGACY_DATA_HOME)
        if legacy.is_dir():
            homes.append(legacy)
    return homes


def get_weights_home(weights_home=None):
    """The folder where local pretrained weight files are looked for first.

    Resolution order: the ``weights_home`` argument, else the environment variable
    ``SKLEARN_DL_WEIGHTS``, else ``<data home>/weights`` (see :func:`get_data_home`).
    :func:`find_weights_file` also searches torch hub's checkpoint folder after it.
    Nothing is created.

    Parameters
    ----------
    weights_home : str or path-like, optional
        Use this folder.

    Returns
    -------
    pathlib.Path
        An absolute path (it may not exist).

    Examples
    --------
    >>> from sklearn_dl.datasets import get_weights_home
    >>> get_weights_home("/models").as_posix()
    '/models'
    """
    if weights_home is not None:
        return _as_path(weights_home)
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return _as_path(env)
    return get_data_home() / "weights"


def _weights_dirs(weights_home=None):
    dirs = [get_weights_home(weights_home)] + [home / "weights" for home in _search_homes()]
    try:
        import torch.hub

        dirs.append(Path(torch.hub.get_dir()) / "checkpoints")
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return list(dict.fromkeys(dirs))  # without repeats, in order


def find_weights_file(filename, *, weights_home=None):
    """Find a local pretrained weight file, e.g. ``"vgg16_imagenet_features_caffe.pt"``.

    A path to an existing file is returned as it is.  A bare file name is looked up in,
    in this order: ``weights_home`` (or ``$SKLEARN_DL_WEIGHTS``), ``<data home>/weights``
    and torch hub's checkpoint folder (``$TORCH_HOME/hub/checkpoints``, where torchvision
    caches its downloads).  Nothing is downloaded.

    Parameters
    ----------
    filename : str or path-like
        A file name, or a path to the file.
    weights_home : str or path-like, optional
        Look here first (instead of ``$SKLEARN_DL_WEIGHTS``).

    Returns
    -------
    pathlib.Path
        The absolute path of the file.

    Raises
    ------
    FileNotFoundError
        When the file is in none of the folders; the message lists them and names the
        environment variables that set them.

    Examples
    --------
    >>> from sklearn_dl.datasets import find_weights_file
    >>> find_weights_file("no_such_weights.pt")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: Weight file 'no_such_weights.pt' was not found...
    """
    given = Path(filename).expanduser()
    if given.is_file():
        return given.absolute()
    dirs = _weights_dirs(weights_home)
    for d in dirs:
        if (d / given.name).is_file():
            return (d / given.name).absolute()
    where = "\n".join(f"  - {d}" for d in dirs)
    raise FileNotFoundError(
        f"Weight file {given.name!r} was not found.  Looked in:\n{where}\n"
        f"Put the file in one of these folders, set the {WEIGHTS_ENV} environment variable "
        f"to the folder holding it (or {DATA_ENV} to a data folder with a 'weights' "
        "sub-folder), or pass the full path of the file.")


def _not_found(title, wanted, dirs, *, hint, loader):
    """The FileNotFoundError of a loader: where it looked and the ways to fix it."""
    where = "\n".join(f"  - {d}" for d in dirs)
    return FileNotFoundError(
        f"{title} was not found.  Looked for {wanted} in:\n{where}\n"
        f"To fix this: call {loader}(..., download=True) to fetch the files from the "
        f"official source (needs internet access); or set the {DATA_ENV} environment "
        f"variable to a data folder {hint}; or put the files in one of the folders "
        "above.")
