import sys
from pathlib import Path

import numpy as np
import pytest

# Shared test helpers (tests/support/) are importable from every subject folder.
sys.path.insert(0, str(Path(__file__).parent / "support"))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
