"""Parley under daphne for the benchmark (``PARLEY_BENCH_CORE_LAYER=1`` swaps the Redis
pub/sub layer for channels_redis' core layer, to compare the two)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

if __name__ == "__main__":
    import django
    from django.conf import settings

    django.setup()
    if os.environ.get("PARLEY_BENCH_CORE_LAYER") and settings.REDIS_URL:
        settings.CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.core.RedisChannelLayer"
    if os.environ.get("PARLEY_BENCH_PLAIN"):  # bench/http.py: /bench/plain next to Parley's URLs
        settings.ROOT_URLCONF = "bench.plain_urls"
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(["-b", "127.0.0.1", "-p", sys.argv[1], "--verbosity", "0",
                                *sys.argv[2:], "portal.asgi:application"])
