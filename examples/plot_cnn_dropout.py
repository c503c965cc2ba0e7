"""Dropout against overfitting: training vs validation loss of a CNN.

With few training images a CNN soon fits them almost perfectly: the training loss goes
to zero while the validation loss turns up again (overfitting).  Dropout (``dropout=``:
random units of the dense layers are set to zero in every training step, never at
predict time) makes the training loss noisier and higher but keeps the validation loss
lower for longer, so the gap between the curves shrinks and the test accuracy rises.

Data: 1,000 training and 200 validation images of MNIST and 2,000 test images, from
``sklearn_dl.datasets.load_course_images`` (MNIST in the data home, ``$SKLEARN_DL_DATA``;
with only its test set there, as in the project's development data, the first 1,200 of
those train and the last 2,000 test), else scikit-learn's 8x8 digits (half to train).
The first line printed says which.

Run: ``.venv/bin/python examples/plot_cnn_dropout.py`` from the repository root;
2.6 minutes measured with the MNIST test set (``SKLEARN_DL_DATA=../shared/data``) on a
busy 2-core machine, 1 torch thread, 16 s with the digits.  The figure goes to
``examples/output/cnn_dropout.png``.
"""

import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_dl import CNNClassifier  # noqa: E402
from sklearn_dl.datasets import load_course_images  # noqa: E402
from sklearn_dl.plotting import plot_loss_curves  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "output")


# MNIST from the data home if it is there, else scikit-learn's digits (nothing is
# downloaded); data.description says which.
data = load_course_images("mnist", n_train=1200, n_test=2000,
                          fallback_test_size=0.5)
X_train, X_test, y_train, y_test = data.X_train, data.X_test, data.y_train, data.y_test
data_name = data.name if data.source == "fallback" else "MNIST, 1,000 training images"

models = {
    "no dropout": CNNClassifier(architecture="small", filters=(16, 32),
                                dense_units=(128,), dropout=0.0, max_epochs=40,
                                validation_fraction=1 / 6, random_state=0),
    "dropout=0.5": CNNClassifier(architecture="small", filters=(16, 32),
                                 dense_units=(128,), dropout=0.5, max_epochs=40,
                                 validation_fraction=1 / 6, random_state=0),
}
print(f"data: {data.description}")
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
