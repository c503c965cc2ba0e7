"""
A custom loss: the Gaussian negative log-likelihood, written as a family
=========================================================================

The course's "custom loss" notebook: a network with two outputs, the mean and the
log standard deviation of a Normal distribution, trained by the Gaussian negative
log-likelihood (NLL) that the user writes.  Its data are simulated (numpy seed 42, as
in the course)::

    x ~ Uniform(-1, 1),   y = 2 x + noise,   noise ~ Normal(0, sd = |x| + 0.1)

with 1,000 training and 1,000 validation points.  In sklearn_dl a custom loss is a
*family*: a small class saying how raw network outputs become distribution parameters
and what the log-likelihood is (:class:`sklearn_dl.families.Family`).  Given to
:class:`sklearn_dl.NNRegressor` as ``family=``, it is trained by its NLL and gives
``predict_dist``, intervals and metrics like any built-in family.

Compared on the validation data, by the mean NLL per point:

* the true model (mean ``2x``, sd ``|x| + 0.1``): the best any model can expect;
* the linear baseline: least-squares line with one constant sd (the maximum-likelihood
  Normal linear model), which cannot follow the changing noise;
* the course's network with our custom family: one hidden layer of 10 sigmoid units,
  no dropout, no weight decay, Adam, batch size 32, 100 epochs (the course's settings,
  set explicitly);
  the same network trained for 400 epochs; and the course's deeper solution (10-100-10
  sigmoid units), trained as the first;
* :class:`sklearn_dl.GaussianNLLRegressor` with its default settings (an MLP, early
  stopping on a validation split of the training data, restoring the best weights, and
  on these 1,000 rows an L2 penalty of 1e-3, ``weight_decay="auto"``, and an activation
  and a dropout rate chosen by the validation loss, ``activation="auto"`` and
  ``dropout="auto"``: the network is fitted with ReLU and with ELU, each with dropout
  0.1 and without, so it trains four times, and the better one is kept (a fit without
  dropout only if its validation NLL is at least 0.02 nats lower); where it compares
  them, ``hidden_layer_sizes="auto"`` gives a regressor two hidden layers of 100 units).

What the full run printed (1 torch thread on 2 shared cores, 46 seconds)::

    model                                          validation NLL
    true model: mean 2x, sd |x| + 0.1                       0.777
    linear, constant sd (least squares)                     1.044
    custom family, 10 sigmoid units, 100 epochs             1.014
    custom family, 10 sigmoid units, 400 epochs             0.835
    custom family, 10-100-10 sigmoid, 100 epochs            0.817
    GaussianNLLRegressor, defaults                          0.803
    course: validation NLL ~0.82 for its network, 0.777 for the true model
    GaussianNLLRegressor's activation and dropout, chosen by its validation loss: relu 0.1
    GaussianNLLRegressor's hidden layers: (100, 100)

The deeper network and the default ``GaussianNLLRegressor`` come within 0.04 of the
true model's NLL and match or beat the course's ~0.82; the default estimator, with its
two ReLU layers of 100 and dropout 0.1 (the fits without dropout did not win by the
margin), is the closest, 0.026 above the true model.  The linear model's
constant sd costs 0.27 nats per point.  The second panel of the figure shows the standard deviation
each network learned next to the true ``|x| + 0.1``.

Where ours differs from the course: the course's one-hidden-layer network reaches
about 0.82 in its 100 epochs; here, with the same layers, loss, optimiser, batch size
and epochs, it is still at 1.014 after 100 epochs, hardly better than the linear
model, and needs about 400 to get near the course's figure.  The reason is not found
yet: PyTorch's weight initialisation and batch order differ from Keras', but starting
the hidden layer as Keras does (Glorot-uniform weights, zero biases) gives the same
slow start.  The course prints no figure for the longer training, the deeper network,
the default estimator or a linear baseline.

Run: ``python examples/plot_custom_gaussian_nll.py`` (no data files needed);
``SKLEARN_DL_EXAMPLE_QUICK=1`` runs a short version.
"""

# %%
# The course's data
# -----------------
import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

from sklearn_dl import GaussianNLLRegressor, NNRegressor  # noqa: E402
from sklearn_dl.families import Family  # noqa: E402
from sklearn_dl.metrics import mean_nll  # noqa: E402

QUICK = os.environ.get("SKLEARN_DL_EXAMPLE_QUICK") == "1"  # a short run, for the tests
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_EXAMPLE_THREADS", "1")))
OUT = Path(__file__).resolve().parent / "output"
OUT.mkdir(exist_ok=True)
# The course fixes 100 epochs; that the loss would still improve is expected here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.RandomState(42)  # the course's np.random.seed(42), same draws


def dgp(n):
    x = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
    y = (2 * x + 0.1 * rng.normal(0, 10 * np.abs(x) + 1, (n, 1))).astype(np.float32)
    return x, y.ravel()


x_train, y_train = dgp(1000)
x_val, y_val = dgp(1000)

