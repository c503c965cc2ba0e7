"""R-style formulas for sklearn_dl (and any scikit-learn estimator), built on formulaic.

* :class:`FormulaTransformer` -- ``"~ x1 + C(g)"`` as a stateful Pipeline step.
* :class:`FormulaModel` -- ``"y ~ x1 + C(g)"`` plus any estimator, fitted on a DataFrame.
* :func:`glm` -- R's ``glm(formula, data, family)``: an sklearn_dl network without
  hidden layers, returned fitted as a :class:`FormulaModel`.
"""

from ._glm import glm
from ._model import FormulaModel
from ._transformer import FormulaTransformer

__all__ = ["FormulaTransformer", "FormulaModel", "glm"]
