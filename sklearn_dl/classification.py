"""Classifiers: a network body times a Bernoulli or Categorical head."""

from __future__ import annotations

from . import _docstrings as _doc
from ._classifier_base import _NNClassifierBase
from ._image_base import _ImageMixin
from ._tabular import _TabularMixin

__all__ = ["NNClassifier", "CNNClassifier"]


class NNClassifier(_TabularMixin, _NNClassifierBase):
    __doc__ = f"""Neural-network classifier: NN logistic regression (two classes) or softmax
    regression (more), with an MLP body.

    With two classes the network has one output, the logit of ``classes_[1]``, trained
    by the Bernoulli NLL (binary cross-entropy); with ``K > 2`` classes it has ``K``
    outputs trained by the categorical NLL (cross-entropy).  Labels may be ints or
    strings.  With ``hidden_layer_sizes=()`` this is (multinomial) logistic regression.
    ``score`` is the accuracy, as for every scikit-learn classifier.

    Parameters
    ----------
    {_doc.MLP}
    {_doc.TRAINING}
        The validation split used for early stopping is stratified by class.
    standardize : bool, default=True
        Standardise inputs with the training data's mean and sd (inside the network).
    {_doc.FIT_INTERCEPT}
    {_doc.COMMON}
    class_weight : dict, "balanced" or None, default=None
        Weights per class multiplying the sample weights, as in scikit-learn.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    {_doc.ATTRIBUTES}
    {_doc.MLP_ATTRIBUTES}

    Notes
    -----
    {_doc.TRAINING_NOTES}

    Examples
    --------
    >>> from sklearn_dl import NNClassifier
    >>> from sklearn_dl.datasets import load_banknote
    >>> X, y = load_banknote(return_X_y=True)
    >>> clf = NNClassifier(hidden_layer_sizes=(), lr=0.01, max_epochs=20,
    ...                    random_state=0).fit(X, y)  # NN logistic regression
    >>> clf.predict_proba(X[:2]).shape, bool(clf.score(X, y) > 0.95)
    ((2, 2), True)
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes="auto",
        activation="auto",
        dropout="auto",
        batchnorm=False,
        architecture="mlp",
        optimizer="adam",
        lr=1e-3,
        weight_decay="auto",
        l1=0.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        patience="auto",
        validation_fraction=None,
        standardize=True,
        fit_intercept=True,
        mc_samples=0,
        warm_start=False,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, dropout=dropout,
            batchnorm=batchnorm, architecture=architecture, optimizer=optimizer, lr=lr,
            weight_decay=weight_decay, l1=l1, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, patience=patience,
            validation_fraction=validation_fraction, standardize=standardize,
            fit_intercept=fit_intercept, mc_samples=mc_samples, warm_start=warm_start,
            callbacks=callbacks, device=device, random_state=random_state, verbose=verbose)
        self.class_weight = class_weight


class CNNClassifier(_ImageMixin, _NNClassifierBase):
    __doc__ = f"""Convolutional neural-network classifier for images.

    A CNN body (a preset or your own module) times a Bernoulli/Categorical head, with
    every guarantee of :class:`NNClassifier`.  Images may be numpy arrays ``(n, H, W)``,
    ``(n, H, W, C)`` or ``(n, C, H, W)`` (uint8 0-255 or float), flattened ``(n, H*W*C)``
    arrays or DataFrames with ``image_shape=``, lists of PIL images, or lists of file
    paths (read batch by batch, never all at once).  ``score`` is the accuracy.

    Parameters
    ----------
    architecture : {{"small", "lenet5", "vgg", "resnet"}}, nn.Module or callable, \
default="small"
        Preset body (see :func:`sklearn_dl.bodies.make_cnn`), or your own module
        (a fresh, seeded re-initialised copy is trained), or a callable
        ``(C, H, W) -> nn.Module``.
    filters, kernel_size, pooling, dense_units, dropout, batchnorm, activation : \
default=None
        Override the preset's choices (None keeps the preset's value; see
        :func:`sklearn_dl.bodies.make_cnn`): ``filters`` channels per convolution stage
        (tuple of int), ``kernel_size`` (int), ``pooling`` between stages ("max" or
        "avg"), ``dense_units`` hidden dense layers (tuple of int, may be empty),
        ``dropout`` rate before each dense layer and the head, ``batchnorm`` (bool)
        after each convolution and dense layer, ``activation`` (a name such as "relu",
        "elu", "tanh").  Only for presets: with your own module they raise.
    global_pool : bool or None, default=None
        How the last convolution stage's maps ``(C, h, w)`` reach the dense layers:
        True averages each channel over space (global average pooling, C features,
        far fewer dense weights); False flattens the maps (``C * h * w`` features).
        None: the preset's choice (True for "resnet"; False for "small", "lenet5" and
        "vgg"); presets only, like the parameters above.  Either way the fitted
        network predicts on images of the fitted shape only (other shapes are refused;
        ``image_size=`` resizes).
    image_shape : tuple, default=None
        Shape of one image for flattened 2-D input: ``(H, W)``, ``(H, W, C)``, or
        ``(C, H, W)`` with ``layout="channels_first"``.
    layout : {{"auto", "channels_last", "channels_first"}}, default="auto"
        Where the channel axis is; needed only when the shape is ambiguous, e.g.
        ``(n, 3, 3, 3)``.
    image_size : int or (H, W), default=None
        Resize every image (needed for files of different sizes).
    standardize : {{None, "scale", "channel"}}, default="channel"
        Input scaling inside the network: none, divide by 255, or per-channel mean and
        sd learned in fit.
    augment : None, str, list or dict, default=None
        Training-time data augmentation, drawn per image and seeded by
        ``random_state``: a preset ("light", "standard", "strong"), a list of names
        ("rotation", "zoom", "width_shift", "height_shift", "hflip", "vflip",
        "contrast") or ``{{name: strength}}``; see :mod:`sklearn_dl.augmentation`.
    {_doc.TRAINING_IMAGE}
    {_doc.COMMON}
    class_weight : dict, "balanced" or None, default=None
        As in :class:`NNClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    {_doc.ATTRIBUTES}
    image_shape_ : tuple
        ``(C, H, W)`` of the training images; predict requires the same.

    Notes
    -----
    {_doc.TRAINING_NOTES}

    Examples
    --------
    >>> from sklearn_dl import CNNClassifier
    >>> from sklearn_dl.datasets import load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = CNNClassifier(architecture="vgg", filters=(16, 32), max_epochs=2,
    ...                     random_state=0).fit(X[:200], y[:200])
    >>> clf.predict_proba(X[:3]).shape
    (3, 10)
    """

    def __init__(
        self,
        *,
        architecture="small",
        filters=None,
        kernel_size=None,
        pooling=None,
        dense_units=None,
        dropout=None,
        batchnorm=None,
        activation=None,
        global_pool=None,
        image_shape=None,
        layout="auto",
        image_size=None,
        standardize="channel",
        augment=None,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        patience="auto",
        validation_fraction=None,
        mc_samples=0,
        warm_start=False,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        class_weight=None,
    ):
        self.architecture = architecture
        self.filters = filters
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.dense_units = dense_units
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self.global_pool = global_pool
        self.image_shape = image_shape
        self.layout = layout
        self.image_size = image_size
        self.standardize = standardize
        self.augment = augment
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.l1 = l1
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.mc_samples = mc_samples
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.class_weight = class_weight