# %%
# The custom loss: a Normal family with an exp link for the sd
# -------------------------------------------------------------
# ``params`` is the inverse link (raw outputs -> parameters), ``log_prob`` the
# log-likelihood whose negative mean is the training loss, ``to_scipy`` the
# distribution that ``predict_dist`` hands out.


class CourseNormal(Family):
    """Normal(mean = raw_0, sd = exp(raw_1)): the course's ``output_to_distribution``."""

    name = "course_normal"
    param_names = ("mean", "scale")
    links = {"mean": "identity", "scale": "log"}

    def n_outputs(self, n_targets):
        return 2 * n_targets

    def params(self, raw):
        return {"mean": raw[:, :1], "scale": torch.exp(raw[:, 1:])}

    def log_prob(self, raw, y):
        p = self.params(raw)
        return torch.distributions.Normal(p["mean"], p["scale"]).log_prob(
            y.reshape(-1, 1)).sum(dim=1)

    def to_scipy(self, params):
        return stats.norm(loc=params["mean"], scale=params["scale"])


# %%
# Models and their validation NLL
# -------------------------------
epochs, long = (10, 40) if QUICK else (100, 400)
# weight_decay=0.0: the course trains without weight decay (the default "auto" adds one)
course_settings = dict(dropout=0.0, weight_decay=0.0, optimizer="adam", lr=1e-3,
                       batch_size=32, standardize=False, random_state=0)
models = {
    f"custom family, 10 sigmoid units, {epochs} epochs": NNRegressor(
        family=CourseNormal(), hidden_layer_sizes=(10,), activation="sigmoid",
        max_epochs=epochs, **course_settings),
    f"custom family, 10 sigmoid units, {long} epochs": NNRegressor(
        family=CourseNormal(), hidden_layer_sizes=(10,), activation="sigmoid",
        max_epochs=long, **course_settings),
    f"custom family, 10-100-10 sigmoid, {epochs} epochs": NNRegressor(
        family=CourseNormal(), hidden_layer_sizes=(10, 100, 10), activation="sigmoid",
        max_epochs=epochs, **course_settings),
    "GaussianNLLRegressor, defaults": GaussianNLLRegressor(
        random_state=0, **({"max_epochs": 20} if QUICK else {})),
}
dists = {"true model: mean 2x, sd |x| + 0.1": stats.norm(2 * x_val[:, 0],
                                                           np.abs(x_val[:, 0]) + 0.1)}
line = LinearRegression().fit(x_train, y_train)
sd = np.std(y_train - line.predict(x_train))  # maximum-likelihood constant sd
dists["linear, constant sd (least squares)"] = stats.norm(line.predict(x_val), sd)
for name, model in models.items():
    dists[name] = model.fit(x_train, y_train).predict_dist(x_val)

print(f"{'model':46s} {'validation NLL':>14s}")
for name, dist in dists.items():
    print(f"{name:46s} {mean_nll(y_val, dist):14.3f}")
print("course: validation NLL ~0.82 for its network, 0.777 for the true model")
print("GaussianNLLRegressor's activation and dropout, chosen by its validation loss:",
      models["GaussianNLLRegressor, defaults"].activation_,
      models["GaussianNLLRegressor, defaults"].dropout_)
print("GaussianNLLRegressor's hidden layers:",
      models["GaussianNLLRegressor, defaults"].hidden_layer_sizes_)

# %%
# What the networks learned: the mean and the standard deviation
# ---------------------------------------------------------------
grid = np.linspace(-1, 1, 201).reshape(-1, 1).astype(np.float32)
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
axes[0].scatter(x_train, y_train, s=4, color="0.6", label="training data")
z = stats.norm.ppf(0.95)
for sign in (-1, 1):  # the true model's 90% interval
    axes[0].plot(grid, 2 * grid + sign * z * (np.abs(grid) + 0.1), "k--",
                 label="true 90% interval" if sign > 0 else None)
for i, (name, model) in enumerate(models.items()):
    axes[1].plot(grid, model.predict(grid, return_std=True)[1], color=f"C{i}", label=name)
    if "10-100-10" in name:  # the course's solution network
        lower, upper = model.predict_interval(grid, alpha=0.1).T
        axes[0].plot(grid, model.predict(grid), color=f"C{i}", label=f"{name}: mean")
        axes[0].fill_between(grid[:, 0], lower, upper, color=f"C{i}", alpha=0.2,
                             label="its 90% interval")
axes[1].plot(grid, np.abs(grid) + 0.1, "k--", label="true sd |x| + 0.1")
axes[1].axhline(sd, color="0.4", ls=":", label="linear model's constant sd")
axes[0].set(xlabel="x", ylabel="y", title="mean and 90% interval", ylim=(-5, 5))
axes[1].set(xlabel="x", ylabel="predicted standard deviation",
            title="the learned noise level")
axes[0].legend(fontsize=8)
axes[1].legend(fontsize=8)
fig.savefig(OUT / "custom_gaussian_nll.png", dpi=100)
print("figure:", OUT / "custom_gaussian_nll.png")
plt.show()
