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
from .features import PretrainedFeatureTransformer
from .formula import FormulaModel, FormulaTransformer, glm
from .transfer import TransferLearningClassifier
from .regression import CNNRegressor, GaussianNLLRegressor, NNRegressor, PoissonNLLRegressor

__version__ = "0.1.0"

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
