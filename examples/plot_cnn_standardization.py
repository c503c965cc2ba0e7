"""Effect of input standardisation: the learning rate a CNN needs.

``standardize=`` is an estimator parameter, applied inside the network (its first layer,
learned in ``fit`` and pickled with it):

* ``None``: raw pixel values (0-255 for MNIST),
* ``"scale"``: divided by 255 (pixels in 0-1, not centred),
* ``"channel"``: per-channel mean 0 and standard deviation 1 (the mean and sd are
  learned from the training images).

The size of the inputs sets the size of the first layer's activations and gradients,
so the learning rate that suits one input scale is far too large or far too small for
another.  We train the same CNN for three epochs over a grid of learning rates for
each option, with plain SGD (no momentum, no adaptive step size) and with Adam (the
package's default).  What to look for:

* with SGD the useful learning rates of raw pixels and of standardised pixels are
  about two decades apart (raw: around 1e-3; standardised: around 0.1 to 0.3); at
  the rates that suit standardised inputs raw pixels get stuck at chance level, at
  the rates that suit raw pixels standardised inputs barely move.  Standardising
  makes the usual default learning rates (and weight initialisations, which assume
  inputs of unit scale) apply, whatever the units of the data;
* the best accuracy reached in the budget differs much less than the learning rates
  do (raw and ``"channel"`` are close once each has its own learning rate), but
  centring matters: with SGD ``"scale"`` (0-1, mean about 0.13) stays well below
  ``"channel"``;
* Adam rescales every parameter's step by its gradient's size, so it is far less
  sensitive to the input scale than SGD (its good range of learning rates is similar
  for all three options).

Data: 2,000 training and 2,000 test images of MNIST, from
``sklearn_dl.datasets.load_course_images`` (MNIST in the data home, ``$SKLEARN_DL_DATA``;
with only its test set there, as in the project's development data, its first 2,000
train and its last 2,000 test), else scikit-learn's 8x8 digits (values 0-16; 75% /
25%).  The first line printed says which.

Run: ``.venv/bin/python examples/plot_cnn_standardization.py`` from the repository root;
2.1 minutes measured with the MNIST test set (``SKLEARN_DL_DATA=../shared/data``) on a
busy 2-core machine, 1 torch thread, 2 minutes with the digits.  The figure goes to
``examples/output/cnn_standardization.png``.
"""

import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_dl import CNNClassifier, DivergenceError  # noqa: E402
from sklearn_dl.datasets import load_course_images  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "output")


# MNIST from the data home if it is there, else scikit-learn's digits (nothing is
# downloaded); data.description says which.
data = load_course_images("mnist", n_train=2000, n_test=2000,
                          fallback_test_size=0.25)
X_train, X_test, y_train, y_test = data.X_train, data.X_test, data.y_train, data.y_test
data_name = data.name if data.source == "fallback" else "MNIST, 2,000 training images"
mnist = X_train.shape[1] == 28
learning_rates = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
optimizers = {"sgd": "plain SGD", "adam": "Adam"}
options = {None: "raw pixels (standardize=None)",
           "scale": "divided by 255 (standardize='scale')",
           "channel": "mean 0, sd 1 (standardize='channel')"}
if not mnist:  # digits are 0-16, so dividing by 255 is no standardisation
    options.pop("scale")

results = {}
print(f"data: {data.description}; batch size 32, {3 if mnist else 20} epochs per fit")
for optimizer in optimizers:
    for option in options:
        for lr in learning_rates:
            model = CNNClassifier(architecture="small", filters=(8, 16), dense_units=(32,),
                                  standardize=option, optimizer=optimizer, lr=lr,
                                  batch_size=32, max_epochs=3 if mnist else 20,
                                  random_state=0)
            start = time.perf_counter()
            try:
                acc = model.fit(X_train, y_train).score(X_test, y_test)
            except DivergenceError:
                acc = np.nan  # the loss became NaN / infinite
            results[optimizer, option, lr] = acc
            print(f"{optimizer:4s} standardize={option!s:8s} lr={lr:<7g} "
                  f"{'diverged' if np.isnan(acc) else f'test accuracy {acc:.4f}'}"
                  f"  ({time.perf_counter() - start:.0f} s)")

fig, axes = plt.subplots(1, 2, figsize=(12, 5.2), sharey=True)
for ax, (optimizer, title) in zip(axes, optimizers.items()):
    for i, (option, label) in enumerate(options.items()):
        acc = np.array([results[optimizer, option, lr] for lr in learning_rates])
        best = np.nanargmax(acc)
        ax.plot(learning_rates, acc, "o-", color=f"C{i}",
                label=f"{label}: best {acc[best]:.3f} at lr={learning_rates[best]:g}")
        diverged = np.isnan(acc)
        ax.plot(np.array(learning_rates)[diverged], np.full(diverged.sum(), 0.02), "x",
                color=f"C{i}", markersize=10, markeredgewidth=2)
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"{title} learning rate")
    ax.set_title(f"{title}, 3 epochs ({data_name})", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8)
axes[0].set_ylabel("test accuracy (x at the bottom: diverged)")
fig.tight_layout()
os.makedirs(OUT, exist_ok=True)
path = os.path.join(OUT, "cnn_standardization.png")
fig.savefig(path, dpi=100)
print("figure:", path)
