"""Production serves its pages (issue #8 finding 8): static files collected with
DEBUG=0 (hashed names, manifest, WhiteNoise) and a real gunicorn process with DEBUG=0
and a real secret answering /login/, /admin/login/ and their CSS."""

import base64
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PORTS = range(8100, 8110)  # this worktree's port range


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no free port in 8100-8109")


def database_url(tmp_path) -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    return f"sqlite:///{tmp_path / 'prod.sqlite3'}"


def get(url: str):
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.django_db
def test_gunicorn_with_debug_off_serves_login_and_its_css(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PERSONAL_DATA_KEYS": base64.urlsafe_b64encode(
            secrets.token_bytes(32)
        ).decode(),
        "PERSONAL_DATA_HASH_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": database_url(tmp_path),
        "REDIS_URL": "",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the production settings, not the tests'
    base = Path(settings.BASE_DIR)
    venv_bin = Path(sys.executable).parent
    # every file under static/ (vendored ones included) must survive the manifest
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
    )
    assert collect.returncode == 0, collect.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()

    server = subprocess.Popen(
        [
            str(venv_bin / "gunicorn"),
            "brokercrm.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=base,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        root = f"http://127.0.0.1:{port}"
        for _ in range(150):  # wait until it listens (not a timed assertion)
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, server.stdout.read().decode()[-2000:]
            time.sleep(0.2)
        status, _, body = get(f"{root}/login/")
        assert status == 200, body[-2000:]
        css = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
        assert css, "the page names its CSS by its hashed name"
        status, headers, content = get(root + css.group(1).decode())
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert content
        status, _, body = get(f"{root}/admin/login/")
        assert status == 200
        for static_url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', body):
            assert get(root + static_url.decode())[0] == 200, static_url
    finally:
        server.terminate()
        server.wait(timeout=30)
