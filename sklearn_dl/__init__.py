"""sklearn_dl: probabilistic deep learning with the scikit-learn API, trained by skorch.

Every estimator is a *body* (MLP, CNN, pretrained backbone) times a *family* (Normal,
Poisson, Bernoulli, Categorical, ...): the network outputs the family's parameters and
is trained by its negative log-likelihood.
"""

from . import distributions, metrics
from .evaluation import EvaluationReport, evaluate
from .persistence import load, save
from .summary import anova
from ._base import DivergenceWarning, FitInterruptedWarning
from .classification import CNNClassifier, NNClassifier
from .ensemble import DeepEnsembleClassifier, DeepEnsembleRegressor
from .formula import FormulaModel, FormulaTransformer, glm
from .regression import CNNRegressor, GaussianNLLRegressor, NNRegressor, PoissonNLLRegressor

__version__ = "0.1.0"

# The pretrained side imports torchvision (2.5 of the 8 s an import took); it is loaded
# when first used, so that ``import sklearn_dl``, the command line and each worker of a
# parallel ensemble start without it.
_LAZY = {"PretrainedFeatureTransformer": "features", "TransferLearningClassifier": "transfer"}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "NNClassifier",
    "NNRegressor",
    "GaussianNLLRegressor",
    "PoissonNLLRegressor",
    "CNNClassifier",
    "CNNRegressor",
    "PretrainedFeatureTransformer",
    "TransferLearningClassifier",
    "DeepEnsembleRegressor",
    "DeepEnsembleClassifier",
    "DivergenceWarning",
    "FitInterruptedWarning",
    "FormulaTransformer",
    "FormulaModel",
    "glm",
    "anova",
    "save",
    "load",
    "evaluate",
    "EvaluationReport",
    "__version__",
]
