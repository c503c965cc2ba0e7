"""What does the CNN look at: attribution maps, receptive fields, filters, feature maps.

Every function accepts a fitted image estimator (``CNNClassifier``, ``CNNRegressor``,
``TransferLearningClassifier``), a ``PretrainedFeatureTransformer`` (its backbone), an
ensemble (any object whose ``estimators_`` lists such estimators: attribution maps are
averaged over the members) or a plain ``nn.Module``; images go in as the estimator's
``predict`` takes them. Layers are named by stage (``list_layers(estimator)``: ``"block2"``
for the CNN presets and VGG backbones, ``"layer4"`` for ResNets, ...) or by module path.

Attribution maps (:func:`attribution_maps`, :func:`plot_attribution_maps`) use the optional
packages ``grad-cam`` and ``captum``: ``pip install "sklearn_dl[inspection]"``.

* :func:`attribution_maps` -- Grad-CAM(++), saliency, integrated gradients, occlusion
* :func:`receptive_field` -- per-layer kernel, stride, output size, receptive field, jump
* :func:`filter_weights`, :func:`activation_maps`, :func:`top_activating` -- looking inside
* :func:`list_layers` -- the valid ``layer=`` names
* ``plot_*`` -- figures of each
"""

from ._activations import (
    activation_maps, filter_weights, list_layers, receptive_field, top_activating,
)
from ._attribution import METHODS, attribution_maps
from ._plotting import (
    plot_activation_maps, plot_attribution_maps, plot_filters, plot_top_activating,
)

__all__ = [
    "METHODS", "activation_maps", "attribution_maps", "filter_weights", "list_layers",
    "plot_activation_maps", "plot_attribution_maps", "plot_filters", "plot_top_activating",
    "receptive_field", "top_activating",
]
