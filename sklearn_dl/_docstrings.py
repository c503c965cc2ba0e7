"""Parameter descriptions shared by the estimators' docstrings (one text, many classes).

The classes build their numpydoc docstrings with ``str.format`` from these fragments, so
a parameter is described once and every estimator says the same about it.
"""

#: The parameters the network is built from (each estimator has some of them): the
#: family and its head, the body and its input standardisation, and for transfer
#: learning which parts of the backbone train.  A warm start or ``partial_fit``
#: continues the fitted network, so ``_FitMixin`` refuses a change to any of these
#: since the network was built; every other parameter (``lr``, ``max_epochs``,
#: ``batch_size``, the optimizer and its settings, early stopping, callbacks, ...)
#: applies to the continued fit.
ARCHITECTURE = (
    "family", "heteroscedastic",
    # the MLP body
    "architecture", "hidden_layer_sizes", "activation", "dropout", "batchnorm",
    "standardize",
    # CNN bodies
    "filters", "kernel_size", "pooling", "dense_units", "global_pool",
    # pretrained backbones (TransferLearningClassifier)
    "backbone", "weights", "weights_format", "layer", "input_size", "trainable_blocks",
    "head_epochs", "block_lr_decay",
)

MLP = """\
hidden_layer_sizes : "auto", int or tuple of int, default="auto"
        Units of the MLP body's hidden layers; ``()`` gives a (generalised) linear
        model, e.g. NN logistic or Poisson regression.  "auto": one hidden layer of
        100 units when fitted on fewer than 5,000 rows, two of 100 from 5,000 rows on;
        a regressor that compares candidates on the validation split below 5,000 rows
        (``activation`` or ``dropout`` "auto", see there) gets two layers of 100 there
        too (the fitted ``hidden_layer_sizes_`` says which).
    activation : "auto", {"relu", "tanh", "sigmoid", "elu", "gelu", "leaky_relu", \
"identity"} or nn.Module class, default="auto"
        Activation after each hidden layer.  "auto": when fitted on fewer than 5,000
        rows with early stopping on a validation split of at least 40 rows (400 rows at
        the default 10 %, 200 for a classifier, which holds out 20 % there), the
        network is fitted with ReLU and with ELU (same split, initialisation and batch
        order) and the one with the lower validation loss is kept; ReLU otherwise.  The fitted ``activation_`` says which.
    dropout : float in [0, 1) or "auto", default="auto"
        Dropout probability after each hidden layer (training only, unless
        ``mc_samples > 0``).  "auto": when the fit stops early on a validation split,
        the network is fitted with dropout 0.1 and without and the one with the lower
        validation loss is kept: from 5,000 rows on, and for a regressor below 5,000
        rows too (from 40 validation rows; there the candidate without dropout must
        be lower by 0.02 nats per row).  Otherwise 0.1 below 5,000 rows (always with
        ``mc_samples > 0``) and 0 from there on.  The fitted ``dropout_`` says which.
    batchnorm : bool, default=False
        Batch normalisation after each hidden linear layer.
    architecture : "mlp", nn.Module or callable, default="mlp"
        The body: the MLP described by the four parameters above, or your own module
        mapping ``(batch, n_features)`` to ``(batch, k)`` (a fresh, seeded
        re-initialised copy is trained), or a callable ``n_features -> nn.Module``.
        With a custom module the MLP parameters must keep their defaults."""

FIT_INTERCEPT = """\
fit_intercept : bool, default=True
        Whether the model has an intercept, as in scikit-learn's linear models.  False
        is for a body without hidden layers (``hidden_layer_sizes=()``, a GLM): the
        output layer then has no bias, inputs (and a location-scale target) are scaled
        but not centred, and every linear predictor is 0 at ``x = 0``; a constant
        dispersion is still learned.  A body with hidden layers has biases of its own
        and is refused.  :class:`sklearn_dl.FormulaModel` sets it from the formula
        (``y ~ x - 1``, ``y ~ 0 + x``)."""

_TRAINING = """\
optimizer : {"adam", "adamw", "sgd", "rmsprop", "adagrad"} or torch optimizer class, \
default="adam"
    lr : float, default=1e-3
        Learning rate.
    @WEIGHT_DECAY@
    l1 : float, default=0.0
        L1 penalty on the weight matrices, added to the training loss.
    batch_size : int or "auto", default="auto"
        Samples per optimisation step.  "auto": ``clip(n_train // 32, 32, 256)`` for
        tables (128 for images), so small data sets get enough steps per epoch.
    max_epochs : int or "auto", default="auto"
        Passes over the training data.  "auto": a budget in optimisation steps (8,000
        for tables, 3,000 for images), between 10 and 2,000 epochs for tables (10 and
        100 for images); with early stopping this is a ceiling.
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the data, stop when the validation loss has
        not improved for ``patience`` epochs and restore the best epoch's weights.
        "auto": on from 100 samples when ``max_epochs="auto"``; off below (no rows to
        spare), with an explicit ``max_epochs`` (which asks for that many epochs) and for
        a body without hidden layers (a GLM trains its whole budget on all rows).
    patience : int or "auto", default="auto"
        Epochs without improvement before early stopping; "auto": a tenth of
        ``max_epochs`` for tables (about 300 optimisation steps for images), at least 5
        epochs.
    validation_fraction : float in [0, 1) or None, default=None
        Share held out for validation; None means 0.1 with early stopping (0.2 for a
        table classifier on fewer than 1,000 rows, where 10 % is too few labels to pick
        the best epoch on), else 0 (all data is used for training).  A positive value
        without early stopping only records ``valid_loss`` in ``history_``."""

