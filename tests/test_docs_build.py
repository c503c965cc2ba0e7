"""The documentation site builds without a warning, has a page per public object, and
the user guide's snippets run.

Slow (about a minute for the build and a minute for the snippets on 2 cores): run with
``pytest -m slow tests/test_docs_build.py``.
The build is what ``make docs`` runs, with warnings as errors, into a temporary folder;
the gallery lists the examples without running them.  Pages generated at build time
(``docs/api/generated``, ``docs/auto_examples``) are written under ``docs/`` and
ignored by git.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs extra: pip install -e .[docs]")
pytest.importorskip("numpydoc", reason="the docs extra: pip install -e .[docs]")
pytest.importorskip("sphinx_gallery", reason="the docs extra: pip install -e .[docs]")
pytest.importorskip("pydata_sphinx_theme", reason="the docs extra: pip install -e .[docs]")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _public_names():
    spec = importlib.util.spec_from_file_location("_sklearn_dl_docs_api", DOCS / "_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return [o.name for o in module.public_objects() if o.kind != "data"]


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    out = tmp_path / "html"
    env = dict(os.environ, SKLEARN_DL_DOCS_RUN_GALLERY="0", MPLBACKEND="Agg")
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"sphinx-build failed:\n{run.stdout}\n{run.stderr}"
    assert "WARNING" not in run.stderr, run.stderr

    for page in ["index.html", "api/index.html", "user_guide/index.html",
                 "auto_examples/index.html", "search.html"]:
        assert (out / page).is_file(), page
    # one page per public function and class, each with its Examples rendered
    missing = [name for name in _public_names()
               if not (out / "api" / "generated" / f"{name}.html").is_file()]
    assert not missing, f"no API page for {missing}"
    page = (out / "api" / "generated" / "sklearn_dl.NNRegressor.html").read_text()
    for text in ["predict_dist", "Parameters", "Examples", "family"]:
        assert text in page
    # the gallery lists every example script
    examples = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    listed = [name for name in examples
              if (out / "auto_examples" / f"{name}.html").is_file()]
    assert listed == examples


GUIDE_PAGES = sorted(p.name for p in (DOCS / "user_guide").glob("*.rst"))


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDE_PAGES)
def test_user_guide_snippets_run(page, tmp_path, monkeypatch):
    """Every ``>>>`` snippet of the page gives the output it shows (doctest)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)  # snippets write files (images, caches, weights)
    for variable in ("SKLEARN_DL_DATA", "SKLEARN_DL_WEIGHTS"):
        monkeypatch.delenv(variable, raising=False)
    try:
        result = doctest.testfile(
            str(DOCS / "user_guide" / page), module_relative=False, report=True,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        plt.close("all")
    assert result.failed == 0, f"{result.failed} snippet(s) of {page} failed (see stdout)"
