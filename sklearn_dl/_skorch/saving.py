"""skorch's own callbacks (and the functions they take) as plain data, for ``save``/``load``.

A skorch callback class is named by its import path and rebuilt from its parameters;
only classes defined in skorch that subclass its ``Callback`` are accepted on load, and
only functions defined at the top of a skorch module (``skorch.utils.to_numpy``,
``skorch.utils.noop``, ``freeze_parameter``...) or ``print`` (the default ``sink``).  A
user's callback class, a lambda or any other object is not described here, so
``persistence`` refuses it.  What is saved is the callback as configured, not its
training state (an ``EarlyStopping``'s best score): the loaded estimator's callbacks
start afresh, as they would in a new ``fit``.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import inspect

from skorch.callbacks import Callback
from skorch.callbacks.training import ParamMapper


def _path(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def callback_spec(cb):
    """``(class path, parameters)`` of a callback skorch defines, else None."""
    if not (isinstance(cb, Callback) and type(cb).__module__.startswith("skorch.")):
        return None
    params = dict(cb.get_params(deep=False))
    if isinstance(cb, ParamMapper):
        # ParamMapper.initialize (Freezer, Unfreezer) replaces at=<epoch> by a partial of
        # its own _epoch_at and schedule=None by its own _default_schedule: map them back
        at, schedule = params.get("at"), params.get("schedule")
        if (isinstance(at, functools.partial) and _bound_to(at.func, cb,
                                                              ParamMapper._epoch_at)):
            params["at"] = at.keywords.get("epoch", 1)
        if _bound_to(schedule, cb, ParamMapper._default_schedule):
            params["schedule"] = None
    return _path(type(cb)), params


def _bound_to(method, obj, function):
    return (getattr(method, "__self__", None) is obj
            and getattr(method, "__func__", None) is function)


def callback_from_spec(path, params):
    """The callback named by :func:`callback_spec`; ValueError for anything else."""
    module, _, name = path.rpartition(".")
    cls = None
    if module.startswith("skorch."):
        cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, Callback)):
        raise ValueError(f"The model file names the callback {path!r}, which is not one "
                         "of skorch's callback classes; refusing to load it.")
    return cls(**params)


def function_path(fn):
    """Import path of ``print`` or of a top-level function of a skorch module, else None."""
    if fn is builtins.print:
        return "builtins.print"
    if not (inspect.isfunction(fn) and fn.__module__.startswith("skorch.")):
        return None
    module = importlib.import_module(fn.__module__)
    return _path(fn) if getattr(module, fn.__qualname__, None) is fn else None


def named_function(path):
    """The function :func:`function_path` named; ValueError for anything else."""
    if path == "builtins.print":
        return builtins.print
    module, _, name = path.rpartition(".")
    fn = None
    if module.startswith("skorch."):
        fn = getattr(importlib.import_module(module), name, None)
    if not inspect.isfunction(fn):
        raise ValueError(f"The model file names the function {path!r}, which is not a "
                         "function of skorch; refusing to load it.")
    return fn
