"""Looking inside: layer names, receptive fields, filters, feature maps, top-k images."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import Bunch
from torch import nn

from . import _receptive_field as rf
from ._attribution import layer_output
from ._model import as_models


def _single(estimator, what):
    models = as_models(estimator)
    if len(models) > 1:
        raise ValueError(f"{what} are specific to one network: the channels of an ensemble's "
                         "members do not correspond. Pass one member, e.g. "
                         "estimator.estimators_[0].")
    return models[0]


def list_layers(estimator, raw=False):
    """The layer names an inspection function accepts as ``layer=``.

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer, nn.Module or str
        A string is a backbone name (``sklearn_dl.bodies.pretrained.list_layers``).
        An ensemble lists its first member's layers.
    raw : bool, default=False
        False: the named stages (``"block1"``, ..., input -> output). True: every module
        path of the network (what ``named_modules()`` gives, e.g.
        ``"body.features.block1.conv1"``); a unique suffix of one is accepted too.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import CNNClassifier
    >>> from sklearn_dl.inspection import list_layers
    >>> X = np.random.RandomState(0).uniform(size=(20, 12, 12)).astype(np.float32)
    >>> clf = CNNClassifier(architecture="vgg", filters=(4, 8), max_epochs=1,
    ...                     random_state=0).fit(X, np.arange(20) % 2)
    >>> list_layers(clf)
    ['block1', 'block2']
    >>> list_layers(clf, raw=True)[:3]
    ['preprocess', 'body', 'body.features']
    """
    if isinstance(estimator, str):
        from ..bodies.pretrained import list_layers as backbone_layers

        return backbone_layers(estimator, raw=raw)
    model = as_models(estimator)[0]
    return model.module_paths() if raw else list(model.stages)


def receptive_field(estimator, input_shape=None, *, all_layers=False):
    """Per-layer receptive field of a CNN: kernel, stride, output size, field, jump.

    Computed from the module itself by one forward pass with hooks on a zero image (the
    recursion is described in ``sklearn_dl/inspection/_receptive_field.py``), so presets,
    pretrained backbones, transfer models and user modules are all covered, residual
    branches included.

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer, nn.Module or str
        A string is a registered backbone name (built without weights on the meta device:
        no memory, no download). An ensemble gives one table per member (column
        ``member``).
    input_shape : (C, H, W), optional
        Image shape; default the fitted ``image_shape_``, the transformer's input size, or
        ``(3, 224, 224)`` for a backbone name. Required for a module.
    all_layers : bool, default=False
        Also list layers that change nothing spatially (activations, batch norm...).

    Returns
    -------
    pandas.DataFrame
        One row per layer in execution order: ``layer`` (module path), ``type``,
        ``kernel``, ``stride``, ``output_size``, ``receptive_field`` (side of the input
        region one output unit sees, in input pixels), ``jump`` (input pixels between
        neighbouring output units), ``start`` (centre of the first unit's field) and
        ``weights`` (the layer's weight count, bias excluded). Values are ints for square
        geometry, ``(h, w)`` pairs otherwise; layers past flattening see the whole image.

    Examples
    --------
    Two stacked 3x3 convolutions see 5x5 pixels, three see 7x7 -- as one 7x7 convolution,
    with 27 instead of 49 weights:

    >>> from torch import nn
    >>> from sklearn_dl.inspection import receptive_field
    >>> three = nn.Sequential(*[nn.Conv2d(1, 1, 3, bias=False) for _ in range(3)])
    >>> table = receptive_field(three, (1, 9, 9))
    >>> table["receptive_field"].tolist(), int(table["weights"].sum())
    ([3, 5, 7], 27)
    >>> receptive_field(nn.Conv2d(1, 1, 7, bias=False), (1, 9, 9))["weights"].tolist()
    [49]
    >>> receptive_field("vgg16").set_index("layer").loc["features.30", "receptive_field"]
    212
    """
    if isinstance(estimator, str):
        from ..bodies.backbones import get_backbone

        spec = get_backbone(estimator)
        shape = tuple(input_shape or (3, 224, 224))
        with torch.device("meta"):  # the architecture only
            network = spec.build(input_size=shape[1:], head=True)
        return rf.table(rf.trace(network, shape, device="meta"), all_layers)
    models = as_models(estimator)
    tables = []
    for m in models:
        shape = input_shape or m.image_shape
        if shape is None and m.kind == "transformer":
            shape = (3, *m.network.input_size)
        if shape is None:
            raise ValueError("input_shape=(C, H, W) is required for a module.")
        shape = tuple(int(s) for s in shape)
        if len(shape) != 3:
            raise ValueError(f"input_shape must be (C, H, W); got {input_shape!r}.")
        tables.append(rf.table(rf.trace(m.network, shape, m.device), all_layers))
    if len(tables) == 1:
        return tables[0]
    import pandas as pd

    return pd.concat([t.assign(member=i) for i, t in enumerate(tables)], ignore_index=True)


def filter_weights(estimator, layer=None):
    """The kernels of a convolution, by default the first one.

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer or nn.Module
    layer : str, optional
        Module path (or unique suffix) of a ``Conv2d``; default the first ``Conv2d``.

    Returns
    -------
    weights : ndarray of shape (out_channels, in_channels, kh, kw)

    Examples
    --------
    >>> from torch import nn
    >>> from sklearn_dl.inspection import filter_weights
    >>> filter_weights(nn.Sequential(nn.Conv2d(3, 8, 5), nn.ReLU())).shape
    (8, 3, 5, 5)
    """
    model = _single(estimator, "Filters")
    if layer is None:
        convs = [p for p, m in model.network.named_modules() if isinstance(m, nn.Conv2d)]
        if not convs:
            raise ValueError(f"{model.name} has no Conv2d layer.")
        layer = convs[0]
    name, path, module = model.resolve_layer(layer)
    if not isinstance(module, nn.Conv2d):
        raise ValueError(f"Layer {name!r} ({path}) is a {type(module).__name__}, not a Conv2d.")
    return module.weight.detach().cpu().numpy().copy()


def activation_maps(estimator, X, layer=None):
    """Feature (activation) maps of images at a named layer.

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer or nn.Module
    X : images, as the estimator's ``predict`` accepts them
    layer : str, optional
        Stage name or module path; default the last convolutional stage.

    Returns
    -------
    maps : ndarray of shape (n_images, channels, h, w)
        The layer's output (a vector layer gives ``(n_images, n_features)``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import CNNClassifier
    >>> from sklearn_dl.inspection import activation_maps
    >>> X = np.random.RandomState(0).uniform(size=(20, 12, 12)).astype(np.float32)
    >>> clf = CNNClassifier(architecture="vgg", filters=(4, 8), max_epochs=1,
    ...                     random_state=0).fit(X, np.arange(20) % 2)
    >>> activation_maps(clf, X[:2], layer="block1").shape
    (2, 4, 6, 6)
    """
    model = _single(estimator, "Activation maps")
    images = model.images(X)
    _, path, _ = model.resolve_layer(layer, images[:1])
    return torch.cat([layer_output(model, images[i:i + 64], path)
                      for i in range(0, len(images), 64)]).numpy()


def top_activating(estimator, X, channel, *, layer=None, k=10, crop=True, batch_size=64):
    """The images (or patches) of a data set that excite one channel most.

    Each image is scored by the maximum of the channel's map; the patch is the receptive
    field of the unit where that maximum sits (as in Zeiler & Fergus 2014 and the course's
    "10 images from the data set leading to high signals").

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer or nn.Module
    X : images, as the estimator's ``predict`` accepts them
    channel : int
        Channel of ``layer``'s output.
    layer : str, optional
        Stage or module path; default the last convolutional stage.
    k : int, default=10
    crop : bool, default=True
        Return the receptive-field patches; False: the whole images.
    batch_size : int, default=64

    Returns
    -------
    Bunch
        ``indices`` (k,) rows of X, best first; ``maxima`` (k,) the channel maxima;
        ``units`` (k, 2) the maximal unit ``(row, col)`` in the map; ``boxes`` (k, 4)
        ``(top, left, bottom, right)`` of its receptive field in image pixels (clipped to
        the image); ``patches`` list of arrays in the layout of ``X`` (whole images with
        ``crop=False``), in ``X``'s own values; ``layer`` and ``receptive_field``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import CNNClassifier
    >>> from sklearn_dl.inspection import top_activating
    >>> X = np.random.RandomState(0).uniform(size=(20, 12, 12)).astype(np.float32)
    >>> clf = CNNClassifier(architecture="vgg", filters=(4, 8), max_epochs=1,
    ...                     random_state=0).fit(X, np.arange(20) % 2)
    >>> top = top_activating(clf, X, channel=0, layer="block1", k=3)
    >>> top.indices.shape, top.receptive_field
    ((3,), (6, 6))
    """
    model = _single(estimator, "Top-activating images")
    images = model.images(X)
    name, path, _ = model.resolve_layer(layer, images[:1])
    best, units = [], []
    for i in range(0, len(images), batch_size):
        out = layer_output(model, images[i:i + batch_size], path)
        if out.ndim != 4:
            raise ValueError(f"Layer {name!r} outputs shape {tuple(out.shape)}, not maps.")
        if not isinstance(channel, (int, np.integer)) or not 0 <= channel < out.shape[1]:
            raise ValueError(f"channel must be an int in [0, {out.shape[1]}) for layer "
                             f"{name!r}; got {channel!r}.")
        fmap = out[:, channel].flatten(1)
        value, where = fmap.max(dim=1)
        best.append(value.numpy())
        units.append(np.stack(np.unravel_index(where.numpy(), out.shape[-2:]), axis=1))
    values, units = np.concatenate(best), np.concatenate(units)
    order = np.argsort(-values, kind="stable")[:k]
    field = rf.trace(model.network, tuple(images.shape[1:]), model.device).by_path[path]
    hw = tuple(images.shape[-2:])
    boxes = np.array([rf.unit_box(field, units[i], hw) if crop else (0, 0, *hw)
                      for i in order]).reshape(-1, 4)
    to_user = model.user_layout(X)
    dtype = X.dtype if isinstance(X, np.ndarray) and X.dtype.kind in "biuf" else None
    patches = [to_user(images[i:i + 1, :, t:b, lft:r].numpy())[0] for i, (t, lft, b, r)
               in zip(order, boxes)]
    if dtype is not None:  # X's own values and dtype (uint8 stays uint8)
        patches = [p.astype(dtype) for p in patches]
    return Bunch(indices=order, maxima=values[order], units=units[order], boxes=boxes,
                 patches=patches, layer=name, receptive_field=field.rf)
