"""./demo.sh stops with a short message, not a traceback, when something it needs is missing.

Each case stops in the preflight, before any database is created or any server started.
"""

import os
import shutil
import socket
import subprocess
import sys

import pytest
from odoo_runner import REPO_ROOT

DEMO = REPO_ROOT / "demo.sh"


def _demo(**env):
    proc = subprocess.run(
        [str(DEMO), "relance_demo_preflight_never_created"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 1, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Creating" not in proc.stdout, "the preflight must stop before creating the database"
    return proc.stderr


def _odoo_ready():
    ok = subprocess.run([sys.executable, "-c", "import odoo.release"], capture_output=True).returncode == 0
    return ok and shutil.which("pg_isready") and subprocess.run(["pg_isready", "-q"]).returncode == 0


def test_without_odoo_it_names_both_ways_to_get_it():
    # -I -S: a Python that sees neither the site packages nor PYTHONPATH, so no Odoo
    err = _demo(PYTHON=f"{sys.executable} -I -S")
    assert "Odoo 19 is not importable" in err
    assert "docker-compose up" in err
    assert "git clone -b 19.0" in err


def test_postgresql_not_answering_is_named():
    if not _odoo_ready():
        pytest.skip("needs Odoo and PostgreSQL to get past the first checks")
    err = _demo(PYTHON=sys.executable, PGPORT="1")  # nothing listens on port 1
    assert "PostgreSQL does not answer" in err
    assert "service postgresql start" in err


@pytest.mark.skipif(not shutil.which("wkhtmltopdf"), reason="wkhtmltopdf missing: the preflight stops before")
def test_port_taken_is_named():
    if not _odoo_ready():
        pytest.skip("needs Odoo and PostgreSQL to get past the first checks")
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        err = _demo(PYTHON=sys.executable, DEMO_PORT=str(port))
    assert f"port {port} is taken" in err
    assert "DEMO_PORT=" in err
