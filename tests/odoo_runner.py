"""Find the repo's Odoo addons, run their Odoo tests in one Odoo process, parse the log.

Used by conftest.py, test_static.py and test_odoo_suite.py. Odoo itself is never
imported here: it runs in subprocesses, so pytest works (and skips) without it.

Environment variables:
  RELANCE_ADDONS_ROOT  directory holding the addons to test (default: repo root)
  RELANCE_TEST_TAGS    value for Odoo's --test-tags (default: /<addon>,... for all addons)
  RELANCE_KEEP_DB=1    keep the test database after the run
"""

import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ADDONS_ROOT = Path(os.environ.get("RELANCE_ADDONS_ROOT") or REPO_ROOT).resolve()
LOG_FILE = REPO_ROOT / "tests" / ".odoo_test.log"
TEMPLATE_DB = "relance_tpl"
TEMPLATE_MODULES = ["l10n_fr_account"]
RUN_TIMEOUT = 3600  # seconds for the whole Odoo test run
UNAVAILABLE = "ODOO NOT AVAILABLE"


# --- addons and their tests (static) ---------------------------------------


def find_addons(root=ADDONS_ROOT):
    """Addon directories directly under ``root``, i.e. those with a __manifest__.py."""
    return sorted(p for p in root.iterdir() if (p / "__manifest__.py").is_file())


def read_manifest(addon):
    return ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))


ADDONS = find_addons()


@dataclass(frozen=True)
class OdooTest:
    """One test method as Odoo will run it: logger ``odoo.addons.<addon>.tests.<file>``."""

    addon: str
    file: str
    cls: str
    method: str
    standard: bool = True  # False when the class is tagged '-standard' (not run by default)

    @property
    def logger(self):
        return f"odoo.addons.{self.addon}.tests.{self.file}"

    @property
    def name(self):
        return f"{self.cls}.{self.method}"

    def __str__(self):
        return f"{self.addon}/{self.file}/{self.name}"


def _tags(cls_node):
    """String arguments of the @tagged(...) decorators of a class."""
    tags = set()
    for deco in cls_node.decorator_list:
        func = deco.func if isinstance(deco, ast.Call) else None
        if getattr(func, "id", getattr(func, "attr", None)) == "tagged":
            tags.update(a.value for a in deco.args if isinstance(a, ast.Constant))
    return tags


def collect_tests(addons=ADDONS):
    """Every ``Class.test_*`` method defined in <addon>/tests/test_*.py."""
    tests = []
    for addon in addons:
        for path in sorted((addon / "tests").glob("test_*.py")):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            except SyntaxError:
                continue  # reported by test_static.py and by the Odoo run itself
            for node in tree.body:
                if not isinstance(node, ast.ClassDef):
                    continue
                standard = "-standard" not in _tags(node)
                tests += [
                    OdooTest(addon.name, path.stem, node.name, item.name, standard)
                    for item in node.body
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test_")
                ]
    return tests


# --- Odoo and PostgreSQL availability ----------------------------------------

_PROBE = """
import json, odoo.release
from odoo.tools import config
config.parse_config([], setup_logging=False)
print(json.dumps({
    'version': odoo.release.version_info[0],
    'addons_path': config['addons_path'],
    'filestore': config.filestore(''),
    'pg': {k: config[k] for k in ('db_host', 'db_port', 'db_user', 'db_password')},
}))
"""


def probe():
    """Return ``(config, None)`` when Odoo 19 and PostgreSQL are usable, else ``(None, reason)``."""
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    if proc.returncode:
        lines = proc.stderr.strip().splitlines() or ["no output"]
        return None, f"`import odoo` failed: {lines[-1]}"
    cfg = json.loads(proc.stdout.strip().splitlines()[-1])
    if cfg["version"] != 19:
        return None, f"Odoo {cfg['version']} found, Odoo 19 required"
    if not shutil.which("pg_isready"):
        return None, "pg_isready not found (PostgreSQL client missing)"
    if subprocess.run(["pg_isready", "-q"], env=pg_env(cfg)).returncode:
        return None, "PostgreSQL does not answer (pg_isready)"
    return cfg, None


def pg_env(cfg):
    """Environment for the PostgreSQL client tools, matching Odoo's connection settings."""
    env = dict(os.environ)
    names = {"db_host": "PGHOST", "db_port": "PGPORT", "db_user": "PGUSER", "db_password": "PGPASSWORD"}
    env.update({var: str(cfg["pg"][key]) for key, var in names.items() if cfg["pg"][key]})
    return env


# --- databases -----------------------------------------------------------------


def _run(cmd, cfg):
    """Run a setup command; raise with its output tail when it fails."""
    proc = subprocess.run(cmd, env=pg_env(cfg), cwd=REPO_ROOT, capture_output=True, text=True)
    if proc.returncode:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return proc.stdout


def db_exists(cfg, name):
    query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    return _run(["psql", "-d", "postgres", "-tAc", query], cfg).strip() == "1"


def ensure_template(cfg):
    """Create the template database (French company with accounting) when missing."""
    if db_exists(cfg, TEMPLATE_DB):
        return
    odoo = [sys.executable, "-m", "odoo"]
    build = f"{TEMPLATE_DB}_build_{os.getpid()}"
    _run(odoo + ["db", "init", build, "--country", "FR", "--force"], cfg)
    _run(odoo + ["module", "install", "-d", build, *TEMPLATE_MODULES], cfg)
    _run(odoo + ["db", "rename", build, TEMPLATE_DB], cfg)


def create_db(cfg, name):
    """Copy the template database and its filestore."""
    ensure_template(cfg)
    _run(["createdb", "-T", TEMPLATE_DB, name], cfg)
    template_fs = Path(cfg["filestore"], TEMPLATE_DB)
    if template_fs.is_dir():
        shutil.copytree(template_fs, Path(cfg["filestore"], name))


