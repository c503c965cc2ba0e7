"""Callbacks besides the monitor: the progress bar and the adaptors of user callbacks."""

from __future__ import annotations

import sys
from numbers import Number

from skorch.callbacks import Callback, PrintLog
from skorch.callbacks.scoring import ScoringBase

from .._progress import isatty, progress_bar
from .data import ArrayDataset


class EpochProgress(Callback):
    """A tqdm progress bar over epochs with the latest training and validation loss.

    tqdm writes plain text (no colour codes) to stderr; in a notebook ``tqdm.auto`` shows
    a widget.  When stderr is not a terminal the bar refreshes at most every few seconds.
    Messages of other callbacks sent to :meth:`note` (early stopping's "Stopping
    since ...") are printed once the bar is closed, not into its line.
    """

    def __init__(self, desc="fit", total=None):
        self.desc = desc
        self.total = total

    def initialize(self):
        self.bar_ = None
        self.notes_ = []
        return self

    def note(self, text):
        """Print ``text`` to stdout after the bar closes (a callback's ``sink``)."""
        if self.bar_ is None:
            print(text)
        else:
            self.notes_.append(text)

    def on_train_begin(self, net, **kwargs):
        self.bar_ = progress_bar(self.total or net.max_epochs, self.desc, "epoch")

    def on_epoch_end(self, net, **kwargs):
        if self.bar_ is None:
            return
        row = net.history[-1]
        post = {"train_loss": f"{row['train_loss']:.4g}"}
        if "valid_loss" in row:
            post["valid_loss"] = f"{row['valid_loss']:.4g}"
        self.bar_.set_postfix(post, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        if self.bar_ is not None:
            self.bar_.close()
            self.bar_ = None
        notes, self.notes_ = getattr(self, "notes_", []), []
        for text in notes:
            print(text)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["bar_"] = None  # a tqdm bar holds a stream: never pickled
        return state


class EpochTable(PrintLog):
    """skorch's per-epoch table (``verbose=2``), in colour only where colour shows.

    skorch colours each column's best value with ANSI codes.  In a log file or a pipe
    they are noise, so when stdout is neither a terminal nor a notebook the best values
    are marked with ``*`` instead.
    """

    def initialize(self):
        super().initialize()
        self.colour_ = isatty(sys.stdout) or "ipykernel" in sys.modules
        return self

    def format_row(self, row, key, color):
        if getattr(self, "colour_", True):
            return super().format_row(row, key, color)
        text = super().format_row({key: row[key]}, key, color)  # no "_best": no colour
        if key + "_best" in row and isinstance(row[key], Number) \
                and not isinstance(row[key], bool):
            text += "*" if row[key + "_best"] else " "
        return text


class _UserTargets(Callback):
    """Hands a user's scoring callback the targets in the estimator's terms.

    skorch's ``EpochScoring``/``BatchScoring`` read ``y`` from the batches and datasets,
    where the net keeps ``(standardised y, weight)`` pairs; this wrapper passes them the
    target in the user's units (class indices for classifiers) and forwards everything
    else, so ``EpochScoring("r2")`` or ``EpochScoring("accuracy", on_train=True)`` work.
    The user's callback object itself is the one that runs (its state is readable
    after ``fit``); attribute access is forwarded to it.
    """

    def __init__(self, inner, outputs):
        self.inner = inner
        self.outputs = outputs

    def initialize(self):
        self.inner.initialize()
        return self

    def _view(self, dataset):
        if isinstance(dataset, ArrayDataset) and dataset.y is not None:
            return ArrayDataset(dataset.X, self.outputs.target_tensor(dataset.y))
        return dataset

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.inner.on_train_begin(net, X=X, y=y, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.inner.on_train_end(net, X=X, y=y, **kwargs)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.inner.on_epoch_begin(net, dataset_train=self._view(dataset_train),
                                  dataset_valid=self._view(dataset_valid), **kwargs)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.inner.on_epoch_end(net, dataset_train=self._view(dataset_train),
                                dataset_valid=self._view(dataset_valid), **kwargs)

    def on_batch_begin(self, net, batch=None, **kwargs):
        self.inner.on_batch_begin(net, batch=self._batch(batch), **kwargs)

    def on_batch_end(self, net, batch=None, **kwargs):
        self.inner.on_batch_end(net, batch=self._batch(batch), **kwargs)

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.inner.on_grad_computed(net, named_parameters, **kwargs)

    def _batch(self, batch):
        if batch is None:
            return batch
        X, target = batch
        return X, (None if target is None else self.outputs.target_tensor(target))

    def get_params(self, deep=True):
        return self.inner.get_params(deep=deep)

    def __getattr__(self, name):
        if name in ("inner", "outputs") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def _user_callbacks(callbacks, outputs):
    """The user's callbacks under the names skorch would give them; scoring callbacks
    are wrapped by :class:`_UserTargets`."""
    out = []
    for item, name in zip(callbacks or (), callback_names(callbacks)):
        cb = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        if not isinstance(cb, Callback):
            raise TypeError("callbacks must be skorch Callback instances or (name, Callback) "
                            f"tuples; got {item!r}.")
        if isinstance(cb, ScoringBase):
            cb = _UserTargets(cb, outputs)
        out.append((name, cb))
    return out


def callback_names(callbacks):
    """The names skorch gives these user callbacks (tuple names, else the class name,
    numbered when repeated): the keys of ``set_params(callbacks__<name>__<param>=...)``."""
    names = [item[0] if isinstance(item, tuple) else type(item).__name__
             for item in callbacks or ()]
    counts = {n: names.count(n) for n in names}
    seen, out = {}, []
    for item, n in zip(callbacks or (), names):
        if isinstance(item, tuple) or counts[n] == 1:
            out.append(n)
        else:
            seen[n] = seen.get(n, 0) + 1
            out.append(f"{n}_{seen[n]}")
    return out
