"""Fine-tuning plans: which backbone stages to freeze and how to scale their learning rates.

Plain data for skorch's ``Freezer`` and ``optimizer__param_groups``, from the stages of the
backbone's registry entry.
"""

import fnmatch
from dataclasses import dataclass

import numpy as np

from .backbones import get_backbone


@dataclass
class FineTuningPlan:
    """Which backbone parameters to freeze and how to scale the others' learning rate.

    Attributes
    ----------
    frozen : list of str
        fnmatch patterns of frozen parameters (for skorch's ``Freezer``).
    param_groups : list of (str, dict)
        ``optimizer__param_groups`` entries ``(pattern, {"lr": lr * multiplier})`` for the
        trainable blocks; parameters matched by nothing (the new head) keep the base ``lr``.
    blocks : list of (str, list of str, float)
        ``(block name, patterns, lr multiplier)``, input -> output; multiplier 0 = frozen.

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import FineTuningPlan
    >>> plan = FineTuningPlan(frozen=["body.layer1.*"], param_groups=[],
    ...                       blocks=[("layer1", ["body.layer1.*"], 0.0)])
    >>> plan.lr_multiplier("body.layer1.0.conv1.weight")
    0.0
    """

    frozen: list
    param_groups: list
    blocks: list

    def lr_multiplier(self, param_name):
        """Multiplier for one parameter name (1.0 if no block matches it, e.g. the head).

        Parameters
        ----------
        param_name : str
            A name from ``module.named_parameters()``.

        Returns
        -------
        multiplier : float
            0.0 for frozen parameters.

        Examples
        --------
        >>> from sklearn_dl.bodies.pretrained import build_feature_extractor, block_param_groups
        >>> fe = build_feature_extractor("resnet18", weights=None, input_size=32)
        >>> plan = block_param_groups(fe, trainable_blocks=1, lr=1e-3)
        >>> plan.lr_multiplier("body.layer4.0.conv1.weight"), plan.lr_multiplier("head.weight")
        (0.1, 1.0)
        """
        for _, patterns, mult in self.blocks:
            if any(fnmatch.fnmatchcase(param_name, p) for p in patterns):
                return mult
        return 1.0


def _find_extractor(module):
    from .pretrained import FeatureExtractor  # late import: pretrained re-exports this module

    for name, sub in module.named_modules():
        if isinstance(sub, FeatureExtractor):
            return sub, (f"{name}.body." if name else "body.")
    return None, ""


def block_param_groups(module, trainable_blocks, lr, decay=(0.1, 0.01), backbone=None,
                       prefix=None):
    """Freeze all but the top backbone blocks and give those reduced learning rates.

    Parameters
    ----------
    module : nn.Module
        The module whose ``named_parameters()`` the optimiser sees (skorch: ``net.module_``):
        a :class:`FeatureExtractor`, a network containing one, or a bare backbone (then pass
        ``backbone``).
    trainable_blocks : int or "all"
        Number of top blocks left trainable (0 = the whole backbone frozen). Blocks cut off by
        the chosen layer are not counted.
    lr : float
        The head's learning rate.
    decay : tuple of float, float or None
        Multipliers from the top block down; the last value repeats for deeper blocks. The
        default follows the usual advice: ~1/10 of the head's rate for the top unfrozen
        block, ~1/100 deeper. A float ``r`` means ``r, r**2, r**3, ...``; None: all 1.
    backbone, prefix : str, optional
        Only for a bare backbone (default: found from the contained FeatureExtractor).

    Returns
    -------
    FineTuningPlan

    Examples
    --------
    >>> from sklearn_dl.bodies.pretrained import build_feature_extractor, block_param_groups
    >>> fe = build_feature_extractor("resnet18", weights=None, layer="layer3", input_size=32)
    >>> plan = block_param_groups(fe, trainable_blocks=1, lr=1e-3)
    >>> plan.param_groups  # layer3 at a tenth of the head's rate, the rest frozen
    [('body.layer3.*', {'lr': 0.0001})]
    >>> plan.frozen[:3]
    ['body.conv1.*', 'body.bn1.*', 'body.layer1.*']
    """
    fe, found_prefix = _find_extractor(module)
    if backbone is None:
        if fe is None:
            raise ValueError("module contains no FeatureExtractor: pass backbone= (and prefix=).")
        backbone = fe.backbone
    backbone = get_backbone(backbone).name
    prefix = found_prefix if prefix is None else prefix
    names = [n for n, _ in module.named_parameters()]
    blocks = []
    for b in get_backbone(backbone).stages:
        patterns = [f"{prefix}{p}.*" for p in b.params]
        if any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
            blocks.append((b.name, patterns))
    if not blocks:
        raise ValueError(f"No parameter of module matches the {backbone!r} blocks under prefix "
                         f"{prefix!r}; pass the right prefix=.")
    n_trainable = len(blocks) if trainable_blocks == "all" else trainable_blocks
    if not isinstance(n_trainable, (int, np.integer)) or not 0 <= n_trainable <= len(blocks):
        raise ValueError(f"trainable_blocks must be 'all' or an int in [0, {len(blocks)}] "
                         f"(blocks present: {[b for b, _ in blocks]}); got {trainable_blocks!r}.")
    if decay is None:
        mults = [1.0] * n_trainable
    elif isinstance(decay, (int, float)):
        mults = [float(decay) ** (k + 1) for k in range(n_trainable)]
    else:
        decay = [float(d) for d in decay]
        if not decay:
            raise ValueError("decay must not be empty.")
        mults = [decay[min(k, len(decay) - 1)] for k in range(n_trainable)]
    plan = FineTuningPlan(frozen=[], param_groups=[], blocks=[])
    n_frozen = len(blocks) - n_trainable
    for i, (name, patterns) in enumerate(blocks):
        mult = 0.0 if i < n_frozen else mults[len(blocks) - 1 - i]
        plan.blocks.append((name, patterns, mult))
        if mult == 0.0:
            plan.frozen.extend(patterns)
        elif mult != 1.0:
            plan.param_groups.extend((p, {"lr": lr * mult}) for p in patterns)
    return plan
