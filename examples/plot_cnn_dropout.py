"""Dropout against overfitting: training vs validation loss of a CNN.

With few training images a CNN soon fits them almost perfectly: the training loss goes
to zero while the validation loss turns up again (overfitting).  Dropout (``dropout=``:
random units of the dense layers are set to zero in every training step, never at
predict time) makes the training loss noisier and higher but keeps the validation loss
lower for longer, so the gap between the curves shrinks and the test accuracy rises.

Data: 1,000 training and 200 validation images of the MNIST test set (read from
``SKLEARN_DL_MNIST`` or ``/work/shared/data/mnist`` when present) and 2,000 test images;
else scikit-learn's 8x8 digits.

Run: ``.venv/bin/python examples/plot_cnn_dropout.py`` (2.6 minutes measured with MNIST
on a busy 2-core machine, 1 torch thread; 16 s with the digits); the figure goes to
``examples/output/cnn_dropout.png``.
"""

import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_dl import CNNClassifier  # noqa: E402
from sklearn_dl.datasets import load_digits_images, load_mnist  # noqa: E402
from sklearn_dl.plotting import plot_loss_curves  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "output")
MNIST_DIR = os.environ.get("SKLEARN_DL_MNIST", "/work/shared/data/mnist")


def load_images():
    """(X_train, X_test, y_train, y_test, name): MNIST test set if present, else digits."""
    try:
        X, y = load_mnist(MNIST_DIR, kind="test")
        return X[:1200], X[8000:], y[:1200], y[8000:], "MNIST, 1,000 training images"
    except FileNotFoundError:
        X, y = load_digits_images(return_X_y=True)
        return (*train_test_split(X, y, test_size=0.5, stratify=y, random_state=0),
                "sklearn digits 8x8")


X_train, X_test, y_train, y_test, data_name = load_images()

models = {
    "no dropout": CNNClassifier(architecture="small", filters=(16, 32),
                                dense_units=(128,), dropout=0.0, max_epochs=40,
                                validation_fraction=1 / 6, random_state=0),
    "dropout=0.5": CNNClassifier(architecture="small", filters=(16, 32),
                                 dense_units=(128,), dropout=0.5, max_epochs=40,
                                 validation_fraction=1 / 6, random_state=0),
}
print(f"data: {data_name}")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    valid = np.array([row["valid_loss"] for row in model.history_])
    train = np.array([row["train_loss"] for row in model.history_])
    acc = model.score(X_test, y_test)
    print(f"{name:12s} test accuracy {acc:.4f}; validation loss best {valid.min():.3f} "
          f"(epoch {model.best_epoch_}), last {valid[-1]:.3f}; last training loss "
          f"{train[-1]:.4f}  ({time.perf_counter() - start:.0f} s)")
    plot_loss_curves(model, ax=ax, title=f"{name}: test accuracy {acc:.3f}")
    ax.set_yscale("log")
axes[0].set_ylabel("loss (NLL per sample, log scale)")
fig.suptitle(f"Training vs validation loss with and without dropout ({data_name}); "
             "dashed: epoch of lowest validation loss", fontsize=10)
fig.tight_layout()
os.makedirs(OUT, exist_ok=True)
path = os.path.join(OUT, "cnn_dropout.png")
fig.savefig(path, dpi=100)
print("figure:", path)
