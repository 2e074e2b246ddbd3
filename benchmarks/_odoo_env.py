"""Open an Odoo 19 registry from a plain Python script (no ``odoo shell``).

Configuration: ~/.odoorc (or $ODOO_RC), then ``--addons-path`` extended with the repo root so
``relance_impayes`` is found. Shared by generate.py and bench_daily_run.py.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ODOO_ROOT = Path(os.environ.get("ODOO_ROOT", "/opt/odoo19"))
DEFAULT_DB = "relance_bench"
TEMPLATE_DB = "relance_tpl"
BENCH_REF_PREFIX = "BENCH-"
# ir.config_parameter holding the date the data was generated for (due dates are relative to it)
DATE_PARAM = "relance_bench.reference_date"

if str(ODOO_ROOT) not in sys.path and (ODOO_ROOT / "odoo").is_dir():
    sys.path.insert(0, str(ODOO_ROOT))


def addons_path():
    """Odoo's addons, the repo root, and $BENCH_EXTRA_ADDONS (bench_peer.py: the unpacked OCA addon)."""
    extra = [p for p in os.environ.get("BENCH_EXTRA_ADDONS", "").split(",") if p]
    return ",".join([str(ODOO_ROOT / "addons"), str(ODOO_ROOT / "odoo" / "addons"), str(REPO_ROOT)] + extra)


def setup_config(db, log_level="warn"):
    """Parse ~/.odoorc plus our addons path, quiet logs; return the odoo package."""
    import odoo  # noqa: F401
    from odoo.tools import config

    args = ["-d", db, f"--addons-path={addons_path()}", f"--log-level={log_level}"]
    rc = os.environ.get("ODOO_RC") or os.path.expanduser("~/.odoorc")
    if os.path.exists(rc):
        args.insert(0, f"--config={rc}")
    config.parse_config(args, setup_logging=True)
    return odoo


def open_registry(db, log_level="warn"):
    setup_config(db, log_level)
    from odoo.modules.registry import Registry

    return Registry(db)


def install_module(db, flag="-u", module="relance_impayes"):
    """``-i`` (install) or ``-u`` (update) ``module`` in ``db`` with a separate Odoo process."""
    cmd = [sys.executable, "-m", "odoo", "-d", db, f"--addons-path={addons_path()}", flag, module,
           "--stop-after-init", "--log-level=warn"]
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")
    if out.returncode:
        sys.stderr.write(out.stdout[-4000:] + out.stderr[-4000:])
        raise SystemExit(f"{' '.join(cmd)} failed")
    print(f"  odoo {flag} {module} on {db}: {time.perf_counter() - started:.1f}s")
