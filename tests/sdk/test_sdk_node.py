"""The SDK's reconnect rules (jittered backoff, no retries on an expired or revoked token),
tested in Node against ``static/parley/sdk.js`` itself with a fake WebSocket."""

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (npm's runtime; make install needs it)")
def test_sdk_reconnect_rules():
    result = subprocess.run(["node", "--test", str(HERE / "reconnect.test.mjs")], capture_output=True,
                            text=True, timeout=60, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout and "# pass 6" in result.stdout, result.stdout
