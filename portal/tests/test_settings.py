import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings import env_bool

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw, expected", [("true", True), ("1", True), ("off", False), ("", False)])
def test_env_bool_accepts_exact_words(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG") is expected


@pytest.mark.parametrize("raw", ["ture", "yes please", "2"])
def test_env_bool_refuses_typos(monkeypatch, raw):
    monkeypatch.setenv("SOME_FLAG", raw)
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG")


def run_manage(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True, timeout=120,
    )


def test_insecure_secret_key_is_refused_without_debug(tmp_path):
    result = run_manage({"PARLEY_DATA_DIR": str(tmp_path), "SECRET_KEY": "django-insecure-abc"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_insecure_secret_key_is_accepted_in_debug(tmp_path):
    env = {"PARLEY_DATA_DIR": str(tmp_path), "SECRET_KEY": "django-insecure-abc", "DJANGO_DEBUG": "true"}
    assert run_manage(env, "check").returncode == 0


def test_deploy_check_is_clean_with_production_variables(tmp_path):
    env = {
        "PARLEY_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "k" * 20 + "Zq8#x!2vB@9mL$4nT%7rY^1wE&6uI*3oP(0a)Sd-Fg=Hj+Kl",
        "ALLOWED_HOSTS": "meet.example.com",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_COOKIES": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_PRELOAD": "true",
    }
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_zero_configuration_generates_and_keeps_a_secret_key(tmp_path):
    assert run_manage({"PARLEY_DATA_DIR": str(tmp_path)}, "check").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run_manage({"PARLEY_DATA_DIR": str(tmp_path)}, "check").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_data_dir_and_stored_files_are_private(tmp_path):
    """Issue 10: var/ was world-readable. DATA_DIR is 0700 (an existing open one is tightened), and
    what Parley writes — uploads, the database, the spool — is 0600 / 0700."""
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    script = (
        "import django, os; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage\n"
        "name = default_storage.save('documents/r/a.txt', ContentFile(b'x'))\n"
        "from django.conf import settings\n"
        "spool = settings.MEDIA_ROOT / 'recordings-spool' / '1'\n"
        "spool.mkdir(parents=True); (spool / 't.webm').touch()\n"
        "print(default_storage.path(name))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PARLEY_DATA_DIR": str(data),
             "DJANGO_SETTINGS_MODULE": "portal.settings"},
    )
    assert result.returncode == 0, result.stderr
    mode = lambda p: p.stat().st_mode & 0o777  # noqa: E731
    assert mode(data) == 0o700
    assert mode(Path(result.stdout.strip())) == 0o600
    assert mode(Path(result.stdout.strip()).parent) == 0o700
    assert mode(data / "media" / "recordings-spool" / "1" / "t.webm") == 0o600
    assert mode(data / "secret_key") == 0o600
    assert run_manage({"PARLEY_DATA_DIR": str(data)}, "migrate", "-v0").returncode == 0
    assert mode(data / "db.sqlite3") == 0o600
