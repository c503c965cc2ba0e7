"""Fully connected network vs CNN on original and pixel-shuffled images.

The course's experiment on what convolutions assume: neighbouring pixels belong
together.  We shuffle the pixels of every image with one fixed permutation.  A fully
connected network (fcNN) sees a vector of pixels whose order means nothing to it, so
shuffling changes nothing but the order of its inputs, and its accuracy stays the same
(up to the random initialisation).  A CNN's small kernels and pooling rely on the
spatial neighbourhood; after shuffling there is none, and the CNN loses its advantage.

Data: 8,000 MNIST images to train and 2,000 to test, from
``sklearn_dl.datasets.load_course_images`` (MNIST in the data home, ``$SKLEARN_DL_DATA``;
with only its 10,000-image test set there, as in the project's development data, the
first 8,000 train and the last 2,000 test), else scikit-learn's 1,797 8x8 digits
(75% / 25%).  The first line printed says which.

Run: ``.venv/bin/python examples/plot_cnn_shuffled_pixels.py`` from the repository root;
1.4 minutes measured with the MNIST test set (``SKLEARN_DL_DATA=../shared/data``) on a
busy 2-core machine, 1 torch thread, 21 s with the digits.  The figure goes to
``examples/output/cnn_shuffled_pixels.png``.
"""

import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_dl import CNNClassifier, NNClassifier  # noqa: E402
from sklearn_dl.datasets import load_course_images  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "output")


# MNIST from the data home if it is there, else scikit-learn's digits (nothing is
# downloaded); data.description says which.
data = load_course_images("mnist", n_train=8000, n_test=2000,
                          fallback_test_size=0.25)
X_train, X_test, y_train, y_test = data.X_train, data.X_test, data.y_train, data.y_test
data_name = data.name if data.source == "fallback" else "MNIST, 8,000 training images"
_, h, w = X_train.shape
mnist = h == 28

# One permutation of the pixel positions, the same for every image.
perm = np.random.RandomState(0).permutation(h * w)


def shuffle_pixels(X):
    return X.reshape(len(X), -1)[:, perm].reshape(X.shape)


datasets = {"original": (X_train, X_test),
            "pixels shuffled": (shuffle_pixels(X_train), shuffle_pixels(X_test))}


def make_models():
    return {
        # a flat vector of pixels in, standardised per pixel
        "fcNN (MLP 256-128)": NNClassifier(hidden_layer_sizes=(256, 128),
                                           max_epochs=15 if mnist else 60, lr=1e-3,
                                           random_state=0),
        # two 3x3 convolutions, 2x2 max pooling, a dense layer
        "CNN (conv 16-32, pool)": CNNClassifier(architecture="small", filters=(16, 32),
                                               dense_units=(64,),
                                               max_epochs=8 if mnist else 60, lr=1e-3,
                                               random_state=0),
    }


accuracy = {}
print(f"data: {data.description} ({h}x{w} images)")
for data, (Xtr, Xte) in datasets.items():
    for model_name, model in make_models().items():
        start = time.perf_counter()
        if model_name.startswith("fcNN"):  # the MLP takes flat pixel vectors
            Xtr_in, Xte_in = Xtr.reshape(len(Xtr), -1), Xte.reshape(len(Xte), -1)
        else:  # the CNN takes the images
            Xtr_in, Xte_in = Xtr, Xte
        model.fit(Xtr_in, y_train)
        accuracy[model_name, data] = model.score(Xte_in, y_test)
        print(f"{model_name:24s} {data:16s} test accuracy {accuracy[model_name, data]:.4f}"
              f"  ({time.perf_counter() - start:.0f} s)")

fig = plt.figure(figsize=(11, 4.2))
grid = fig.add_gridspec(2, 5, width_ratios=[1, 1, 1, 0.2, 5])
for row, (data, (Xtr, _)) in enumerate(datasets.items()):
    for col in range(3):
        ax = fig.add_subplot(grid[row, col])
        ax.imshow(Xtr[col], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        if col == 0:
            ax.set_ylabel(data, fontsize=9)
ax = fig.add_subplot(grid[:, 4])
models = list(make_models())
x = np.arange(len(models))
for i, data in enumerate(datasets):
    acc = [accuracy[m, data] for m in models]
    bars = ax.bar(x + (i - 0.5) * 0.38, acc, width=0.38, label=data)
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
ax.set_xticks(x, models)
low = min(accuracy.values())
ax.set_ylim(max(0.0, low - 0.1), 1.0)
ax.set_ylabel("test accuracy")
ax.set_title(f"Shuffling pixels hurts the CNN, not the fcNN\n{data_name}", fontsize=10)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
fig.tight_layout()
os.makedirs(OUT, exist_ok=True)
path = os.path.join(OUT, "cnn_shuffled_pixels.png")
fig.savefig(path, dpi=100)
print("figure:", path)
