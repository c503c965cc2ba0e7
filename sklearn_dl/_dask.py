"""Dask collections as input: features and predictions computed chunk by chunk.

``transform``, ``predict`` and ``predict_proba`` of sklearn_dl estimators take a
``dask.array.Array`` of images or rows (chunked along the first axis) or a
``dask.bag.Bag`` of images or file paths, and return a lazy dask array whose row chunks
are those of the input (a bag's partitions, with unknown lengths).  Each chunk becomes
one task that holds one chunk of input and its output, so a worker's memory does not
grow with the data set.

The estimator enters the task graph once (one key, sent once to each worker that needs
it), and networks are loaded once per worker process by the per-process caches.

Dask is optional: nothing here imports it until a dask collection is passed.
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from ._parallel import worker_threads


def is_dask_collection(X):
    """Whether ``X`` is a dask collection (without importing dask when it is not loaded).

    Parameters
    ----------
    X : object

    Returns
    -------
    bool
    """
    if sys.modules.get("dask") is None:
        return False  # a dask object cannot exist before dask is imported
    from dask import is_dask_collection as _is_dask

    return _is_dask(X)


def _as_numpy(out):
    # a transformer with set_output(transform="pandas") returns DataFrames per block
    if isinstance(out, tuple):
        return tuple(_as_numpy(o) for o in out)
    return out.to_numpy() if hasattr(out, "to_numpy") else np.asarray(out)


def _flat_concat(outputs):
    """Tuple of (n, ...) arrays -> one (n, k) array; the columns of each in order."""
    return np.concatenate([o.reshape(len(o), -1) for o in outputs], axis=1)


def _apply_block(block, estimator, method_name, args, kwargs, packed):
    """The estimator's method on one chunk (runs on a worker)."""
    if not isinstance(block, np.ndarray):  # a bag partition: list of images or paths
        block = list(block)
    out = _as_numpy(getattr(estimator, method_name)(block, *args, **kwargs))
    return _flat_concat(out) if packed else out


def _probe(estimator, method_name, X, args, kwargs):
    """Output shapes (per row) and dtypes, from one blank row (arrays) or the first
    item (bags), computed here."""
    import dask.bag as db

    if isinstance(X, db.Bag):
        sample = list(X.take(1, npartitions=-1))
    else:
        sample = np.zeros((1,) + tuple(X.shape[1:]), dtype=X.dtype)
    out = _as_numpy(getattr(estimator, method_name)(sample, *args, **kwargs))
    outs = out if isinstance(out, tuple) else (out,)
    return [(o.shape[1:], o.dtype) for o in outs], isinstance(out, tuple)


def map_rows(estimator, method_name, X, *args, output=None, **kwargs):
    """Apply ``estimator.<method_name>`` to each row chunk of a dask collection.

    Parameters
    ----------
    estimator : estimator
        Its method must map ``n`` rows or images to outputs with ``n`` rows.
    method_name : str
        E.g. ``"transform"``, ``"predict"``, ``"predict_proba"``.
    X : dask.array.Array or dask.bag.Bag
        Arrays are split along the first axis only: other axes are rechunked to one
        chunk, so each task sees whole images.  A bag's partitions (lists of images or
        file paths) are passed to the method as lists.
    *args, **kwargs
        Passed to the method.
    output : ((tuple, dtype),) or None, default=None
        Per-row output shape and dtype of the method; None: found by running the method
        on one blank row here (arrays) or on the bag's first item.

    Returns
    -------
    dask.array.Array or tuple of them
        Lazy; row chunks follow the input's (unknown lengths for a bag).  A method that
        returns a tuple (``predict(X, return_std=True)``) gives a tuple of arrays.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn_dl import PretrainedFeatureTransformer
    >>> from sklearn_dl.datasets import load_digits_images
    >>> X = da.from_array(load_digits_images().images[:40], chunks=(16, 8, 8))
    >>> t = PretrainedFeatureTransformer("resnet18", weights=None, input_size=32)
    >>> F = t.transform(X)  # dispatches to map_rows
    >>> F.chunks
    ((16, 16, 8), (512,))
    >>> F.compute().shape
    (40, 512)
    """
    import dask
    import dask.array as da
    import dask.bag as db

    if not isinstance(X, (da.Array, db.Bag)):
        raise TypeError(f"{type(estimator).__name__}.{method_name} takes a dask array or "
                        f"a dask bag; got a {type(X).__name__}.  Convert it first (e.g. "
                        "ddf.to_dask_array(lengths=True)).")
    if isinstance(X, da.Array):
        if X.ndim < 2:
            raise ValueError(f"Expected a dask array of rows or images (2 or more "
                             f"dimensions); got shape {X.shape}.  For file paths pass a "
                             "dask bag: dask.bag.from_sequence(paths, npartitions=k).")
        X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    if output is None:
        output, packed = _probe(estimator, method_name, X, args, kwargs)
    else:
        packed = False
    packed = packed or len(output) > 1
    widths = [int(np.prod(shape)) for shape, _ in output]
    tail, dtype = ((sum(widths),), np.result_type(*[d for _, d in output])) if packed \
        else output[0]
    # one graph key for the estimator: shipped once per worker, not embedded per task
    est = dask.delayed(estimator, pure=True)
    apply = functools.partial(_apply_block, method_name=method_name, args=args,
                              kwargs=kwargs, packed=packed)
    if isinstance(X, da.Array):
        result = X.map_blocks(
            apply, est, dtype=dtype, chunks=(X.chunks[0],) + tuple((s,) for s in tail),
            drop_axis=list(range(1, X.ndim)), new_axis=list(range(1, 1 + len(tail))),
            meta=np.empty((0,) * (1 + len(tail)), dtype=dtype))
    else:
        parts = [da.from_delayed(dask.delayed(apply)(part, est),
                                 shape=(np.nan,) + tuple(tail), dtype=dtype)
                 for part in X.to_delayed()]
        result = da.concatenate(parts, axis=0)
    if not packed:
        return result
    pieces, start = [], 0
    for (shape, d), width in zip(output, widths):
        if len(shape) == 0:
            piece = result[:, start]
        else:
            piece = result[:, start:start + width]
            if len(shape) > 1:
                piece = piece.reshape((-1,) + tuple(shape))
        pieces.append(piece.astype(d))
        start += width
    return tuple(pieces)


def dask_rows(method=None, *, output=None):
    """Decorator of a public method ``method(self, X, ...)`` of an sklearn_dl estimator.

    A dask collection ``X`` goes to :func:`map_rows` (a lazy dask array comes back);
    anything else runs the method as is, under :func:`sklearn_dl._parallel.worker_threads`
    (the Dask worker's threads when it runs in a Dask task).

    Parameters
    ----------
    method : callable
    output : callable, optional
        ``output(estimator) -> ((row shape, dtype),)``, when the estimator knows its
        output without running on a blank row.

    Returns
    -------
    callable

    Examples
    --------
    >>> from sklearn_dl._dask import dask_rows
    >>> class Doubler:
    ...     @dask_rows
    ...     def predict(self, X):
    ...         return 2 * X
    >>> Doubler().predict(np.ones((2, 1))).tolist()
    [[2.0], [2.0]]
    """
    if method is None:
        return functools.partial(dask_rows, output=output)
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if is_dask_collection(X):
            return map_rows(self, name, X, *args,
                            output=output(self) if output is not None else None, **kwargs)
        with worker_threads():
            return method(self, X, *args, **kwargs)

    return wrapper
