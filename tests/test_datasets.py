"""Data home, weights home, downloads and the tabular / UCI / course loaders.

Downloads never touch the network: ``fake_server`` (tests/conftest.py) replaces urlopen.
Tests on the real development data skip where it is absent.
"""

import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_dl.datasets import (
    UCI_REGRESSION_DATASETS,
    find_weights_file,
    get_data_home,
    get_weights_home,
    load_banknote,
    load_bike_sharing,
    load_cifar10,
    load_course_images,
    load_fish,
    load_mnist,
    load_uci_regression,
    make_counts,
    make_heteroscedastic,
)
from sklearn_dl.datasets import _home, _tabular, _uci
from sklearn_dl.datasets._download import fetch_file


@pytest.fixture
def home(monkeypatch, tmp_path):
    """An empty data home in SKLEARN_DL_DATA, a fake HOME and an empty torch hub."""
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("SKLEARN_DL_WEIGHTS", raising=False)
    monkeypatch.setenv("SKLEARN_DL_DATA", str(tmp_path / "data_home"))
    import torch.hub

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "data_home"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def leftovers(folder):
    return sorted(p.name for p in Path(folder).rglob("*.part")) if Path(folder).exists() \
        else []


# -- data home and weights home --------------------------------------------------------
def test_data_home_resolution_order(home, monkeypatch, tmp_path):
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"  # argument first
    assert get_data_home() == home  # then the environment variable
    monkeypatch.setenv("SKLEARN_DL_DATA", "")  # empty counts as unset
    assert get_data_home() == tmp_path / "user" / "sklearn_dl_data"
    monkeypatch.delenv("SKLEARN_DL_DATA")
    assert get_data_home() == tmp_path / "user" / "sklearn_dl_data"
    assert get_data_home("~/x") == tmp_path / "user" / "x"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKLEARN_DL_DATA", "relative/data")
    assert get_data_home() == tmp_path / "relative" / "data"  # absolute, for messages
    assert not (tmp_path / "relative").exists() and not (tmp_path / "user").exists()


def test_legacy_data_home_is_read_but_not_written(home, monkeypatch, tmp_path, fake_server):
    legacy = tmp_path / "user" / "scikit_dl_data"
    legacy.mkdir(parents=True)
    write_fish(legacy / "fish.csv", scale=2)
    monkeypatch.delenv("SKLEARN_DL_DATA")
    assert load_fish().target.sum() == 2 * fish_frame().loc[:, "count"].sum()
    monkeypatch.setenv("SKLEARN_DL_DATA", str(home))  # an explicit home hides it
    with pytest.raises(FileNotFoundError):
        load_fish()
    assert load_fish(data_home=legacy).target.shape == (250,)


def test_weights_home_and_find_weights_file(home, monkeypatch, tmp_path):
    assert get_weights_home() == home / "weights"
    assert get_weights_home(tmp_path / "w") == tmp_path / "w"
    monkeypatch.setenv("SKLEARN_DL_WEIGHTS", str(tmp_path / "env_weights"))
    assert get_weights_home() == tmp_path / "env_weights"
    hub = tmp_path / "hub" / "checkpoints"
    for folder in (hub, home / "weights", tmp_path / "env_weights"):
        folder.mkdir(parents=True)
    (hub / "a.pt").write_bytes(b"hub")
    assert find_weights_file("a.pt") == hub / "a.pt"  # torch hub's cache, last
    (home / "weights" / "a.pt").write_bytes(b"data home")
    assert find_weights_file("a.pt") == home / "weights" / "a.pt"
    (tmp_path / "env_weights" / "a.pt").write_bytes(b"env")
    assert find_weights_file("a.pt") == tmp_path / "env_weights" / "a.pt"  # first
    assert find_weights_file(hub / "a.pt") == hub / "a.pt"  # a path is kept
    with pytest.raises(FileNotFoundError) as info:
        find_weights_file("vgg16_imagenet_features_caffe.pt")
    message = str(info.value)
    for part in ("vgg16_imagenet_features_caffe.pt", "SKLEARN_DL_WEIGHTS", "SKLEARN_DL_DATA",
                 str(tmp_path / "env_weights"), str(home / "weights"), str(hub)):
        assert part in message


