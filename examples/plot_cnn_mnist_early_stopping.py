"""
A CNN on MNIST digits with early stopping: loss curves and its mistakes
=======================================================================

``early_stopping=True`` holds out ``validation_fraction`` (10%) of the training images,
stops when the validation loss has not improved for ``patience`` epochs and restores
the weights of the best epoch, which ``plot_loss_curves`` marks with a dashed line.
The network is the classic Keras MNIST CNN, slimmed for a CPU: two 3x3 convolutions,
2x2 max pooling, dropout and a dense layer, with the default per-channel input
standardisation learned in ``fit``.

Data: 8,000 MNIST images to train and 2,000 to test, from
``sklearn_dl.datasets.load_course_images`` (MNIST in the data home, ``$SKLEARN_DL_DATA``;
with only its 10,000-image test set there, as in the project's development data, the
first 8,000 train and the last 2,000 test), else scikit-learn's 8x8 digits (75% / 25%).
The line ``data: ...`` says which.

Run: ``python examples/plot_cnn_mnist_early_stopping.py`` from the repository root;
1.8 minutes measured with the MNIST test set (``SKLEARN_DL_DATA=../shared/data``) on a
busy 2-core machine, 1 torch thread, 14 s with the digits.  The figure goes to
``examples/output/cnn_mnist_early_stopping.png``.  ``SKLEARN_DL_EXAMPLE_QUICK=1`` runs a
short version.
"""

# %%
# MNIST, and a CNN that stops when the validation loss stops improving
# --------------------------------------------------------------------
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402

from sklearn_dl import CNNClassifier  # noqa: E402
from sklearn_dl.datasets import load_course_images  # noqa: E402
from sklearn_dl.plotting import plot_loss_curves  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = os.path.join(os.path.dirname(__file__), "output")


# MNIST from the data home if it is there, else scikit-learn's digits (nothing is
# downloaded); data.description says which.
data = load_course_images("mnist", n_train=1000 if QUICK else 8000,
                          n_test=500 if QUICK else 2000,
                          fallback_test_size=0.25)
X_train, X_test, y_train, y_test = data.X_train, data.X_test, data.y_train, data.y_test
data_name = data.name if data.source == "fallback" else "MNIST (8,000 training images)"
model = CNNClassifier(architecture="small", filters=(16, 32), dense_units=(128,),
                      dropout=0.25, max_epochs=3 if QUICK else 40, early_stopping=True,
                      patience=3,
                      random_state=0)
start = time.perf_counter()
model.fit(X_train, y_train)
minutes = (time.perf_counter() - start) / 60
pred = model.predict(X_test)
acc = np.mean(pred == y_test)
print(f"data: {data.description}")
print(f"ran {model.n_epochs_} epochs in {minutes:.1f} min; best epoch {model.best_epoch_} "
      f"(weights restored); test accuracy {acc:.4f}")
print("confusion matrix (rows: true digit, columns: predicted):")
print(confusion_matrix(y_test, pred))

# %%
# The loss curves and the test images the CNN gets most confidently wrong
# ------------------------------------------------------------------------
fig = plt.figure(figsize=(12, 4.5))
grid = fig.add_gridspec(3, 7, width_ratios=[5, 0.3, 1, 1, 1, 1, 1])
plot_loss_curves(model, ax=fig.add_subplot(grid[:, 0]),
                 title=f"CNN on {data_name}: test accuracy {acc:.4f}")
# The test images it gets most confidently wrong.
proba = model.predict_proba(X_test)
wrong = np.flatnonzero(pred != y_test)
worst = wrong[np.argsort(-proba[wrong].max(axis=1))][:15]
for k, i in enumerate(worst):
    ax = fig.add_subplot(grid[k // 5, 2 + k % 5])
    ax.imshow(X_test[i], cmap="gray_r")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{y_test[i]} as {pred[i]} ({proba[i].max():.2f})", fontsize=8)
fig.text(0.72, 0.97, "most confident mistakes: true as predicted (probability)",
         ha="center", va="top", fontsize=9)
fig.tight_layout(rect=(0, 0, 1, 0.93))
os.makedirs(OUT, exist_ok=True)
path = os.path.join(OUT, "cnn_mnist_early_stopping.png")
fig.savefig(path, dpi=100)
print("figure:", path)
plt.show()
