#!/usr/bin/env python3
"""One run, same data: our daily run next to OCA's account_credit_control, letters/s, mail queue.

Usage (from the repo root, after ``python3 benchmarks/generate.py``):

    python3 benchmarks/bench_peer.py                       # relance_bench, everything
    python3 benchmarks/bench_peer.py --no-oca --letters 10 # without the peer
    python3 benchmarks/bench_peer.py --db relance_bench_100k --letters 0
    python3 benchmarks/bench_peer.py --letters-only --letters 100  # the letters' step alone

Steps (each bounded by ``--timeout``; every database and process it makes is removed at the end):

1. the peer: ``pip download --no-deps odoo-addon-account-credit-control`` (19.0 wheel) into a
   temp dir outside the repo, unzipped into a temp addons dir (its code is never copied into
   the repo); ``createdb -T <db> <db>_oca`` and ``odoo -i account_credit_control`` on the copy
   (untimed); a credit policy with our default ladder's levels (same delays, net days on the
   receivable account); then, in a worker process, ``credit.control.run.generate_credit_lines``
   is timed (wall, CPU, queries, lines made);
2. ours, in one rolled-back transaction (bench_daily_run.daily_run): (a) decide, (b) plan,
   (c) execute, (d) mail queue with SMTP mocked; the ratio OCA / (a)+(b) is printed;
3. letters: an Odoo HTTP server on a free port (``report.url`` set in the rolled-back transaction),
   as in production; ``--letters`` letter PDFs of the letter report rendered one at a time with
   ``_render_qweb_pdf`` (the path before issue 11) with Odoo's default ``report.print_delay``
   and with 0; then **the letters' step** (issue 11): the same number of reminders of letter
   levels marked to render, ``_cron_render_letters`` timed (batches of
   ``relance_impayes.letter_batch_size``, wkhtmltopdf in ``--letter-workers`` threads, default the
   cores); letters/s and kB/PDF. (Several letters in one wkhtmltopdf call need a patched-QT
   wkhtmltopdf, which this machine does not have.)

``--letters-only``: no peer, no timed daily run; the reminders of letter levels are planned and
executed (untimed) for ``--letters`` customers, then only the letters are timed.

Results: a table on stdout (Markdown, to paste into benchmarks/README.md) and JSON in
``benchmarks/results/peer-<db>-<timestamp>.json`` (git-ignored).
"""
import argparse
import glob
import json
import os
import resource
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


def time_letter_step(env, comms, workers):
    """Letters/s of the letters' step (``_cron_render_letters``) on ``comms`` marked to render."""
    if workers:
        env["ir.config_parameter"].sudo().set_param("relance_impayes.letter_workers", str(workers))
    _entry.mark_letters_pending(comms)
    env.flush_all()
    clock = Clock()
    done = _entry.render_letters_step(env)
    sizes = [len(comm.letter_id.raw or b"") for comm in done]
    return {"letters": len(comms), "rendered": len(done), **clock.stop(len(done), min(workers or 99, os.cpu_count())),
            "workers": workers or os.cpu_count(),
            "kb_per_pdf": sum(sizes) / max(len(sizes), 1) / 1024, "max_kb": max(sizes, default=0) / 1024}


class Clock:
    """Wall time, and CPU of this process and of its finished children (the wkhtmltopdf processes):
    on a loaded machine the CPU is the stable part; ``cpu_bound_letters_per_second`` is what that
    CPU gives on the machine's cores alone (an upper bound, not a measure)."""

    def __init__(self):
        self.wall, self.cpu, self.children = time.perf_counter(), time.process_time(), self._children()

    @staticmethod
    def _children():
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def stop(self, count, cores=None):
        """``cores``: how many cores the work can use (1 for one letter after the other)."""
        cores = cores or os.cpu_count() or 1
        wall = time.perf_counter() - self.wall
        cpu, children = time.process_time() - self.cpu, self._children() - self.children
        return {"seconds": wall, "letters_per_second": count / wall if wall else 0, "cpu_main_process": cpu,
                "cpu_wkhtmltopdf": children, "cpu_per_letter": (cpu + children) / max(count, 1),
                "cpu_bound_letters_per_second": count * cores / (cpu + children) if cpu + children else 0, "load_average": os.getloadavg()}


def letter_comms(env, company, count):
    """Reminders of letter levels that left or are leaving (what the letters' step renders)."""
    return env["relance.communication"].search(
        [("company_id", "=", company.id), ("state", "in", ("sending", "sent")),
         "|", ("level_id.action_letter", "=", True), ("level_id.action_registered_letter", "=", True)],
        order="id", limit=count)


def plan_letters_only(env, company, run_date, count):
    """``--letters-only``: plan and execute (untimed) the reminders of ``count`` customers due for a
    letter level; their letters are then pending."""
    import bench_daily_run

    restore, _levels = bench_daily_run.prepare(env, company, run_date)
    restore()  # the letter channels mark their letters, as in production
    decisions = [d for d in _entry.to_remind(_entry.decide(env, company, run_date))
                 if env["relance.level"].browse(d.level_id).action_letter][:count]
    comms = _entry.plan(env, company, decisions, run_date)
    for start in range(0, len(comms), 50):
        _entry.execute(comms[start:start + 50])
    env.flush_all()
    return letter_comms(env, company, count)