# -- missing files: where, which variable, which option ---------------------------------
@pytest.mark.parametrize("loader, call, wanted", [
    ("load_fish", lambda: load_fish(), "fish.csv"),
    ("load_bike_sharing", lambda: load_bike_sharing(), "bike_sharing_hour.csv"),
    ("load_uci_regression", lambda: load_uci_regression("concrete", 3), "index_train_3.txt"),
    ("load_mnist", lambda: load_mnist(kind="test"), "t10k-images-idx3-ubyte"),
    ("load_cifar10", lambda: load_cifar10(subset=True), "cifar10_subset.npz"),
])
def test_missing_files_say_where_and_how(home, loader, call, wanted):
    with pytest.raises(FileNotFoundError) as info:
        call()
    message = str(info.value)
    for part in (wanted, str(home), "SKLEARN_DL_DATA", f"{loader}(..., download=True)"):
        assert part in message, part
    assert not home.exists()  # looking creates nothing


# -- fetch_file: checksums, mirrors, atomic writes ---------------------------------------
def test_fetch_file_verifies_and_writes_atomically(tmp_path, fake_server):
    body = os.urandom(3 << 20)  # several chunks
    fake_server.files["https://a.example/f.bin"] = body
    dest = tmp_path / "new" / "sub" / "f.bin"
    assert fetch_file("https://a.example/f.bin", dest, sha256=sha256(body),
                      md5=hashlib.md5(body).hexdigest()) == dest
    assert dest.read_bytes() == body and leftovers(tmp_path) == []


def test_checksum_mismatch_leaves_nothing(tmp_path, fake_server):
    fake_server.files["https://a.example/f.bin"] = b"tampered"
    dest = tmp_path / "new" / "sub" / "f.bin"
    with pytest.raises(OSError, match=r"(?s)nothing was written.*SHA256 checksum .* differs"):
        fetch_file("https://a.example/f.bin", dest, sha256=sha256(b"original"))
    assert not dest.exists() and not (tmp_path / "new").exists()  # folders removed too
    with pytest.raises(OSError, match="MD5 checksum"):
        fetch_file("https://a.example/f.bin", dest, md5=hashlib.md5(b"x").hexdigest())


def test_mirrors_are_tried_in_order(tmp_path, fake_server):
    good = b"the real file"
    fake_server.files["https://corrupt.example/f"] = b"the real fil!"
    fake_server.files["https://good.example/f"] = good
    urls = ["https://missing.example/f", "https://corrupt.example/f",
            "https://good.example/f"]
    fetch_file(urls, tmp_path / "f", sha256=sha256(good))
    assert (tmp_path / "f").read_bytes() == good and fake_server.requests == urls


def test_interrupted_download_keeps_the_old_file(tmp_path, fake_server):
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"old")
    fake_server.files["https://a.example/f.bin"] = b"x" * 5000
    fake_server.fail_after["https://a.example/f.bin"] = 1000
    with pytest.raises(OSError, match="connection reset"):
        fetch_file("https://a.example/f.bin", dest)
    assert dest.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_offline_message(tmp_path):
    # the suite's no_network fixture makes urlopen fail as on a machine without internet
    with pytest.raises(OSError) as info:
        fetch_file(["https://a.example/f.csv"], tmp_path / "home" / "f.csv")
    message = str(info.value)
    for part in ("offline", "https://a.example/f.csv", str(tmp_path / "home" / "f.csv"),
                 "SKLEARN_DL_DATA", "without download=True"):
        assert part in message, part
    assert not (tmp_path / "home").exists()


