#!/usr/bin/env python3
"""One run, same data: our daily run next to OCA's account_credit_control, letters/s, mail queue.

Usage (from the repo root, after ``python3 benchmarks/generate.py``):

    python3 benchmarks/bench_peer.py                       # relance_bench, everything
    python3 benchmarks/bench_peer.py --no-oca --letters 10 # without the peer
    python3 benchmarks/bench_peer.py --db relance_bench_100k --letters 0

Steps (each bounded by ``--timeout``; every database and process it makes is removed at the end):

1. the peer: ``pip download --no-deps odoo-addon-account-credit-control`` (19.0 wheel) into a
   temp dir outside the repo, unzipped into a temp addons dir (its code is never copied into
   the repo); ``createdb -T <db> <db>_oca`` and ``odoo -i account_credit_control`` on the copy
   (untimed); a credit policy with our default ladder's levels (same delays, net days on the
   receivable account); then, in a worker process, ``credit.control.run.generate_credit_lines``
   is timed (wall, CPU, queries, lines made);
2. ours, in one rolled-back transaction (bench_daily_run.daily_run): (a) decide, (b) plan,
   (c) execute, (d) mail queue with SMTP mocked; the ratio OCA / (a)+(b) is printed;
3. letters: an Odoo HTTP server on a free port serves the report CSS (``report.url`` set in the
   rolled-back transaction), ``--letters`` letter PDFs of the letter report are rendered one at
   a time (one wkhtmltopdf each, as the letter channel does) with Odoo's default
   ``report.print_delay`` and with 0; letters/s and kB/PDF. (Several letters in one PDF need a
   wkhtmltopdf with patched QT, which this machine does not have.)

Results: a table on stdout (Markdown, to paste into benchmarks/README.md) and JSON in
``benchmarks/results/peer-<db>-<timestamp>.json`` (git-ignored).
"""
import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from argparse import Namespace
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _entry  # noqa: E402
from _odoo_env import DATE_PARAM, DEFAULT_DB, addons_path, install_module, open_registry  # noqa: E402

OCA_PACKAGE = "odoo-addon-account-credit-control>=19.0,<19.1"


def sh(cmd, timeout, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
    return out.stdout


# ------------------------------------------------------------------------------------------------
# the peer
# ------------------------------------------------------------------------------------------------
def fetch_oca(tmp, timeout):
    """The OCA wheel from PyPI, unzipped: returns (addons dir, wheel file name)."""
    wheel_dir = Path(tmp) / "wheel"
    sh([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheel_dir), OCA_PACKAGE],
       timeout)
    wheel = glob.glob(str(wheel_dir / "*.whl"))[0]
    unpacked = Path(tmp) / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    addons = Path(tmp) / "addons"
    addons.mkdir()
    shutil.move(str(unpacked / "odoo" / "addons" / "account_credit_control"), str(addons))
    return str(addons), Path(wheel).name


def oca_worker(db, run_date):
    """In the copy: make a policy like our ladder, time generate_credit_lines. Prints one JSON line."""
    from odoo import SUPERUSER_ID, Command, api
    import threading

    registry = open_registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company = env.ref("base.main_company")
        ladder = [lvl for lvl in _entry.ladder(company) if lvl.delay >= 0]
        receivable = env["account.account"].search([("account_type", "=", "asset_receivable")])
        template = env.ref("account_credit_control.email_template_credit_control_base")
        policy = env["credit.control.policy"].create({
            "name": "BENCH like relance_impayes", "company_id": company.id,
            "account_ids": [Command.set(receivable.ids)],
            "level_ids": [Command.create({
                "name": lvl.name, "level": i + 1, "computation_mode": "net_days", "delay_days": lvl.delay,
                "email_template_id": template.id, "channel": "email", "custom_text": lvl.name,
                "custom_mail_text": f"<p>{lvl.name}</p>"}) for i, lvl in enumerate(ladder)],
        })
        company.credit_policy_id = policy
        run = env["credit.control.run"].create({"date": run_date, "policy_ids": [Command.set(policy.ids)],
                                                "company_id": company.id})
        env.flush_all()
        env.invalidate_all()
        thread = threading.current_thread()
        thread.query_time = 0.0
        q0, cpu0, t0 = cr.sql_log_count, time.process_time(), time.perf_counter()
        run.generate_credit_lines()
        env.flush_all()
        result = {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - cpu0,
                  "sql_seconds": thread.query_time, "queries": cr.sql_log_count - q0,
                  "lines": len(run.line_ids), "levels": len(ladder),
                  "customers": len(run.line_ids.partner_id.commercial_partner_id)}
        cr.rollback()
    print("OCA_RESULT " + json.dumps(result))


