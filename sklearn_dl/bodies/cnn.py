"""Convolutional bodies: ``(b, C, H, W)`` images -> ``(b, n_features)`` feature vectors.

:func:`make_cnn` builds a body from a preset in :data:`CNN_ARCHITECTURES` ("small",
"lenet5", "vgg", "resnet") whose defaults the plain keyword arguments override, or
wraps a user's own module.  The body stops *before* the last linear layer: the
estimator appends its family's head.  Pure torch, no scikit-learn.

Adding a preset is one function ``builder(input_shape, cfg) -> (module, n_features)``
plus one :data:`CNN_ARCHITECTURES` entry holding it and its default ``cfg``.  Presets
return a :class:`CNNBody`: named convolutional stages (``features.block1``, ...) and a
``dense`` part, so a stage can be named (``layer="block2"``) for inspection.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict

import torch
from torch import nn

from .custom import output_size
from .mlp import get_activation  # one activation registry for all bodies

POOLINGS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class CNNBody(nn.Module):
    """A preset CNN body: ``dense(features(x))``, with the spatial part split in named stages.

    ``features`` is an ``nn.Sequential`` of named blocks (``block1``, ``block2``, ... and
    ``stem`` for the ResNet preset) mapping images to feature maps; ``dense`` flattens (or
    globally pools) them and applies the dense layers. The names let users and
    :mod:`sklearn_dl.inspection` address a stage (``layer="block2"``) or any layer in it
    (``"features.block2.conv1"``).

    Parameters
    ----------
    features : nn.Sequential
        Named blocks, input -> output.
    dense : nn.Module
        Feature maps -> ``(b, n_features)``.

    Examples
    --------
    >>> from sklearn_dl.bodies import make_cnn
    >>> body, n_features = make_cnn((1, 28, 28), "lenet5")
    >>> list(body.stages())
    ['block1', 'block2']
    >>> body.stages()["block2"]
    'features.block2'
    """

    def __init__(self, features, dense):
        super().__init__()
        self.features = features
        self.dense = dense

    def forward(self, x):
        return self.dense(self.features(x))

    def stages(self):
        """Stage name -> module path in this body, input -> output.

        Returns
        -------
        dict of str to str

        Examples
        --------
        >>> from sklearn_dl.bodies import make_cnn
        >>> body, _ = make_cnn((1, 28, 28), "resnet", filters=(8, 16))
        >>> body.stages()
        {'stem': 'features.stem', 'block1': 'features.block1', 'block2': 'features.block2'}
        """
        return {name: f"features.{name}" for name in self.features._modules}

    @property
    def default_layer(self):
        """The last convolutional stage (whose feature maps the dense part reads)."""
        return list(self.features._modules)[-1]


class _Stage:
    """Tracks the feature-map shape while a preset is built, for Linear sizes and errors,
    and collects the layers in named blocks (``block()`` starts the next one)."""

    def __init__(self, input_shape, architecture):
        self.c, self.h, self.w = input_shape
        self.input_shape, self.architecture = tuple(input_shape), architecture
        self.blocks = OrderedDict()

    def block(self, name=None):
        """Start a new named block (default name ``block<k>``)."""
        name = name or f"block{len(self.blocks) + 1}"
        self.blocks[name] = OrderedDict()
        return self

    def _append(self, kind, module):
        if not self.blocks:
            self.block()
        layers = next(reversed(self.blocks.values()))
        k = sum(n.startswith(kind) for n in layers) + 1
        layers[kind if kind in ("pool", "residual") and k == 1 else f"{kind}{k}"] = module

    def _shrink(self, what, kernel, stride, padding):
        h = (self.h + 2 * padding - kernel) // stride + 1
        w = (self.w + 2 * padding - kernel) // stride + 1
        if h < 1 or w < 1:
            raise ValueError(
                f"Images of shape {self.input_shape} (C, H, W) are too small for "
                f"architecture {self.architecture!r}: a {what} would shrink the "
                f"{self.h}x{self.w} feature map to {h}x{w}.  Use larger images (e.g. "
                f"image_size=), fewer filter stages, a smaller kernel_size or a preset "
                f"with 'same' padding ('vgg', 'resnet')."
            )
        self.h, self.w = h, w

    def conv(self, filters, kernel, cfg, padding=0):
        self._append("conv", nn.Conv2d(self.c, filters, kernel, padding=padding,
                                       bias=not cfg["batchnorm"]))
        self._shrink(f"{kernel}x{kernel} convolution", kernel, 1, padding)
        self.c = filters
        if cfg["batchnorm"]:
            self._append("bn", nn.BatchNorm2d(filters))
        self._append("act", get_activation(cfg["activation"])())

    def pool(self, cfg):
        self._shrink("2x2 pooling", 2, 2, 0)
        self._append("pool", POOLINGS[cfg["pooling"]](2))

    def add(self, module, c_out, kind="residual"):
        self._append(kind, module)
        self.c = c_out

    def features(self):
        return nn.Sequential(OrderedDict(
            (name, nn.Sequential(layers)) for name, layers in self.blocks.items()))


def _dense_tail(stage, cfg):
    """Flatten (or global-pool), then the dense layers; returns (CNNBody, n_features)."""
    if cfg["global_pool"]:
        layers = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        n = stage.c
    else:
        layers = [nn.Flatten()]
        n = stage.c * stage.h * stage.w
    for units in cfg["dense_units"]:
        if cfg["dropout"] > 0:
            layers.append(nn.Dropout(cfg["dropout"]))
        layers.append(nn.Linear(n, units))
        if cfg["batchnorm"]:
            layers.append(nn.BatchNorm1d(units))
        layers.append(get_activation(cfg["activation"])())
        n = units
    if cfg["dropout"] > 0:  # before the head the estimator appends
        layers.append(nn.Dropout(cfg["dropout"]))
    return CNNBody(stage.features(), nn.Sequential(*layers)), n


def _small(input_shape, cfg):
    """The classic Keras MNIST net: conv-conv-(...)-pool, flatten, dense."""
    stage = _Stage(input_shape, "small")
    for f in cfg["filters"]:
        stage.conv(f, cfg["kernel_size"], cfg)
    stage.pool(cfg)
    return _dense_tail(stage, cfg)


def _lenet5(input_shape, cfg):
    """LeCun et al. (1998): (conv 5x5 - pool) per stage, dense 120-84, tanh, avg pooling."""
    stage = _Stage(input_shape, "lenet5")
    for f in cfg["filters"]:
        stage.block()
        stage.conv(f, cfg["kernel_size"], cfg)
        stage.pool(cfg)
    return _dense_tail(stage, cfg)


def _vgg(input_shape, cfg):
    """VGG-style: per stage two 'same'-padded convolutions then a 2x2 pooling."""
    stage = _Stage(input_shape, "vgg")
    k = cfg["kernel_size"]
    for f in cfg["filters"]:
        stage.block()
        stage.conv(f, k, cfg, padding=k // 2)
        stage.conv(f, k, cfg, padding=k // 2)
        stage.pool(cfg)
    return _dense_tail(stage, cfg)


class ResidualBlock(nn.Module):
    """``act(branch(x) + shortcut(x))`` with ``branch`` = conv-BN-act-conv-BN.

    The shortcut is the identity when the channel count is unchanged and a 1x1
    convolution (+ BN) otherwise, as in He et al. (2016).  Spatial size is kept
    ('same' padding); the ``"resnet"`` preset pools between blocks.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    kernel_size : int, default=3
        Kernel of both convolutions of the branch.
    batchnorm : bool, default=True
        Batch normalisation after each convolution (else identities).
    activation : str or nn.Module class, default="relu"
        See :func:`sklearn_dl.bodies.get_activation`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.bodies.cnn import ResidualBlock
    >>> ResidualBlock(8, 16)(torch.zeros(2, 8, 5, 5)).shape
    torch.Size([2, 16, 5, 5])
    """

    def __init__(self, c_in, c_out, kernel_size=3, batchnorm=True, activation="relu"):
        super().__init__()
        pad = kernel_size // 2

        def norm(c):
            return nn.BatchNorm2d(c) if batchnorm else nn.Identity()

        self.branch = nn.Sequential(
            nn.Conv2d(c_in, c_out, kernel_size, padding=pad, bias=not batchnorm),
            norm(c_out),
            get_activation(activation)(),
            nn.Conv2d(c_out, c_out, kernel_size, padding=pad, bias=not batchnorm),
            norm(c_out),
        )
        if c_in == c_out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=not batchnorm),
                                          norm(c_out))
        self.activation = get_activation(activation)()

    def forward(self, x):
        return self.activation(self.branch(x) + self.shortcut(x))


def _resnet(input_shape, cfg):
    """Small ResNet: conv stem, one residual block per stage, pooling between stages."""
    stage = _Stage(input_shape, "resnet")
    k = cfg["kernel_size"]
    if k % 2 == 0:
        raise ValueError(f"architecture='resnet' needs an odd kernel_size; got {k}.")
    stage.block("stem").conv(cfg["filters"][0], k, cfg, padding=k // 2)
    for i, f in enumerate(cfg["filters"]):
        stage.block(f"block{i + 1}")
        if i > 0:
            stage.pool(cfg)
        stage.add(ResidualBlock(stage.c, f, k, cfg["batchnorm"], cfg["activation"]), f)
    return _dense_tail(stage, cfg)


_BASE = {"kernel_size": 3, "pooling": "max", "dropout": 0.0, "batchnorm": False,
         "activation": "relu", "global_pool": False}

#: name -> (builder, default configuration); every key can be overridden by make_cnn
CNN_ARCHITECTURES = {
    "small": (_small, {**_BASE, "filters": (32, 64), "dense_units": (128,)}),
    "lenet5": (_lenet5, {**_BASE, "filters": (6, 16), "dense_units": (120, 84),
                         "kernel_size": 5, "pooling": "avg", "activation": "tanh"}),
    "vgg": (_vgg, {**_BASE, "filters": (32, 64, 128), "dense_units": (128,)}),
    "resnet": (_resnet, {**_BASE, "filters": (32, 64, 128), "dense_units": (),
                         "batchnorm": True, "global_pool": True}),
}


def _check_ints(name, value, allow_empty):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    try:
        value = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of ints; got {value!r}.") from None
    if (not allow_empty and not value) or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0
            for v in value):
        raise ValueError(f"{name} must be a {'' if allow_empty else 'non-empty '}tuple of "
                         f"positive ints; got {value!r}.")
    return tuple(int(v) for v in value)


def _config(architecture, overrides):
    cfg = dict(CNN_ARCHITECTURES[architecture][1])
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    cfg["filters"] = _check_ints("filters", cfg["filters"], allow_empty=False)
    cfg["dense_units"] = _check_ints("dense_units", cfg["dense_units"], allow_empty=True)
    k = cfg["kernel_size"]
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"kernel_size must be a positive int; got {k!r}.")
    cfg["kernel_size"] = int(k)
    if cfg["pooling"] not in POOLINGS:
        raise ValueError(f"pooling must be one of {sorted(POOLINGS)}; got {cfg['pooling']!r}.")
    get_activation(cfg["activation"])  # raises ValueError naming the valid ones
    if not 0.0 <= float(cfg["dropout"]) < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {cfg['dropout']!r}.")
    cfg["dropout"] = float(cfg["dropout"])
    cfg["batchnorm"], cfg["global_pool"] = bool(cfg["batchnorm"]), bool(cfg["global_pool"])
    return cfg


def _check_input_shape(input_shape):
    shape = tuple(input_shape) if hasattr(input_shape, "__len__") else ()
    if len(shape) != 3 or not all(int(s) == s and s > 0 for s in shape):
        raise ValueError(f"input_shape must be (C, H, W) with positive ints; got "
                         f"{input_shape!r}.")
    return tuple(int(s) for s in shape)


def make_cnn(input_shape, architecture="small", *, filters=None, kernel_size=None,
             pooling=None, dense_units=None, dropout=None, batchnorm=None,
             activation=None, global_pool=None):
    """Build a CNN body mapping ``(b, C, H, W)`` to ``(b, n_features)``.

    Keyword arguments left at ``None`` take the preset's default.

    Parameters
    ----------
    input_shape : (C, H, W)
        Shape of one image.
    architecture : str, nn.Module or callable, default="small"
        A preset name from :data:`CNN_ARCHITECTURES`:

        * ``"small"``: convolutions ``filters=(32, 64)`` (3x3, no padding), one 2x2
          pooling, dense ``(128,)``; the Keras MNIST example net (~1.2 M parameters
          on 28x28).
        * ``"lenet5"``: per stage a 5x5 convolution and 2x2 average pooling,
          ``filters=(6, 16)``, dense ``(120, 84)``, tanh.
        * ``"vgg"``: per stage two 3x3 'same' convolutions and a 2x2 pooling,
          ``filters=(32, 64, 128)``, dense ``(128,)``.
        * ``"resnet"``: a 3x3 stem, then one
          :class:`~sklearn_dl.bodies.cnn.ResidualBlock` per stage ``filters=(32, 64,
          128)`` with 2x2 pooling between stages, batchnorm and global average pooling,
          no dense layers.

        Or an ``nn.Module`` (used as is) or a callable ``input_shape -> nn.Module``;
        ``n_features`` is then found by a forward pass on zeros, and a module that
        returns feature maps gets a trailing ``nn.Flatten``.
    filters : tuple of int, optional
        Output channels per convolution stage.
    kernel_size : int, optional
        Convolution kernel size.
    pooling : {"max", "avg"}, optional
    dense_units : tuple of int, optional
        Hidden dense layers after flattening (may be empty).
    dropout : float, optional
        Dropout rate before each dense layer and before the head.
    batchnorm : bool, optional
        Batch normalisation after each convolution and dense layer.
    activation : str or nn.Module class, optional
        A name from :data:`~sklearn_dl.bodies.ACTIVATIONS` ("relu", "elu", "tanh",
        "gelu", "leaky_relu", ...) or an activation class.
    global_pool : bool, optional
        True: global average pooling of the last stage's maps (``C`` features, the
        module then accepts any image size with the same weights); False: flatten them
        (``C * h * w`` features, tied to ``input_shape``).  Default: the preset's (True
        for "resnet" only).

    Returns
    -------
    module : nn.Module
        A :class:`CNNBody` (named stages ``features.block1``, ... and ``dense``) for
        presets; the user's module (plus a ``Flatten`` if needed) otherwise.
    n_features : int

    Examples
    --------
    >>> from sklearn_dl.bodies import make_cnn
    >>> body, n_features = make_cnn((3, 32, 32), "vgg", filters=(8, 16))
    >>> n_features, list(body.stages())
    (128, ['block1', 'block2'])
    """
    input_shape = _check_input_shape(input_shape)
    overrides = {"filters": filters, "kernel_size": kernel_size, "pooling": pooling,
                 "dense_units": dense_units, "dropout": dropout, "batchnorm": batchnorm,
                 "activation": activation, "global_pool": global_pool}
    if not isinstance(architecture, str):
        given = sorted(k for k, v in overrides.items() if v is not None)
        if given:
            raise ValueError(f"{given} only apply to preset architectures, not to a "
                             "custom module.")
        if isinstance(architecture, nn.Module):
            module = architecture
        elif callable(architecture):
            module = architecture(input_shape)
            if not isinstance(module, nn.Module):
                raise TypeError(f"architecture(input_shape) must return an nn.Module; got "
                                f"{type(module).__name__}.")
        else:
            raise TypeError(f"architecture must be a preset name, an nn.Module or a "
                            f"callable; got {type(architecture).__name__}.")
        return output_size(module, input_shape, "CNN module")
    if architecture not in CNN_ARCHITECTURES:
        raise ValueError(f"Unknown architecture {architecture!r}; presets are "
                         f"{sorted(CNN_ARCHITECTURES)}, or pass an nn.Module.")
    builder, _ = CNN_ARCHITECTURES[architecture]
    return builder(input_shape, _config(architecture, overrides))


__all__ = ["CNN_ARCHITECTURES", "POOLINGS", "CNNBody", "ResidualBlock", "make_cnn"]
