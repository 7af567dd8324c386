import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# Shared test helpers (tests/support/) are importable from every subject folder.
sys.path.insert(0, str(Path(__file__).parent / "support"))

# CI draws the same hypothesis examples on every run, so a red CI is reproducible;
# on a developer's machine hypothesis keeps exploring new examples.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
