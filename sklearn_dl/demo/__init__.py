"""``sklearn-dl demo``: the product's story on data the package ships or generates.

Tabular classification against baselines, heteroscedastic regression with intervals,
counts, a CNN on images with its mistakes and Grad-CAM, pretrained features in a
Pipeline with a t-SNE map, and a deep ensemble's uncertainty.  It prints a comparison
table per section and an overview, and writes an HTML report with the figures embedded.
"""

from __future__ import annotations

import os
import platform
import sys
import time

from .._progress import progress_bar
from ._report import write_report
from ._sections import SECTIONS, Section

__all__ = ["run_demo", "Section"]


def run_demo(out_dir="demo_output", quick=False, progress=True, stream=None):
    """Run the demo and write its report.

    Parameters
    ----------
    out_dir : str or None, default="demo_output"
        Folder of the HTML report (``index.html``) and its figures; None writes nothing.
    quick : bool, default=False
        Smaller data and fewer epochs (under a minute on 2 cores).
    progress : bool, default=True
        A progress bar over the demo's steps (stderr).
    stream : file, default=None
        Where the tables go (default ``sys.stdout``).

    Returns
    -------
    dict
        ``sections`` (list of Section), ``overview`` (DataFrame), ``report`` (path or
        None) and ``seconds``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    stream = stream or sys.stdout
    t0 = time.perf_counter()
    bar = progress_bar(len(SECTIONS), "demo", "section", disable=not progress)

    def step(message):
        bar.set_postfix_str(message[:60], refresh=True)

    sections = []
    for make in SECTIONS:
        section = make(quick, step)
        sections.append(section)
        bar.update(1)
        _print_section(len(sections), section, stream)
    bar.close()
    overview = pd.DataFrame(
        [{"section": s.title.split(":")[0], "result": k, "value": v}
         for s in sections for k, v in s.headline.items()]).set_index(["section", "result"])
    print("\nOverview", file=stream)
    print(overview.to_string(float_format=lambda v: f"{v:.4g}"), file=stream)
    seconds = time.perf_counter() - t0
    report = None
    if out_dir:
        from .. import __version__

        footer = (f"sklearn_dl {__version__}, Python {platform.python_version()}, "
                  f"{'quick' if quick else 'full'} run, {seconds:.0f} s, "
                  f"{os.cpu_count()} CPU core(s).")
        report = write_report(sections, overview, out_dir, "sklearn_dl demo", footer)
        print(f"\nReport written to {report}", file=stream)
    for s in sections:
        for _, fig in s.figures:
            plt.close(fig)
    print(f"Demo finished in {seconds:.0f} s.", file=stream)
    return {"sections": sections, "overview": overview, "report": report,
            "seconds": seconds}


def _print_section(i, section, stream):
    print(f"\n{i}. {section.title}", file=stream)
    if section.table is not None:
        print(section.table.to_string(float_format=lambda v: f"{v:.4g}"), file=stream)
    if section.summary:
        print(f"   {section.summary}", file=stream)
