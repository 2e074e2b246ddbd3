"""One pytest item per Odoo test method of the addons, plus one for the whole run.

The Odoo tests themselves run once, in the session fixture ``odoo_run`` (conftest.py);
these items only read its log.
"""

import os

import pytest
from odoo_runner import LOG_FILE, collect_tests

NARROWED = bool(os.environ.get("RELANCE_TEST_TAGS"))


def _excerpt(records, limit=3000):
    """Log records with their tracebacks, each cut to ``limit`` characters."""
    return "\n".join(f"{rec.level} {rec.logger}: {rec.text[:limit]}" for rec in records)


def _first_lines(records):
    return "\n".join(rec.first_line for rec in records)


@pytest.mark.parametrize("test", collect_tests(), ids=str)
def test_odoo(test, odoo_run):
    log = odoo_run.log
    failures = log.failures_for(test)
    if failures:
        pytest.fail(f"{test} failed (log: {LOG_FILE}):\n{_excerpt(failures)}", pytrace=False)
    if (test.logger, test.name) in log.skipped:
        pytest.skip(f"skipped by Odoo: {log.skipped[test.logger, test.name]}")
    if (test.logger, test.name) not in log.started:
        if NARROWED or not test.standard:
            pytest.skip("not selected by the test tags")
        pytest.fail(
            f"{test} did not run: is {test.file} imported in {test.addon}/tests/__init__.py, "
            f"and did the module install (see test_odoo_run_result)?\n"
            f"{_first_lines(log.install_errors)}",
            pytrace=False,
        )


def test_odoo_run_result(odoo_run):
    """The run installed the addons without errors and Odoo reports no failed test."""
    log = odoo_run.log
    problems = []
    if log.install_errors:
        problems.append(f"ERROR/CRITICAL log lines outside tests:\n{_excerpt(log.install_errors)}")
    if log.summary and log.summary[:2] != (0, 0):
        failed, errors, total = log.summary
        problems.append(
            f"Odoo reports {failed} failed, {errors} error(s) of {total} tests:\n{_first_lines(log.failures)}"
        )
    if odoo_run.returncode != 0:
        status = "killed after timeout" if odoo_run.returncode is None else f"exit code {odoo_run.returncode}"
        problems.append(f"Odoo {status}" + ("" if problems else f"; end of the log:\n{log.tail()}"))
    if log.summary is None:
        problems.append("no test summary (odoo.tests.result) in the log")
    if problems:
        pytest.fail(f"log: {LOG_FILE}\n" + "\n\n".join(problems), pytrace=False)
