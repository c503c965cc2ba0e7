"""sklearn_dl: probabilistic deep learning with the scikit-learn API, trained by skorch.

Every estimator is a *body* (MLP, CNN, pretrained backbone) times a *family* (Normal,
Poisson, Bernoulli, Categorical, ...): the network outputs the family's parameters and
is trained by its negative log-likelihood.
"""

from . import metrics
from .evaluation import EvaluationReport, evaluate
from ._skorch import DivergenceError
from .classification import CNNClassifier, NNClassifier
from .features import PretrainedFeatureTransformer
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
    "DivergenceError",
    "evaluate",
    "EvaluationReport",
    "__version__",
]
