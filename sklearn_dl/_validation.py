"""Checks shared by the estimators' input validation, and out-of-memory messages.

Small helpers that turn what numpy, scipy and torch would report deep inside a fit
(a sparse matrix, a string column, a failed allocation) into one message that names the
problem and the setting to change, raised before any training where possible.
"""

from __future__ import annotations

import contextlib
import numbers
import re

import numpy as np
import torch


def check_flag(name, value, allow_none=False):
    """Raise a ValueError naming ``name`` unless ``value`` is True or False (or None)."""
    if value is None and allow_none:
        return
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False{' or None' if allow_none else ''}, "
                         f"got {value!r}.")


def check_random_state_param(value):
    """``random_state`` must be None, an int in [0, 2**32 - 1] or a RandomState."""
    if value is None or isinstance(value, np.random.RandomState):
        return
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if 0 <= value <= 2**32 - 1:
            return
    raise ValueError(f"random_state must be None, an int in [0, 2**32 - 1] or a "
                     f"numpy RandomState, got {value!r}.")


def refuse_sparse(X, owner):
    """Sparse matrices are refused, never densified behind the user's back: the network
    needs a dense float tensor, and a sparse matrix (say 100 000 tf-idf columns) may not
    fit in memory once dense, which the user should decide, not the estimator."""
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse matrices and arrays
        raise TypeError(
            f"{owner} does not accept sparse matrices: its network needs dense float "
            f"inputs. Convert with X.toarray() if the dense array ({X.shape[0]} x "
            f"{X.shape[1]} floats) fits in memory, or reduce the columns first (e.g. "
            "sklearn.decomposition.TruncatedSVD).")


@contextlib.contextmanager
def numeric_input(owner):
    """Turn numpy's "could not convert string to float" into a message saying what to do
    (numeric strings such as "1.5" are converted, as scikit-learn does)."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        text = str(exc)
        if not (text.startswith("could not convert") or "must be a string or a real number"
                in text or "must be a string or a number" in text):
            raise
        # the type is kept: strings give a ValueError, other objects a TypeError
        raise type(exc)(
            f"{owner} needs numeric X, but X holds non-numeric values ({text}). Encode "
            "categorical columns first, e.g. with sklearn.preprocessing.OneHotEncoder in "
            "a Pipeline, or use sklearn_dl.FormulaModel with C(column).") from None


# -- out of memory ---------------------------------------------------------------------------
# torch reports a failed allocation as torch.OutOfMemoryError (CUDA, MPS, XPU) or as a
# plain RuntimeError from the CPU allocator ("DefaultCPUAllocator: can't allocate memory")
_OOM_MESSAGE = re.compile(r"can't allocate memory|out of memory|cannot allocate memory",
                          re.IGNORECASE)


def allocation_failure(exc):
    """The torch message if ``exc`` (or an exception it was raised from) is torch failing
    to allocate memory, else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        oom_type = getattr(torch, "OutOfMemoryError", ())
        if (isinstance(exc, oom_type) or (isinstance(exc, RuntimeError)
                                          and _OOM_MESSAGE.search(str(exc)))):
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            text = re.sub(r"^\[enforce fail at [^\]]*\]\s*(err == 0\.\s*)?", "", text)
            return text[:240]
        exc = exc.__cause__ or exc.__context__
    return None


def _out_of_memory(owner, action, detail, batch, advice):
    """The ``MemoryError`` telling the user which settings to lower."""
    rows = f" on a batch of {batch}" if batch else ""
    return MemoryError(f"{owner}.{action} ran out of memory{rows} ({detail}). {advice}")


def memory_error(est, action, detail, batch):
    """The ``MemoryError`` for ``est.<action>`` running out of memory, naming the
    settings to lower with their current values.

    ``batch`` is the number of rows/images in the failing batch, or None when no batch
    ran yet (``fit`` was still building the network).  The input side supplies
    ``_size_settings()`` (e.g. ``"the image size (image_size=None; the images are
    3x224x224)"``), ``_batch_unit`` and ``_predict_memory_advice()``.
    """
    name = type(est).__name__
    sizes = est._size_settings()
    if action == "predict":
        return _out_of_memory(name, action, detail, f"{batch} {est._batch_unit}",
                              est._predict_memory_advice())
    if batch is None:
        return MemoryError(f"{name}.{action} ran out of memory building the network "
                           f"({detail}). Lower {sizes}. The estimator is unchanged.")
    return _out_of_memory(name, action, detail, f"{batch} {est._batch_unit}",
                          f"Lower batch_size (batch_size={est.batch_size!r}) or {sizes}. "
                          "The estimator is unchanged.")
