"""MobileNetV3-Small (Howard et al. 2019), torchvision's implementation."""

from ._registry import Stage, register_backbone
from ._torchvision import build_torchvision, torchvision_weights


def _seq(prefix, start, stop):
    return tuple(f"{prefix}.{i}" for i in range(start, stop))


# features.0 is the stem; a stage starts at each stride-2 inverted-residual block.
_STAGES = [
    Stage("stem", ("features.0",), "features.0"),
    Stage("stage1", ("features.1",), "features.1"),
    Stage("stage2", _seq("features", 2, 4), "features.3"),
    Stage("stage3", _seq("features", 4, 9), "features.8"),
    Stage("stage4", _seq("features", 9, 12), "features.11"),
    Stage("head", ("features.12",), "features.12"),
]


@register_backbone("mobilenet_v3_small", stages=_STAGES, default_layer="head",
                   head_prefixes=("classifier.",),
                   resolve_named=torchvision_weights("mobilenet_v3_small"),
                   description="MobileNetV3-Small: 2.5 M parameters",
                   reference="https://arxiv.org/abs/1905.02244")
def mobilenet_v3_small(input_size=None, head=True):
    """torchvision's MobileNetV3-Small.

    Parameters
    ----------
    input_size : int or None, default=None
        Ignored: the architecture does not depend on the input size.
    head : bool, default=True
        Build the ImageNet classifier too.

    Returns
    -------
    model : torch.nn.Module
        Randomly initialised; the registry's weight sources fill it.

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones.mobilenet import mobilenet_v3_small
    >>> len(mobilenet_v3_small().features)  # stem, 11 blocks, head convolution
    13
    """
    return build_torchvision("mobilenet_v3_small")
