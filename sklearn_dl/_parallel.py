"""Torch threads inside Dask workers.

joblib's loky workers start with ``OMP_NUM_THREADS = cores // n_jobs`` and torch follows.
A Dask worker gives no such guarantee: its nanny sets ``OMP_NUM_THREADS=1`` by default
(so a worker of 8 threads runs torch on one core), a worker started without a nanny or
inside the client process (``processes=False``) inherits whatever the process has (often
every core, on every worker at once), and users override both in their configuration.
:func:`worker_threads` makes the number explicit for the duration of a fit, transform
or predict: the worker's share of its own threads.

Outside a Dask worker it does nothing, and it never imports Dask: if ``distributed`` has
not been imported, this process cannot be running a Dask task.
"""

from __future__ import annotations

import contextlib
import sys

import torch


def dask_worker_threads():
    """Torch threads a task on the current Dask worker should use, or None outside one.

    A worker with ``nthreads`` threads runs up to ``nthreads`` tasks at once; a task
    gets its share, ``nthreads // tasks executing`` (at least 1), so that tasks running
    together never ask for more threads than the worker has.

    Returns
    -------
    n_threads : int or None
    """
    if sys.modules.get("distributed") is None:
        return None  # not imported: this process cannot be running a Dask task
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # not inside a task
        return None
    state = getattr(worker, "state", worker)
    nthreads = int(getattr(state, "nthreads", 1) or 1)
    executing = len(getattr(state, "executing", ())) or 1
    return max(1, nthreads // executing)


@contextlib.contextmanager
def worker_threads():
    """Run the block with torch set to the Dask worker's share of threads.

    The previous setting is restored afterwards.  Outside a Dask worker this does
    nothing (and costs a dictionary look-up).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl._parallel import worker_threads
    >>> before = torch.get_num_threads()
    >>> with worker_threads():  # not in a Dask worker: unchanged
    ...     torch.get_num_threads() == before
    True
    """
    n = dask_worker_threads()
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    # torch's setting is per calling thread once that thread has run parallel code, and
    # a Dask task runs in one thread of the worker's pool: set and restore it there.
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
