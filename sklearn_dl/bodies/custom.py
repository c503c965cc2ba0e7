"""A user's own ``nn.Module`` as a body: fresh seeded copy, output size by a dry run."""

from __future__ import annotations

import copy

import torch
from torch import nn


def fresh_copy(module):
    """A re-initialised deep copy of ``module``: the estimator trains the copy (seeded by
    its ``random_state``), never the instance held in its parameters.

    Parameters
    ----------
    module : nn.Module
        Its submodules with a ``reset_parameters`` method are re-initialised in the copy.

    Returns
    -------
    copy : nn.Module

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklearn_dl.bodies.custom import fresh_copy
    >>> net = nn.Linear(3, 2)
    >>> copy = fresh_copy(net)
    >>> copy is net, torch.equal(copy.weight, net.weight)
    (False, False)
    """
    module = copy.deepcopy(module)
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
    return module


def make_custom_body(architecture, input_shape, what="module"):
    """Turn a user's ``nn.Module`` or callable into ``(body, n_features)``.

    Parameters
    ----------
    architecture : nn.Module or callable
        A module (a fresh re-initialised copy is used), or a callable
        ``input_shape -> nn.Module`` (``input_shape`` is ``(n_features,)`` for tables,
        ``(C, H, W)`` for images).
    input_shape : tuple of int
        Shape of one input.
    what : str
        How error messages name the module ("CNN module", ...).

    Returns
    -------
    body : nn.Module
        Maps ``(batch, *input_shape)`` to ``(batch, n_features)``; a module returning
        more dimensions gets a trailing ``nn.Flatten``.
    n_features : int

    Examples
    --------
    >>> from torch import nn
    >>> from sklearn_dl.bodies.custom import make_custom_body
    >>> body, n_features = make_custom_body(lambda n: nn.Linear(n, 5), (3,))
    >>> body, n_features
    (Linear(in_features=3, out_features=5, bias=True), 5)
    """
    if isinstance(architecture, nn.Module):
        module = fresh_copy(architecture)
    elif callable(architecture):
        module = architecture(input_shape if len(input_shape) > 1 else input_shape[0])
        if not isinstance(module, nn.Module):
            raise TypeError(f"architecture(input_shape) must return an nn.Module; got "
                            f"{type(module).__name__}.")
    else:
        raise TypeError(f"architecture must be a preset name, an nn.Module or a callable; "
                        f"got {type(architecture).__name__}.")
    return output_size(module, input_shape, what)


def output_size(module, input_shape, what="module"):
    """Dry forward pass on zeros: ``(module, n_features)``, flattening map outputs.

    The pass runs in eval mode under ``torch.no_grad()``, so no batch-norm statistics
    change; the module's training mode is restored.

    Parameters
    ----------
    module : nn.Module
    input_shape : tuple of int
        Shape of one input.
    what : str, default="module"
        How error messages name the module.

    Returns
    -------
    module : nn.Module
        ``module``, or ``Sequential(module, Flatten())`` when it returns feature maps.
    n_features : int

    Raises
    ------
    ValueError
        When the module fails on the input or does not return ``(batch, ...)``.

    Examples
    --------
    >>> from torch import nn
    >>> from sklearn_dl.bodies.custom import output_size
    >>> module, n_features = output_size(nn.Conv2d(1, 4, 3), (1, 8, 8))
    >>> n_features, type(module[1]).__name__  # 4 maps of 6x6, flattened
    (144, 'Flatten')
    """
    was_training = module.training
    module.eval()  # no BatchNorm statistics are updated, no dropout
    try:
        with torch.no_grad():
            param = next(module.parameters(), None)
            device = param.device if param is not None else "cpu"
            dtype = param.dtype if param is not None else torch.float32
            out = module(torch.zeros((2, *input_shape), device=device, dtype=dtype))
    except Exception as exc:
        raise ValueError(f"The custom {what} failed on a zero input of shape "
                         f"(2, {', '.join(map(str, input_shape))}): {exc}") from exc
    finally:
        module.train(was_training)
    if not isinstance(out, torch.Tensor) or out.ndim < 2 or out.shape[0] != 2:
        raise ValueError(f"The custom {what} must return a (batch, n_features) tensor; got "
                         f"{type(out).__name__} {getattr(out, 'shape', '')}.")
    if out.ndim > 2:
        module = nn.Sequential(module, nn.Flatten())
    return module, int(out[0].numel())