def run_oca(db, run_date, addons, timeout):
    copy = f"{db}_oca"
    sh(["dropdb", "--if-exists", "--force", copy], timeout)
    try:
        sh(["createdb", "-T", db, copy], timeout)
        os.environ["BENCH_EXTRA_ADDONS"] = addons
        started = time.perf_counter()
        install_module(copy, "-i", "account_credit_control")
        install_seconds = time.perf_counter() - started
        out = sh([sys.executable, __file__, "--oca-worker", "--db", copy, "--date", run_date.isoformat()], timeout,
                 env=dict(os.environ))
        line = next(ln for ln in out.splitlines() if ln.startswith("OCA_RESULT "))
        result = json.loads(line[len("OCA_RESULT "):])
        result["install_seconds"] = install_seconds
        return result
    finally:
        os.environ.pop("BENCH_EXTRA_ADDONS", None)
        subprocess.run(["dropdb", "--if-exists", "--force", copy], capture_output=True, timeout=timeout)


# ------------------------------------------------------------------------------------------------
# letters: an HTTP server for the report assets
# ------------------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return port if port != 8069 else free_port()


def start_server(db, timeout):
    port = free_port()
    cmd = [sys.executable, "-m", "odoo", "-d", db, f"--addons-path={addons_path()}", f"--http-port={port}",
           "--http-interface=127.0.0.1", "--max-cron-threads=0", f"--db-filter=^{db}$", "--log-level=warn",
           "--no-database-list"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=5)
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the Odoo server for the letters did not start")
            time.sleep(1)
    proc.terminate()
    raise SystemExit("the Odoo server for the letters did not answer in time")


def time_letters(env, comms, port):
    """Letters/s, one PDF per letter (default print delay, then 0)."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("report.url", f"http://127.0.0.1:{port}")
    default_delay = params.get_param("report.print_delay", "1000")
    _entry.render_letter(env, comms[:1])  # warm up: assets bundle, report compilation
    result = {"letters": len(comms), "default_print_delay_ms": int(default_delay)}
    for label, delay in (("default_delay", default_delay), ("no_delay", "0")):
        params.set_param("report.print_delay", delay)
        sizes = []
        started = time.perf_counter()
        for comm in comms:
            sizes.append(len(_entry.render_letter(env, comm)))
        seconds = time.perf_counter() - started
        result[label] = {"seconds": seconds, "letters_per_second": len(comms) / seconds,
                         "kb_per_pdf": sum(sizes) / len(sizes) / 1024}
    return result


# ------------------------------------------------------------------------------------------------
# ours
# ------------------------------------------------------------------------------------------------
def run_ours(db, run_date, letters, timeout, plan_only=False):
    from odoo import SUPERUSER_ID, api
    import bench_daily_run

    registry = open_registry(db)
    cr = registry.cursor()
    bench_daily_run.forbid_commit(cr)
    server = None
    try:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        args = Namespace(tracemalloc=False, profile=[], top=25, profile_dir=None, batch_size=None,
                         mail_queue=not plan_only, plan_only=plan_only)
        phases = bench_daily_run.daily_run(env, company, run_date, args)
        customers = len(env["account.move"].search(
            _entry.considered_domain(env, company) & bench_daily_run.bench_partners_domain(env)
        ).commercial_partner_id)
        result = {"customers": customers, "phases": {p.name.split()[0].strip("()"): {
            "name": p.name, "seconds": p.seconds, "cpu": p.cpu, "sql_seconds": p.sql_seconds, "queries": p.queries,
            "queries_per_customer": p.queries / max(customers, 1), "max_rss_mb": p.rss_mb} for p in phases}}
        result["peak_rss_mb"] = max(p.rss_mb for p in phases)
        if letters:
            comms = env["relance.communication"].search([("company_id", "=", company.id)], order="id desc",
                                                        limit=letters)
            server, port = start_server(db, timeout)
            result["letters"] = time_letters(env, comms, port)
        return result
    finally:
        cr.rollback()
        cr.close()
        if server:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


# ------------------------------------------------------------------------------------------------
def ratios(res):
    """How many times OCA's generate_credit_lines takes our decide + plan: (wall, CPU)."""
    ours, oca = res["ours"]["phases"], res["oca"]
    return (oca["seconds"] / (ours["a"]["seconds"] + ours["b"]["seconds"]),
            oca["cpu"] / (ours["a"]["cpu"] + ours["b"]["cpu"]))


