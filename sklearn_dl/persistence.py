"""Safe persistence: ``save(estimator, path)`` / ``load(path)`` without pickle.

``pickle`` and ``joblib`` keep working for sklearn_dl estimators, but unpickling a file
runs code from it, so a model file from someone else is a risk.  A ``save`` file is a
single safetensors file: the network's weights as tensors, and as JSON metadata the
estimator's class (only classes of this package are loaded), its parameters, its
fitted attributes and the training history.  Loading parses JSON and tensors and
rebuilds the network from the parameters: no code from the file ever runs.

skorch's own callbacks (``EarlyStopping``, ``LRScheduler`` with a torch scheduler
class, ``GradientNormClipping``, ``EpochScoring("r2")``, ``Freezer``...) are saved by
their class's import path and their parameters, as configured (not their training
state: a loaded model's callbacks start afresh, as in a new ``fit``); on load only
skorch's callback classes and skorch's own functions are accepted.  What cannot be
described as plain data (your own callback classes or ``nn.Module`` architectures,
unregistered families, other callables such as a scoring function of yours) is refused
at save time with a message naming pickle/joblib as the alternative for files you
trust.  So is anything that is not an sklearn_dl network or deep ensemble: a
``FormulaModel`` (its fitted formula is formulaic state, not plain data), a scikit-learn
``Pipeline`` or any other estimator.
"""

from __future__ import annotations

import importlib
import json
import warnings

import numpy as np
import torch

FORMAT = "sklearn_dl"
FORMAT_VERSION = 1
_SKIP = {"net_", "family_", "history_", "estimators_"}


class _Unsafe(TypeError):
    pass


# -- plain-data encoding ----------------------------------------------------------------
def _encode(value, where):
    from . import _skorch
    from .families import Family, get_family

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where) for v in value]}
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}}
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if kind in "biuf":
            return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
        if kind in "UO" and all(isinstance(v, str) for v in value.ravel()):
            return {"__ndarray__": value.tolist(), "dtype": "str" if kind == "U" else "object"}
    if isinstance(value, Family):
        try:
            registered = get_family(value.name)
        except ValueError:
            registered = None
        if type(registered) is type(value):
            return {"__family__": value.name, "options": _encode(vars(value), where)}
    if isinstance(value, type) and value.__module__.startswith(("torch.nn", "torch.optim")):
        return {"__torch_class__": f"{value.__module__}.{value.__qualname__}"}
    if hasattr(value, "get_params") and type(value).__module__.startswith("sklearn_dl."):
        return {"__estimator__": _class_path(type(value)),
                "params": _encode(value.get_params(deep=False), where)}
    spec = _skorch.callback_spec(value)
    if spec is not None:
        return {"__skorch_callback__": spec[0],
                "params": _encode(spec[1], f"{where}: {type(value).__name__}")}
    function = _skorch.function_path(value)
    if function is not None:
        return {"__function__": function}
    raise _Unsafe(
        f"{where}={value!r} cannot be saved safely (only plain values, numpy arrays, "
        "registered families, torch classes, skorch's own callbacks and sklearn_dl "
        "estimators can). Use pickle or joblib for this model instead, and load such "
        "files only from sources you trust.")


def _decode(value):
    from . import _skorch
    from .families import get_family

    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v) for k, v in value["__dict__"].items()}
    if "__ndarray__" in value:
        dtype = value["dtype"]
        if dtype in ("str", "object"):
            return np.asarray(value["__ndarray__"], dtype=object if dtype == "object" else str)
        return np.asarray(value["__ndarray__"], dtype=dtype)
    if "__family__" in value:
        return get_family(value["__family__"], **_decode(value["options"]))
    if "__torch_class__" in value:
        return _torch_class(value["__torch_class__"])
    if "__estimator__" in value:
        return _package_class(value["__estimator__"])(**_decode(value["params"]))
    if "__skorch_callback__" in value:
        return _skorch.callback_from_spec(value["__skorch_callback__"],
                                          _decode(value["params"]))
    if "__function__" in value:
        return _skorch.named_function(value["__function__"])
    raise ValueError(f"Unknown entry in the model file: {sorted(value)}.")


