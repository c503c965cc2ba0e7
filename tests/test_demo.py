"""The README's main command: ``sklearn-dl demo`` (quick run in the default suite, the
HTML report rendered in headless Chromium in a slow test)."""

import os
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from sklearn_dl.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    import io

    from sklearn_dl.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    result = run_demo(str(out), quick=True, progress=False, stream=io.StringIO())
    return result, out


def test_cli_parses_the_demo_command(monkeypatch):
    calls = []
    monkeypatch.setattr("sklearn_dl.demo.run_demo", lambda *a, **k: calls.append((a, k)))
    import numpy as np

    with np.printoptions():  # the command sets numpy's print precision for its tables
        status = main(["demo", "--quick", "--no-progress", "--out", "somewhere"])
    assert status == 0 and calls == [(("somewhere",), {"quick": True, "progress": False})]
    with pytest.raises(SystemExit):
        main(["demo", "--no-such-option"])


def test_demo_quick_tells_a_true_story(quick_demo):
    """The quick demo's headline figures: each model beats its section's baseline."""
    result, _ = quick_demo
    tables = {s.title.split(":")[0]: s.table for s in result["sections"]}
    cls = tables["Tabular classification"]
    assert cls.loc["NNClassifier (defaults)", "accuracy"] >= 0.98
    assert cls.loc["majority class (baseline)", "accuracy"] < 0.6
    images = tables["Images"]
    assert images.loc["CNNClassifier (VGG-style, light augmentation)", "accuracy"] >= 0.95
    ens = [s for s in result["sections"] if s.title.startswith("Uncertainty")][0]
    # the members disagree more beyond the training data than where they saw it
    assert list(ens.headline.values())[0] > 1.5


def test_demo_quick_runs_and_writes_the_report(quick_demo, capsys):
    result, out = quick_demo
    assert result["report"] is not None
    html = (out / "index.html").read_text()
    for title in ("banknote", "Heteroscedastic", "Counts", "CNN", "ensemble"):
        assert title.lower() in html.lower()
    assert html.count("<img") >= 6 and "data:image/png;base64," in html
    assert len(list(out.glob("figure_*.png"))) == html.count("<img")


@pytest.mark.slow
def test_report_renders_in_headless_chromium(quick_demo, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium package is not installed")
    _, out = quick_demo
    shot = tmp_path / "page.png"
    dump = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
         "--dump-dom", (out / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert "Figure 1." in dump.stdout and "sklearn_dl demo" in dump.stdout
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile2'}",
         f"--screenshot={shot}", "--window-size=1200,3000", (out / "index.html").as_uri()],
        capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000  # a page with pictures
    # the embedded images decode: chromium reports their natural sizes in the DOM dump
    assert dump.stdout.count("<img") >= 6
    assert os.path.getsize(out / "index.html") > 50_000
