"""The public API of sklearn_dl, found the way users find it: each module's ``__all__``.

Used by the documentation build (``conf.py``) and by ``tests/test_docstrings.py``, so the
reference and the docstring checks cover the same objects.

A module is public when no part of its dotted name starts with an underscore.  Its public
objects are the names in its ``__all__``; a public module without ``__all__`` exports
the functions and classes it defines whose names do not start with an underscore.  An
object exported by several modules is documented once, at its *canonical* name: the
top-level package when it is in ``sklearn_dl.__all__``, else the public module closest
to where it is defined (``sklearn_dl.images.ImageStandardize``, not
``sklearn_dl.augmentation.ImageStandardize``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field

#: modules left out of the reference, with the reason
EXCLUDED_MODULES = {
    "sklearn_dl.cli": "the command-line entry point (``sklearn-dl demo``), not a library API",
    "sklearn_dl.demo": "the demo application run by ``sklearn-dl demo``; see the user guide",
}

#: methods every ``nn.Module`` has: documented by torch, not by each module of ours
TORCH_PROTOCOL = frozenset({"forward", "extra_repr", "train"})


@dataclass
class PublicObject:
    """A public function, class or constant with every public name it has."""

    name: str  # canonical dotted name
    obj: object
    aliases: list = field(default_factory=list)

    @property
    def kind(self):
        if inspect.isclass(self.obj):
            return "class"
        if inspect.isfunction(self.obj) or inspect.isbuiltin(self.obj):
            return "function"
        return "data"


def public_modules(package="sklearn_dl"):
    """Dotted names of the public modules of ``package``, the package first."""
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, package + "."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or info.name in EXCLUDED_MODULES:
            continue
        if any(info.name.startswith(m + ".") for m in EXCLUDED_MODULES):
            continue
        names.append(info.name)
    return names


def exported_names(module):
    """``module.__all__``, or the public functions and classes it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [n for n, o in vars(module).items()
            if not n.startswith("_") and (inspect.isclass(o) or inspect.isfunction(o))
            and getattr(o, "__module__", None) == module.__name__]


def _canonical(paths, obj, top="sklearn_dl"):
    top_level = [p for p in paths if p.rsplit(".", 1)[0] == top]
    if top_level:
        return top_level[0]
    home = getattr(obj, "__module__", "") or ""
    own_name = getattr(obj, "__name__", None)

    def preference(path):
        mod, name = path.rsplit(".", 1)
        inside = home == mod or home.startswith(mod + ".")
        # defined under this module, under its own name, as high up as possible
        return (not inside, own_name is not None and name != own_name, len(mod), path)

    return min(paths, key=preference)


def public_objects(package="sklearn_dl"):
    """Every public object once, sorted by canonical name.

    Raises
    ------
    AttributeError
        When a module's ``__all__`` names something the module does not have.
    """
    found = {}  # id -> (obj, [paths])
    for mod_name in public_modules(package):
        module = importlib.import_module(mod_name)
        for name in exported_names(module):
            if name.startswith("__"):  # __version__
                continue
            if not hasattr(module, name):
                raise AttributeError(f"{mod_name}.__all__ names {name!r}, which "
                                     f"{mod_name} does not define.")
            obj = getattr(module, name)
            # a constant is one object under one name (equal small values are shared)
            key = (id(obj), None if inspect.isclass(obj) or callable(obj) else name)
            found.setdefault(key, (obj, []))[1].append(f"{mod_name}.{name}")
    objects = []
    for obj, paths in found.values():
        name = _canonical(paths, obj, package)
        objects.append(PublicObject(name, obj, [p for p in paths if p != name]))
    return sorted(objects, key=lambda o: o.name)


def public_methods(cls, package="sklearn_dl"):
    """``(name, function)`` of the public methods of ``cls`` written in ``package``.

    Includes methods inherited from the package's private bases (``fit`` of every
    estimator); leaves out scikit-learn's, torch's and Python's, properties, and the
    ``nn.Module`` protocol (:data:`TORCH_PROTOCOL`).
    """
    out = []
    for name in sorted(dir(cls)):
        if name.startswith("_") or name in TORCH_PROTOCOL:
            continue
        if isinstance(inspect.getattr_static(cls, name), property):
            continue
        func = getattr(cls, name)
        func = getattr(func, "__func__", func)
        if not inspect.isfunction(func):
            continue
        if not (getattr(func, "__module__", "") or "").startswith(package):
            continue
        out.append((name, func))
    return out
