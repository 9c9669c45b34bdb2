"""Fixtures shared by several test modules."""

import secrets
import shutil
import tempfile

import pytest


@pytest.fixture(scope="session")
def _ray_environment():
    """One short temp folder (Ray's socket paths must fit in 107 characters) and one token for
    every local head of the test session, rather than a token saved in the home folder; Ray
    reads them when first imported, so they stay the same for the whole session."""
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_TMPDIR", ray_tmp)
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        patch.setenv("RAY_AUTH_MODE", "token")
        patch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
        yield
    shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.fixture
def local_ray(_ray_environment):
    """Ray for a test that starts a local head (127.0.0.1), shut down after the test."""
    ray = pytest.importorskip("ray")
    try:
        yield ray
    finally:
        ray.shutdown()
