"""The feature cache of ``PretrainedFeatureTransformer(memory=...)``: one ``.npy`` file per
image, named by the image's content hash, readable without unpickling."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import joblib
import numpy as np
import torch

from ._warn import warn


def _image_digest(item):
    """Content hash of one image: file bytes for paths, pixel bytes otherwise."""
    h = hashlib.blake2b(digest_size=16)
    if isinstance(item, (str, os.PathLike)):
        with open(item, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    elif hasattr(item, "getdata") and hasattr(item, "mode"):  # PIL image
        h.update(f"{item.mode}{item.size}".encode())
        h.update(item.tobytes())
    else:
        a = np.ascontiguousarray(item.numpy() if isinstance(item, torch.Tensor) else item)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class _FeatureStore:
    """Features on disk: one ``.npy`` file per image, named by the image's content hash.

    ``<location>/sklearn_dl_features/<settings hash>/<2 hex>/<digest>.npy``.  A lookup
    opens exactly the files of the images asked for (never lists or reads the rest of
    the cache), so its cost grows with the request, not with the cache.  Writers need no
    lock: each file is written to a private temporary name and moved into place with
    ``os.replace`` (atomic), and two writers of one image write the same bytes.  Files
    are read with ``np.load(allow_pickle=False)``: a shared cache folder holds data,
    never code; a file that does not load as the expected float32 row is reported and
    recomputed.
    """

    def __init__(self, location, settings, n_features):
        self.dir = Path(location) / "sklearn_dl_features" / joblib.hash(settings)
        self.n_features = n_features

    def path(self, key):
        return self.dir / key[:2] / f"{key}.npy"  # 256 sub-folders keep folders small

    def _read(self, path):
        """The cached row at ``path``, None if absent, or a reason it is unusable."""
        try:
            with open(path, "rb") as f:
                row = np.load(f, allow_pickle=False)
        except FileNotFoundError:
            return None, None
        except Exception as exc:  # truncated, not .npy, pickled objects, unreadable
            return None, f"{type(exc).__name__}: {exc}"
        if not isinstance(row, np.ndarray) or row.dtype != np.float32 \
                or row.shape != (self.n_features,):
            return None, (f"holds {type(row).__name__} {getattr(row, 'dtype', '')} "
                          f"{getattr(row, 'shape', '')}, not {self.n_features} float32")
        return row, None

    def lookup(self, keys):
        found = np.zeros(len(keys), dtype=bool)
        rows = {}
        for i, key in enumerate(keys):
            row, problem = self._read(self.path(key))
            if problem is not None:
                warn(f"Ignoring the unusable feature-cache file {self.path(key)} "
                     f"({problem}); its features are recomputed and the file replaced.",
                     UserWarning)
            if row is not None:
                found[i] = True
                rows[i] = row
        return found, rows

    def add(self, keys, features):
        made = set()
        try:
            for key, row in zip(keys, features):
                path = self.path(key)
                if path.parent not in made:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    made.add(path.parent)
                tmp = path.parent / f".{key}.{uuid.uuid4().hex}.tmp"
                try:
                    with open(tmp, "wb") as f:
                        np.save(f, np.ascontiguousarray(row, dtype=np.float32),
                                allow_pickle=False)
                    os.replace(tmp, path)  # readers see the old file or the new, whole
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
        except OSError as exc:  # e.g. a read-only shared cache: features are still right
            warn(f"Could not write to the feature cache {self.dir} ({exc}); features are "
                 "computed but not cached.", UserWarning)