def test_loader_offline_download_names_the_variable(home):
    with pytest.raises(OSError, match=r"(?s)offline.*SKLEARN_DL_DATA") as info:
        load_fish(download=True)
    assert "stats.idre.ucla.edu" in str(info.value) and not home.exists()


# -- fish --------------------------------------------------------------------------------
def fish_frame(scale=1):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({c: rng.randint(0, 2, 250) for c in ["nofish", "livebait",
                                                               "camper"]})
    frame["persons"] = rng.randint(1, 5, 250)
    frame["child"] = rng.randint(0, 4, 250)
    frame["xb"], frame["zg"] = rng.normal(size=250), rng.normal(size=250)
    frame["count"] = rng.poisson(np.exp(0.5 * frame.persons - frame.child)) * scale
    return frame


def write_fish(path, scale=1):
    fish_frame(scale).to_csv(path, index=False)


def test_load_fish_formats(home):
    home.mkdir()
    write_fish(home / "fish.csv")
    expected = fish_frame()
    bunch = load_fish()
    assert bunch.data.shape == (250, 4) and bunch.data.dtype == np.float64
    assert bunch.feature_names == ["livebait", "camper", "persons", "child"]
    np.testing.assert_array_equal(bunch.target, expected["count"])
    assert bunch.frame is None and "UCLA" in bunch.DESCR
    X, y = load_fish(return_X_y=True, as_frame=True)
    assert list(X.columns) == bunch.feature_names and y.name == "count"
    assert list(load_fish(as_frame=True).frame.columns) == list(expected.columns)


def test_load_fish_download(home, fake_server):
    buffer = io.StringIO()
    fish_frame().to_csv(buffer, index=False)
    fake_server.files["https://stats.oarc.ucla.edu/stat/data/fish.csv"] = \
        buffer.getvalue().encode()
    X, y = load_fish(download=True, return_X_y=True)  # idre: 404, then its new name
    assert X.shape == (250, 4) and (home / "fish.csv").is_file()
    assert len(fake_server.requests) == 2
    load_fish(download=True)
    assert len(fake_server.requests) == 2  # found locally, not fetched again


def test_load_fish_download_rejects_an_error_page(home, fake_server):
    for url in _tabular._FISH_URLS:
        fake_server.files[url] = b"<html>Service moved</html>"
    with pytest.raises(OSError, match="not the camper fish file"):
        load_fish(download=True)
    assert not home.exists()


# -- bike sharing ------------------------------------------------------------------------
def uci_hour_csv():
    """A file with the columns and row count of UCI's hour.csv (made-up values)."""
    n = 17379
    rng = np.random.RandomState(0)
    days = pd.date_range("2011-01-01", periods=n // 24 + 1).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"instant": np.arange(1, n + 1),
                          "dteday": np.repeat(days, 24)[:n],
                          "season": rng.randint(1, 5, n), "yr": rng.randint(0, 2, n),
                          "mnth": rng.randint(1, 13, n), "hr": np.arange(n) % 24})
    for c in ["holiday", "weekday", "workingday", "weathersit"]:
        frame[c] = rng.randint(0, 2, n)
    for c in ["temp", "atemp", "hum", "windspeed"]:
        frame[c] = rng.uniform(size=n).round(4)
    frame["casual"], frame["registered"] = rng.randint(0, 50, n), rng.randint(0, 500, n)
    frame["cnt"] = frame.casual + frame.registered
    return frame.to_csv(index=False).encode()


