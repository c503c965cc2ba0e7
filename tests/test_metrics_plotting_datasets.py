"""Datasets and the demo command (metric and plot tests: test_metrics_*.py,
test_plotting.py, test_evaluate.py)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sklearn_dl.cli import main  # noqa: E402
from sklearn_dl.datasets import load_banknote, make_counts, make_heteroscedastic  # noqa: E402


def test_load_banknote():
    bunch = load_banknote()
    assert bunch.data.shape == (1372, 4)
    assert np.bincount(bunch.target).tolist() == [762, 610]
    assert "Lohweg" in bunch.DESCR
    X, y = load_banknote(return_X_y=True, as_frame=True)
    assert list(X.columns) == ["WaveletVariance", "WaveletSkewness", "WaveletCurtosis",
                               "Entropy"]


def test_generators_are_seeded():
    a = make_heteroscedastic(50, random_state=0)
    b = make_heteroscedastic(50, random_state=0)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    X, y, mu = make_counts(50, random_state=0)
    assert X.shape == (50, 3) and y.dtype.kind == "i" and np.all(mu > 0)
    with pytest.raises(ValueError, match="n_features"):
        make_counts(10, n_features=2)


def test_demo_command(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Banknote" in out and "PoissonNLLRegressor" in out
    assert (tmp_path / "demo_heteroscedastic.png").exists()