def drop_db(cfg, name):
    _run(["dropdb", "--if-exists", name], cfg)
    shutil.rmtree(Path(cfg["filestore"], name), ignore_errors=True)


# --- the Odoo run --------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OdooRun:
    command: list
    db: str
    returncode: int = None  # None: killed after RUN_TIMEOUT
    duration: float = 0.0
    log: "OdooLog" = None


def run_tests(cfg, addons=ADDONS, log_file=LOG_FILE):
    """Install ``addons`` in a fresh database with tests enabled; return the parsed run."""
    if not addons:
        raise RuntimeError(f"no addon (directory with a __manifest__.py) in {ADDONS_ROOT}")
    names = [a.name for a in addons]
    db = f"relance_test_{os.getpid()}"
    tags = os.environ.get("RELANCE_TEST_TAGS") or ",".join(f"/{n}" for n in names)
    command = [
        sys.executable,
        "-m",
        "odoo",
        "-d",
        db,
        "--addons-path=" + ",".join([*cfg["addons_path"], str(ADDONS_ROOT)]),
        "-i",
        ",".join(names),
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        "--log-level=info",
        f"--http-port={_free_port()}",
        "--workers=0",
        "--max-cron-threads=0",
    ]
    run = OdooRun(command, db)
    create_db(cfg, db)
    start = time.monotonic()
    try:
        with open(log_file, "w", encoding="utf-8") as out:
            proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=pg_env(cfg), start_new_session=True
            )
            try:
                run.returncode = proc.wait(timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    finally:
        run.duration = time.monotonic() - start
        if os.environ.get("RELANCE_KEEP_DB") != "1":
            drop_db(cfg, db)
    run.log = OdooLog(log_file.read_text(encoding="utf-8", errors="replace"))
    return run


# --- the log -------------------------------------------------------------------

# "2026-11-22 23:58:50,141 5818 INFO dbname odoo.addons.x.tests.test_x: Starting TestX.test_y ..."
RECORD_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ ([A-Z]+) \S+ (\S+): (.*)$")
START_RE = re.compile(r"Starting (\w+\.\w+) \.\.\.")
SKIP_RE = re.compile(r"skipped (\w+\.\w+) : (.*)")
# "FAIL: TestX.test_y", "ERROR: Subtest TestX.test_y (i=1)",
# "ERROR: setUpClass (odoo.addons.x.tests.test_x.TestX)"
BLOCK_RE = re.compile(r"(FAIL|ERROR): ")
# "odoo.tests.result: 2 failed, 2 error(s) of 6 tests when loading database 'db'"
SUMMARY_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
# Lines (logger: message) closing a stretch of test execution.
TESTS_END_RE = re.compile(
    r"odoo\.modules\.loading: (Loading module |Module \S+ loaded in |\d+ modules loaded)"
    r"|odoo\.service\.server: \d+ post-tests in "
)
# ERROR lines that only report test outcomes.
TEST_REPORT_RE = re.compile(
    r"odoo\.modules\.loading: (Module \S+: \d+ failures|At least one test failed)"
    r"|odoo\.tests\.result: "
)


@dataclass
class Record:
    level: str
    logger: str
    text: str  # the message with its continuation lines (tracebacks)

    @property
    def first_line(self):
        return f"{self.level} {self.logger}: {self.text.splitlines()[0].rstrip()}"


@dataclass
class OdooLog:
    text: str
    started: set = field(default_factory=set)  # {(logger, 'Class.method')}
    skipped: dict = field(default_factory=dict)  # {(logger, 'Class.method'): reason}
    failures: list = field(default_factory=list)  # FAIL:/ERROR: records
    install_errors: list = field(default_factory=list)  # ERROR/CRITICAL outside tests
    warnings: list = field(default_factory=list)  # WARNING outside tests
    summary: tuple = None  # (failed, errors, tests)

    def __post_init__(self):
        in_test = False
        for rec in self._records():
            line = f"{rec.logger}: {rec.text}"
            if (match := START_RE.match(rec.text)) and rec.logger.startswith("odoo.addons."):
                self.started.add((rec.logger, match[1]))
                in_test = True
            elif match := SKIP_RE.match(rec.text):
                self.skipped[rec.logger, match[1]] = match[2].strip()
            elif TESTS_END_RE.match(line):
                in_test = False
            elif rec.logger == "odoo.tests.result" and (match := SUMMARY_RE.search(rec.text)):
                self.summary = tuple(map(int, match.groups()))
            if rec.level in ("ERROR", "CRITICAL"):
                if BLOCK_RE.match(rec.text):
                    self.failures.append(rec)
                elif not in_test and not TEST_REPORT_RE.match(line):
                    self.install_errors.append(rec)
            elif rec.level == "WARNING" and not in_test:
                self.warnings.append(rec)

    def _records(self):
        rec = None
        for line in self.text.splitlines():
            if match := RECORD_RE.match(line):
                if rec:
                    yield rec
                rec = Record(*match.groups())
            elif rec:
                rec.text += "\n" + line
        if rec:
            yield rec

    def failures_for(self, test):
        """FAIL:/ERROR: records naming the test, or its class (setUpClass, tearDownClass)."""
        own = re.compile(rf"(FAIL|ERROR): (Subtest )?{re.escape(test.name)}\b")
        of_class = f"({test.logger}.{test.cls})"
        return [
            r
            for r in self.failures
            if (r.logger == test.logger and own.match(r.text)) or of_class in r.text.splitlines()[0]
        ]

    def tail(self, lines=40):
        return "\n".join(self.text.splitlines()[-lines:])
