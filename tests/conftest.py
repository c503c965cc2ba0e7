import io
import os
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

# Two cores: one torch thread per test process keeps timings stable and leaves room for
# the second core (pytest-xdist or a parallel grid search in a test).
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_TEST_THREADS", "1")))

# The project's development assets (data/ and weights/) sit next to the checkout when
# they are there at all; SKLEARN_DL_SHARED points elsewhere.
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared")


def _shared_path():
    return os.path.abspath(os.environ.get("SKLEARN_DL_SHARED") or SHARED)


@pytest.fixture(scope="session", autouse=True)
def development_data_home():
    """Point SKLEARN_DL_DATA / SKLEARN_DL_WEIGHTS at ../shared for this session.

    Only when ../shared (or $SKLEARN_DL_SHARED) exists and the variable is not already
    set; the previous environment is restored when the session ends, so nothing leaks
    beyond the test run.  Yields ``{variable: folder}`` of the variables it set.
    """
    shared = _shared_path()
    done = {}
    with pytest.MonkeyPatch.context() as mp:
        for variable, sub in (("SKLEARN_DL_DATA", "data"),
                              ("SKLEARN_DL_WEIGHTS", "weights")):
            folder = os.path.join(shared, sub)
            if not os.environ.get(variable) and os.path.isdir(folder):
                mp.setenv(variable, folder)
                done[variable] = folder
        yield done


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test may reach the network: urlopen fails as it does on an offline machine.

    Tests of download code replace ``urllib.request.urlopen`` with a fake server.
    """
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network access is disabled in the test suite "
                                    "(tests/conftest.py)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)


class FakeServer:
    """Stands in for the internet in download tests: URL -> bytes, and a request log.

    ``fail_after`` (URL -> byte count) makes a transfer break off with a connection
    error after that many bytes.
    """

    def __init__(self):
        self.files = {}
        self.fail_after = {}
        self.requests = []

    def urlopen(self, request, timeout=None):
        url = getattr(request, "full_url", request)
        self.requests.append(url)
        if url not in self.files:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)
        return _FakeResponse(self.files[url], self.fail_after.get(url))


class _FakeResponse(io.BytesIO):
    def __init__(self, body, fail_after=None):
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body))}
        self._fail_after = fail_after

    def read(self, size=-1):
        if self._fail_after is not None and self.tell() >= self._fail_after:
            raise ConnectionResetError("connection reset by peer (simulated)")
        if self._fail_after is not None:
            room = self._fail_after - self.tell()
            size = room if size < 0 else min(size, room)
        return super().read(size)


@pytest.fixture
def fake_server(monkeypatch):
    """A FakeServer that replaces urllib.request.urlopen for one test."""
    server = FakeServer()
    monkeypatch.setattr(urllib.request, "urlopen", server.urlopen)
    return server


@pytest.fixture
def shared_dir():
    """Path to ../shared (development assets); skip the test where it is absent."""
    path = _shared_path()
    if not os.path.isdir(path):
        pytest.skip("../shared assets are not available on this machine")
    return path


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture
def vgg16_caffe_weights(development_data_home):
    """Path of the VGG16 Caffe-converted conv base, found as users find it
    (``find_weights_file``: ``$SKLEARN_DL_WEIGHTS``, set above from ../shared, then the
    data home); skip the test where the file is absent.  Looked up at test time, after
    the session fixture has set the variables (not when the module is imported)."""
    from sklearn_dl.datasets import find_weights_file

    try:
        return str(find_weights_file("vgg16_imagenet_features_caffe.pt"))
    except FileNotFoundError:
        pytest.skip("the VGG16 Caffe weights (vgg16_imagenet_features_caffe.pt) are not "
                    "on this machine")
