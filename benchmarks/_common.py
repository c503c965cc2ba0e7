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

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# Use the package of this checkout even when it is not pip-installed in the venv.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
RESULTS_DIR = BENCH_DIR / "results"
SHARED = Path(os.environ.get("SKLEARN_DL_SHARED", "/work/shared"))
DATA = SHARED / "data"


def require_shared(*relative):
    """Exit cleanly (status 0, message) when the shared data folder or a file is absent."""
    missing = [DATA / r for r in relative if not (DATA / r).exists()]
    if not DATA.exists() or missing:
        what = ", ".join(str(m) for m in missing) or str(DATA)
        print(f"SKIP: benchmark data not available ({what}); this benchmark needs the "
              "project's shared data folder (set SKLEARN_DL_SHARED to its location).")
        sys.exit(0)


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


def md_table(header, rows):
    """A GitHub markdown table from a header list and rows of already formatted cells."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)
