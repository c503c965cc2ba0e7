"""Shared helpers of the benchmark scripts: data location, machine info, result files.

Not part of the package; the scripts import it as a sibling module.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# Use the package of this checkout even when it is not pip-installed in the venv.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
RESULTS_DIR = BENCH_DIR / "results"

from sklearn_dl.datasets import get_data_home  # noqa: E402  (after the sys.path line)

# The data home of sklearn_dl.datasets: $SKLEARN_DL_DATA, else ~/sklearn_dl_data.  On the
# development machines: SKLEARN_DL_DATA=../shared/data (relative to the repository root).
DATA = get_data_home()


def skip(message):
    """Exit cleanly (status 0) with a SKIP line, e.g. when the data are absent."""
    print(f"SKIP: {message}")
    sys.exit(0)


def require_data(*relative, loader):
    """Exit cleanly (status 0, message) when a file of the data home is absent.

    ``loader`` names the sklearn_dl.datasets function that can download it.
    """
    missing = [str(DATA / r) for r in relative if not (DATA / r).exists()]
    if missing:
        skip(f"benchmark data not found: {', '.join(missing)}. Set SKLEARN_DL_DATA to the "
             f"data folder holding them (the development copy: SKLEARN_DL_DATA="
             f"../shared/data), or fetch them once with sklearn_dl.datasets.{loader}"
             "(download=True). Benchmarks never download.")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info():
    """Date, CPU, core count and library versions, for the results files."""
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        info["loadavg_at_start"] = os.getloadavg()
    except OSError:
        pass
    for mod in ("torch", "sklearn", "skorch", "numpy", "scipy", "sklearn_dl"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - informational only
            info[mod] = None
    try:
        info["git_commit"] = subprocess.run(
            ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(BENCH_DIR), "status", "--porcelain",
                                "--", "../sklearn_dl"], capture_output=True, text=True)
        info["package_dirty"] = bool(dirty.stdout.strip())
    except Exception:  # noqa: BLE001
        info["git_commit"] = None
    return info


def write_json(name, payload):
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / name
    with open(path, "w") as f:
        json.dump(payload, f, indent=1, default=_jsonable)
    try:
        shown = path.relative_to(BENCH_DIR.parent)
    except ValueError:  # an absolute path elsewhere
        shown = path
    print(f"wrote {shown}")
    return path


def _jsonable(o):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:
        pass
    return str(o)


def mean_se(values):
    """Mean and standard error (ddof=1; 0 for a single value) of ``values``."""
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.0
    return float(values.mean()), float(se)


def md_table(header, rows):
    """A GitHub markdown table from a header list and rows of already formatted cells."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