def test_load_bike_sharing_download_renames_and_parses(home, fake_server):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Readme.txt", "readme")
        zf.writestr("day.csv", "instant\n1\n")
        zf.writestr("hour.csv", uci_hour_csv())
    fake_server.files[_tabular._BIKE_URLS[0]] = archive.getvalue()
    bike = load_bike_sharing(download=True, as_frame=True)
    frame = bike.frame
    assert frame.shape == (17379, 17) and list(frame.columns) == _tabular._BIKE_COLUMNS
    assert frame["dateday"].iloc[0] == pd.Timestamp("2011-01-01")
    assert frame["dateday"].iloc[24] == pd.Timestamp("2011-01-02")
    np.testing.assert_array_equal(bike.target, frame.casual + frame.registered)
    assert bike.feature_names == _tabular.BIKE_SHARING_FEATURES
    assert "casual" not in bike.data.columns and "count" not in bike.data.columns
    assert sorted(p.name for p in (home / "bike_sharing").iterdir()) == ["hour.csv"]
    X, y = load_bike_sharing(return_X_y=True)
    assert X.shape == (17379, 12) and y.dtype == np.int64


def test_load_bike_sharing_reads_the_course_copy(home):
    uci = pd.read_csv(io.BytesIO(uci_hour_csv())).rename(columns=_tabular._BIKE_RENAME)
    uci["dateday"] = pd.to_datetime(uci["dateday"]).dt.strftime("%d-%m-%Y")
    home.mkdir()
    uci.to_csv(home / "bike_sharing_hour.csv", index=False)
    frame = load_bike_sharing(as_frame=True).frame
    assert frame["dateday"].iloc[24] == pd.Timestamp("2011-01-02")  # day first


# -- UCI regression splits ---------------------------------------------------------------
def write_uci(folder, n=40, n_splits=2, seed=0):
    rng = np.random.RandomState(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"data.txt": "\n".join(" ".join(f"{v:.6f}" for v in row)
                                   for row in rng.normal(size=(n, 4))) + "\n",
             "index_features.txt": "0\n1\n2\n", "index_target.txt": "3\n",
             "n_splits.txt": f"{n_splits}\n"}
    for k in range(n_splits):
        perm = rng.permutation(n)
        files[f"index_train_{k}.txt"] = "\n".join(map(str, perm[4:])) + "\n"
        files[f"index_test_{k}.txt"] = "\n".join(map(str, perm[:4])) + "\n"
    for name, text in files.items():
        (folder / name).write_text(text)
    return {name: text.encode() for name, text in files.items()}


def test_load_uci_regression_split(home):
    write_uci(home / "uci" / "mine")
    data = np.loadtxt(home / "uci" / "mine" / "data.txt")
    bunch = load_uci_regression("mine", split=1)
    train = np.loadtxt(home / "uci" / "mine" / "index_train_1.txt").astype(int)
    np.testing.assert_array_equal(bunch.X_train, data[train, :3])
    np.testing.assert_array_equal(bunch.y_train, data[train, 3])
    assert bunch.X_test.shape == (4, 3) and bunch.n_splits == 2
    assert set(bunch.train_index).isdisjoint(bunch.test_index)
    assert bunch.feature_names == ["x0", "x1", "x2"] and bunch.target_names == ["x3"]
    X_tr, X_te, y_tr, y_te = load_uci_regression("mine", 1, return_X_y=True, as_frame=True)
    assert list(X_tr.index) == list(train) and y_te.shape == (4,)
    with pytest.raises(ValueError, match=r"split must be in 0\.\.1"):
        load_uci_regression("mine", split=2)
    with pytest.raises(ValueError, match="split must be a non-negative integer"):
        load_uci_regression("mine", split=-1)
    with pytest.raises(ValueError, match="Unknown UCI data set"):
        load_uci_regression("not_a_set")
    with pytest.raises(ValueError, match="split must be in 0..4 for protein"):
        load_uci_regression("protein-tertiary-structure", split=5)


