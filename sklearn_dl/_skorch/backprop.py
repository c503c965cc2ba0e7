"""A training step for plain MLP networks that leaves out autograd's bookkeeping.

On the small matrices of tabular data, most of a training step's time is not arithmetic
but per-operation overhead, and half of it is autograd's: recording the graph in the
forward pass and walking it in ``backward`` (measured in ``benchmarks/RESULTS.md``,
"manual backward").  For a chain of layers whose backward is known -- ``Linear``, the
usual activations, ``Dropout``, the fixed input standardisation and the family heads --
:class:`LayerChain` runs the forward pass without recording and calls torch's own
backward kernels (``aten::threshold_backward``, ``aten::elu_backward`` ...) layer by
layer, in the order autograd would, with the same operations: the gradients, and so
every fit, are the ones autograd computes, bit for bit.  Only the family's NLL of the
network's output is differentiated by autograd (a handful of nodes).

Anything else -- batch norm, a user's module or layer, frozen parameters, hooks on a
layer, an L1 penalty -- takes skorch's ordinary step (:meth:`LayerChain.of` returns
None, or :meth:`LayerChain.usable` False).  Pure torch: no sklearn, no skorch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules import module as _module_state

from .._modules import BodyHead, Standardize
from ..families._heads import LinearWithConstants

_ACTIVATIONS = (nn.ReLU, nn.ELU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.GELU)


def _activation_backward(layer, grad, x, y):
    """torch's own backward kernel of an activation (the one autograd calls)."""
    aten = torch.ops.aten
    if isinstance(layer, nn.ReLU):
        return aten.threshold_backward(grad, y, 0)
    if isinstance(layer, nn.ELU):
        return aten.elu_backward(grad, layer.alpha, 1, 1, False, x)
    if isinstance(layer, nn.Tanh):
        return aten.tanh_backward(grad, y)
    if isinstance(layer, nn.Sigmoid):
        return aten.sigmoid_backward(grad, y)
    if isinstance(layer, nn.LeakyReLU):
        return aten.leaky_relu_backward(grad, x, layer.negative_slope, False)
    return aten.gelu_backward(grad, x, approximate=layer.approximate)


def _accumulate(param, grad):
    # as autograd's AccumulateGrad: store the first gradient, add later ones in place
    if param.grad is None:
        param.grad = grad
    else:
        param.grad.add_(grad)


def _linear_backward(weight, bias, grad, x, need_input_grad):
    """Gradients of ``F.linear(x, weight, bias)``: what addmm's backward computes."""
    # addmm's backward for its column-major second factor W^T: (g^T x)^T, so
    # grad_W = g^T x (the same product autograd computes, hence the same rounding)
    _accumulate(weight, torch.mm(grad.t(), x))
    if bias is not None:
        _accumulate(bias, grad.sum(0))
    return torch.mm(grad, weight) if need_input_grad else None


class LayerChain:
    """The layers of a :class:`~sklearn_dl._modules.BodyHead` as a list with known
    backward passes; build it with :meth:`of`.

    Parameters
    ----------
    module : BodyHead
    layers : list of nn.Module
        The body's leaf layers in order, then the head.
    """

    def __init__(self, module, layers):
        self.module = module
        self.layers = layers
        self.params = [p for layer in layers for p in layer.parameters(recurse=True)]

    @classmethod
    def of(cls, module):
        """The chain of ``module``, or None when a part has no known backward here.

        Parameters
        ----------
        module : nn.Module

        Returns
        -------
        chain : LayerChain or None
        """
        if type(module) is not BodyHead:
            return None
        if not (module._skip_preprocess or isinstance(module.preprocess, Standardize)):
            return None
        body = module.body
        leaves = list(body) if type(body) is nn.Sequential else [body]
        layers = []
        for layer in leaves:
            kind = type(layer)
            if kind is nn.Dropout:
                if layer.p >= 1 or layer.inplace:
                    return None
            elif not (kind in (nn.Linear, nn.Identity) or kind in _ACTIVATIONS):
                return None
            if kind is not nn.Identity:
                layers.append(layer)
        if type(module.head) not in (nn.Linear, LinearWithConstants):
            return None
        layers.append(module.head)
        return cls(module, layers)

    def usable(self):
        """Whether this step may bypass autograd: grad mode on, every parameter
        trained, and no hook that would expect the module to be called.

        Returns
        -------
        usable : bool
        """
        if not torch.is_grad_enabled():
            return False
        if not all(p.requires_grad for p in self.params):
            return False
        if (_module_state._global_forward_hooks or _module_state._global_forward_pre_hooks
                or _module_state._global_backward_hooks):
            return False
        for layer in self.module.modules():
            if (layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks
                    or layer._backward_pre_hooks):
                return False
        return True

    def forward(self, x):
        """The network's output for ``x`` without recording a graph.

        Parameters
        ----------
        x : torch.Tensor of shape (n, n_inputs)

        Returns
        -------
        out : torch.Tensor
        tape : list
            What :meth:`backward` needs of each layer.
        """
        tape = []
        with torch.no_grad():
            if not self.module._skip_preprocess:
                x = self.module.preprocess(x)
            for layer in self.layers:
                if isinstance(layer, nn.Dropout) and layer.training and layer.p > 0:
                    # aten's CPU dropout: a Bernoulli(1 - p) noise tensor scaled by
                    # 1 / (1 - p), drawn from the global generator as nn.Dropout does
                    noise = torch.empty_like(x).bernoulli_(1 - layer.p).div_(1 - layer.p)
                    y = x * noise
                    tape.append(noise)
                elif isinstance(layer, nn.Dropout):
                    y = x
                    tape.append(None)
                elif isinstance(layer, nn.Linear):
                    y = F.linear(x, layer.weight, layer.bias)
                    tape.append(x)
                elif isinstance(layer, LinearWithConstants):
                    y = layer(x)
                    tape.append(x)
                else:
                    y = layer(x)
                    tape.append((x, y))
                x = y
        return x, tape

    def backward(self, grad, tape):
        """Accumulate the parameters' gradients from the gradient of the output.

        Parameters
        ----------
        grad : torch.Tensor
            Gradient of the loss with respect to the output of :meth:`forward`.
        tape : list
            The second value :meth:`forward` returned.
        """
        with torch.no_grad():
            for index in range(len(self.layers) - 1, -1, -1):
                layer, saved = self.layers[index], tape[index]
                # the first layer's input is data: its gradient is never needed
                need = index > 0
                if isinstance(layer, nn.Dropout):
                    grad = grad if saved is None else grad * saved
                elif isinstance(layer, nn.Linear):
                    grad = _linear_backward(layer.weight, layer.bias, grad, saved, need)
                elif isinstance(layer, LinearWithConstants):
                    n = layer.linear.out_features
                    _accumulate(layer.constant, grad[:, n:].sum(0))
                    grad = _linear_backward(layer.linear.weight, layer.linear.bias,
                                            grad[:, :n], saved, need)
                else:
                    grad = _activation_backward(layer, grad, *saved)
                if grad is None:
                    break
