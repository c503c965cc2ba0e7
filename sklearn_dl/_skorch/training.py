"""Driving a built net: seeding, (warm) fits, ``partial_fit`` epochs, what stopped it."""

from __future__ import annotations

import contextlib
import os
import threading

import torch
from skorch.callbacks import EarlyStopping
from skorch.helper import predefined_split

# torch's global generator is one per process, and dropout (like nn.Module's own
# initialisation) draws from it with no way to pass a generator of our own.  Seeded
# sections running at once in threads of one process (joblib's threading backend, Dask
# with processes=False) would draw from each other's streams, and one section's restore
# would rewind another's; so they take turns under this lock.  It costs only threads of
# one process their parallelism (each fit still uses torch's intra-op threads); worker
# processes (loky, Dask's default) each have their own generator and lock.  Re-entrant:
# a seeded prediction inside a seeded fit (a user's callback) runs on.
_RNG_LOCK = threading.RLock()


def _new_lock_in_child():
    # a fork while another thread held the lock would leave the child's copy locked
    global _RNG_LOCK
    _RNG_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


@contextlib.contextmanager
def seeded(seed):
    """Seed torch's global RNG (weight init, dropout, augmentation) inside the block and
    restore the caller's RNG state afterwards, so fitting never disturbs user code.

    Seeded blocks of one process run one at a time (see ``_RNG_LOCK``), so a seeded fit
    gives the same result in a thread, next to other fits, as alone.
    """
    with _RNG_LOCK, torch.random.fork_rng(devices=[]):
        # the CPU generator directly: torch.manual_seed also queues a lazy CUDA seeding
        # (with a stack trace) even when no GPU exists, 0.3 ms per call
        torch.default_generator.manual_seed(int(seed))
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(int(seed))
        yield


def set_validation(net, valid_data):
    """Point an initialised net at new validation data."""
    net.train_split = predefined_split(valid_data) if valid_data is not None else None


def continue_from(net, old):
    """Initialise ``net``, built around ``old``'s module, to continue ``old``'s training
    (warm starts, ``partial_fit``): it takes over the history and, when its optimizer is
    of the same class, the optimizer's state (Adam's moments, step counts), while the
    optimizer's settings (learning rates, weight decay, ...) stay ``net``'s own: the
    continued fit trains with the estimator's current parameters.  Returns ``net``."""
    net.initialize()
    net.history = old.history
    new_opt, old_opt = net.optimizer_, getattr(old, "optimizer_", None)
    if old_opt is not None and type(old_opt) is type(new_opt):
        settings = [{k: v for k, v in group.items() if k != "params"}
                    for group in new_opt.param_groups]
        new_opt.load_state_dict(old_opt.state_dict())
        for group, own in zip(new_opt.param_groups, settings):
            group.update(own)
    return net


def fit_net(net, train_data, epochs=None, warm=False):
    """Train; returns the net.  ``warm=True`` continues an initialised net
    (skorch's ``partial_fit``); ``epochs`` overrides ``max_epochs`` for this call."""
    if warm:
        return net.partial_fit(train_data, None, epochs=epochs)
    if epochs is not None:
        net.max_epochs = epochs
    return net.fit(train_data, None)


def partial_epoch(net, train_data):
    """One epoch over ``train_data`` (``partial_fit``): no validation split, no early
    stopping, even when the net was first fitted with them."""
    if not net.initialized_:
        net.initialize()
    saved_split, saved_callbacks = net.train_split, net.callbacks_
    net.train_split = None
    net.callbacks_ = [(name, cb) for name, cb in net.callbacks_
                      if not isinstance(cb, EarlyStopping) and name != "valid_loss"]
    try:
        net.partial_fit(train_data, None, epochs=1)
    finally:
        net.train_split, net.callbacks_ = saved_split, saved_callbacks
    return net


def stopped_early(net):
    """Whether skorch's EarlyStopping (ours or a user's) ended training."""
    for _, cb in getattr(net, "callbacks_", ()):
        if isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience:
            return True
    return False


def callback(net, name):
    """The initialised callback called ``name`` in a fitted net."""
    return dict(net.callbacks_)[name]