def _class_path(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _package_class(path):
    module, _, name = path.rpartition(".")
    if not module.startswith("sklearn_dl.") and module != "sklearn_dl":
        raise ValueError(f"The model file names the class {path!r}, which is not part of "
                         "sklearn_dl; refusing to import it.")
    return getattr(importlib.import_module(module), name)


def _torch_class(path):
    module, _, name = path.rpartition(".")
    if not module.startswith(("torch.nn", "torch.optim")):
        raise ValueError(f"Refusing to load the class {path!r} from a model file.")
    return getattr(importlib.import_module(module), name)


# -- save ---------------------------------------------------------------------------------
def _state(est, prefix, where):
    """(tensors, metadata) of one fitted network estimator."""
    from . import _skorch

    params = set(est.get_params(deep=False))
    fitted = {k: v for k, v in vars(est).items() if k not in params and k not in _SKIP}
    module = est.net_.module_
    tensors = {prefix + k: v.detach().cpu().contiguous().clone()
               for k, v in module.state_dict().items()}
    meta = {
        "fitted": {k: _encode(v, f"{where}.{k}") for k, v in fitted.items()},
        "history": json.loads(json.dumps(_skorch.history_frame(est.history_),
                                         default=_json_default)),
        "net": {"batch_size": int(est.net_.batch_size), "max_epochs": int(est.net_.max_epochs)},
    }
    return tensors, meta


def _check_savable(estimator):
    """A ``TypeError`` at once for what the format cannot hold: it holds one sklearn_dl
    network (weights, parameters, fitted attributes) or a deep ensemble of them."""
    from ._base import _BaseNN
    from .ensemble import _BaseDeepEnsemble

    if isinstance(estimator, (_BaseNN, _BaseDeepEnsemble)):
        return
    from .formula import FormulaModel

    name = type(estimator).__name__
    inner = getattr(estimator, "estimator_", None)
    steps = getattr(estimator, "steps", None)  # Pipeline
    if isinstance(estimator, FormulaModel) and isinstance(inner, (_BaseNN, _BaseDeepEnsemble)):
        part = (f" To save the network alone, use save(model.estimator_, path) (a "
                f"{type(inner).__name__}; it then predicts from the design matrix, "
                "e.g. model.model_matrix(newdata), not from the raw data).")
    elif (isinstance(steps, list) and steps and isinstance(steps[-1], tuple)
          and isinstance(steps[-1][-1], (_BaseNN, _BaseDeepEnsemble))):
        part = (" To save its final network alone, use save(pipeline[-1], path) (it "
                "then needs the data transformed by the earlier steps).")
    else:
        part = ""
    what = ("its fitted formula (formulaic's model spec: factor levels, transform "
            "state) is not plain data" if isinstance(estimator, FormulaModel)
            else "the format holds only sklearn_dl networks and deep ensembles")
    raise TypeError(
        f"sklearn_dl.save cannot save a {name}: {what}. Save the whole model with "
        "pickle or joblib.dump instead, and load such files only from sources you "
        f"trust.{part}")


def _json_default(o):
    if isinstance(o, (np.generic,)):
        return o.item()
    return str(o)


def save(estimator, path):
    """Save a fitted sklearn_dl estimator to a safetensors file (no pickle).

    Parameters
    ----------
    estimator : fitted sklearn_dl estimator or deep ensemble
        A network estimator (``NNRegressor``, ``NNClassifier``, ``CNNRegressor``...)
        or a ``DeepEnsembleRegressor`` / ``DeepEnsembleClassifier``.  Anything else
        (a ``FormulaModel``, a scikit-learn ``Pipeline`` or estimator) is refused.
    path : str or path-like
        The file to write (conventionally ``*.safetensors``).

    Returns
    -------
    None

    Raises
    ------
    TypeError
        When ``estimator`` is not an sklearn_dl network or deep ensemble (for a
        ``FormulaModel``, ``save(model.estimator_, path)`` saves its network alone), or
        when a parameter or fitted attribute cannot be described as plain data (your
        own callback classes or modules, unregistered families, your own functions):
        use pickle/joblib then.  skorch's own callbacks are saved (as configured).

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sklearn_dl import GaussianNLLRegressor, save, load
    >>> X = np.random.RandomState(0).normal(size=(50, 2)); y = X[:, 0]
    >>> reg = GaussianNLLRegressor(max_epochs=2, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> save(reg, path)
    >>> bool(np.allclose(load(path).predict(X), reg.predict(X)))
    True
    """
    from safetensors.torch import save_file
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    _check_savable(estimator)
    check_is_fitted(estimator)
    name = type(estimator).__name__
    try:
        params = _encode(estimator.get_params(deep=False), name)
        if hasattr(estimator, "estimators_"):
            tensors, members = {}, []
            for i, member in enumerate(estimator.estimators_):
                t, m = _state(member, f"members.{i}.", f"{name}.estimators_[{i}]")
                m["params"] = _encode(member.get_params(deep=False), f"{name}.estimators_[{i}]")
                m["class"] = _class_path(type(member))
                tensors.update(t)
                members.append(m)
            extra = {k: v for k, v in vars(estimator).items()
                     if k not in set(estimator.get_params(deep=False)) and k not in _SKIP}
            body = {"members": members,
                    "fitted": {k: _encode(v, f"{name}.{k}") for k, v in extra.items()}}
        else:
            tensors, body = _state(estimator, "", name)
    except _Unsafe as exc:
        raise TypeError(str(exc)) from None
    metadata = {
        "format": FORMAT, "format_version": str(FORMAT_VERSION),
        "sklearn_dl_version": __version__, "torch_version": torch.__version__,
        "class": _class_path(type(estimator)), "params": json.dumps(params),
        "body": json.dumps(body, allow_nan=True),
    }
    save_file(tensors, str(path), metadata=metadata)


# -- load ---------------------------------------------------------------------------------
def _rebuild(cls, params, meta, tensors, prefix, device):
    from . import _skorch
    from ._base import resolve_device
    from ._plan import Plan

    est = cls(**params)
    est.__dict__.update({k: _decode(v) for k, v in meta["fitted"].items()})
    est._device = resolve_device(device)
    family = est._get_family()
    body_params = est._check_body_params()
    if hasattr(est, "_fitted_body_params"):  # "auto" sizes resolved at fit time
        body_params = est._fitted_body_params(body_params)
    n_targets = len(est.classes_) if hasattr(est, "classes_") else est.n_targets_
    X_shape = np.zeros((1, getattr(est, "n_features_in_", None) or 1), dtype=np.float32)
    # seeded (the weights are overwritten below): building draws initial weights from
    # torch's global generator, which a seeded fit in another thread may be using
    with _offline(est), _skorch.seeded(0):
        module = est._build_module(X_shape, est._placeholder_preprocess(), family, n_targets,
                                   body_params)
    state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    module.load_state_dict(state)
    plan = Plan(batch_size=meta["net"]["batch_size"], max_epochs=meta["net"]["max_epochs"],
                early_stopping=False, validation_fraction=0.0, patience=1)
    net = est._make_net(module, family, None, None, plan,
                        batch_size=meta["net"]["batch_size"],
                        monitor=_skorch.TrainingMonitor())
    net.initialize()
    net.module_.to(est._device)
    net.history = _skorch.history_from_rows(meta["history"])
    est.net_, est.family_, est.history_ = net, family, net.history
    return est


class _offline:
    """Build a transfer model's backbone without fetching its weights: the file holds
    them."""

    def __init__(self, est):
        self.est = est
        self.saved = getattr(est, "weights", None)

    def __enter__(self):
        if hasattr(self.est, "weights"):
            self.est.weights = None

    def __exit__(self, *exc):
        if hasattr(self.est, "weights"):
            self.est.weights = self.saved


def load(path, device=None):
    """Load an estimator written by :func:`save`; nothing in the file is executed.

    Parameters
    ----------
    path : str or path-like
    device : str, default=None
        Where the network runs; None: the saved ``device`` if available here, else the
        CPU (a model trained on a GPU loads on a CPU-only machine, with a warning).

    Returns
    -------
    estimator
        Fitted: predicts exactly as the saved one.  It can be warm-started, but the
        optimizer state is not saved (training resumes with a fresh optimizer).

    Raises
    ------
    ValueError
        For files that are not sklearn_dl model files, from a newer format, or naming
        classes outside sklearn_dl.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sklearn_dl import NNClassifier, load, save
    >>> X = np.random.RandomState(0).normal(size=(50, 2)); y = X[:, 0] > 0
    >>> clf = NNClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "classifier.safetensors")
    >>> save(clf, path)
    >>> again = load(path)
    >>> type(again).__name__, bool((again.predict(X) == clf.predict(X)).all())
    ('NNClassifier', True)
    """
    from safetensors import safe_open

    from . import __version__
    from ._base import resolve_device

    with safe_open(str(path), framework="pt", device="cpu") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path!s} is not an sklearn_dl model file (written by "
                         "sklearn_dl.save).")
    version = int(meta.get("format_version", "0"))
    if version > FORMAT_VERSION:
        raise ValueError(f"{path!s} was written by sklearn_dl {meta.get('sklearn_dl_version')} "
                         f"in file format {version}; this sklearn_dl {__version__} reads format "
                         f"{FORMAT_VERSION} and older. Upgrade sklearn_dl to load it.")
    if version < 1:
        raise ValueError(f"{path!s} has an unknown file format version {version}.")
    cls = _package_class(meta["class"])
    params = _decode(json.loads(meta["params"]))
    body = json.loads(meta["body"])
    saved_device = params.get("device", "cpu")
    if device is None:
        try:
            device = resolve_device(saved_device)
        except ValueError:
            warnings.warn(f"The model was saved with device={saved_device!r}, which is not "
                          "available here; it is loaded on the CPU.", UserWarning,
                          stacklevel=2)
            device = "cpu"
    if "device" in params:
        params["device"] = device
    if "members" in body:
        est = cls(**params)
        members = []
        for i, m in enumerate(body["members"]):
            mparams = _decode(json.loads(json.dumps(m["params"])))
            if "device" in mparams:
                mparams["device"] = device
            members.append(_rebuild(_package_class(m["class"]), mparams, m, tensors,
                                    f"members.{i}.", device))
        est.__dict__.update({k: _decode(v) for k, v in body["fitted"].items()})
        est.estimators_ = members
        return est
    return _rebuild(cls, params, body, tensors, "", device)
