"""Data plumbing for the net: in-memory datasets and a fast batch iterator.

skorch's default ``DataLoader`` indexes and collates sample by sample, which costs more
than a small MLP's forward/backward; :class:`BatchIterator` slices whole batches out of
in-memory tensors (seeded shuffling) and falls back to a seeded ``DataLoader`` for other
datasets (lazily loaded image files).
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader


#: Shuffled batches are gathered in chunks of about this many input elements (16 MB of
#: float32)
_CHUNK_ELEMENTS = 1 << 22


class ArrayDataset(SkorchDataset):
    """In-memory tensors ``X`` and optional target ``y`` and sample weights ``w``.

    Items are ``(x, (y, w))`` so that skorch hands ``(y, w)`` to
    :meth:`DistributionNet.get_loss`; without ``y`` an item is ``(x, None)``.  ``w`` may
    be None (no weights: nothing to index and multiply per batch).  A skorch ``Dataset``
    (without its conversions), so skorch's scoring callbacks find ``X`` and ``y``.
    """

    def __init__(self, X, y=None, w=None, length=None):  # noqa: D107 - skorch's signature
        self.X = X
        self.y = y
        self.w = w

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        if self.y is None:
            return self.X[i], None
        return self.X[i], (self.y[i], None if self.w is None else self.w[i])

    def batch(self, idx):
        """The batch at index tensor/slice ``idx``, in the item layout above (subclasses
        with lazily loaded inputs load just these rows)."""
        if self.y is None:
            return self.X[idx], None
        return self.X[idx], (self.y[idx], None if self.w is None else self.w[idx])

    def gathered(self, order):
        """The rows at index tensor ``order`` as an ``ArrayDataset`` of tensors (one
        gather per tensor; its batches are then views).  Needs tensor inputs."""
        def take(t):
            return None if t is None else t.index_select(0, order)
        return ArrayDataset(take(self.X), take(self.y), take(self.w))

    def rows(self, start, length):
        """The batch of rows ``start:start + length`` as views.  Needs tensor inputs."""
        def view(t):
            return None if t is None else t.narrow(0, start, length)
        if self.y is None:
            return view(self.X), None
        return view(self.X), (view(self.y), view(self.w))


def _collate(items):
    X = torch.stack([x for x, _ in items])
    if items[0][1] is None:
        return X, None
    y = torch.stack([torch.as_tensor(t[1][0]) for t in items])
    if items[0][1][1] is None:
        return X, (y, None)
    w = torch.stack([torch.as_tensor(t[1][1]) for t in items])
    return X, (y, w)


class ShuffleSeeds:
    """A picklable seed sequence: skorch builds a new iterator every epoch, and each one
    takes the next seed, so epochs see different (but reproducible) batch orders."""

    def __init__(self, seed):
        self.seed = None if seed is None else int(seed)
        self.epoch = 0

    def next(self):
        """The seed for the next pass over the data (None: unseeded)."""
        if self.seed is None:
            return None
        self.epoch += 1
        return (self.seed + 7919 * self.epoch) % (2**63 - 1)


class BatchIterator:
    """Iterate over ``(X_batch, target)`` batches of a dataset, as skorch's iterators do.

    Parameters
    ----------
    dataset : ArrayDataset or torch Dataset
    batch_size : int
    shuffle : bool
        Reshuffle at every pass (epoch).
    seed : int, ShuffleSeeds or None
        Seed of the private generator used for shuffling; a :class:`ShuffleSeeds` gives
        a new seed per pass.
    transform : callable or None
        Applied to each input batch (e.g. data augmentation on training batches).
    no_single_row : bool, default=False
        Never hand out a batch of one row: a remainder of one joins the batch before
        it.  For networks with batch normalisation, which cannot normalise one row in
        training mode (the remainder depends on the data's size, so without this a fit
        would fail on some sizes only).
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, seed=None, transform=None,
                 no_single_row=False, **loader_kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.transform = transform
        self.no_single_row = no_single_row
        self.loader_kwargs = loader_kwargs
        self.generator = torch.Generator()
        if isinstance(seed, ShuffleSeeds):
            seed = seed.next() if shuffle else None
        if seed is not None:
            self.generator.manual_seed(int(seed))

    def __len__(self):
        return len(self._bounds(len(self.dataset)))

    def _bounds(self, n):
        """``(start, stop)`` of each batch of ``n`` rows."""
        bs = self.batch_size
        bounds = [(start, min(start + bs, n)) for start in range(0, n, bs)]
        if self.no_single_row and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
            bounds[-2:] = [(bounds[-2][0], n)]
        return bounds

    def _batches(self):
        if isinstance(self.dataset, ArrayDataset):
            data, n, bs = self.dataset, len(self.dataset), self.batch_size
            order = torch.randperm(n, generator=self.generator) if self.shuffle else None
            if type(data).batch is not ArrayDataset.batch or not isinstance(data.X,
                                                                        torch.Tensor):
                for start, stop in self._bounds(n):  # lazily loaded: the dataset's batches
                    yield data.batch(order[start:stop] if order is not None
                                     else slice(start, stop))
                return
            if order is None or n == 0:
                for start, stop in self._bounds(n):
                    yield data.rows(start, stop - start)
                return
            # Gather a chunk of shuffled rows at once and hand out views of it: one
            # indexing call per chunk instead of one per batch (each costs about as much
            # as a small MLP's layer), while a chunk stays small next to the data.  A
            # chunk is a whole number of batches and the last one takes the remainder
            # (at least two rows with ``no_single_row``).
            chunk = bs * max(1, _CHUNK_ELEMENTS // (bs * max(1, data.X[0].numel())))
            firsts = list(range(0, n, chunk))
            if self.no_single_row and len(firsts) > 1 and n - firsts[-1] == 1:
                firsts.pop()
            for i, first in enumerate(firsts):
                last = firsts[i + 1] if i + 1 < len(firsts) else n
                part = data.gathered(order[first:last])
                for start, stop in self._bounds(len(part)):
                    yield part.rows(start, stop - start)
        else:
            n = len(self.dataset)
            order = (torch.randperm(n, generator=self.generator) if self.shuffle
                     else torch.arange(n))
            batches = [order[start:stop].tolist() for start, stop in self._bounds(n)]
            loader = DataLoader(self.dataset, batch_sampler=batches, collate_fn=_collate,
                                **self.loader_kwargs)
            yield from loader

    def __iter__(self):
        for X, target in self._batches():
            if self.transform is not None:
                X = self.transform(X)
            yield X, target


#: Evaluation passes over a table (no gradients) take batches of about this many
#: input elements, up to :data:`_EVAL_MAX_ROWS` rows, and never fewer than the net's
#: ``batch_size``: a small table in one or two forward calls instead of one per
#: training batch.  Images keep their training batch (a CNN's activations are many
#: times its input).
_EVAL_ELEMENTS, _EVAL_MAX_ROWS = 1 << 18, 4096


def eval_batch_size(dataset, batch_size):
    """Rows per batch for a no-gradient pass over ``dataset`` (see above)."""
    X = getattr(dataset, "X", None)
    if not isinstance(X, torch.Tensor) or X.dim() != 2 or len(X) == 0:
        return max(1, batch_size)
    rows = min(_EVAL_MAX_ROWS, _EVAL_ELEMENTS // max(1, X.shape[1]))
    return max(1, batch_size, rows)


def as_float_tensor(X):
    """float32 tensor view of a numpy array (no copy when already float32)."""
    return torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