_WEIGHT_DECAY_TABLES = """\
weight_decay : float or "auto", default="auto"
        L2 penalty (the optimizer's weight decay).  "auto": 1e-3 for an MLP with
        hidden layers on fewer than 5,000 rows (on small tables it keeps the net from
        growing over-confident), else 0 (a GLM, your own module, larger tables); the
        fitted ``weight_decay_`` says which."""

_WEIGHT_DECAY_IMAGES = """\
weight_decay : float or "auto", default=0.0
        L2 penalty (the optimizer's weight decay); "auto" (the tables' default) is 0
        for images."""

#: the training parameters of the tabular estimators, and of the image ones
TRAINING = _TRAINING.replace("@WEIGHT_DECAY@", _WEIGHT_DECAY_TABLES)
TRAINING_IMAGE = _TRAINING.replace("@WEIGHT_DECAY@", _WEIGHT_DECAY_IMAGES)

COMMON = """\
mc_samples : int, default=0
        Monte Carlo dropout: with k > 0, ``predict_dist`` (and every prediction) is the
        mixture of k forward passes with dropout active (batch normalisation stays in
        eval mode), seeded by ``random_state``.  Needs dropout > 0.
    warm_start : bool, default=False
        When True, ``fit`` continues from the previous fit's weights and optimizer
        state instead of starting afresh (``n_iter_`` adds up); the data must have the
        same features (and classes).  The training settings (``lr``, ``max_epochs``,
        ``batch_size``, ``weight_decay``, ``l1``, early stopping, callbacks, ...)
        are this fit's; another ``optimizer`` starts with a fresh state.  A change
        to a parameter the network is built from (the family, the body's layers,
        activation, dropout, batch normalisation, standardisation) since it was
        built raises a ValueError naming it: fit with ``warm_start=False`` then.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks, e.g. ``EpochScoring("accuracy")``, ``LRScheduler``,
        ``GradientNormClipping``, ``Checkpoint``, ``EarlyStopping`` or ``ProgressBar``.
        As in skorch, the objects you pass are the ones that run (read their state
        after ``fit``); scoring callbacks see targets and predictions in your units
        (labels, means of y).  Their parameters are settable as
        ``set_params(callbacks__<name>__<param>=...)`` with skorch's names (the tuple's
        name, else the class name, numbered when repeated).
    device : str, default="cpu"
        "cpu", "cuda", "cuda:<i>" or "auto" (CUDA when available).
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation split.
    verbose : int, default=0
        0 silent, 1 a progress bar over epochs with the training and validation loss
        (where an "auto" body compares candidates, one bar per candidate titled with
        it, then a line naming the one kept), 2 skorch's per-epoch table (best values
        in colour in a terminal or notebook, marked with ``*`` in a log)."""

ATTRIBUTES = """\
net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module.
    family_ : sklearn_dl.families.Family
        The distribution family of the head.
    history_ : skorch.History
        Per-epoch ``train_loss`` (and ``valid_loss`` with a validation split).
    n_iter_ : int
        Epochs run in total (adds up over warm starts and ``partial_fit``).
    n_epochs_ : int
        The same as ``n_iter_``.
    best_epoch_ : int
        Epoch (1-based) with the lowest validation (else training) loss.
    loss_curve_ : list of float
        Training loss (NLL per sample) per epoch, as in ``MLPRegressor``.
    validation_scores_ : list of float or None
        Minus the validation NLL per epoch (larger is better), when a validation split
        exists.
    best_validation_score_ : float or None
    best_loss_ : float
        Smallest training loss.
    null_loss_ : float
        Training NLL of the marginal model (the best constant prediction) the network
        started from.
    weight_decay_ : float
        The L2 penalty the network was trained with ("auto" resolved).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had string column names."""

MLP_ATTRIBUTES = """\
hidden_layer_sizes_ : tuple of int or None
        The hidden layers the network was built with ("auto" resolved; None for your
        own ``architecture`` module).
    dropout_ : float or None
        The dropout rate it was trained with ("auto" resolved, see ``dropout``).
    activation_ : str, nn.Module class or None
        The activation it was built with ("auto" resolved, see ``activation``)."""

TRAINING_NOTES = """\
Training.  Fitting either completes or leaves the estimator as it was.  If the loss
    diverges (non-finite, or far above the starting point's), or the fit is interrupted
    (Ctrl-C), training stops and the model keeps the best weights seen, with a
    :class:`~sklearn_dl.DivergenceWarning` ("lower the learning rate") or a
    :class:`~sklearn_dl.FitInterruptedWarning`; make the former an error with
    ``warnings.simplefilter("error", sklearn_dl.DivergenceWarning)``.  Reaching
    ``max_epochs`` while the loss still improves gives a ``ConvergenceWarning``."""
