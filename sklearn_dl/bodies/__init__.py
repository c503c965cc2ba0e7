"""Network bodies (the *body* axis): ``nn.Module`` factories mapping inputs to features.

Bodies are plain PyTorch; they know nothing of scikit-learn or skorch.  The estimator
appends the family's head to the body's output.
"""

from .mlp import ACTIVATIONS, get_activation, make_mlp

__all__ = ["make_mlp", "get_activation", "ACTIVATIONS"]
