"""Every public object has a numpydoc docstring, and its Examples run.

The public objects are those of ``docs/_api.py`` (each public module's ``__all__``), the
same walk that builds the API reference, so the reference, these checks and the
package cannot drift apart.  For every public function and class, and every public
method of a public class written in this package (``fit``, ``predict_dist``, ...):

* the docstring parses as numpydoc without warnings and has a summary line;
* it has a Parameters section when the callable takes parameters, naming exactly the
  signature's parameters; a Returns (or Yields) section for functions and methods; an
  Attributes section for estimators; and an Examples section;

and each docstring's Examples run as a doctest (ELLIPSIS, NORMALIZE_WHITESPACE), in a
temporary working directory, except those listed in ``SKIP_EXAMPLES`` with the reason.
The API pages (``docs/api/*.rst``) must list every public object, once.
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib.util
import inspect
import sys
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

docscrape = pytest.importorskip(
    "numpydoc.docscrape", reason="numpydoc is in the [docs] extra: pip install -e .[docs]")

ROOT = Path(__file__).resolve().parents[1]


def _load_api():
    spec = importlib.util.spec_from_file_location("_sklearn_dl_docs_api",
                                                  ROOT / "docs" / "_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


API = _load_api()
OBJECTS = API.public_objects()

#: docstrings whose Examples are not run, with the reason (dotted name of the docstring's
#: owner as listed by this test); their examples also carry ``# doctest: +SKIP`` for
#: users who run doctests themselves
SKIP_EXAMPLES = {
    "sklearn_dl.datasets.load_mnist": "reads the MNIST files from the data home",
    "sklearn_dl.datasets.load_fashion_mnist": "reads the Fashion-MNIST files from the "
                                              "data home",
    "sklearn_dl.datasets.load_cifar10": "reads the CIFAR-10 files from the data home",
    "sklearn_dl.datasets.load_uci_regression": "reads UCI files from the data home",
    "sklearn_dl.datasets.load_bike_sharing": "reads the bike sharing file from the data "
                                             "home",
    "sklearn_dl.datasets.load_fish": "reads the fish counts from the data home",
}


def _doc_targets():
    """``(name, callable, kind)`` of everything whose docstring is checked.

    A method shared by several public classes (``fit`` of every estimator) is checked
    once, named after the public class that defines it, else the first that has it.
    """
    targets = []
    methods = {}  # id(func) -> (name, func, defined by that class)
    for item in OBJECTS:
        if item.kind == "data":
            continue
        targets.append((item.name, item.obj, item.kind))
        if item.kind == "class":
            for name, func in API.public_methods(item.obj):
                owns = vars(item.obj).get(name) is not None
                if id(func) not in methods or (owns and not methods[id(func)][2]):
                    methods[id(func)] = (f"{item.name}.{name}", func, owns)
    targets += [(name, func, "method") for name, func, _ in methods.values()]
    return sorted(targets, key=lambda t: t[0])


TARGETS = _doc_targets()


def _parse(doc):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return docscrape.NumpyDocString(doc)


def _signature_params(obj, kind):
    """``(named parameters, names of *args/**kwargs)`` of a callable's signature."""
    func = obj.__init__ if kind == "class" else obj
    if kind == "class" and not (getattr(func, "__module__", "") or "").startswith(
            "sklearn_dl"):
        return [], []  # e.g. a warning class: Exception's constructor
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return [], []
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return ([p.name for p in params if p.kind not in variadic],
            [p.name for p in params if p.kind in variadic])


def _documented_params(parsed):
    names = []
    for param in parsed["Parameters"] + parsed["Other Parameters"]:
        # "x, y : float" documents two parameters
        names += [n.strip().lstrip("*") for n in param.name.split(",")]
    return names


def _is_estimator(obj):
    from sklearn.base import BaseEstimator

    return inspect.isclass(obj) and issubclass(obj, BaseEstimator)


def test_the_walk_finds_the_api():
    names = {o.name for o in OBJECTS}
    # a few anchors from every area of the reference
    for expected in ["sklearn_dl.NNRegressor", "sklearn_dl.families.Normal",
                     "sklearn_dl.distributions.PredictiveDistribution",
                     "sklearn_dl.metrics.mean_nll", "sklearn_dl.plotting.plot_loss_curves",
                     "sklearn_dl.datasets.get_data_home",
                     "sklearn_dl.inspection.attribution_maps",
                     "sklearn_dl.summary.ModelSummary", "sklearn_dl.save",
                     "sklearn_dl.bodies.backbones.register_backbone"]:
        assert expected in names
    assert len(names) == len(OBJECTS), "an object is listed under two names"
    methods = {t[0].rsplit(".", 1)[1] for t in TARGETS if t[2] == "method"}
    assert {"fit", "predict", "predict_dist", "transform", "summary"} <= methods


def test_broken_all_is_reported(monkeypatch):
    import sklearn_dl.metrics as metrics

    monkeypatch.setattr(metrics, "__all__", metrics.__all__ + ["not_there"])
    with pytest.raises(AttributeError, match="not_there"):
        API.public_objects()


def _problems(name, obj, kind):
    """What the docstring of ``obj`` lacks, as a list of sentences (empty: fine)."""
    doc = inspect.getdoc(obj)
    if not doc:
        return ["no docstring"]
    parsed = _parse(doc)
    if not parsed["Summary"]:
        return ["no summary line"]
    problems = []
    params, variadic = _signature_params(obj, kind)
    documented = _documented_params(parsed)
    if kind == "class" and dataclasses.is_dataclass(obj):
        # a dataclass's fields are its constructor's parameters and its attributes:
        # documenting them once, under either heading, is enough
        documented += [n.strip() for a in parsed["Attributes"] for n in a.name.split(",")]
    if kind == "method" and not obj.__doc__:
        # an override documented by the method it overrides (Normal.params by
        # Family.params), whose sections are checked there: its parameters must agree
        missing = [p for p in params if p not in documented]
        return [f"parameters not in the inherited docstring: {missing}"] if missing else []
    if params and not documented:
        problems.append("no Parameters section")
    elif params:
        missing = [p for p in params if p not in documented]
        extra = [p for p in documented if p not in params + variadic]
        if missing:
            problems.append(f"parameters not documented: {missing}")
        if extra:
            problems.append(f"documented parameters not in the signature: {extra}")
    if kind in ("function", "method") and not (parsed["Returns"] or parsed["Yields"]):
        problems.append("no Returns section")
    if kind == "class" and _is_estimator(obj) and not parsed["Attributes"]:
        problems.append("no Attributes section")
    if not parsed["Examples"]:
        problems.append("no Examples section")
    return problems


@pytest.mark.parametrize("name, obj, kind", TARGETS, ids=[t[0] for t in TARGETS])
def test_numpydoc_docstring(name, obj, kind):
    problems = _problems(name, obj, kind)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_the_checks_catch_incomplete_docstrings():
    def undocumented(x, y=1):
        return x

    def partial(x, y=1):
        """Summary.

        Parameters
        ----------
        x : int
        z : int

        Returns
        -------
        int
        """
        return x

    assert _problems("f", undocumented, "function") == ["no docstring"]
    assert _problems("g", partial, "function") == [
        "parameters not documented: ['y']",
        "documented parameters not in the signature: ['z']", "no Examples section"]


def _example_docs():
    """One ``(name, docstring)`` per distinct docstring that has examples."""
    seen = set()
    out = []
    for name, obj, _ in TARGETS:
        doc = obj.__doc__  # its own: an inherited docstring runs under its owner
        if not doc or ">>>" not in doc or doc in seen:
            continue
        seen.add(doc)
        out.append((name, doc))
    return out


EXAMPLE_DOCS = _example_docs()


def test_every_skipped_example_exists():
    names = {name for name, _ in EXAMPLE_DOCS}
    assert set(SKIP_EXAMPLES) <= names, set(SKIP_EXAMPLES) - names


# the examples train for a few epochs on purpose (speed): that is not worth a warning
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::sklearn_dl.DivergenceWarning")
@pytest.mark.parametrize("name, doc", EXAMPLE_DOCS, ids=[n for n, _ in EXAMPLE_DOCS])
def test_docstring_examples_run(name, doc, tmp_path, monkeypatch):
    if name in SKIP_EXAMPLES:
        pytest.skip(SKIP_EXAMPLES[name])
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(doc, {"__name__": "__doctest__"}, name, None, 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    try:
        runner.run(test, out=report.append)
    finally:
        plt.close("all")
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


def _reference_entries():
    """Dotted names the API pages (``docs/api/*.rst``) document.

    Reads ``currentmodule``, the entries of ``autosummary`` blocks and ``py:data``
    directives: what the reference lists, without building it.
    """
    names = set()
    for page in sorted((ROOT / "docs" / "api").glob("*.rst")):
        module, in_summary = None, False
        for line in page.read_text().splitlines():
            stripped = line.strip()
            if line and not line.startswith(" "):
                in_summary = False  # a block ends at the next unindented line
            if stripped.startswith(".. currentmodule::"):
                module = stripped.split("::", 1)[1].strip()
            elif stripped.startswith(".. autosummary::"):
                in_summary = True
            elif stripped.startswith(".. py:data::"):
                names.add(f"{module}.{stripped.split('::', 1)[1].strip()}")
            elif in_summary and stripped and not stripped.startswith(":"):
                names.add(f"{module}.{stripped.lstrip('~')}")
    return names


def test_api_reference_lists_every_public_object():
    listed = _reference_entries()
    public = {o.name for o in OBJECTS}
    assert not public - listed, f"not in docs/api/*.rst: {sorted(public - listed)}"
    assert not listed - public, f"not public (or not canonical): {sorted(listed - public)}"
