"""VGG16 and VGG19 (Simonyan & Zisserman 2015), torchvision's implementation."""

from torch import nn
from torchvision.models.vgg import cfgs as _VGG_CFGS

from ._registry import Stage, register_backbone
from ._torchvision import build_torchvision, torchvision_weights


def _vgg_stages(cfg):
    # Keras names: block<n> ends with the max-pool; torchvision's features alternate conv, ReLU
    # and a pool for every "M", so the indices follow from the config.
    stages, convs, idx = [], [], 0
    for v in cfg:
        if v == "M":
            stages.append(Stage(f"block{len(stages) + 1}", tuple(f"features.{i}" for i in convs),
                                f"features.{idx}"))
            convs, idx = [], idx + 1
        else:
            convs.append(idx)
            idx += 2
    return stages + [Stage("fc1", ("classifier.0",), "classifier.1", True),
                     Stage("fc2", ("classifier.3",), "classifier.4", True)]


def _init_features(features):  # as torchvision's VGG._initialize_weights for the convs
    for m in features.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)


def _bare_features(state_dict):
    # Keras conversions (e.g. vgg16_imagenet_features_caffe.pt) save ``vgg.features`` alone:
    # keys "0.weight", ... instead of "features.0.weight".
    if state_dict and not any(k.startswith(("features.", "classifier.")) for k in state_dict):
        return {f"features.{k}": v for k, v in state_dict.items()}
    return state_dict


_COMMON = dict(default_layer="block5", head_prefixes=("classifier.",), lazy_classifier=True,
               fix_state_dict=_bare_features,
               reference="https://arxiv.org/abs/1409.1556")


@register_backbone("vgg16", stages=_vgg_stages(_VGG_CFGS["D"]),
                   resolve_named=torchvision_weights("vgg16"),
                   description="VGG16: 13 3x3 convolutions in 5 blocks, 138 M parameters",
                   **_COMMON)
def vgg16(input_size=None, head=True):
    """torchvision's VGG16 (``head=False``: the convolutional base only).

    Parameters
    ----------
    input_size : int or None, default=None
        Ignored: the architecture does not depend on the input size.
    head : bool, default=True
        Build the ImageNet classifier too (120 M parameters).

    Returns
    -------
    model : torch.nn.Module
        Randomly initialised; the registry's weight sources fill it.

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones.vgg import vgg16
    >>> base = vgg16(head=False)
    >>> type(base.classifier).__name__, sum(p.numel() for p in base.parameters())
    ('Identity', 14714688)
    """
    return build_torchvision("vgg16", head, lazy_classifier=True, init_features=_init_features)


@register_backbone("vgg19", stages=_vgg_stages(_VGG_CFGS["E"]),
                   resolve_named=torchvision_weights("vgg19"),
                   description="VGG19: 16 3x3 convolutions in 5 blocks, 144 M parameters",
                   **_COMMON)
def vgg19(input_size=None, head=True):
    """torchvision's VGG19 (``head=False``: the convolutional base only).

    Parameters
    ----------
    input_size : int or None, default=None
        Ignored: the architecture does not depend on the input size.
    head : bool, default=True
        Build the ImageNet classifier too (120 M parameters).

    Returns
    -------
    model : torch.nn.Module
        Randomly initialised; the registry's weight sources fill it.

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones import get_backbone
    >>> from sklearn_dl.bodies.backbones.vgg import vgg19
    >>> get_backbone("vgg19").build is vgg19
    True
    """
    return build_torchvision("vgg19", head, lazy_classifier=True, init_features=_init_features)
