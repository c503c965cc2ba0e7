import os

import numpy as np
import pytest
import torch

# Two cores: one torch thread per test process keeps timings stable and leaves room for
# the second core (pytest-xdist or a parallel grid search in a test).
torch.set_num_threads(int(os.environ.get("SKLEARN_DL_TEST_THREADS", "1")))

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared")


@pytest.fixture
def shared_dir():
    """Path to ../shared (development assets); skip the test where it is absent."""
    path = os.environ.get("SKLEARN_DL_SHARED", SHARED)
    if not os.path.isdir(path):
        pytest.skip("../shared assets are not available on this machine")
    return os.path.abspath(path)


@pytest.fixture
def rng():
    return np.random.RandomState(0)
