"""Banknote authentication: logistic regression as a one-layer network, then an MLP.

The course's first network: a single linear layer with a sigmoid output trained by the
Bernoulli negative log-likelihood is logistic regression.  We fit it with
``NNClassifier(hidden_layer_sizes=())``, compare it with scikit-learn's
``LogisticRegression`` and with a small MLP, and plot the loss curves.

Run: ``.venv/bin/python examples/plot_banknote_logistic.py`` (a few seconds); the figure
goes to ``examples/output/banknote_loss_curves.png``.
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_dl import NNClassifier  # noqa: E402
from sklearn_dl.datasets import load_banknote  # noqa: E402
from sklearn_dl.plotting import plot_loss_curves  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "output")

X, y = load_banknote(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)

models = {
    "sklearn LogisticRegression": LogisticRegression(),
    "NN logistic regression": NNClassifier(hidden_layer_sizes=(), lr=0.05, max_epochs=100,
                                           validation_fraction=0.2, random_state=0),
    "NN with two hidden layers": NNClassifier(hidden_layer_sizes=(16, 16), lr=0.01,
                                              max_epochs=100, early_stopping=True,
                                              patience=10, random_state=0),
}
print(f"{'model':30s} {'accuracy':>8s} {'test NLL':>8s}")
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name:30s} {accuracy_score(y_test, model.predict(X_test)):8.3f} "
          f"{log_loss(y_test, model.predict_proba(X_test)):8.4f}")

# The NN logistic regression learns the same linear decision function as sklearn's
# (up to sklearn's L2 penalty and the input standardisation inside the network).
nn = models["NN logistic regression"]
print("NN logistic weights (standardised inputs):",
      nn.net_.module_.head.weight.detach().numpy().round(2))

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_loss_curves(nn, ax=axes[0], title="logistic regression (no hidden layer)")
plot_loss_curves(models["NN with two hidden layers"], ax=axes[1],
                 title="MLP (16, 16), early stopping")
fig.tight_layout()
os.makedirs(OUT, exist_ok=True)
fig.savefig(os.path.join(OUT, "banknote_loss_curves.png"), dpi=100)
print("figure:", os.path.join(OUT, "banknote_loss_curves.png"))