def test_load_uci_regression_download_checks_every_file(home, fake_server, monkeypatch):
    files = write_uci(home.parent / "upstream", n_splits=3)
    table = {"concrete": {name: sha256(body) for name, body in files.items()}}
    monkeypatch.setattr(_uci, "_checksums", lambda: table)
    for name, body in files.items():
        fake_server.files[_uci._URL.format(name="concrete", file=name)] = body
    bunch = load_uci_regression("concrete", split=2, download=True)
    assert bunch.X_train.shape == (36, 3) and bunch.n_splits == 3
    fetched = sorted(p.name for p in (home / "uci" / "concrete").iterdir())
    assert fetched == sorted(["data.txt", "index_features.txt", "index_target.txt",
                              "n_splits.txt", "index_train_2.txt", "index_test_2.txt"])
    pinned = "/6eb4497628d12b0f300f4b4f6bdc386bebad565c/"
    assert all(pinned in url for url in fake_server.requests)
    # a changed upstream file is refused and not kept
    fake_server.files[_uci._URL.format(name="concrete", file="index_test_0.txt")] = b"1\n"
    with pytest.raises(OSError, match="SHA256"):
        load_uci_regression("concrete", split=0, download=True)
    assert not (home / "uci" / "concrete" / "index_test_0.txt").exists()


def test_uci_checksum_table_covers_every_split():
    table = _uci._checksums()
    assert sorted(table) == sorted(UCI_REGRESSION_DATASETS)
    for name, files in table.items():
        n = 5 if name == "protein-tertiary-structure" else 20
        expected = {"data.txt", "index_features.txt", "index_target.txt", "n_splits.txt"}
        expected |= {f"index_{part}_{k}.txt" for part in ("train", "test") for k in range(n)}
        assert set(files) == expected, name
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in files.values())


# -- course images -----------------------------------------------------------------------
def test_course_images_fall_back_to_digits(home):
    data = load_course_images("mnist", n_train=100, n_test=50)
    assert data.source == "fallback" and data.name == "sklearn digits 8x8"
    assert data.X_train.shape[1:] == (8, 8) and len(data.X_test) == 450  # 25% of 1,797
    assert "MNIST not found" in data.description
    with pytest.raises(FileNotFoundError, match="SKLEARN_DL_DATA"):
        load_course_images("mnist", fallback=None)
    with pytest.raises(ValueError, match="name must be one of"):
        load_course_images("svhn")
    with pytest.raises(ValueError, match="n_train must be a positive integer"):
        load_course_images(n_train=0)


# -- the shipped table and the generators ------------------------------------------------
def test_load_banknote():
    bunch = load_banknote()
    assert bunch.data.shape == (1372, 4)
    assert np.bincount(bunch.target).tolist() == [762, 610]
    assert "Lohweg" in bunch.DESCR
    X, y = load_banknote(return_X_y=True, as_frame=True)
    assert list(X.columns) == ["WaveletVariance", "WaveletSkewness", "WaveletCurtosis",
                               "Entropy"]


def test_generators_are_seeded():
    a = make_heteroscedastic(50, random_state=0)
    b = make_heteroscedastic(50, random_state=0)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    X, y, mu = make_counts(50, random_state=0)
    assert X.shape == (50, 3) and y.dtype.kind == "i" and np.all(mu > 0)
    with pytest.raises(ValueError, match="n_features"):
        make_counts(10, n_features=2)


# -- the real development data, where present --------------------------------------------
@pytest.fixture
def shared_data(shared_dir):
    data = Path(shared_dir) / "data"
    if not data.is_dir():
        pytest.skip("no data/ folder in the shared assets")
    return data


def test_session_points_the_data_home_at_the_shared_data(shared_data,
                                                         development_data_home):
    if "SKLEARN_DL_DATA" not in development_data_home:
        pytest.skip("SKLEARN_DL_DATA was set before the test session")
    assert get_data_home() == shared_data.absolute()


