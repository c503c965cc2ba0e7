"""Classifiers: a network body times a Bernoulli or Categorical head."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from ._base import _BaseNN
from ._dask import dask_rows
from ._image_base import _ImageMixin
from .families import Bernoulli, Categorical


class _NNClassifierBase(ClassifierMixin, _BaseNN):
    """Label encoding, class weights and probability outputs for every classifier body."""

    def _validate_xy(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        return X, y

    def _check_y(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _prepare_target(self, y):
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but the data "
                f"contains only one class: {encoder.classes_[0]!r}.")
        self.classes_ = encoder.classes_
        return encoder.transform(y)

    def _get_family(self, y):
        return Bernoulli() if len(self.classes_) == 2 else Categorical()

    def _n_targets(self, y):
        return len(self.classes_)

    def _stratify(self, y):
        return y

    def _fit_sample_weight(self, sample_weight, X, y):
        w = super()._fit_sample_weight(sample_weight, X, y)
        if self.class_weight is not None:
            w = w * compute_sample_weight(self.class_weight, y)
        return w

    @dask_rows
    def predict_proba(self, X):
        """Class probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        params = self._dist_params(X)  # checks fittedness first
        return self.family_.mean(params)

    @dask_rows
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @dask_rows
    def predict(self, X):
        """Most probable class label for each sample."""
        proba = self.predict_proba(X)  # checks fittedness before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_dist(self, X):
        """Predictive distribution as a frozen scipy object: ``bernoulli(p)`` of the
        second class for two classes, ``multinomial(1, p)`` on one-hot vectors else."""
        params = self._dist_params(X)
        return self.family_.to_scipy(params)


class NNClassifier(_NNClassifierBase):
    """Neural-network classifier: NN logistic regression (two classes) or softmax
    regression (more), with an MLP body.

    With two classes the network has one output, the logit of ``classes_[1]``, trained
    by the Bernoulli NLL (binary cross-entropy); with ``K > 2`` classes it has ``K``
    outputs trained by the categorical NLL (cross-entropy).  Labels may be ints or
    strings.  With ``hidden_layer_sizes=()`` this is (multinomial) logistic regression.

    Parameters
    ----------
    hidden_layer_sizes, activation, dropout, batchnorm, optimizer, lr, weight_decay, \
l1, batch_size, max_epochs, early_stopping, patience, validation_fraction, \
standardize, callbacks, device, random_state, verbose
        As in :class:`sklearn_dl.GaussianNLLRegressor`.  The validation split used
        for early stopping is stratified by class.
    class_weight : dict, "balanced" or None, default=None
        Weights per class multiplying the sample weights, as in scikit-learn.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skorch.NeuralNet
    family_ : sklearn_dl.families.Bernoulli or Categorical
    history_ : skorch.History
    n_epochs_ : int
    best_epoch_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> from sklearn_dl import NNClassifier
    >>> from sklearn_dl.datasets import load_banknote
    >>> X, y = load_banknote(return_X_y=True)
    >>> clf = NNClassifier(hidden_layer_sizes=(), lr=0.05, max_epochs=20,
    ...                    random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        batchnorm=False,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size=128,
        max_epochs=100,
        early_stopping=False,
        patience=10,
        validation_fraction=None,
        standardize=True,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, dropout=dropout,
            batchnorm=batchnorm, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
            l1=l1, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, patience=patience,
            validation_fraction=validation_fraction, standardize=standardize,
            callbacks=callbacks, device=device, random_state=random_state,
            verbose=verbose)
        self.class_weight = class_weight


class CNNClassifier(_ImageMixin, NNClassifier):
    """Convolutional neural-network classifier for images.

    A CNN body (a preset or your own module) times a Bernoulli/Categorical head, with
    every guarantee of :class:`NNClassifier`.  Images may be numpy arrays ``(n, H, W)``,
    ``(n, H, W, C)`` or ``(n, C, H, W)`` (uint8 0-255 or float), flattened ``(n, H*W*C)``
    arrays or DataFrames with ``image_shape=``, lists of PIL images, or lists of file
    paths (read batch by batch, never all at once).

    Parameters
    ----------
    architecture : {"small", "lenet5", "vgg", "resnet"}, nn.Module or callable, \
default="small"
        Preset body (see :func:`sklearn_dl.bodies.make_cnn`), or your own module
        (a fresh, seeded re-initialised copy is trained), or a callable
        ``(C, H, W) -> nn.Module``.
    filters, kernel_size, pooling, dense_units, dropout, batchnorm, activation, \
global_pool : default=None
        Override the preset's choices: ``filters`` channels per convolution stage,
        ``pooling`` "max"/"avg", ``dense_units`` hidden dense layers, ``dropout`` rate,
        ``global_pool=True`` for global average pooling (any input size).  None keeps
        the preset's value.
    image_shape : tuple, default=None
        Shape of one image for flattened 2-D input: ``(H, W)``, ``(H, W, C)``, or
        ``(C, H, W)`` with ``layout="channels_first"``.
    layout : {"auto", "channels_last", "channels_first"}, default="auto"
        Where the channel axis is; needed only when the shape is ambiguous, e.g.
        ``(n, 3, 3, 3)``.
    image_size : int or (H, W), default=None
        Resize every image (needed for files of different sizes).
    standardize : {None, "scale", "channel"}, default="channel"
        Input scaling inside the network: none, divide by 255, or per-channel mean and
        sd learned in fit.
    augment : None, str, list or dict, default=None
        Training-time data augmentation, drawn per image and seeded by
        ``random_state``: a preset ("light", "standard", "strong"), a list of names
        ("rotation", "zoom", "width_shift", "height_shift", "hflip", "vflip",
        "contrast") or ``{name: strength}``; see :mod:`sklearn_dl.augmentation`.
    optimizer, lr, weight_decay, l1, batch_size, max_epochs, early_stopping, patience, \
validation_fraction, callbacks, device, random_state, verbose, class_weight
        As in :class:`NNClassifier`.

    Attributes
    ----------
    classes_, net_, family_, history_, n_epochs_, best_epoch_
        As in :class:`NNClassifier`.
    image_shape_ : tuple
        ``(C, H, W)`` of the training images; predict requires the same.
    n_features_in_ : int or None
        Number of columns for flattened input, else None.

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
        batch_size=128,
        max_epochs=20,
        early_stopping=False,
        patience=5,
        validation_fraction=None,
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
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.class_weight = class_weight
