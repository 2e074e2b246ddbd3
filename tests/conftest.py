"""Session fixture running the Odoo tests once, and the end-of-session report."""

import os

import odoo_runner
import pytest

RUN = pytest.StashKey()


def _say(config, message):
    """Print now, even while pytest captures output."""
    with config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        config.pluginmanager.getplugin("terminalreporter").write_line(message)


@pytest.fixture(scope="session")
def odoo_run(request):
    """The parsed result of one Odoo run installing and testing every addon."""
    cfg, reason = odoo_runner.probe()
    if reason:
        pytest.skip(f"{odoo_runner.UNAVAILABLE}: {reason}")
    names = ",".join(a.name for a in odoo_runner.ADDONS)
    _say(request.config, f"\nOdoo: installing and testing {names} (log: {odoo_runner.LOG_FILE}) ...")
    run = odoo_runner.run_tests(cfg)
    request.config.stash[RUN] = run
    return run


def pytest_terminal_summary(terminalreporter, config):
    run = config.stash.get(RUN, None)
    if run:
        terminalreporter.section("Odoo run")
        terminalreporter.write_line(f"command: {' '.join(run.command)}")
        terminalreporter.write_line(f"exit code {run.returncode}, {run.duration:.0f} s, log: {odoo_runner.LOG_FILE}")
        if os.environ.get("RELANCE_KEEP_DB") == "1":
            terminalreporter.write_line(f"database kept: {run.db}")
        warnings = dict.fromkeys(rec.first_line for rec in run.log.warnings)
        terminalreporter.write_line(f"warnings outside tests: {len(warnings)}")
        for line in warnings:
            terminalreporter.write_line(f"  {line}")

    unavailable = [
        rep for rep in terminalreporter.stats.get("skipped", []) if odoo_runner.UNAVAILABLE in str(rep.longrepr)
    ]
    if unavailable:
        reason = unavailable[0].longrepr[2].partition(f"{odoo_runner.UNAVAILABLE}: ")[2]
        banner = f"{odoo_runner.UNAVAILABLE}: {len(unavailable)} Odoo tests skipped"
        terminalreporter.write_sep("!", banner, red=True, bold=True)
        terminalreporter.write_line(reason, red=True, bold=True)
        terminalreporter.write_sep("!", banner, red=True, bold=True)
