"""ruff and pylint-odoo on every addon, with OCA's 19.0 configuration (.ruff.toml, .pylintrc-mandatory).

The versions are the ones pinned in .pre-commit-config.yaml, so that a contributor's
pre-commit and this test agree. Run alone: ``python3 -m pytest tests/test_lint.py`` (or ``-m lint``).
"""

import re
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

import pytest
from odoo_runner import ADDONS, REPO_ROOT

pytestmark = pytest.mark.lint

PRE_COMMIT = (REPO_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
ADDON_PATHS = [str(addon.relative_to(REPO_ROOT)) for addon in ADDONS]


def _pinned(repo):
    """The ``rev`` pinned for ``repo`` in .pre-commit-config.yaml, without its leading v."""
    match = re.search(rf"repo: https://github.com/{re.escape(repo)}\s+rev: v?(\S+)", PRE_COMMIT)
    assert match, f"{repo} is not pinned in .pre-commit-config.yaml"
    return match[1]


def _tool(package, repo):
    """Skip when the PyPI package is not installed; fail when its version is not the pinned one."""
    try:
        installed = version(package)
    except PackageNotFoundError:
        pytest.skip(f"{package} is not installed (pip install {package}=={_pinned(repo)})")
    assert installed == _pinned(repo), (
        f"{package} {installed} installed, {_pinned(repo)} pinned in "
        f".pre-commit-config.yaml: pip install {package}=={_pinned(repo)}"
    )


def _run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def _ruff():
    return shutil.which("ruff") or pytest.skip("ruff is on PYTHONPATH but not on PATH")


def test_ruff_check():
    _tool("ruff", "astral-sh/ruff-pre-commit")
    code, out = _run([_ruff(), "check", "--no-fix", "--output-format=concise", *ADDON_PATHS])
    assert code == 0, f"ruff check (fix with: ruff check --fix {' '.join(ADDON_PATHS)}):\n{out}"


def test_ruff_format():
    _tool("ruff", "astral-sh/ruff-pre-commit")
    code, out = _run([_ruff(), "format", "--check", *ADDON_PATHS])
    assert code == 0, f"ruff format (fix with: ruff format {' '.join(ADDON_PATHS)}):\n{out}"


def test_pylint_odoo():
    _tool("pylint-odoo", "OCA/pylint-odoo")
    code, out = _run(
        [
            sys.executable,
            "-m",
            "pylint",
            "--rcfile=.pylintrc-mandatory",
            "--output-format=text",
            "--msg-template={path}:{line}: {symbol}: {msg}",
            *ADDON_PATHS,
        ]
    )
    assert code == 0, f"pylint-odoo (.pylintrc-mandatory):\n{out}"
