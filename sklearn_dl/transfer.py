"""TransferLearningClassifier: fine-tune an ImageNet backbone with a new head."""

from __future__ import annotations

import numbers
from collections import OrderedDict

from torch import nn

from ._base import _check_number
from ._plan import is_auto
from ._warn import warn
from ._image_base import _ImageMixin, _PretrainedInputMixin
from .augmentation import parse_augment
from .bodies import make_mlp
from .bodies.pretrained import block_param_groups, build_feature_extractor
from ._classifier_base import _NNClassifierBase
from .images import check_image_size


class TransferLearningClassifier(_PretrainedInputMixin, _ImageMixin, _NNClassifierBase):
    """Image classifier on a pretrained backbone with a new head (transfer learning).

    Training follows the course's recipe, built on skorch's ``Freezer``/``Unfreezer``
    callbacks and optimizer param groups:

    1. the backbone is frozen and only the new head (optional dense layers + the
       classification layer) is trained, for ``head_epochs`` epochs;
    2. if ``trainable_blocks > 0``, the top ``trainable_blocks`` blocks of the backbone are
       then unfrozen and trained on, with smaller learning rates: ``lr * 0.1`` for the top
       block and ``lr * 0.01`` for deeper ones (``block_lr_decay``).  Blocks below stay
       frozen throughout, and batch-normalisation statistics of the backbone are kept.

    ``max_epochs`` counts both phases.  Each weight source carries its preprocessing
    (resize to ``input_size``, grey to RGB, channel order, scaling), so images go in as
    they are: uint8 0-255, floats on the same scale, or floats in [0, 1] with
    ``pixel_range=1``.

    Parameters
    ----------
    backbone : {"vgg16", "vgg19", "resnet18", "resnet50", "mobilenet_v3_small", \
"efficientnet_lite0"}, default="vgg16"
    weights, weights_format, layer, pooling, input_size, pixel_range
        The backbone's weights, feature stage and input scale, as in
        :class:`sklearn_dl.PretrainedFeatureTransformer` (float images whose values all
        lie in (0, 1] are refused unless ``pixel_range=1``, in ``fit`` and ``predict``).
    dense_units : tuple of int, default=()
        Hidden dense layers of the new head (ReLU).
    dropout : float, default=0.0
        Dropout on the input of each dense layer of the head: on the backbone's
        features, and on each hidden layer's output (the classification layer's input).
    trainable_blocks : int or "all", default=0
        Number of top backbone blocks fine-tuned after the head phase; 0 keeps the whole
        backbone frozen (features + a trained head).
    head_epochs : int, default=3
        Epochs of phase 1 (ignored when ``trainable_blocks=0``).  It must be below
        ``max_epochs``, which counts both phases (``fit`` raises a ``ValueError``
        otherwise); a fit that stops before phase 2 for another reason (early stopping,
        the ``max_epochs="auto"`` budget) warns that the backbone was never fine-tuned.
    block_lr_decay : tuple of float, default=(0.1, 0.01)
        Learning-rate multipliers of the unfrozen blocks, from the top block down; the
        last value repeats for deeper blocks.
    augment, image_shape, layout, image_size
        As in :class:`sklearn_dl.CNNClassifier`.
    optimizer, lr, weight_decay, l1, batch_size, max_epochs, early_stopping, patience, \
validation_fraction, mc_samples, warm_start, callbacks, device, random_state, verbose, \
class_weight
        As in :class:`NNClassifier`; ``lr`` is the head's learning rate.  Transfer
        learning keeps explicit training defaults (10 epochs of batch 32, no early
        stopping): every epoch runs the backbone, so a step budget would be slow.

    Attributes
    ----------
    classes_, net_, family_, history_, n_epochs_, best_epoch_, image_shape_
        As in :class:`sklearn_dl.CNNClassifier`.
    fine_tuning_ : list of (str, float)
        Each backbone block with its learning-rate multiplier in phase 2 (0 = frozen).

    Examples
    --------
    >>> from sklearn_dl import TransferLearningClassifier
    >>> from sklearn_dl.datasets import load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = TransferLearningClassifier("resnet18", weights=None, input_size=32,
    ...                                  trainable_blocks=1, head_epochs=1, max_epochs=2,
    ...                                  random_state=0).fit(X[:64], y[:64])
    >>> [name for name, mult in clf.fine_tuning_ if mult > 0]
    ['layer4']
    """

    def __init__(
        self,
        backbone="vgg16",
        *,
        weights="DEFAULT",
        weights_format=None,
        layer=None,
        pooling="avg",
        input_size=None,
        pixel_range=255,
        dense_units=(),
        dropout=0.0,
        trainable_blocks=0,
        head_epochs=3,
        block_lr_decay=(0.1, 0.01),
        augment=None,
        image_shape=None,
        layout="auto",
        image_size=None,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        l1=0.0,
        batch_size=32,
        max_epochs=10,
        early_stopping=False,
        patience=5,
        validation_fraction=None,
        mc_samples=0,
        warm_start=False,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        class_weight=None,
    ):
        self.backbone = backbone
        self.weights = weights
        self.weights_format = weights_format
        self.layer = layer
        self.pooling = pooling
        self.input_size = input_size
        self.pixel_range = pixel_range
        self.dense_units = dense_units
        self.dropout = dropout
        self.trainable_blocks = trainable_blocks
        self.head_epochs = head_epochs
        self.block_lr_decay = block_lr_decay
        self.augment = augment
        self.image_shape = image_shape
        self.layout = layout
        self.image_size = image_size
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

    _check_rows = 32  # a pretrained backbone's forward pass is expensive

    def _check_body_params(self):
        self._check_layout()
        self._check_pixel_range_param()
        _check_number("dropout", self.dropout, low=0, high=1, high_open=True)
        _check_number("head_epochs", self.head_epochs, low=0, integer=True)
        if self.trainable_blocks != "all":
            _check_number("trainable_blocks", self.trainable_blocks, low=0, integer=True)
        if self.trainable_blocks != 0 and not is_auto(self.max_epochs) \
                and self.head_epochs >= self.max_epochs:
            # the blocks would be unfrozen after the last epoch: a fit that silently
            # never fine-tunes
            raise ValueError(
                f"head_epochs={self.head_epochs} leaves no epoch for fine-tuning: "
                f"max_epochs={self.max_epochs} counts both phases, so the "
                f"trainable_blocks={self.trainable_blocks!r} would never be unfrozen. Set "
                f"max_epochs above head_epochs (e.g. max_epochs={self.head_epochs + 3}), "
                "fewer head_epochs, or trainable_blocks=0 to train the head alone.")
        dense = self.dense_units
        if isinstance(dense, numbers.Integral) and not isinstance(dense, bool):
            dense = (dense,)
        if not isinstance(dense, (tuple, list)):
            raise TypeError(f"dense_units must be a tuple of ints (() for none), got "
                            f"{self.dense_units!r}.")
        for units in dense:
            _check_number("each entry of dense_units", units, low=1, integer=True)
        decay = self.block_lr_decay
        if decay is not None:
            if isinstance(decay, str) or not isinstance(decay, (numbers.Real, tuple, list)):
                raise TypeError(f"block_lr_decay must be a number or a tuple of numbers, "
                                f"got {decay!r}.")
            for d in (decay,) if isinstance(decay, numbers.Real) else decay:
                _check_number("each entry of block_lr_decay", d, low=0, low_open=True)
            if not isinstance(decay, numbers.Real) and not len(decay):
                raise ValueError("block_lr_decay must not be empty; use e.g. (0.1, 0.01).")
        check_image_size(self.input_size, name="input_size")
        check_image_size(self.image_size)
        parse_augment(self.augment)
        return tuple(dense)

    def _make_body(self, X, body_params):
        # a trainable copy: fine-tuning must never touch the per-process cached weights
        extractor = build_feature_extractor(
            self.backbone, self.weights, layer=self.layer, pooling=self.pooling,
            input_size=self.input_size, weights_format=self.weights_format, copy=True,
            pixel_range=self._check_pixel_range_param())
        dense, n_features = make_mlp(extractor.n_features, body_params, "relu",
                                     self.dropout)
        # ImageNet features are far from unit scale (VGG16's Caffe-layout block outputs run
        # to ~1,000 with mean ~60): without a normalisation the new head does not learn
        # from a frozen backbone.  BatchNorm learns the features' scale during the head
        # phase (its running statistics are the head's, the backbone stays frozen).
        parts = [("backbone", extractor),
                 ("feature_norm", nn.BatchNorm1d(extractor.n_features))]
        # dropout on the input of every dense layer: the features here, each hidden
        # layer's output in make_mlp (appending it after ``dense`` doubled the last one)
        if self.dropout:
            parts.append(("dropout", nn.Dropout(self.dropout)))
        parts.append(("dense", dense))
        # named parts: ``body.backbone`` holds the stages (``layer="layer4"``) for
        # freezing, per-block learning rates and sklearn_dl.inspection
        return nn.Sequential(OrderedDict(parts)), n_features

    def _make_preprocess(self, X_train, w_train):
        return None

    def _placeholder_preprocess(self):
        return None  # the weight source's own preprocessing is part of the backbone

    def _after_training(self, net, monitor, plan, epochs_before, partial, train_data):
        super()._after_training(net, monitor, plan, epochs_before, partial, train_data)
        tuned = any(mult > 0 for _, mult in getattr(self, "fine_tuning_", ()))
        # a diverged fit has said so already
        if tuned and not partial and epochs_before == 0 and monitor.stop_reason is None \
                and self.n_epochs_ <= self.head_epochs:
            warn(f"{type(self).__name__}.fit ended after {self.n_epochs_} epoch(s), within "
                 f"the head phase (head_epochs={self.head_epochs}): the "
                 f"trainable_blocks={self.trainable_blocks!r} were never fine-tuned. Lower "
                 "head_epochs, or give the fit more epochs (max_epochs, patience).")

    def _fine_tuning(self, module):
        plan = block_param_groups(module, self.trainable_blocks, self.lr,
                                  decay=self.block_lr_decay)
        self.fine_tuning_ = [(name, mult) for name, _, mult in plan.blocks]
        unfrozen = [p for _, patterns, mult in plan.blocks if mult > 0 for p in patterns]
        if not unfrozen:
            return {"freeze": plan.frozen}
        # phase 1 trains the head alone: the blocks to fine-tune start frozen too
        return {"freeze": plan.frozen + unfrozen,
                "unfreeze_at": (unfrozen, self.head_epochs + 1),
                "param_groups": plan.param_groups}
