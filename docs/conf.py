"""Sphinx configuration of the sklearn_dl documentation.

Built by ``make docs`` (or ``sphinx-build -b html docs docs/_build/html``), offline and
in well under a minute: no intersphinx, and the gallery lists ``examples/plot_*.py``
without running them unless ``SKLEARN_DL_DOCS_RUN_GALLERY=1`` is set (the examples
train networks for minutes and read data from the data home).
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the checkout's sklearn_dl, even without an install
sys.path.insert(0, str(HERE))  # _api

import sklearn_dl  # noqa: E402

project = "sklearn_dl"
author = "the sklearn_dl developers"
copyright = "the sklearn_dl developers, BSD-3-Clause"
version = release = sklearn_dl.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_gallery_src", "**/GALLERY_HEADER.rst", "gallery_header.rst"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- API reference -----------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False  # autodoc lists the members (see skip_foreign below)
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def skip_foreign(app, what, name, obj, skip, options):
    """Document only what sklearn_dl itself writes.

    Estimators inherit dozens of methods from scikit-learn (``set_output``,
    ``set_fit_request``, ...) and modules hundreds from ``torch.nn.Module``; those are
    documented upstream, and their docstrings refer to labels of other sites.
    """
    if skip:
        return True
    func = getattr(obj, "__func__", obj)
    if isinstance(obj, property):
        func = obj.fget
    module = getattr(func, "__module__", None)
    if what == "class" and (inspect.isfunction(func) or inspect.ismethod(func)
                            or isinstance(obj, property)):
        if not (module or "").startswith("sklearn_dl"):
            return True
        if name in {"forward", "extra_repr", "train"}:  # the nn.Module protocol
            return True
    return None


# -- pages generated from the package -----------------------------------------------------


def _write_family_table():
    """The table of registered families in the user guide, read from the registry.

    Written to ``user_guide/families_table.inc`` (ignored by git) at every build, so the
    guide lists exactly the families ``sklearn_dl.families.available_families()`` has.
    """
    from sklearn_dl.families import available_families, get_family

    rows = []
    for name in available_families():
        family = get_family(name)
        cls = type(family)
        params = ", ".join(f"``{p}`` ({family.links.get(p, '?')})"
                           for p in family.param_names)
        rows.append((f"``{name!r}``".replace("'", '"'),
                     f":class:`~sklearn_dl.families.{cls.__name__}`", family.task,
                     f"``{family.support}``", params))
    header = ("``family=``", "class", "task", "support", "parameters (link)")
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        lines.append("   * - " + row[0])
        lines += [f"     - {cell}" for cell in row[1:]]
    (HERE / "user_guide" / "families_table.inc").write_text("\n".join(lines) + "\n")


_write_family_table()

# -- gallery -------------------------------------------------------------------------------
RUN_GALLERY = os.environ.get("SKLEARN_DL_DOCS_RUN_GALLERY", "0") not in ("", "0")


def _stage_gallery():
    """sphinx-gallery wants a header file next to the scripts: stage links to them.

    ``examples/`` holds only the scripts (and their ``output/``); the gallery's
    introduction is ``examples/GALLERY_HEADER.rst`` when it exists, else
    ``docs/gallery_header.rst``.  The staged scripts are symbolic links (copies where
    links are not possible), so a script resolving ``__file__`` still writes to
    ``examples/output/``.
    """
    src = ROOT / "examples"
    stage = HERE / "_gallery_src"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    header = src / "GALLERY_HEADER.rst"
    shutil.copyfile(header if header.exists() else HERE / "gallery_header.rst",
                    stage / "GALLERY_HEADER.rst")
    for script in sorted(src.glob("plot_*.py")):
        try:
            (stage / script.name).symlink_to(script)
        except OSError:
            shutil.copyfile(script, stage / script.name)
    return stage


sphinx_gallery_conf = {
    "examples_dirs": str(_stage_gallery()),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": RUN_GALLERY,
    "only_warn_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_dl {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "auto_examples/index": []}
html_show_sourcelink = False
html_copy_source = False


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign)
