"""Cross-references in the image side's docstrings point at documented objects.

Sphinx resolves ``:class:`Name``` against the module an object is documented in (its
canonical name in ``docs/_api.py``), then the top level; a name documented elsewhere, or
not at all (a private module, an alias), renders as plain text with no link and only a
nitpicky build says so.  This test applies the same rule without building the site, to
the docstrings of the image estimators, image inputs, backbones and inspection.
References into other projects (scikit-learn, scipy, torch) are not checked: the site
has no intersphinx.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SIDE = ("sklearn_dl.features", "sklearn_dl.transfer", "sklearn_dl.images",
              "sklearn_dl.augmentation", "sklearn_dl.bodies.pretrained",
              "sklearn_dl.bodies.backbones", "sklearn_dl.bodies.cnn",
              "sklearn_dl.inspection", "sklearn_dl.CNNClassifier",
              "sklearn_dl.CNNRegressor", "sklearn_dl.PretrainedFeatureTransformer",
              "sklearn_dl.TransferLearningClassifier", "sklearn_dl.bodies.make_cnn",
              "sklearn_dl.bodies.CNNBody")
FOREIGN = ("sklearn.", "scipy.", "torch.", "torchvision.", "numpy.", "pandas.", "PIL.")
ROLE = re.compile(r":(?:py:)?(class|func|meth|data|mod|attr|obj|exc):`([^`]+)`")


def _load_api():
    spec = importlib.util.spec_from_file_location("_sklearn_dl_docs_api_xref",
                                                  ROOT / "docs" / "_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _documented(api, objects):
    """Every name the reference documents: modules with a page, objects, their public
    methods and properties."""
    names = set()
    for page in (ROOT / "docs" / "api").glob("*.rst"):
        names.update(re.findall(r"^\.\. automodule:: (\S+)", page.read_text(), re.M))
    for o in objects:
        names.add(o.name)
        if inspect.isclass(o.obj):
            names.update(f"{o.name}.{m}" for m, _ in api.public_methods(o.obj))
            names.update(f"{o.name}.{n}" for n, v in inspect.getmembers(o.obj)
                         if not n.startswith("_")
                         and isinstance(inspect.getattr_static(o.obj, n), property))
    return names


def _docstrings(api, objects, documented):
    """``(where, docstring, module, class)`` of each rendered docstring of the image
    side, with the module and class Sphinx resolves its references in."""
    for o in objects:
        if not o.name.startswith(IMAGE_SIDE):
            continue
        module, short = o.name.rsplit(".", 1)
        if inspect.isclass(o.obj):
            yield o.name, o.obj.__doc__, module, short
            for name, func in api.public_methods(o.obj):
                yield f"{o.name}.{name}", func.__doc__, module, short
        elif inspect.isfunction(o.obj):
            yield o.name, o.obj.__doc__, module, None
    for name in sorted(documented):
        if name.startswith(IMAGE_SIDE) and name in sys.modules:
            yield name, sys.modules[name].__doc__, name, None


def _resolves(target, module, cls, documented):
    target = target.split("<")[-1].rstrip(">").strip().lstrip("~")
    if target.startswith(FOREIGN):
        return True
    if target.startswith("."):  # Sphinx's suffix search
        return any(d.endswith(target) for d in documented)
    candidates = [target, f"{module}.{target}", f"sklearn_dl.{target}"]
    if cls:
        candidates.append(f"{module}.{cls}.{target}")
    return any(c in documented for c in candidates)


def test_image_side_cross_references_point_at_documented_objects():
    api = _load_api()
    objects = api.public_objects()
    documented = _documented(api, objects)
    for name in IMAGE_SIDE:  # the modules imported, so their own docstrings are seen
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:  # a class or function name
            pass
    broken = sorted({(where, role, target)
                     for where, doc, module, cls in _docstrings(api, objects, documented)
                     for role, target in ROLE.findall(doc or "")
                     if not _resolves(target, module, cls, documented)})
    assert not broken, "\n".join(f"{w}: :{r}:`{t}`" for w, r, t in broken)


@pytest.mark.parametrize("target", ["ResidualBlock",  # documented in bodies.cnn only
                                    "sklearn_dl.bodies.mlp.ACTIVATIONS",  # an alias
                                    "sklearn_dl.inspection._receptive_field"])  # private
def test_the_check_finds_what_sphinx_cannot_resolve(target):
    api = _load_api()
    objects = api.public_objects()
    assert not _resolves(target, "sklearn_dl.bodies", None, _documented(api, objects))
