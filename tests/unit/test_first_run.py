"""A newcomer's first run on another port: `make run PORT=5066` gives the app (and so the sandbox's callbacks and
links) the address it serves on, and the banner prints every address a newcomer needs on that port."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from config import public_base_url

ROOT = Path(__file__).resolve().parents[2]
NEEDED = ("/backoffice/login", "/sandbox/phone?m=demo", "/sandbox/sms", "/staff/login", "/h5/demo/", "/api/v1/docs",
          "/healthz")


def _environment(**values):
    env = {key: value for key, value in os.environ.items() if key not in ("PUBLIC_BASE_URL", "HOST", "PORT")}
    env.update(values)
    return env


def _make_run_dry(*arguments, **env):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "run", *arguments], cwd=ROOT, env=_environment(**env), capture_output=True,
                         text=True, check=True).stdout
    return re.findall(r'PUBLIC_BASE_URL="([^"]*)"', out)


def test_does_make_run_on_another_port_give_the_app_that_port():
    given = _make_run_dry("PORT=5066")
    assert given and set(given) == {"http://127.0.0.1:5066"}  # to the banner and to the server


def test_does_make_run_keep_a_public_base_url_that_is_set():
    assert set(_make_run_dry("PORT=5066", PUBLIC_BASE_URL="https://vip.example.com")) == {"https://vip.example.com"}


def test_is_a_server_on_every_address_reached_on_loopback():
    assert set(_make_run_dry("HOST=0.0.0.0", "PORT=5066")) == {"http://127.0.0.1:5066"}


def test_does_the_configuration_follow_flask_runs_port_when_no_address_is_set():
    assert public_base_url({}) == "http://127.0.0.1:5000"
    assert public_base_url({"FLASK_RUN_PORT": "5066"}) == "http://127.0.0.1:5066"
    assert public_base_url({"FLASK_RUN_HOST": "0.0.0.0", "FLASK_RUN_PORT": "5066"}) == "http://127.0.0.1:5066"
    assert public_base_url({"PUBLIC_BASE_URL": "https://vip.example.com", "FLASK_RUN_PORT": "5066"}) == \
        "https://vip.example.com"


@pytest.mark.parametrize("env", [{"PUBLIC_BASE_URL": "http://127.0.0.1:5066"}, {"PORT": "5066"}],
                         ids=["from make run", "port only"])
def test_does_the_banner_print_every_address_on_the_chosen_port(env):
    out = subprocess.run(["bash", "scripts/banner.sh"], cwd=ROOT, env=_environment(**env), capture_output=True,
                         text=True, check=True).stdout
    urls = re.findall(r"https?://[^\s]+", out)
    assert urls and all(url.startswith("http://127.0.0.1:5066/") for url in urls), urls
    for path in NEEDED:
        assert any(path in url for url in urls), path
    assert "demo1234" in out and "cashier" in out  # the demo logins
