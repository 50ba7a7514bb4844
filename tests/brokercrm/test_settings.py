"""Settings from the environment: safe production defaults, refusal of unsafe ones."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "k3y-" + "x7Q9" * 20
PERSONAL_DATA = {
    "PERSONAL_DATA_KEYS": "YnVpbGQtb25seS1rZXktbmV2ZXItdXNlZC0wMTIzNDU=",
    "PERSONAL_DATA_HASH_KEY": "h4sh-" + "k9Z2" * 10,
}


def manage(*args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", *PERSONAL_DATA}
    }
    environment.update(DJANGO_SETTINGS_MODULE="brokercrm.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_real_secret_and_hosts():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="crm.example.com",
        **PERSONAL_DATA,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_off_without_personal_data_keys_refuses_to_start():
    result = manage(
        "check", DEBUG="0", SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="crm.example.com"
    )
    assert result.returncode != 0
    assert "PERSONAL_DATA_KEYS" in result.stderr


def test_a_malformed_personal_data_key_refuses_to_start():
    result = manage("check", PERSONAL_DATA_KEYS="not-a-fernet-key")
    assert result.returncode != 0
    assert "PERSONAL_DATA_KEYS" in result.stderr


def test_debug_off_with_the_dev_secret_refuses_to_start():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="crm.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = manage(
        "check", DEBUG="0", SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="", **PERSONAL_DATA
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr
