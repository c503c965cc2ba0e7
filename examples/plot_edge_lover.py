"""
The edge lover: a CNN with one 5x5 kernel learns an edge detector
=================================================================

The course's "art-style lover" exercise: someone likes pictures with vertical stripes and
dislikes horizontal ones. A network with a *single* 5x5 convolution kernel, no activation
(linear) and global max pooling, followed by the logistic head, is enough to tell the two
apart -- and the kernel it learns, plotted, is an edge detector of one orientation, close to
a Sobel filter.

The network is a user module given to :class:`sklearn_dl.CNNClassifier` as
``architecture=``; :func:`sklearn_dl.inspection.filter_weights` reads the learned kernel,
:func:`~sklearn_dl.inspection.plot_filters` draws it and
:func:`~sklearn_dl.inspection.plot_activation_maps` shows its response to one image of each
class (the global max of that map is what the head sees).

Its run printed (2 CPU cores, about 15 s)::

    test accuracy: 1.000
    head weight: 2.02 (> 0: a strong response means 'vertical stripes')
    learned kernel:
    [[-0.04 -0.3  -0.27  0.31  0.29]
     [-0.01 -0.4  -0.23  0.29  0.35]
     [-0.04 -0.35 -0.31  0.36  0.34]
     [-0.07 -0.28 -0.29  0.32  0.31]
     [-0.06 -0.25 -0.31  0.28  0.34]]
    |correlation| with the 5x5 Sobel filter for vertical edges: 0.73, for horizontal: 0.00
    max response, vertical stripes: 5.24, horizontal stripes: -1.20
    saved examples/output/edge_lover_kernel.png, examples/output/edge_lover_maps.png

The kernel is a step from dark (left) to bright (right) that is constant along the edge: a
vertical-edge detector (Sobel's derivative without its smoothing along the edge).
"""

# %%
# Synthetic pictures: stripes of random width and phase, plus noise
# ------------------------------------------------------------------
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from sklearn_dl import CNNClassifier  # noqa: E402
from sklearn_dl.inspection import (  # noqa: E402
    activation_maps, filter_weights, plot_activation_maps, plot_filters,
)

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = Path(__file__).resolve().parent / "output"
OUT.mkdir(exist_ok=True)


def stripes(n, size=24, seed=0):
    """Vertical (label 1) or horizontal (label 0) stripes."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = np.empty((n, size, size), np.float32)
    for i in range(n):
        period = rng.randint(4, 9)
        line = ((np.arange(size) + rng.randint(period)) // (period // 2)) % 2
        image = np.tile(line.astype(np.float32), (size, 1))  # constant down the columns
        X[i] = image if y[i] else image.T
    return X + rng.normal(0, 0.1, X.shape).astype(np.float32), y


X, y = stripes(400)
X_test, y_test = stripes(200, seed=1)

# %%
# One kernel, linear, global max pooling
# --------------------------------------
net = nn.Sequential(nn.Conv2d(1, 1, kernel_size=5), nn.AdaptiveMaxPool2d(1), nn.Flatten())
clf = CNNClassifier(architecture=net, max_epochs=5 if QUICK else 20, lr=0.05,
                    random_state=0).fit(X, y)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
head = clf.net_.module_.head.weight.item()
print(f"head weight: {head:.2f} (> 0: a strong response means "
      f"'{'vertical' if head > 0 else 'horizontal'} stripes')")

# %%
# The learned kernel against Sobel filters
# ----------------------------------------
kernel = filter_weights(clf)[0, 0]
print("learned kernel:")
print(np.round(kernel, 2))
sobel_vertical_edges = np.outer([1, 4, 6, 4, 1], [-1, -2, 0, 2, 1])


def corr(a, b):
    return abs(np.corrcoef(a.ravel(), b.ravel())[0, 1])


print(f"|correlation| with the 5x5 Sobel filter for vertical edges: "
      f"{corr(kernel, sobel_vertical_edges):.2f}, for horizontal: "
      f"{corr(kernel, sobel_vertical_edges.T):.2f}")

# %%
# What the head sees: the maximum of the kernel's response map
# -------------------------------------------------------------
examples = np.stack([X_test[y_test == 1][0], X_test[y_test == 0][0]])
maps = activation_maps(clf, examples, layer="0")[:, 0]
print(f"max response, vertical stripes: {maps[0].max():.2f}, "
      f"horizontal stripes: {maps[1].max():.2f}")

fig = plot_filters(clf)
fig.suptitle("the edge lover's 5x5 kernel")
fig.savefig(OUT / "edge_lover_kernel.png", dpi=120)
fig = plot_activation_maps(clf, examples[:1], layer="0", n_cols=2)
fig.savefig(OUT / "edge_lover_maps.png", dpi=120)
print("saved examples/output/edge_lover_kernel.png, examples/output/edge_lover_maps.png")
plt.show()
