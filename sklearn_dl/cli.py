"""Command line: ``sklearn-dl demo`` runs the demo on data shipped with the package."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv=None):
    """Entry point of the ``sklearn-dl`` command.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="sklearn-dl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo on data shipped with the package")
    demo.add_argument("--out", default="demo_output",
                      help="folder of the HTML report ('' for none; default: %(default)s)")
    demo.add_argument("--quick", action="store_true",
                      help="smaller data and fewer epochs (under a minute)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "demo":
        import numpy as np
        import torch

        # one torch thread per core the process may use: on 2 shared cores more threads
        # than cores make small networks many times slower
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1) - 1))
        np.set_printoptions(precision=3)
        from .demo import run_demo

        run_demo(args.out or None, quick=args.quick, progress=not args.no_progress)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
