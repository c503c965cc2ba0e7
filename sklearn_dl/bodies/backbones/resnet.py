"""ResNet-18 and ResNet-50 (He et al. 2016), torchvision's implementation."""

from ._registry import Stage, register_backbone
from ._torchvision import build_torchvision, torchvision_weights

_STAGES = [Stage("stem", ("conv1", "bn1"), "maxpool")] + [
    Stage(f"layer{i}", (f"layer{i}",), f"layer{i}") for i in range(1, 5)]
_COMMON = dict(stages=_STAGES, default_layer="layer4", head_prefixes=("fc.",),
               reference="https://arxiv.org/abs/1512.03385")


@register_backbone("resnet18", resolve_named=torchvision_weights("resnet18"),
                   description="ResNet-18: basic residual blocks, 11.7 M parameters", **_COMMON)
def resnet18(input_size=None, head=True):
    """torchvision's ResNet-18.

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
    >>> from sklearn_dl.bodies.backbones.resnet import resnet18
    >>> resnet18().fc
    Linear(in_features=512, out_features=1000, bias=True)
    """
    return build_torchvision("resnet18")


@register_backbone("resnet50", resolve_named=torchvision_weights("resnet50"),
                   description="ResNet-50: bottleneck residual blocks, 25.6 M parameters",
                   **_COMMON)
def resnet50(input_size=None, head=True):
    """torchvision's ResNet-50.

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
    >>> from sklearn_dl.bodies.backbones import get_backbone
    >>> from sklearn_dl.bodies.backbones.resnet import resnet50
    >>> get_backbone("resnet50").build is resnet50
    True
    """
    return build_torchvision("resnet50")