def test_shared_fish_reproduces_the_course_figures(shared_data):
    from scipy import stats
    from sklearn.linear_model import LinearRegression, PoissonRegressor
    from sklearn.model_selection import train_test_split

    X, y = load_fish(data_home=shared_data, return_X_y=True)
    assert X.shape == (250, 4) and y.sum() == 824
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=42)
    glm = PoissonRegressor(alpha=0, max_iter=1000).fit(X_tr, y_tr)
    nll = -stats.poisson(glm.predict(X_te)).logpmf(y_te).mean()
    rmse = np.sqrt(np.mean((LinearRegression().fit(X_tr, y_tr).predict(X_te) - y_te) ** 2))
    assert nll == pytest.approx(2.70, abs=0.02) and rmse == pytest.approx(8.59, abs=0.01)


def test_shared_bike_sharing(shared_data):
    bike = load_bike_sharing(data_home=shared_data, as_frame=True)
    frame = bike.frame
    assert bike.data.shape == (17379, 12)
    np.testing.assert_array_equal(frame["count"], frame.casual + frame.registered)
    assert frame.dateday.min() == pd.Timestamp("2011-01-01")
    assert frame.dateday.max() == pd.Timestamp("2012-12-31")
    assert frame.instant.is_monotonic_increasing and frame.dateday.is_monotonic_increasing


@pytest.mark.parametrize("name", ["bostonHousing", "concrete", "kin8nm",
                                  "naval-propulsion-plant", "wine-quality-red"])
def test_shared_uci_files_are_the_upstream_files(shared_data, name):
    folder = shared_data / "uci" / name
    if not folder.is_dir():
        pytest.skip(f"{name} is not in the shared data")
    table = _uci._checksums()[name]
    for path in folder.iterdir():
        assert sha256(path.read_bytes()) == table[path.name], path.name
    bunch = load_uci_regression(name, split=19, data_home=shared_data)
    n = len(bunch.data)
    assert bunch.n_splits == 20 and len(bunch.train_index) + len(bunch.test_index) == n
    assert set(bunch.train_index).isdisjoint(bunch.test_index)
    assert len(bunch.test_index) == pytest.approx(0.1 * n, abs=1)
    assert len(bunch.feature_names) == bunch.X_train.shape[1]


def test_shared_images(shared_data):
    if not (shared_data / "mnist").is_dir():
        pytest.skip("no MNIST in the shared data")
    data = load_course_images("mnist", n_train=1200, n_test=2000, data_home=shared_data)
    if data.source == "test only":  # the development copy: the t10k files alone
        X, y = load_mnist(kind="test", data_home=shared_data)
        np.testing.assert_array_equal(data.X_train, X[:1200])
        np.testing.assert_array_equal(data.y_test, y[8000:])
    assert data.X_train.shape == (1200, 28, 28) and data.X_test.shape == (2000, 28, 28)


def test_shared_cifar10_subset(shared_data):
    if not (shared_data / "cifar10_subset.npz").is_file():
        pytest.skip("no CIFAR-10 subset in the shared data")
    for kind, per_class in (("train", 1000), ("test", 200)):
        X, y = load_cifar10(kind=kind, subset=True, data_home=shared_data)
        assert X.shape == (10 * per_class, 32, 32, 3) and X.dtype == np.uint8
        assert np.bincount(y).tolist() == [per_class] * 10
    data = load_course_images("cifar10", n_train=100, n_test=50, data_home=shared_data)
    if data.source == "subset":
        assert np.bincount(data.y_train).tolist() == [10] * 10


def test_shared_weights_file(shared_dir):
    weights = Path(shared_dir) / "weights"
    if not (weights / "vgg16_imagenet_features_caffe.pt").is_file():
        pytest.skip("no VGG16 weights in the shared assets")
    assert find_weights_file("vgg16_imagenet_features_caffe.pt", weights_home=weights) == \
        (weights / "vgg16_imagenet_features_caffe.pt").absolute()
    if os.environ.get("SKLEARN_DL_WEIGHTS") == str(weights):  # set by tests/conftest.py
        assert find_weights_file("vgg16_imagenet_features_caffe.pt").parent == weights
    assert get_weights_home(weights) == weights
