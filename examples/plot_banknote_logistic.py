"""
Banknotes: logistic regression, one hidden layer, a deeper network
===================================================================

The course's first classification (chapter 2, "fcNN with banknote"): is a banknote
forged (1) or genuine (0), from two wavelet features of its image, the *skewness* and
the *entropy*?  All 1,372 notes are used for training, as in the course, and every
network is judged by its accuracy and its negative log-likelihood (NLL, the binary
cross-entropy) on these training data:

1. a single neuron with a sigmoid: logistic regression
   (``NNClassifier(hidden_layer_sizes=())``), plain SGD with learning rate 0.15, batch
   size 128, 100 epochs;
2. one hidden layer of 8 sigmoid units, the same SGD, 400 epochs;
3. the course's deeper solution: hidden layers 128-64-32-16-8 with ReLU, Adam, 200
   epochs, batch size 128.

The course fixes these training settings, so they are set explicitly here (with
``max_epochs`` given, early stopping is off and all notes are used for training), and
like the course's networks these have no dropout (``dropout=0.0``), no weight decay
(``weight_decay=0.0``; the default would add an L2 penalty on these 1,372 rows) and
see the raw feature values (``standardize=False``).  The decision boundaries are drawn
as the course draws them.

What the full run printed (1 torch thread on 2 shared cores, 20 s)::

    model                                       train accuracy (course)   train NLL (course)
    logistic regression (SGD, 100 epochs)           0.705 (0.70)             0.514 (0.51)
    hidden layer 8, sigmoid (SGD, 400 epochs)       0.873 (0.88)             0.291 (0.29)
    128-64-32-16-8, ReLU (Adam, 200 epochs)         0.916 (0.91)             0.200 (0.20)
    scikit-learn LogisticRegression (no penalty): train accuracy 0.709, NLL 0.511

The single neuron comes within a few thousandths of the maximum-likelihood logistic fit
(scikit-learn's unpenalised ``LogisticRegression``: 0.709 and 0.511), and the hidden
layers lower the NLL step by step, to within 0.01 of the course's figures.

Where ours differs from the course: with two classes ``NNClassifier`` has one output
(the logit of "forged") trained by the Bernoulli NLL, where the course's hidden-layer
networks use two softmax outputs and the categorical NLL; both parametrise the same
model.  Weights start from PyTorch's initialisation, not Keras', so the numbers vary a
little from the course's, as the course's vary from run to run.

Run: ``python examples/plot_banknote_logistic.py`` (the banknote data ship with the
package); ``SKLEARN_DL_EXAMPLE_QUICK=1`` runs a short version.
"""

# %%
# The data: two features of 1,372 banknotes
# -----------------------------------------
import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402

from sklearn_dl import NNClassifier  # noqa: E402
from sklearn_dl.datasets import load_banknote  # noqa: E402
from sklearn_dl.plotting import plot_loss_curves  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = Path(__file__).resolve().parent / "output"
OUT.mkdir(exist_ok=True)
# The course fixes the number of epochs; that the loss would still improve a little
# afterwards (sklearn_dl's ConvergenceWarning) is expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

notes = load_banknote(as_frame=True).frame
features = ["WaveletSkewness", "Entropy"]  # the course's x1 and x2
X = notes[features].to_numpy()
y = notes["Class"].to_numpy()
print(f"{len(X)} notes, {y.sum()} forged; features {features}")

# %%
# Three networks, trained as the course trains them
# --------------------------------------------------
epochs = {"logistic": 100, "hidden": 400, "deep": 200}
if QUICK:
    epochs = {k: max(5, v // 20) for k, v in epochs.items()}
models = {
    f"logistic regression (SGD, {epochs['logistic']} epochs)": NNClassifier(
        hidden_layer_sizes=(), optimizer="sgd", lr=0.15, batch_size=128,
        max_epochs=epochs["logistic"], standardize=False, random_state=0),
    # weight_decay=0.0 here and below: the course's training has no weight decay
    f"hidden layer 8, sigmoid (SGD, {epochs['hidden']} epochs)": NNClassifier(
        hidden_layer_sizes=(8,), activation="sigmoid", dropout=0.0, weight_decay=0.0,
        optimizer="sgd", lr=0.15, batch_size=128, max_epochs=epochs["hidden"],
        standardize=False, random_state=0),
    f"128-64-32-16-8, ReLU (Adam, {epochs['deep']} epochs)": NNClassifier(
        hidden_layer_sizes=(128, 64, 32, 16, 8), activation="relu", dropout=0.0,
        weight_decay=0.0, optimizer="adam", lr=1e-3, batch_size=128,
        max_epochs=epochs["deep"], standardize=False, random_state=0),
}
course = [(0.70, 0.51), (0.88, 0.29), (0.91, 0.20)]  # train accuracy, train NLL
print(f"\n{'model':42s} {'train accuracy (course)':>24s} {'train NLL (course)':>20s}")
for (name, model), (acc_c, nll_c) in zip(models.items(), course):
    model.fit(X, y)
    acc = model.score(X, y)
    nll = log_loss(y, model.predict_proba(X))
    print(f"{name:42s} {acc:10.3f} ({acc_c:.2f}) {nll:17.3f} ({nll_c:.2f})")

# The maximum-likelihood logistic regression, for reference.
reference = LogisticRegression(C=np.inf, max_iter=1000).fit(X, y)
print(f"scikit-learn LogisticRegression (no penalty): train accuracy "
      f"{reference.score(X, y):.3f}, NLL {log_loss(y, reference.predict_proba(X)):.3f}")

# %%
# Learning curves and decision boundaries
# ----------------------------------------
# The predicted probability of "forged" over the feature plane, with the notes on
# top: a straight boundary for logistic regression, curved ones with hidden layers.
grid_x1, grid_x2 = np.meshgrid(np.linspace(X[:, 0].min() - 2, X[:, 0].max() + 2, 200),
                               np.linspace(X[:, 1].min() - 2, X[:, 1].max() + 2, 200))
grid = np.column_stack([grid_x1.ravel(), grid_x2.ravel()])
fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
for col, (name, model) in enumerate(models.items()):
    plot_loss_curves(model, ax=axes[0, col], mark_best=False, title=name)
    p = model.predict_proba(grid)[:, 1].reshape(grid_x1.shape)
    ax = axes[1, col]
    filled = ax.contourf(grid_x1, grid_x2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    for label, marker, text in ((0, "^", "genuine"), (1, "o", "forged")):
        ax.scatter(*X[y == label].T, marker=marker, s=10, alpha=0.6, edgecolor="k",
                   linewidth=0.3, label=text)
    ax.set_xlabel("x1: skewness")
    ax.set_ylabel("x2: entropy")
    ax.legend(loc="lower left", fontsize=8)
fig.colorbar(filled, ax=axes[1].tolist(), label="P(forged)")
fig.savefig(OUT / "banknote_logistic.png", dpi=100)
print("figure:", OUT / "banknote_logistic.png")
plt.show()