def time_letters(env, comms, port, workers=None):
    """Letters/s, one PDF per letter (default print delay, then 0), then the letters' step."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("report.url", f"http://127.0.0.1:{port}")
    default_delay = params.get_param("report.print_delay", "1000")
    _entry.render_letter(env, comms[:1])  # warm up: assets bundle, report compilation
    result = {"letters": len(comms), "default_print_delay_ms": int(default_delay)}
    for label, delay in (("default_delay", default_delay), ("no_delay", "0")):
        params.set_param("report.print_delay", delay)
        sizes = []
        clock = Clock()
        for comm in comms:
            sizes.append(len(_entry.render_letter(env, comm)))
        result[label] = {**clock.stop(len(comms), cores=1), "kb_per_pdf": sum(sizes) / len(sizes) / 1024}
    params.set_param("report.print_delay", default_delay)
    result["step"] = time_letter_step(env, comms, workers)
    return result


# ------------------------------------------------------------------------------------------------
# ours
# ------------------------------------------------------------------------------------------------
def run_ours(db, run_date, letters, timeout, workers=None, letters_only=False, plan_only=False):
    from odoo import SUPERUSER_ID, api
    import bench_daily_run

    registry = open_registry(db)
    cr = registry.cursor()
    bench_daily_run.forbid_commit(cr)
    server = None
    try:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        if letters_only:
            comms = plan_letters_only(env, company, run_date, letters)
            server, port = start_server(db, timeout)
            return {"letters": time_letters(env, comms, port, workers)}
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
            comms = letter_comms(env, company, letters)
            server, port = start_server(db, timeout)
            result["letters"] = time_letters(env, comms, port, workers)
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
def letter_rows(letters):
    rows = []
    for key, label in (("default_delay", f"letters, one PDF each, print delay {letters.get('default_print_delay_ms')} ms"),
                       ("no_delay", "letters, one PDF each, print delay 0")):
        if key in letters:
            v = letters[key]
            rows.append((label, *letter_cells(v), f"{v['kb_per_pdf']:.0f} kB/PDF", ""))
    step = letters.get("step")
    if step:
        rows.append((f"letters' step `_cron_render_letters`, {step['rendered']}/{step['letters']} letters, "
                     f"{step['workers']} workers", *letter_cells(step),
                     f"{step['kb_per_pdf']:.0f} kB/PDF (max {step['max_kb']:.0f})", ""))
    return rows


def letter_cells(v):
    """letters/s (wall), CPU s per letter (Odoo + wkhtmltopdf), letters/s that CPU allows on the cores."""
    if "cpu_per_letter" not in v:
        return f"{v['letters_per_second']:.2f} letters/s", "", ""
    return (f"{v['letters_per_second']:.2f} letters/s", f"{v['cpu_per_letter']:.3f} CPU s/letter",
            f"{v['cpu_bound_letters_per_second']:.1f} letters/s CPU-bound")


def ratios(res):
    """How many times OCA's generate_credit_lines takes our decide + plan: (wall, CPU)."""
    ours, oca = res["ours"]["phases"], res["oca"]
    return (oca["seconds"] / (ours["a"]["seconds"] + ours["b"]["seconds"]),
            oca["cpu"] / (ours["a"]["cpu"] + ours["b"]["cpu"]))


def table(res):
    rows = [("step", "seconds", "CPU s", "queries", "queries/customer", "peak RSS MB")]
    if "phases" not in res["ours"]:
        rows += letter_rows(res["ours"]["letters"])
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|" + "---|" * len(rows[0]))
        return "\n".join(lines)
    ours = res["ours"]["phases"]
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
        rows += letter_rows(letters)
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--date", type=date.fromisoformat, default=None)
    parser.add_argument("--letters", type=int, default=20, help="letter PDFs to render (0: none)")
    parser.add_argument("--no-oca", action="store_true", help="skip the OCA comparison")
    parser.add_argument("--letters-only", action="store_true",
                        help="only the letters: no peer, no timed daily run (implies --no-oca)")
    parser.add_argument("--letter-workers", type=int, default=None,
                        help="wkhtmltopdf processes at once in the letters' step (default: the cores)")
    parser.add_argument("--plan-only", action="store_true",
                        help="ours: decide + plan only (no execute, mail queue nor letters): the OCA comparison alone")
    parser.add_argument("--no-update", action="store_true", help="skip `odoo -u relance_impayes` first")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds allowed to each external step")
    parser.add_argument("--oca-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.oca_worker:
        return oca_worker(args.db, args.date)
    args.no_oca = args.no_oca or args.letters_only
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
                               args.letter_workers, args.letters_only, plan_only=args.plan_only)
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
