"""Browser tests: Playwright driving Debian's chromium (headless, fake camera and
microphone) against a real daphne server that shares the test database."""

import os
import shutil
from pathlib import Path

import pytest

from tests.live import ARTIFACTS, daphne_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = ARTIFACTS / "screenshots"

# Playwright's sync API keeps an event loop running in this thread; the test's own ORM
# calls (fixtures) are still plain synchronous code, so Django's guard is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("PARLEY_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"PARLEY_REQUIRE_BROWSER is set but no chromium at {CHROMIUM}")
    skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "permissions": ["camera", "microphone"],
        "viewport": {"width": 1280, "height": 800},
    }


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker):
    """Base URL of a daphne server on the test database (default tenant: 127.0.0.1)."""
    with django_db_blocker.unblock(), daphne_server(name="browser") as (url, _proc):
        yield url


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(browser, browser_context_args):
    """``new_page()`` → a page in a fresh browser context (another person's browser);
    every context is closed after the test."""
    contexts = []

    def make(**overrides):
        context = browser.new_context(**{**browser_context_args, **overrides})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
