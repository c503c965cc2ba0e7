"""Network bodies (the *body* axis): ``nn.Module`` factories mapping inputs to features.

Bodies are plain PyTorch; they know nothing of scikit-learn or skorch.  The estimator
appends the family's head to the body's output.

* :func:`make_mlp` -- multi-layer perceptron for tabular data
* :func:`make_cnn` -- convolutional presets ("small", "lenet5", "vgg", "resnet") or a
  user module
* :mod:`.pretrained` -- ImageNet backbones with their weight sources
* :mod:`.backbones` -- the backbone registry (one file per architecture family)
"""

from .cnn import CNN_ARCHITECTURES, CNNBody, make_cnn
from .mlp import ACTIVATIONS, get_activation, make_mlp

__all__ = ["make_mlp", "make_cnn", "get_activation", "ACTIVATIONS", "CNN_ARCHITECTURES",
           "CNNBody"]
