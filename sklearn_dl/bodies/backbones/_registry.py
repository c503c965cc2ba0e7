"""The backbone registry: one :class:`BackboneSpec` per architecture, registered by name.

Every fact the loading, feature-extraction, fine-tuning and inspection code needs about an
architecture lives in its entry (the idea of torchvision's ``@register_model`` plus its
``WeightsEnum``): how to build it, which parameters form the ImageNet classifier, its named
stages, the default feature layer, the preprocessing used with random initialisation,
whether the build depends on the input size, how named weights are resolved and how a state
dict is fixed up before loading. No other module tests a backbone's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .._sources import TORCHVISION_SPEC, PreprocessSpec


@dataclass(frozen=True)
class Stage:
    """A named stage (block) of a backbone.

    Attributes
    ----------
    name : str
        Alias users pass as ``layer=`` (``"block4"``, ``"layer3"``, ``"stage2"``...).
    params : tuple of str
        Parameter-name prefixes (module paths) owned by the stage, for freezing and
        per-stage learning rates.
    output : str
        Module path whose output is the stage's output (a ``torch.fx`` graph node).
    head : bool
        Part of the ImageNet classifier: only meaningful with classifier weights.

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones import Stage
    >>> Stage("layer4", ("layer4",), "layer4")
    Stage(name='layer4', params=('layer4',), output='layer4', head=False)
    """

    name: str
    params: tuple
    output: str
    head: bool = False


#: Backwards-compatible name: stages used to be called blocks.
Block = Stage


@dataclass(frozen=True)
class BackboneSpec:
    """Everything the package knows about one backbone architecture.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"vgg16"``.
    build : callable ``(input_size=None, head=True) -> nn.Module``
        The architecture, randomly initialised. ``head=False`` may skip the ImageNet
        classifier when ``lazy_classifier`` is set.
    stages : tuple of Stage
        Input -> output; classifier stages last with ``head=True``.
    default_layer : str
        The stage features are taken from by default: the end of the convolutional base
        (Keras' ``include_top=False``).
    head_prefixes : tuple of str
        Parameter-name prefixes of the ImageNet classifier (``("fc.",)``).
    resolve_named : callable ``(spec, weights) -> WeightSource``
        Turns a named weights argument (``"DEFAULT"``, ``"IMAGENET1K_V1"``, a torchvision
        ``WeightsEnum``) into a source.
    random_init_preprocessing : PreprocessSpec
        Preprocessing with ``weights=None``: the one its usual weights expect.
    local_format : str
        Default ``weights_format`` of local state-dict files.
    size_dependent : bool
        The built module depends on ``input_size`` (static "same" padding).
    has_classifier : bool
        The built module can hold the ImageNet classifier's weights.
    lazy_classifier : bool
        The classifier is only built when loaded weights fill it (VGG's 120 M parameters).
    fix_state_dict : callable ``dict -> dict``, optional
        Applied to every state dict before loading (e.g. a bare ``vgg.features`` dict).
    description, reference : str
        What it is; paper or documentation link.

    Examples
    --------
    :func:`register_backbone` builds the spec; :func:`get_backbone` reads it:

    >>> from sklearn_dl.bodies.backbones import get_backbone
    >>> spec = get_backbone("resnet18")
    >>> spec.default_layer, spec.head_prefixes, spec.stage_names
    ('layer4', ('fc.',), ['stem', 'layer1', 'layer2', 'layer3', 'layer4'])
    """

    name: str
    build: Callable
    stages: tuple
    default_layer: str
    head_prefixes: tuple
    resolve_named: Callable
    random_init_preprocessing: PreprocessSpec = TORCHVISION_SPEC
    local_format: str = "torchvision"
    size_dependent: bool = False
    has_classifier: bool = True
    lazy_classifier: bool = False
    fix_state_dict: Optional[Callable] = None
    description: str = ""
    reference: str = ""

    def __post_init__(self):
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"Backbone {self.name!r} has duplicate stage names: {names}.")
        if self.default_layer not in names:
            raise ValueError(f"Backbone {self.name!r}: default_layer {self.default_layer!r} "
                             f"is not one of its stages {names}.")

    def stage(self, name):
        """The :class:`Stage` called ``name`` (None if there is none).

        Parameters
        ----------
        name : str
            A stage alias, e.g. ``"layer4"``.

        Returns
        -------
        Stage or None

        Examples
        --------
        >>> from sklearn_dl.bodies.backbones import get_backbone
        >>> get_backbone("resnet18").stage("layer4").params
        ('layer4',)
        """
        return next((s for s in self.stages if s.name == name), None)

    @property
    def stage_names(self):
        """Stage aliases, input -> output."""
        return [s.name for s in self.stages]


#: name -> BackboneSpec, in registration order
BACKBONES = {}


def register_backbone(name, **spec):
    """Decorator registering a builder function as backbone ``name``.

    Parameters
    ----------
    name : str
        Registry key (lower case).
    **spec
        The other :class:`BackboneSpec` fields (``stages``, ``default_layer``,
        ``head_prefixes``, ``resolve_named``, ...).

    Returns
    -------
    callable
        The decorator; it returns the builder unchanged.

    Examples
    --------
    >>> import torchvision
    >>> from sklearn_dl.bodies.backbones import (BACKBONES, Stage, register_backbone,
    ...                                          torchvision_weights)
    >>> @register_backbone("resnet34_demo", head_prefixes=("fc.",), default_layer="layer4",
    ...                    stages=(Stage("layer4", ("layer4",), "layer4"),),
    ...                    resolve_named=torchvision_weights("resnet34"))
    ... def resnet34_demo(input_size=None, head=True):
    ...     return torchvision.models.resnet34()
    >>> BACKBONES["resnet34_demo"].default_layer
    'layer4'
    >>> _ = BACKBONES.pop("resnet34_demo")
    """
    key = name.lower()

    def decorator(build):
        if key in BACKBONES:
            raise ValueError(f"Backbone {key!r} is already registered.")
        BACKBONES[key] = BackboneSpec(name=key, build=build, stages=tuple(spec["stages"]),
                                      **{k: v for k, v in spec.items() if k != "stages"})
        return build

    return decorator


def get_backbone(name):
    """The :class:`BackboneSpec` registered as ``name`` (case-insensitive).

    Parameters
    ----------
    name : str
        A registered backbone, see :func:`list_backbones`.

    Returns
    -------
    BackboneSpec

    Raises
    ------
    ValueError
        For an unknown name, listing the registered ones.

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones import get_backbone
    >>> get_backbone("VGG16").stage_names[:3]
    ['block1', 'block2', 'block3']
    """
    if not isinstance(name, str) or name.lower() not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}; choose one of {sorted(BACKBONES)}.")
    return BACKBONES[name.lower()]


def list_backbones():
    """Names of the registered backbones, in registration order.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from sklearn_dl.bodies.backbones import list_backbones
    >>> "resnet18" in list_backbones()
    True
    """
    return list(BACKBONES)
