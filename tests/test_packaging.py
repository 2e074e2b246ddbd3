"""Every addon builds into an OCA-style wheel (whool) that Odoo finds once pip-installed.

The wheels are built from the git-tracked files of each addon (as whool does), installed with
``--no-deps`` into a fresh virtual environment that sees the system's Odoo
(``--system-site-packages``), and Odoo, started with the user's configuration, must find each
addon inside that environment, with every file its manifest lists.
"""

import importlib.util
import json
import subprocess
import sys
import venv

import pytest
import tomllib
from odoo_runner import ADDONS as ALL_ADDONS, REPO_ROOT, read_manifest

# test-only addons (test_*) hold test tours and fixtures: never packaged
ADDONS = [addon for addon in ALL_ADDONS if not addon.name.startswith("test_")]

per_addon = pytest.mark.parametrize("addon", ADDONS, ids=lambda addon: addon.name)

WHOOL_MISSING = importlib.util.find_spec("whool") is None
needs_whool = pytest.mark.skipif(
    WHOOL_MISSING, reason="whool is not installed (pip install whool): the wheels cannot be built"
)
ODOO_MISSING = importlib.util.find_spec("odoo") is None

_FIND = """
import json, sys
from odoo.tools import config
from odoo.modules.module import get_module_path
config.parse_config([], setup_logging=False)
print(json.dumps({name: get_module_path(name, display_warning=False) for name in sys.argv[1:]}))
"""


@per_addon
def test_addon_has_a_whool_pyproject(addon):
    path = addon / "pyproject.toml"
    assert path.is_file(), (
        f"{addon.name}/pyproject.toml is missing; create it with:\n"
        '[build-system]\nrequires = ["whool"]\nbuild-backend = "whool.buildapi"\n\n'
        '[tool.whool]\npost_version_strategy_override = "none"'
    )
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    assert config["build-system"] == {"requires": ["whool"], "build-backend": "whool.buildapi"}
    assert config.get("tool", {}).get("whool", {}).get("post_version_strategy_override") == "none", (
        "the wheel version must be the manifest version"
    )


def test_no_root_setup_py():
    """One package per addon: a root setup.py would package some of them under another name."""
    assert not (REPO_ROOT / "setup.py").exists()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(dist),
            *map(str, ADDONS),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout}\n{proc.stderr}"
    return {path.name: path for path in dist.glob("*.whl")}


@needs_whool
@per_addon
def test_wheel_name_and_version_come_from_the_manifest(addon, wheels):
    version = read_manifest(addon)["version"]
    assert f"odoo_addon_{addon.name}-{version}-py3-none-any.whl" in wheels, sorted(wheels)


@needs_whool
@pytest.mark.skipif(ODOO_MISSING, reason="Odoo is not importable: nothing to install the wheels next to")
def test_odoo_finds_the_installed_wheels(wheels, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            *map(str, wheels.values()),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert install.returncode == 0, f"pip install failed:\n{install.stdout}\n{install.stderr}"
    site = subprocess.run(
        [python, "-c", 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    names = [addon.name for addon in ADDONS]
    # run outside the repository, so that only the installed copies can be found
    found = subprocess.run([python, "-c", _FIND, *names], capture_output=True, text=True, cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    paths = json.loads(found.stdout.strip().splitlines()[-1])
    for addon in ADDONS:
        path = paths[addon.name]
        assert path and path.startswith(site), f"Odoo finds {addon.name} at {path}, not in {site}"
        installed = type(addon)(path)
        manifest = read_manifest(installed)
        assert manifest["version"] == read_manifest(addon)["version"]
        missing = [f for key in ("data", "demo") for f in manifest.get(key, []) if not (installed / f).is_file()]
        assert not missing, f"{addon.name}: files of the manifest missing from the wheel: {missing}"
        for folder in ("i18n", "static", "readme"):
            if (addon / folder).is_dir():
                assert (installed / folder).is_dir(), f"{addon.name}: {folder}/ missing from the wheel"


@per_addon
def test_readme_fragments(addon):
    """OCA's readme/ fragments, from which oca-gen-addon-readme builds README.rst."""
    missing = [
        name
        for name in ("DESCRIPTION.md", "CONFIGURE.md", "USAGE.md", "CONTRIBUTORS.md", "HISTORY.md")
        if not (addon / "readme" / name).is_file() or not (addon / "readme" / name).read_text().strip()
    ]
    assert not missing, f"{addon.name}/readme/ lacks {missing}"
