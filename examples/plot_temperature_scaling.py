"""
Temperature scaling: recalibrating a network's probabilities after training
===========================================================================

A network trained long on few images fits them almost perfectly and becomes
overconfident: its top-class probabilities are higher than its accuracy.  Temperature
scaling divides the logits by one number ``T`` fitted by log loss on held-out
*calibration* data, ``softmax(z / T)``; it changes no prediction (the arg-max stays),
only how sure the model says it is.  scikit-learn (>= 1.8) has it as
``CalibratedClassifierCV(method="temperature")``; wrapped around an already fitted
model with ``FrozenEstimator``, it works on ``NNClassifier`` (flattened pixels) and on
``CNNClassifier`` (images as they are).

Data: images of the MNIST test set in the data home (:func:`sklearn_dl.datasets.load_mnist`:
2,000 for training, 1,000 for calibration, 2,000 for testing); without it,
scikit-learn's 8x8 digits (:func:`sklearn_dl.datasets.load_digits_images`).

The run prints, for each network before and after scaling, the fitted temperature, the
test accuracy, log loss and expected calibration error (10 uniform bins, top label);
the reliability diagrams go to ``examples/output/temperature_scaling.png``.

Run: ``SKLEARN_DL_DATA=../shared/data python examples/plot_temperature_scaling.py`` from
the repository root (1 minute measured with MNIST on a busy 2-core machine, 1 torch
thread).  ``SKLEARN_DL_EXAMPLE_QUICK=1`` runs a short version.
"""

# %%
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_dl import CNNClassifier, NNClassifier, evaluate  # noqa: E402
from sklearn_dl.datasets import load_digits_images, load_mnist  # noqa: E402
from sklearn_dl.plotting import plot_reliability_diagram  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
# small networks: more threads only wait on a busy machine
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = os.path.join(os.path.dirname(__file__), "output")
os.makedirs(OUT, exist_ok=True)


def load_images():
    """(train, calibration, test) image/label splits and the data's name."""
    try:
        X, y = load_mnist(kind="test")
        return (X[:2000], y[:2000]), (X[2000:3000], y[2000:3000]), \
            (X[5000:7000], y[5000:7000]), "MNIST"
    except FileNotFoundError:
        X, y = load_digits_images(return_X_y=True)
        X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.4, stratify=y,
                                                        random_state=0)
        X_train, X_cal, y_train, y_cal = train_test_split(
            X_fit, y_fit, test_size=1 / 3, stratify=y_fit, random_state=0)
        return (X_train, y_train), (X_cal, y_cal), (X_test, y_test), "digits 8x8"


(X_train, y_train), (X_cal, y_cal), (X_test, y_test), data_name = load_images()
flat = {name: X.reshape(len(X), -1) / 255.0 if data_name == "MNIST" else
        X.reshape(len(X), -1) for name, X in
        {"train": X_train, "cal": X_cal, "test": X_test}.items()}
print(f"{data_name}: {len(X_train)} train, {len(X_cal)} calibration, {len(X_test)} test")

# %%
# Two networks trained for a fixed number of epochs, without early stopping, so that
# they overfit the small training set.
networks = {
    "NNClassifier": (NNClassifier(hidden_layer_sizes=(256,), lr=1e-3,
                                  max_epochs=5 if QUICK else 60,
                                  random_state=0), flat["train"], flat["cal"],
                     flat["test"]),
    "CNNClassifier": (CNNClassifier(architecture="small", filters=(16, 32),
                                    dense_units=(128,), max_epochs=2 if QUICK else 20,
                                    random_state=0),
                      X_train, X_cal, X_test),
}

rows = []
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
for ax, (name, (net, Xtr, Xcal, Xte)) in zip(axes, networks.items()):
    net.fit(Xtr, y_train)
    scaled = CalibratedClassifierCV(FrozenEstimator(net), method="temperature")
    scaled.fit(Xcal, y_cal)  # only T is fitted, on the calibration images
    beta = scaled.calibrated_classifiers_[0].calibrators[0].beta_  # 1 / T
    report = evaluate({"before": net, "after": scaled}, Xte, y_test).scores
    for when in ("before", "after"):
        rows.append({"network": name, "temperature": "1 (as trained)" if when == "before"
                     else f"{1 / beta:.2f} (fitted)",
                     "accuracy": report.loc["accuracy", when],
                     "log loss": report.loc["log loss (NLL)", when],
                     "ECE": report.loc["ECE", when]})
    same = np.array_equal(net.predict(Xte), scaled.predict(Xte))
    print(f"{name}: predictions unchanged by scaling: {same}")
    plot_reliability_diagram(y_test, net.predict_proba(Xte), name="as trained", ax=ax,
                             labels=net.classes_)
    plot_reliability_diagram(y_test, scaled.predict_proba(Xte), name="temperature-scaled",
                             ax=ax, labels=scaled.classes_)
    ax.set_title(f"{name} on {data_name}, test set")
print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
fig.tight_layout()
fig.savefig(os.path.join(OUT, "temperature_scaling.png"), dpi=100)
print("figure:", os.path.join(OUT, "temperature_scaling.png"))
plt.show()
