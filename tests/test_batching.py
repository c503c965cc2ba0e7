"""The training loop's plumbing (``sklearn_dl._skorch``): batches gathered in chunks are
the batches indexed one by one, no-gradient passes batch big tables only, and the
train/eval switch follows whoever changed the mode."""

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from sklearn_dl import NNClassifier, _skorch
from sklearn_dl._skorch import data as data_module


def _dataset(n=1000, d=3, weights=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    w = torch.rand(n, generator=g) if weights else None
    return _skorch.ArrayDataset(X, y, w)


def _batches(dataset, **kwargs):
    return list(_skorch.BatchIterator(dataset, **kwargs))


def _one_by_one(dataset, batch_size, seed):
    """The reference: one shuffled permutation, each batch indexed on its own."""
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    return [dataset.batch(order[s:s + batch_size]) for s in range(0, len(dataset),
                                                                    batch_size)]


def _assert_same(batches, reference):
    assert len(batches) == len(reference)
    for (X, (y, w)), (Xr, (yr, wr)) in zip(batches, reference):
        assert torch.equal(X, Xr) and torch.equal(y, yr)
        assert (w is None and wr is None) or torch.equal(w, wr)


def test_chunked_shuffled_batches_equal_batches_indexed_one_by_one(monkeypatch):
    data = _dataset()
    reference = _one_by_one(data, 64, seed=3)
    _assert_same(_batches(data, batch_size=64, shuffle=True, seed=3), reference)
    # chunks of 2 batches (of 3 features): several gathers, the same batches
    monkeypatch.setattr(data_module, "_CHUNK_ELEMENTS", 64 * 3 * 2)
    _assert_same(_batches(data, batch_size=64, shuffle=True, seed=3), reference)
    unweighted = _dataset(weights=False)
    _assert_same(_batches(unweighted, batch_size=64, shuffle=True, seed=3),
                 _one_by_one(unweighted, 64, seed=3))


def test_unshuffled_batches_are_views_in_order():
    data = _dataset(n=130)
    batches = _batches(data, batch_size=64)
    assert [len(X) for X, _ in batches] == [64, 64, 2]
    assert torch.equal(torch.cat([X for X, _ in batches]), data.X)
    assert batches[0][0].data_ptr() == data.X.data_ptr()  # a view, not a copy


def test_no_gradient_passes_batch_tables_but_not_images():
    table = _dataset(n=10_000, d=20)
    assert _skorch.eval_batch_size(table, 128) == 4096
    wide = _skorch.ArrayDataset(torch.zeros(100, 100_000), torch.zeros(100))
    assert _skorch.eval_batch_size(wide, 32) == 32  # never below the training batch
    for shape in [(10, 1, 8, 8), (10, 3, 64, 64)]:  # small or large images
        images = _skorch.ArrayDataset(torch.zeros(shape), torch.zeros(10))
        assert _skorch.eval_batch_size(images, 128) == 128


class SwitchToEval(Callback):
    """Put the whole network in eval mode after each epoch (as a careless callback
    might); training must switch it back, or dropout would silently stop."""

    def __init__(self):
        self.modes = []

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.modes.append(net.module_.training)

    def on_epoch_end(self, net, **kwargs):
        net.module_.eval()


def test_training_switches_back_a_network_someone_put_in_eval_mode():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] > 0).astype(int)
    spy = SwitchToEval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        NNClassifier(hidden_layer_sizes=(8,), dropout=0.2, max_epochs=3, callbacks=[spy],
                     random_state=0).fit(X, y)
    # skorch's on_batch_begin runs before the train step switches modes: the first
    # batch of each later epoch sees eval, every other batch sees training
    batches_per_epoch = len(spy.modes) // 3
    assert all(m for i, m in enumerate(spy.modes) if i % batches_per_epoch)


def test_a_new_module_is_switched_whatever_the_net_set_before():
    # the net remembers the mode it set on the module object itself: a module put in
    # its place (a re-initialised net, a warm start's rebuilt module) is switched
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = NNClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(
            X, (X[:, 0] > 0).astype(int))
    net = est.net_
    net._set_training(True)
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5))
    fresh[1].eval()  # training at the top, one part in eval mode
    net.module_ = fresh
    net._set_training(True)
    assert all(m.training for m in fresh.modules())
