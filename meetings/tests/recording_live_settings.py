"""Settings for the subprocesses of the live recording tests (``db_worker``, daphne):
Parley's own, plus a short processing lease, an ffmpeg the test can hold at the starting
line."""

import os

from portal.settings import *  # noqa: F403

RECORDING_PROCESSING_LEASE_SECONDS = float(os.environ.get("PARLEY_TEST_RECORDING_LEASE", "2"))
RECORDING_FFMPEG = os.environ.get("PARLEY_TEST_FFMPEG", "ffmpeg")
RECORDING_X264_PRESET = "ultrafast"
