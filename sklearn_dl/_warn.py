"""Warnings that point at the user's line.

A fixed ``stacklevel`` is right for one call path only: ``fit`` reaches the training
checks through the "auto" body's candidate loop, a lambda and the atomic fit, and an
ensemble through its members.  :func:`warn` counts the frames up to the first one
outside this package instead, so the warning names the line that called sklearn_dl
(and ``warnings.filterwarnings(module=...)`` matches the caller's module).
"""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# scikit-learn's set_output wraps every transformer's ``transform``: its frame sits
# between the user's line and ours and is passed over like the package's own
_WRAPPERS = (os.path.join("sklearn", "utils", "_set_output.py"),)


def _inside(filename):
    path = os.path.abspath(filename)
    return path.startswith(_PACKAGE_DIR) or path.endswith(_WRAPPERS)


def external_stacklevel():
    """The ``stacklevel`` of the first frame outside sklearn_dl (and outside
    scikit-learn's ``set_output`` wrapper of ``transform``), for a ``warnings.warn``
    called by the caller of this function.

    Returns
    -------
    stacklevel : int
    """
    level = 1  # the caller's own frame, as warnings.warn counts
    frame = sys._getframe(1)
    while frame is not None and _inside(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    return level


def warn(message, category=UserWarning):
    """``warnings.warn(message, category)`` attributed to the user's line.

    Parameters
    ----------
    message : str
    category : type of Warning, default=UserWarning

    Examples
    --------
    >>> import warnings
    >>> from sklearn_dl._warn import warn
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn("look here")
    >>> caught[0].filename.endswith("_warn.py")  # called from outside the package
    False
    """
    warnings.warn(message, category, stacklevel=external_stacklevel())
