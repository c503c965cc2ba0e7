"""The README's main command: ``sklearn-dl demo``."""

import matplotlib

matplotlib.use("Agg")

from sklearn_dl.cli import main  # noqa: E402


def test_demo_command(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Banknote" in out and "PoissonNLLRegressor" in out
    assert (tmp_path / "demo_heteroscedastic.png").exists()
