"""Run every benchmark in sequence with its default settings (about 45 minutes on 2 cores).

Usage, from the repository root (``SKLEARN_DL_DATA=../shared/data`` where the project's
development data are used)::

    SKLEARN_DL_DATA=../shared/data .venv/bin/python benchmarks/run_all.py   # all
    .venv/bin/python benchmarks/run_all.py overhead uci                     # a selection

Each script prints its tables and writes raw results to ``benchmarks/results/``;
``benchmarks/RESULTS.md`` is written by hand from those outputs.  The data-dependent
benchmarks read the data home of ``sklearn_dl.datasets`` (``$SKLEARN_DL_DATA``) and exit
cleanly with a message when their files are absent; bench_uci leaves NGBoost out unless
``$SKLEARN_DL_NGBOOST_PYTHON`` names the python of a separate virtual environment with
ngboost.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "overhead": ["bench_overhead.py"],
    "fixes": ["overhead_fixes.py"],
    "uci": ["bench_uci.py"],
    "poisson": ["bench_poisson.py"],
}


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or list(SCRIPTS)
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; choose from {list(SCRIPTS)}")
    times = {}
    for name in names:
        cmd = [sys.executable, str(HERE / SCRIPTS[name][0]), *SCRIPTS[name][1:]]
        print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        times[name] = time.perf_counter() - t0
        if rc != 0:
            print(f"=== {name} failed with exit code {rc}")
    print("\n" + "\n".join(f"{k}: {v / 60:.1f} min" for k, v in times.items()))


if __name__ == "__main__":
    main()
