"""One way to draw a progress bar (tqdm) for every part of the package.

A bar goes to stderr.  In a terminal it refreshes ten times a second and resizes with
the window; in a log or a pipe it is plain ASCII, refreshed at most every few seconds,
so the file holds a few readable lines rather than colour codes and carriage-return
noise.  In a notebook ``tqdm.auto`` draws a widget.
"""

from __future__ import annotations

import sys


def isatty(stream):
    """Whether ``stream`` is a terminal (False for anything without a working isatty)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False


def progress_bar(total, desc, unit, disable=False, initial=0):
    """A tqdm bar on stderr over ``total`` steps of ``unit`` (see the module)."""
    from tqdm.auto import tqdm

    stream = sys.stderr
    tty = isatty(stream)
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=stream,
                leave=True, dynamic_ncols=tty, mininterval=0.1 if tty else 5.0,
                ascii=not tty, disable=disable)
