"""Command line: ``sklearn-dl demo`` runs the main demo on data shipped with the package."""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from scipy import stats


def _demo_tabular(out_dir):
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import train_test_split

    from . import GaussianNLLRegressor, NNClassifier
    from .datasets import load_banknote, make_heteroscedastic
    from .metrics import interval_coverage, mean_nll

    print("1. Banknote authentication (1,372 notes, shipped with the package)")
    X, y = load_banknote(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    rows = []
    for name, est in [
        ("majority class", DummyClassifier()),
        ("sklearn LogisticRegression", LogisticRegression()),
        ("NNClassifier, no hidden layer", NNClassifier(hidden_layer_sizes=(), lr=0.05,
                                                       max_epochs=50, random_state=0)),
        ("NNClassifier, MLP (32, 32)", NNClassifier(hidden_layer_sizes=(32, 32), lr=0.01,
                                                    max_epochs=50, random_state=0)),
    ]:
        t = time.perf_counter()
        est.fit(Xtr, ytr)
        secs = time.perf_counter() - t
        rows.append((name, accuracy_score(yte, est.predict(Xte)),
                     log_loss(yte, est.predict_proba(Xte)), secs))
    print(f"   {'model':32s} {'accuracy':>8s} {'NLL':>7s} {'fit s':>6s}")
    for name, acc, nll, secs in rows:
        print(f"   {name:32s} {acc:8.3f} {nll:7.3f} {secs:6.2f}")

    print("\n2. Heteroscedastic regression (synthetic: noise grows with |x|)")
    X, y, _ = make_heteroscedastic(2000, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    print(f"   {'model':32s} {'test NLL':>8s} {'90% cover':>9s}")
    fitted = {}
    for name, het in [("constant sd", False), ("input-dependent sd", True)]:
        reg = GaussianNLLRegressor(hidden_layer_sizes=(32, 32), lr=0.01, max_epochs=100,
                                   early_stopping=True, heteroscedastic=het,
                                   random_state=0).fit(Xtr, ytr)
        fitted[name] = reg
        cover = interval_coverage(yte, reg.predict_interval(Xte, alpha=0.1))
        print(f"   GaussianNLL, {name:19s} {mean_nll(yte, reg.predict_dist(Xte)):8.3f} "
              f"{cover:9.3f}")

    print("\n3. Count regression (synthetic Poisson counts, non-linear log rate)")
    _demo_counts()

    print("\n4. Images: sklearn's 8x8 digits as images (CNN; pretrained features in a Pipeline)")
    _demo_images()

    if out_dir:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_loss_curves, plot_prediction_interval

        os.makedirs(out_dir, exist_ok=True)
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        reg = fitted["input-dependent sd"]
        plot_prediction_interval(reg, Xte, yte, alpha=0.1, ax=axes[0],
                                 title="GaussianNLLRegressor: mean and 90% interval")
        plot_loss_curves(reg, ax=axes[1], title="loss curves (early stopping)")
        fig.tight_layout()
        path = os.path.join(out_dir, "demo_heteroscedastic.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        print(f"\nFigure written to {path}")


def _demo_images():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from . import CNNClassifier, PretrainedFeatureTransformer
    from .datasets import load_digits_images

    X, y = load_digits_images(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    print(f"   {'model':44s} {'accuracy':>8s} {'fit s':>6s}")
    cnn = CNNClassifier(architecture="vgg", filters=(16, 32), max_epochs=10, lr=3e-3,
                        augment="light", random_state=0)
    t = time.perf_counter()
    cnn.fit(Xtr, ytr)
    print(f"   {'CNNClassifier (VGG-style, light augmentation)':44s} "
          f"{cnn.score(Xte, yte):8.3f} {time.perf_counter() - t:6.1f}")
    try:
        features = PretrainedFeatureTransformer("efficientnet_lite0", input_size=64)
        pipe = make_pipeline(features, LogisticRegression(max_iter=2000))
        t = time.perf_counter()
        pipe.fit(Xtr * 16, ytr)  # 0-16 digit intensities -> 0-255 pixels
        print(f"   {'pretrained features + LogisticRegression':44s} "
              f"{pipe.score(Xte * 16, yte):8.3f} {time.perf_counter() - t:6.1f}")
        print(f"   (weights: {features.weights_description_[:70]}...)")
    except ImportError as exc:  # the [pretrained] extra is not installed
        print(f"   pretrained features skipped: {exc}")


def _demo_counts():
    from sklearn.linear_model import PoissonRegressor
    from sklearn.metrics import mean_poisson_deviance
    from sklearn.model_selection import train_test_split

    from . import PoissonNLLRegressor
    from .datasets import make_counts

    X, y, _ = make_counts(3000, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    glm = PoissonRegressor().fit(Xtr, ytr)
    nn = PoissonNLLRegressor(hidden_layer_sizes=(32, 32), lr=0.01, max_epochs=100,
                             early_stopping=True, random_state=0).fit(Xtr, ytr)
    print(f"   {'model':32s} {'deviance':>8s} {'NLL':>7s}")
    for name, est in [("sklearn PoissonRegressor (GLM)", glm),
                      ("PoissonNLLRegressor, MLP", nn)]:
        mu = est.predict(Xte)
        nll = -np.mean(stats.poisson(mu).logpmf(yte))
        print(f"   {name:32s} {mean_poisson_deviance(yte, mu):8.3f} {nll:7.3f}")


def main(argv=None):
    """Entry point of the ``sklearn-dl`` command."""
    parser = argparse.ArgumentParser(prog="sklearn-dl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo on data shipped with the package")
    demo.add_argument("--out", default="demo_output",
                      help="folder for figures ('' for none; default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        import torch

        torch.set_num_threads(min(2, os.cpu_count() or 1))
        np.set_printoptions(precision=3)
        _demo_tabular(args.out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