def table(res):
    ours = res["ours"]["phases"]
    rows = [("step", "seconds", "CPU s", "queries", "queries/customer", "peak RSS MB")]
    for key in ("a", "b", "c", "d"):
        if key in ours:
            p = ours[key]
            rows.append((p["name"], f"{p['seconds']:.1f}", f"{p['cpu']:.1f}", str(p["queries"]),
                         f"{p['queries_per_customer']:.1f}", f"{p['max_rss_mb']:.0f}"))
    decide_plan = ours["a"]["seconds"] + ours["b"]["seconds"]
    if "c" in ours:
        rows.append(("daily run (a)+(b)+(c)", f"{sum(ours[k]['seconds'] for k in 'abc'):.1f}",
                     f"{sum(ours[k]['cpu'] for k in 'abc'):.1f}", "", "", ""))
    decide_plan_cpu = ours["a"]["cpu"] + ours["b"]["cpu"]
    rows.append(("our decide + plan (a)+(b)", f"{decide_plan:.2f}", f"{decide_plan_cpu:.2f}",
                 str(ours["a"]["queries"] + ours["b"]["queries"]), "", ""))
    oca = res.get("oca")
    if oca:
        rows.append((f"OCA generate_credit_lines ({oca['lines']} lines, {oca['levels']} levels)",
                     f"{oca['seconds']:.1f}", f"{oca['cpu']:.1f}", str(oca["queries"]),
                     f"{oca['queries'] / max(oca['customers'], 1):.1f}", ""))
        wall, cpu = ratios(res)
        rows.append(("**ratio OCA / our (a)+(b)** (wall in the seconds column, CPU in the CPU column)",
                     f"**{wall:.2f}x** wall", f"**{cpu:.2f}x** CPU", "", "", ""))
    letters = res["ours"].get("letters")
    if letters:
        for key, label in (("default_delay", f"letters, one PDF each, print delay {letters['default_print_delay_ms']} ms"),
                           ("no_delay", "letters, one PDF each, print delay 0")):
            v = letters[key]
            rows.append((label, f"{v['letters_per_second']:.2f} letters/s", "", "", f"{v['kb_per_pdf']:.0f} kB/PDF", ""))
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--date", type=date.fromisoformat, default=None)
    parser.add_argument("--letters", type=int, default=20, help="letter PDFs to render (0: none)")
    parser.add_argument("--no-oca", action="store_true", help="skip the OCA comparison")
    parser.add_argument("--plan-only", action="store_true",
                        help="ours: decide + plan only (no execute, mail queue nor letters): the OCA comparison alone")
    parser.add_argument("--no-update", action="store_true", help="skip `odoo -u relance_impayes` first")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed to each external step")
    parser.add_argument("--oca-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.oca_worker:
        return oca_worker(args.db, args.date)
    if not args.no_update:
        install_module(args.db, "-u")
    if not args.date:
        out = sh(["psql", "-X", "-A", "-t", "-d", args.db, "-c",
                  f"SELECT value FROM ir_config_parameter WHERE key = '{DATE_PARAM}'"], 60).strip()
        if not out:
            raise SystemExit(f"{args.db} has no benchmark data: run benchmarks/generate.py first")
        args.date = date.fromisoformat(out)
    res = {"db": args.db, "date": args.date.isoformat(), "started": datetime.now().isoformat(timespec="seconds"),
           "load_average_before": os.getloadavg(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench_oca_") as tmp:
        if not args.no_oca:
            addons, wheel = fetch_oca(tmp, args.timeout)
            res["oca_wheel"] = wheel
            print(f"OCA peer: {wheel}, installing into a copy of {args.db}")
        res["ours"] = run_ours(args.db, args.date, 0 if args.plan_only else args.letters, args.timeout,
                               plan_only=args.plan_only)
        from odoo.modules.registry import Registry
        from odoo.sql_db import close_db
        Registry.delete(args.db)
        close_db(args.db)  # createdb -T needs no open connection to the source database
        if not args.no_oca:
            res["oca"] = run_oca(args.db, args.date, addons, args.timeout)
    res["load_average_after"] = os.getloadavg()
    print("\n" + table(res))
    if res.get("oca"):
        wall, cpu = ratios(res)
        res["ratio_wall"], res["ratio_cpu"] = wall, cpu
        print(f"\ndecide + plan vs OCA generate_credit_lines, same data, same run: {wall:.2f}x faster in wall time, "
              f"{cpu:.2f}x in CPU time (target >= 10x: {'met' if min(wall, cpu) >= 10 else 'NOT met'}); "
              f"load average {res['load_average_before']} -> {res['load_average_after']}")
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"peer-{args.db}-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(res, indent=2, default=str))
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
