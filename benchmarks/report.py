"""Render the markdown tables of RESULTS.md from the JSON files in benchmarks/results/.

Usage::

    .venv/bin/python benchmarks/report.py            # all tables found
    .venv/bin/python benchmarks/report.py overhead   # one section
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS_DIR, md_table  # noqa: E402


def load(name):
    path = RESULTS_DIR / name
    return json.loads(path.read_text()) if path.exists() else None


def machine_line(m):
    return (f"{m['date']}, {m['nproc']} cores ({m['cpu']}), Python {m['python']}, "
            f"torch {m['torch']}, scikit-learn {m['sklearn']}, skorch {m['skorch']}, "
            f"numpy {m['numpy']}, package at git {m.get('git_commit')}"
            f"{' + uncommitted changes' if m.get('package_dirty') else ''}; "
            f"load average at start {', '.join(f'{x:.1f}' for x in m['loadavg_at_start'])}")


def paired(res, k, base="plain"):
    """Median over repetitions of the within-repetition CPU-time ratio."""
    import statistics

    return statistics.median(c / b for c, b in zip(res[k]["all_cpu_s"],
                                                   res[base]["all_cpu_s"]))


def overhead():
    for name in ("overhead_before_fix_deee082.json", "overhead.json"):
        _overhead(name)


def _overhead(name):
    d = load(name)
    if d is None:
        return
    print(f"## {name}\n")
    print(machine_line(d["machine"]), "\n")
    a = d["args"]
    for task, res in d["tasks"].items():
        print(f"### {task}: fit, {a['n']} x {a['d']}, MLP {tuple(a['hidden'])}, "
              f"{a['epochs']} epochs, batch {a['batch_size']}, {a['reps']} reps\n")
        rows = [[k, f"{s['median_cpu_s']:.2f}", f"{s['min_cpu_s']:.2f}",
                 f"**{s['ratio_median_cpu_s']:.2f}x**", f"{s['ratio_min_cpu_s']:.2f}x",
                 f"{paired(res['fit'], k):.2f}x",
                 f"{s['median_s']:.2f}", f"{s['ratio_median_s']:.2f}x",
                 f"{s['final_train_loss']:.4f}"] for k, s in res["fit"].items()]
        print(md_table(["contender", "CPU s (median)", "CPU s (min)",
                        "ratio CPU median", "ratio CPU min", "paired ratio CPU",
                        "wall s (median)", "ratio wall median", "final train loss"],
                       rows), "\n")
        print(f"### {task}: predict, {a['predict_n']} rows, {a['predict_reps']} reps\n")
        rows = [[k, f"{s['median_cpu_s'] * 1e3:.1f}", f"{s['min_cpu_s'] * 1e3:.1f}",
                 f"{s['median_s'] * 1e3:.1f}", f"{s['ratio_median_cpu_s']:.2f}x"]
                for k, s in res["predict"].items()]
        print(md_table(["predict", "CPU ms (median)", "CPU ms (min)", "wall ms (median)",
                        "ratio CPU median vs plain"], rows), "\n")


def fixes():
    for name in ("overhead_fixes.json", "overhead_fixes_linear.json",
                 "overhead_fused_after_fix.json"):
        d = load(name)
        if d is None:
            continue
        a = d["args"]
        print(f"## {name}: d={a.get('d', 20)}, hidden={tuple(a.get('hidden', (64, 64)))}, "
              f"{a['reps']} reps\n")
        print(machine_line(d["machine"]), "\n")
        steps = a["epochs"] * -(-a["n"] // 128)
        for task, summ in d["tasks"].items():
            print(f"### {task}\n")
            base = summ["plain"]["median_cpu_s"]
            rows = [[k, f"{s['median_cpu_s']:.2f}", f"{s['ratio_median_cpu_s']:.3f}x",
                     f"{s['ratio_min_cpu_s']:.3f}x", f"{paired(summ, k):.3f}x",
                     f"{(s['median_cpu_s'] - base) / steps * 1e6:+.0f}",
                     f"{s['final_train_loss']:.5f}"] for k, s in summ.items()]
            print(md_table(["variant", "CPU s (median)", "ratio CPU median",
                            "ratio CPU min", "paired ratio CPU",
                            "µs/step vs plain (CPU median)", "final train loss"],
                           rows), "\n")


def uci():
    for name in ("uci.json", "uci_ngboost2000.json"):
        _uci(name)


def _uci(name):
    d = load(name)
    if d is None:
        return
    print(f"## {name}\n")
    print(machine_line(d["machine"]), "\n")
    print(f"NGBoost environment: {d.get('ngboost_env')}; total {d['total_s'] / 60:.1f} min\n")
    for k, title in (("nll", "Test NLL"), ("rmse", "Test RMSE"), ("fit_s", "Fit time")):
        print(f"### {title}\n")
        print(d["tables"][k], "\n")


def poisson():
    d = load("poisson.json")
    if d is None:
        return
    print("## poisson\n")
    print(machine_line(d["machine"]), "\n")
    for how, t in d["tables"].items():
        r = d["results"][how]
        print(f"### {how} split (train {r['n_train']}, test {r['n_test']})\n")
        print(t, "\n")


SECTIONS = {"overhead": overhead, "fixes": fixes, "uci": uci, "poisson": poisson}

if __name__ == "__main__":
    for name in sys.argv[1:] or SECTIONS:
        SECTIONS[name]()
