"""Multi-layer perceptron body: x -> features (the estimator appends the head)."""

from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "identity": nn.Identity,
}


def get_activation(activation):
    """An activation layer class from its name (or a ``nn.Module`` class, returned as is).

    Parameters
    ----------
    activation : str or nn.Module class
        A key of :data:`ACTIVATIONS` (``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"elu"``,
        ``"gelu"``, ``"leaky_relu"``, ``"identity"``) or a module class.

    Returns
    -------
    activation_class : type
        A ``torch.nn.Module`` subclass (instantiate it to get a layer).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> from sklearn_dl.bodies import get_activation
    >>> get_activation("gelu")
    <class 'torch.nn.modules.activation.GELU'>
    """
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation {activation!r}; use one of {sorted(ACTIVATIONS)} "
            "or a torch.nn.Module class."
        ) from None


def make_mlp(n_inputs, hidden_layer_sizes=(100,), activation="relu", dropout=0.0,
             batchnorm=False):
    """Build an MLP body.

    Each hidden layer is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``.  With
    ``hidden_layer_sizes=()`` the body is the identity, and the estimator becomes a
    (generalised) linear model: NN logistic / Poisson / Gaussian regression.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden_layer_sizes : sequence of int
        Units per hidden layer.
    activation : str or nn.Module class
    dropout : float in [0, 1)
        Dropout probability after every hidden layer.
    batchnorm : bool
        Batch normalisation after every hidden Linear layer.

    Returns
    -------
    module : nn.Module
        Maps ``(n, n_inputs)`` to ``(n, n_features)``.
    n_features : int

    Examples
    --------
    >>> from sklearn_dl.bodies import make_mlp
    >>> body, n_features = make_mlp(4, (16, 8), dropout=0.1)
    >>> body
    Sequential(
      (0): Linear(in_features=4, out_features=16, bias=True)
      (1): ReLU()
      (2): Dropout(p=0.1, inplace=False)
      (3): Linear(in_features=16, out_features=8, bias=True)
      (4): ReLU()
      (5): Dropout(p=0.1, inplace=False)
    )
    >>> n_features
    8
    """
    act = get_activation(activation)
    layers = []
    width = n_inputs
    for units in hidden_layer_sizes:
        # the Linear's bias is redundant right before a batchnorm shift
        layers.append(nn.Linear(width, units, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm1d(units))
        layers.append(act())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = units
    return nn.Sequential(*layers), width
