"""Tests of sklearn_dl.datasets._images on tiny files written in the official formats.

Downloads go to the ``fake_server`` of tests/conftest.py, never to the network.
"""

import gzip
import hashlib
import io
import os
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest

from sklearn_dl.datasets import _images as ds
from sklearn_dl.datasets._images import (
    load_cifar10,
    load_digits_images,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
_TYPE_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype(">i2"): 0x0B,
               np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


@pytest.fixture(autouse=True)
def empty_data_home(monkeypatch, tmp_path):
    """No test may read the user's (or the session's) real data home."""
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("SKLEARN_DL_DATA", str(tmp_path / "empty_cache"))


def write_idx(path, array, gz=False):
    """An IDX writer independent of the reader: magic, big-endian dims, data."""
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = bytes([0, 0, _TYPE_CODES[big.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + big.tobytes()
    Path(path).write_bytes(gzip.compress(payload) if gz else payload)


def write_mnist_folder(folder, n_train=6, n_test=4, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    suffix = ".gz" if gz else ""
    for kind, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        X = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", X, gz)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", y, gz)
        out[kind] = (X, y)
    return out


# -- IDX -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["u1", "i1", "<i2", "<i4", "<f4", "<f8"])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / "a.idx", a, gz)
    b = read_idx(tmp_path / "a.idx")
    assert b.shape == a.shape and b.dtype.isnative
    np.testing.assert_array_equal(a, b)
    b[0, 0, 0] = 1  # writable


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01abcd")
    with pytest.raises(ValueError, match="not an IDX"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "ok", np.zeros((3, 4), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "ok").read_bytes()[:-1])
    with pytest.raises(ValueError, match="announces shape"):
        read_idx(tmp_path / "short")


# -- MNIST / Fashion-MNIST -------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_from_path(tmp_path, gz):
    data = write_mnist_folder(tmp_path / "m", gz=gz)
    for kind in ("train", "test"):
        X, y = load_mnist(tmp_path / "m", kind=kind)
        assert X.dtype == np.uint8 and X.shape == (len(data[kind][0]), 28, 28)
        assert y.dtype == np.int64
        np.testing.assert_array_equal(X, data[kind][0])
        np.testing.assert_array_equal(y, data[kind][1])


def test_torchvision_layout_and_data_home(tmp_path, monkeypatch):
    data = write_mnist_folder(tmp_path / "tv" / "MNIST" / "raw")
    np.testing.assert_array_equal(load_mnist(tmp_path / "tv", kind="test")[0],
                                  data["test"][0])
    home_data = write_mnist_folder(tmp_path / "home" / "fashion-mnist", seed=1)
    X, _ = load_fashion_mnist(data_home=tmp_path / "home")
    np.testing.assert_array_equal(X, home_data["train"][0])
    monkeypatch.setenv("SKLEARN_DL_DATA", str(tmp_path / "home"))
    np.testing.assert_array_equal(load_fashion_mnist()[0], X)
    # the sub-folder name of sklearn_dl 0.1 is still read
    old = write_mnist_folder(tmp_path / "old" / "fashion_mnist", seed=3)
    np.testing.assert_array_equal(load_fashion_mnist(data_home=tmp_path / "old")[0],
                                  old["train"][0])
    # path is searched first, the cache after it
    other = write_mnist_folder(tmp_path / "first", seed=2)
    np.testing.assert_array_equal(load_fashion_mnist(tmp_path / "first")[0],
                                  other["train"][0])
    np.testing.assert_array_equal(load_fashion_mnist(tmp_path / "nowhere")[0], X)


def test_not_found_says_where_and_how(tmp_path, monkeypatch):
    # Debian's folder may really hold Fashion-MNIST on this machine: point it elsewhere
    debian = str(tmp_path / "usr_share_datasets_fashion-mnist")
    monkeypatch.setitem(ds._IDX_SETS["fashion_mnist"], "system_dirs", (debian,))
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(tmp_path / "nothing", kind="test")
    message = str(info.value)
    for part in ("Fashion-MNIST", "t10k-images-idx3-ubyte", str(tmp_path / "nothing"),
                 str(tmp_path / "empty_cache" / "fashion-mnist"),
                 debian, "SKLEARN_DL_DATA", "load_fashion_mnist(..., download=True)"):
        assert part in message
    assert not (tmp_path / "empty_cache").exists()
    with pytest.raises(ValueError, match="kind must be"):
        load_mnist(kind="validation")


def test_mismatched_images_and_labels(tmp_path):
    write_mnist_folder(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8), gz=True)
    with pytest.raises(ValueError, match="expected"):
        load_mnist(tmp_path)


def serve_mnist(fake_server, monkeypatch, source):
    """Put the files of ``source`` on the fake MNIST mirror, with their MD5s as official."""
    md5 = {}
    for f in source.iterdir():
        fake_server.files[ds._IDX_SETS["mnist"]["mirrors"][0] + f.name] = f.read_bytes()
        md5[f.name] = hashlib.md5(f.read_bytes()).hexdigest()
    monkeypatch.setitem(ds._IDX_SETS["mnist"], "md5", md5)


def test_download_fetches_into_the_data_home(tmp_path, monkeypatch, fake_server):
    data = write_mnist_folder(tmp_path / "server")
    serve_mnist(fake_server, monkeypatch, tmp_path / "server")
    X, y = load_mnist(kind="test", download=True, data_home=tmp_path / "home")
    np.testing.assert_array_equal(X, data["test"][0])
    assert fake_server.requests == [
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz"]
    assert sorted(p.name for p in (tmp_path / "home" / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    load_mnist(kind="test", download=True, data_home=tmp_path / "home")
    assert len(fake_server.requests) == 2  # found in the data home, not fetched again


def test_download_with_a_wrong_checksum_writes_nothing(tmp_path, monkeypatch, fake_server):
    write_mnist_folder(tmp_path / "server")
    serve_mnist(fake_server, monkeypatch, tmp_path / "server")
    md5 = dict(ds._IDX_SETS["mnist"]["md5"], **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    monkeypatch.setitem(ds._IDX_SETS["mnist"], "md5", md5)
    with pytest.raises(OSError, match=r"(?s)t10k-labels.*MD5 checksum .* differs"):
        load_mnist(kind="test", download=True, data_home=tmp_path / "home")
    # the images (good) were kept, the labels (bad) not; the second mirror was tried
    assert [p.name for p in (tmp_path / "home" / "mnist").iterdir()] == [
        "t10k-images-idx3-ubyte.gz"]
    assert fake_server.requests[-1].startswith("http://yann.lecun.com/")


def test_real_mnist_test_set(shared_dir):
    folder = Path(shared_dir) / "data" / "mnist"
    if not (folder / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("the shared MNIST test files are not on this machine")
    X, y = load_mnist(kind="test", data_home=folder.parent)
    assert X.shape == (10_000, 28, 28) and X.dtype == np.uint8
    assert y.shape == (10_000,) and set(np.unique(y)) == set(range(10))
    assert y[:5].tolist() == [7, 2, 1, 0, 4]


@pytest.mark.skipif(not (DEBIAN_FASHION / "t10k-images-idx3-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist package is not installed")
def test_fashion_mnist_from_debians_folder():
    X, y = load_fashion_mnist(kind="test")  # the data home is empty: the system folder
    assert X.shape == (10_000, 28, 28) and np.bincount(y).tolist() == [1000] * 10


# -- CIFAR-10 --------------------------------------------------------------------------
def write_cifar_folder(folder, n=3, protocol=2):
    """Batches as in cifar-10-batches-py: dicts with bytes keys, rows of R, G, B planes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    labels = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        data = np.zeros((n, 3, 32, 32), np.uint8)
        data[:, 0], data[:, 1], data[:, 2] = 10 + i, 100 + i, 200 + i
        data[:, 0, 0, 1] = 7  # red pixel at row 0, column 1
        labels[name] = [(i + j) % 10 for j in range(n)]
        batch = {b"batch_label": name.encode(), b"labels": labels[name],
                 b"data": data.reshape(n, -1), b"filenames": [b"x.png"] * n}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))
    return labels


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_load_cifar10(tmp_path, protocol):
    labels = write_cifar_folder(tmp_path / "cifar-10-batches-py", protocol=protocol)
    X, y = load_cifar10(tmp_path)  # the parent of cifar-10-batches-py also works
    assert X.shape == (15, 32, 32, 3) and X.dtype == np.uint8 and X.flags.c_contiguous
    assert y.dtype == np.int64
    assert y.tolist() == sum((labels[f"data_batch_{k}"] for k in range(1, 6)), [])
    assert X[0, 5, 5].tolist() == [10, 100, 200]  # channels last, R G B
    assert X[-1, 5, 5].tolist() == [14, 104, 204]  # batches in order 1..5
    assert X[0, 0, 1, 0] == 7
    Xt, yt = load_cifar10(tmp_path / "cifar-10-batches-py", kind="test")
    assert Xt.shape == (3, 32, 32, 3) and yt.tolist() == labels["test_batch"]


def test_cifar_refuses_code_in_pickles(tmp_path):
    write_cifar_folder(tmp_path)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_cifar10(tmp_path, kind="test")
    assert not (tmp_path / "pwned").exists()


def cifar_archive(tmp_path):
    staging = tmp_path / "staging"
    labels = write_cifar_folder(staging / "cifar-10-batches-py")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(staging / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return buffer.getvalue(), labels


def test_cifar_not_found_and_download(tmp_path, monkeypatch, fake_server):
    with pytest.raises(FileNotFoundError, match=r"(?s)data_batch_1.*download=True"):
        load_cifar10(tmp_path / "none")
    archive, labels = cifar_archive(tmp_path)
    fake_server.files[ds._CIFAR_URL] = archive
    monkeypatch.setattr(ds, "_CIFAR_MD5", hashlib.md5(archive).hexdigest())
    X, y = load_cifar10(kind="test", download=True, data_home=tmp_path / "home")
    assert X.shape == (3, 32, 32, 3) and y.tolist() == labels["test_batch"]
    # only the unpacked folder is left: no archive, no staging folder
    assert [p.name for p in (tmp_path / "home" / "cifar10").iterdir()] == [
        "cifar-10-batches-py"]


def test_cifar_download_with_a_wrong_checksum(tmp_path, fake_server):
    fake_server.files[ds._CIFAR_URL] = cifar_archive(tmp_path)[0]  # MD5 is the real one
    with pytest.raises(OSError, match="MD5 checksum"):
        load_cifar10(download=True, data_home=tmp_path / "home")
    assert not (tmp_path / "home").exists()


def test_cifar_subset_from_a_file(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {f"X_{k}": rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
              for k, n in (("train", 20), ("test", 10))}
    arrays.update(y_train=np.repeat(np.arange(10), 2), y_test=np.arange(10))
    (tmp_path / "home").mkdir()
    np.savez(tmp_path / "home" / "cifar10_subset.npz", **arrays)
    X, y = load_cifar10(subset=True, data_home=tmp_path / "home")
    np.testing.assert_array_equal(X, arrays["X_train"])
    assert y.dtype == np.int64 and y.tolist() == arrays["y_train"].tolist()
    X, y = load_cifar10(tmp_path / "home" / "cifar10_subset.npz", kind="test", subset=True)
    np.testing.assert_array_equal(X, arrays["X_test"])
    np.savez(tmp_path / "bad.npz", X_train=arrays["X_train"][:, :16])
    with pytest.raises(ValueError, match="expected"):
        load_cifar10(tmp_path / "bad.npz", subset=True)


def test_cifar_subset_from_the_full_batches(tmp_path, monkeypatch):
    write_cifar_folder(tmp_path / "cifar-10-batches-py", n=10)  # each class in each batch
    monkeypatch.setitem(ds._SUBSET_PER_CLASS, "train", 2)
    X_full, y_full = load_cifar10(tmp_path)
    X, y = load_cifar10(tmp_path, subset=True)
    assert np.bincount(y).tolist() == [2] * 10
    assert y.tolist() == sorted(y.tolist())  # grouped by class, like the file
    first_of_each = [np.flatnonzero(y_full == c)[:2] for c in range(10)]
    np.testing.assert_array_equal(X, X_full[np.concatenate(first_of_each)])
    monkeypatch.setitem(ds._SUBSET_PER_CLASS, "test", 2)  # one test image per class
    with pytest.raises(ValueError, match="Fewer than 2 images"):
        load_cifar10(tmp_path, kind="test", subset=True)


# -- digits ----------------------------------------------------------------------------
def test_load_digits_images():
    bunch = load_digits_images()
    assert bunch.images.shape == (1797, 8, 8) and bunch.target.shape == (1797,)
    assert bunch.images.min() == 0 and bunch.images.max() == 16  # kept on 0-16
    np.testing.assert_array_equal(bunch.data, bunch.images.reshape(1797, 64))
    assert list(bunch.target_names) == list(range(10)) and "0-16" in bunch.DESCR
    X, y = load_digits_images(return_X_y=True)
    np.testing.assert_array_equal(X, bunch.images)
    np.testing.assert_array_equal(y, bunch.target)
