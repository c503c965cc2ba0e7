"""The demo's HTML report: one self-contained file, figures embedded as PNG data."""

from __future__ import annotations

import base64
import html
import io
import os

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; }
.summary { background: #f5f7fa; padding: 0.5em 0.8em; border-left: 3px solid #4a7; }
"""


def figure_png(fig, dpi=90):
    """A matplotlib figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _table_html(table):
    if table is None:
        return ""
    return table.to_html(float_format=lambda v: f"{v:.4g}", na_rep="–", border=0)


def write_report(sections, overview, out_dir, title, footer):
    """Write ``index.html`` (and each figure as a PNG) into ``out_dir``; returns the
    path of the HTML file."""
    os.makedirs(out_dir, exist_ok=True)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             "<h2>Overview</h2>", _table_html(overview)]
    n_fig = 0
    for i, sec in enumerate(sections, start=1):
        parts.append(f"<h2>{i}. {html.escape(sec.title)}</h2>")
        parts.append(_table_html(sec.table))
        if sec.summary:
            parts.append(f"<p class='summary'>{html.escape(sec.summary)}</p>")
        for caption, fig in sec.figures:
            n_fig += 1
            png = figure_png(fig)
            with open(os.path.join(out_dir, f"figure_{n_fig:02d}.png"), "wb") as f:
                f.write(png)
            data = base64.b64encode(png).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(caption)}' "
                         f"src='data:image/png;base64,{data}'>"
                         f"<figcaption>Figure {n_fig}. {html.escape(caption)}</figcaption>"
                         "</figure>")
    parts.append(f"<p><small>{html.escape(footer)}</small></p></body></html>")
    path = os.path.join(out_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    return path
