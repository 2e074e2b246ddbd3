#!/usr/bin/env python3
"""Time the daily reminder run of relance_impayes on generated data, without PDF nor SMTP.

Usage (from the repo root, after ``python3 benchmarks/generate.py``):

    python3 benchmarks/bench_daily_run.py                   # relance_bench, the data's reference date
    python3 benchmarks/bench_daily_run.py --profile execute # + cProfile of a phase, top 25 functions
    python3 benchmarks/bench_daily_run.py --mail-queue      # + phase (d): the mail queue, SMTP mocked

What is run, in ONE transaction that is rolled back at the end (the benchmark can be rerun; any
``cr.commit()`` raises):

* set up (not timed): ``attach_invoices`` = False on every level (no invoice PDF) and
  ``relance.communication._action_letter`` patched to a no-op (no letter PDF: the letter
  levels still run their checks, email, interactions); caches emptied;
* (a) ``account.move._relance_decide(company, date)``;
* (b) ``relance.communication._plan(company, <decisions to remind>, date)``;
* (c) ``_execute()`` over the pending communications (``_pending_domain``), by batches of
  ``relance_impayes.batch_size`` (50) as ``_run`` does, with a flush instead of the commit of
  ``ir.cron._commit_progress``: renders and queues the emails (``mail.mail`` outgoing), queues
  the levels needing validation (``to_validate``);
* (d) optional ``--mail-queue``: ``mail.mail.send()`` of those emails with the SMTP connection and
  ``send_email`` mocked, i.e. what the mail queue cron does next: ``_mark_sent`` (invoices
  climb, interactions, call activities, chatter notes).

Before, not timed: ``odoo -u relance_impayes`` on the database (``--no-update`` skips it), so
the schema follows the current code of the module.

``_run`` itself is not called: it commits (``_commit_progress`` outside a cron commits).

Then, in a second rolled-back transaction, ``_relance_decide`` alone on three data shapes to show
that its query count depends neither on the invoices per customer nor on the customers:
all customers x all their invoices; the same customers x 1 invoice each (the others flagged
``relance_excluded`` by SQL); 10% of the customers (``partners=``).
"""
import argparse
import cProfile
import io
import pstats
import resource
import sys
import threading
import time
import tracemalloc
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _entry  # noqa: E402
from _odoo_env import BENCH_REF_PREFIX, DATE_PARAM, DEFAULT_DB, install_module, open_registry  # noqa: E402


def maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class Phase:
    """Wall/CPU time, query count and SQL time, memory of one phase."""

    def __init__(self, name):
        self.name = name
        self.seconds = self.cpu = self.sql_seconds = 0.0
        self.queries = 0
        self.trace_peak_mb = None
        self.rss_mb = None
        self.profiled = False


@contextmanager
def measure(cr, phase, trace_memory=False, profile=False, top=25, dump_dir=None):
    thread = threading.current_thread()
    thread.query_time = 0.0
    queries0 = cr.sql_log_count
    if trace_memory:
        tracemalloc.start()
    profiler = cProfile.Profile() if profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        yield phase
    finally:
        if profiler:
            profiler.disable()
        phase.seconds = time.perf_counter() - wall0
        phase.cpu = time.process_time() - cpu0
        phase.queries = cr.sql_log_count - queries0
        phase.sql_seconds = thread.query_time
        del thread.query_time
        if trace_memory:
            phase.trace_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        phase.rss_mb = maxrss_mb()
        if profiler:
            phase.profiled = True
            if dump_dir:
                Path(dump_dir).mkdir(parents=True, exist_ok=True)
                path = Path(dump_dir) / (phase.name.split()[1] + ".prof")
                profiler.dump_stats(path)
                print(f"\n(profile of {phase.name} saved to {path}: python3 -m pstats {path})")
            for sort in ("tottime", "cumulative"):
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats(sort).print_stats(top)
                text = out.getvalue()
                print(f"\n--- cProfile of {phase.name}: top {top} by {sort} ---")
                print(text[text.index("ncalls"):] if "ncalls" in text else text)


def forbid_commit(cr):
    def commit():
        raise RuntimeError("the benchmark must not commit")
    cr.commit = commit


def bench_partners_domain(env):
    from odoo.fields import Domain
    return Domain("commercial_partner_id.ref", "=like", BENCH_REF_PREFIX + "%")


def prepare(env, company, run_date=None):
    """Not timed: no invoice PDF, no letter PDF, the reference rates of the run's half-year
    recorded (else the formal notices wait for a manager: another path). Returns a function
    restoring the patch."""
    levels = company.relance_policy_id.with_context(active_test=False).level_ids
    levels.write({"attach_invoices": False})
    if run_date is not None:
        _entry.record_reference_rates(env, run_date)
    restore = _entry.patch_letters_out(env)
    return restore, levels


@contextmanager
def mocked_smtp(env):
    """mail.mail.send() without network: a dummy SMTP session, send_email returns a Message-Id."""
    server_class = type(env["ir.mail_server"])
    originals = {name: server_class.__dict__.get(name) for name in ("_connect__", "send_email")}

    class DummySession:
        def quit(self):
            pass

    sent = []

    def _connect__(self, *args, **kwargs):
        return DummySession()

    def send_email(self, message, *args, **kwargs):
        sent.append(1)
        return message["Message-Id"] or "<bench@localhost>"

    server_class._connect__ = _connect__
    server_class.send_email = send_email
    try:
        yield sent
    finally:
        for name, func in originals.items():
            if func is None:
                delattr(server_class, name)
            else:
                setattr(server_class, name, func)


def print_table(phases, invoices):
    print(f"\n{'phase':<42}{'seconds':>9}{'cpu s':>8}{'SQL s':>8}{'queries':>9}{'max RSS MB':>12}"
          f"{'tracemalloc MB':>16}")
    for phase in phases:
        trace = f"{phase.trace_peak_mb:.1f}" if phase.trace_peak_mb is not None else "-"
        name = phase.name + (" (profiled)" if phase.profiled else "")
        print(f"{name:<42}{phase.seconds:>9.2f}{phase.cpu:>8.2f}{phase.sql_seconds:>8.2f}{phase.queries:>9}"
              f"{phase.rss_mb:>12.0f}{trace:>16}")
    total = sum(p.seconds for p in phases)
    queries = sum(p.queries for p in phases)
    print(f"{'total':<42}{total:>9.2f}{sum(p.cpu for p in phases):>8.2f}"
          f"{sum(p.sql_seconds for p in phases):>8.2f}{queries:>9}")
    daily = sum(p.seconds for p in phases[:3])
    if daily:
        print(f"throughput of the daily run (a)+(b)+(c): {invoices / daily:.0f} invoices/s "
              f"({invoices} invoices considered)")
    return total


def daily_run(env, company, run_date, args):
    cr = env.cr
    restore, levels = prepare(env, company, run_date)
    try:
        move_model = env["account.move"]
        comm_model = env["relance.communication"]
        existing = comm_model.search_count([("company_id", "=", company.id)])
        considered = move_model.search_count(
            _entry.considered_domain(env, company))
        bench_considered = move_model.search_count(
            _entry.considered_domain(env, company) & bench_partners_domain(env))
        activities0 = env["mail.activity"].search_count([])
        interactions0 = env["relance.interaction"].search_count([])
        batch_size = args.batch_size or int(
            env["ir.config_parameter"].sudo().get_param("relance_impayes.batch_size", 50))
        print(f"date {run_date}, company {company.name!r}; open invoices considered: {considered} "
              f"({bench_considered} of BENCH- customers); communications already in the database: {existing}")
        print(f"set up (rolled back): attach_invoices=False on {len(levels)} levels; "
              f"relance.communication._action_letter PATCHED TO A NO-OP (no letter PDF rendered)")
        env.flush_all()
        env.invalidate_all()
        phases = []

        # (a) decide
        phase = Phase("(a) _relance_decide")
        with measure(cr, phase, args.tracemalloc, "decide" in args.profile, args.top,
                     args.profile_dir):
            decisions = _entry.decide(env, company, run_date)
        phases.append(phase)
        due = _entry.to_remind(decisions)
        skipped = {}
        for d in decisions:
            skipped[d.skip_reason or "to remind"] = skipped.get(d.skip_reason or "to remind", 0) + 1
        steps = sum(len(d.steps) for d in decisions)
        climbing = sum(1 for d in due for s in d.steps if s.target_level_id)
        print(f"(a) customers with open invoices: {len(decisions)} -> {skipped}; invoices listed: {steps}, "
              f"climbing a level: {climbing}")

        # (b) plan
        phase = Phase("(b) _plan")
        with measure(cr, phase, args.tracemalloc, "plan" in args.profile, args.top,
                     args.profile_dir):
            planned = _entry.plan(env, company, due, run_date)
            env.flush_all()
        phases.append(phase)
        lines = env["relance.communication.line"].search_count([("communication_id", "in", planned.ids)])
        by_level = {}
        for comm in planned:
            by_level[comm.level_id.name] = by_level.get(comm.level_id.name, 0) + 1
        print(f"(b) communications planned: {len(planned)} with {lines} invoice lines; by level: {by_level}")
        if getattr(args, "plan_only", False):
            print_table(phases, considered)
            return phases

        # (c) execute, by batches as _run does (flush instead of commit)
        phase = Phase(f"(c) _execute (batches of {batch_size})")
        with measure(cr, phase, args.tracemalloc, "execute" in args.profile, args.top,
                     args.profile_dir):
            pending = _entry.pending(env, company)
            for start in range(0, len(pending), batch_size):
                _entry.execute(pending[start:start + batch_size].with_prefetch())
                env.flush_all()
                cr.precommit.run()  # what the batch's commit runs: the tracking messages
                env.invalidate_all()  # what _run does after each batch's commit
        phases.append(phase)
        states = dict(comm_model._read_group([("id", "in", planned.ids)], ["state"], ["__count"]))
        mails = env["mail.mail"].search([("model", "=", "relance.communication"), ("res_id", "in", planned.ids)])
        mail_states = dict(env["mail.mail"]._read_group([("id", "in", mails.ids)], ["state"], ["__count"]))
        print(f"(c) pending executed: {len(pending)}; communications per state: {states}; "
              f"mail.mail created: {len(mails)} {mail_states}; call activities: "
              f"{env['mail.activity'].search_count([]) - activities0}; interactions: "
              f"{env['relance.interaction'].search_count([]) - interactions0}")
        failures = dict(comm_model._read_group(
            [("id", "in", planned.ids), ("state", "=", "failed")], ["failure_reason"], ["__count"]))
        if failures:
            print(f"    failures: {failures}")

        # (d) mail queue, SMTP mocked
        baseline_vals = []
        if getattr(args, "core_mail_baseline", False):
            # the same emails, unrelated to any reminder (Odoo's own cost of sending them)
            baseline_vals = [
                {
                    "subject": mail.subject,
                    "body_html": mail.body_html,
                    "email_from": mail.email_from,
                    "email_to": mail.email_to,
                    "recipient_ids": [(6, 0, mail.recipient_ids.ids)],
                    "reply_to": mail.reply_to,
                }
                for mail in mails
            ]
        if args.mail_queue:
            phase = Phase("(d) mail queue send (SMTP mocked)")
            with mocked_smtp(env) as sent, measure(cr, phase, args.tracemalloc, "mail_queue" in args.profile, args.top,
                     args.profile_dir):
                mails.send(auto_commit=False, raise_exception=False)
                env.flush_all()
                cr.precommit.run()  # what the mail queue's commit runs: the tracking messages
            phases.append(phase)
            states = dict(comm_model._read_group([("id", "in", planned.ids)], ["state"], ["__count"]))
            climbed = move_model.search_count([("relance_date", "=", run_date)])
            print(f"(d) emails handed to the (mocked) SMTP: {len(sent)}; communications per state: {states}; "
                  f"invoices that climbed: {climbed}; call activities: "
                  f"{env['mail.activity'].search_count([]) - activities0}; interactions: "
                  f"{env['relance.interaction'].search_count([]) - interactions0}")

        if baseline_vals:
            baseline = env["mail.mail"].create(baseline_vals)
            env.flush_all()
            phase = Phase("(d0) core: the same emails, no reminder")
            with mocked_smtp(env) as sent, measure(cr, phase, args.tracemalloc, "core_mail" in args.profile, args.top,
                     args.profile_dir):
                baseline.send(auto_commit=False, raise_exception=False)
                env.flush_all()
                cr.precommit.run()
            print(f"(d0) unrelated emails handed to the (mocked) SMTP: {len(sent)} (Odoo's own sending cost)")
            total = print_table(phases, considered)
            print_table([phase], considered)
        else:
            total = print_table(phases, considered)
        print(f"target: < 60 s for the daily run (a)+(b)+(c): "
              f"{sum(p.seconds for p in phases[:3]):.1f}s"
              + (f"; with the mail queue (d): {total:.1f}s" if args.mail_queue else ""))
        return phases
    finally:
        restore()


def decide_shapes(env, company, run_date):
    """Query count of _relance_decide on three data shapes (cold cache each time)."""
    from odoo.fields import Domain
    from odoo.tools import SQL

    cr = env.cr
    move_model = env["account.move"]
    base = _entry.considered_domain(env, company) & bench_partners_domain(env)
    partners = env["res.partner"].search([("ref", "=like", BENCH_REF_PREFIX + "%"), ("parent_id", "=", False)],
                                         order="id")
    results = []

    def run(label, partners_arg=None):
        env.flush_all()
        env.invalidate_all()
        rows = move_model.search_count(base if partners_arg is None else
                                       base & Domain("commercial_partner_id", "in", partners_arg.ids))
        customers = len(set(move_model.search(base if partners_arg is None else base & Domain(
            "commercial_partner_id", "in", partners_arg.ids)).commercial_partner_id.ids))
        env.invalidate_all()
        phase = Phase(label)
        with measure(cr, phase, trace_memory=True):
            decisions = _entry.decide(env, company, run_date, partners=partners_arg)
        results.append((phase, customers, rows, len(decisions)))

    # warm the registry caches (ir.default, ormcache...) so that every shape is measured alike
    _entry.decide(env, company, run_date, partners=partners[:1])
    run("all customers x all invoices", partners)
    run("10% of the customers x theirs", partners[: max(1, len(partners) // 10)])
    # keep one invoice per customer (its most overdue), exclude the others, by SQL (rolled back)
    open_ids = move_model._search(base).select()
    cr.execute(SQL("""
        UPDATE account_move SET relance_excluded = TRUE, relance_exclusion_reason = 'bench shape'
         WHERE id IN (SELECT id FROM (%s) q) AND id NOT IN (
               SELECT DISTINCT ON (m.commercial_partner_id) m.id
                 FROM account_move m WHERE m.id IN (SELECT id FROM (%s) k)
                ORDER BY m.commercial_partner_id, m.invoice_date_due, m.id)
    """, open_ids, open_ids))
    env.invalidate_all()
    run("all customers x 1 invoice", partners)

    print("\n_relance_decide query count by data shape (cold record cache; tracemalloc on, so slower):")
    print(f"{'shape':<34}{'customers':>10}{'invoices':>10}{'inv/cust':>9}{'queries':>9}{'seconds':>9}"
          f"{'tracemalloc MB':>16}")
    for phase, customers, rows, _n in results:
        print(f"{phase.name:<34}{customers:>10}{rows:>10}{rows / max(customers, 1):>9.1f}{phase.queries:>9}"
              f"{phase.seconds:>9.2f}{phase.trace_peak_mb:>16.1f}")
    full, tenth, single = (phase.queries for phase, *_ in results)
    print(f"queries vs invoices per customer (same customers, {results[0][2] / max(results[0][1], 1):.1f} vs 1.0 "
          f"invoice each): {full} vs {single} -> " + ("CONSTANT" if full == single else "GROWS"))
    print(f"queries vs customers ({results[1][1]} vs {results[0][1]}): {tenth} vs {full}"
          + (" (the ORM reads partner fields by prefetch batches of 1,000 records: +1 query per 1,000 customers)"
             if full > tenth else ""))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--date", type=date.fromisoformat, default=None,
                        help=f"run date (default: {DATE_PARAM} stored by generate.py)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="_execute batch size (default: relance_impayes.batch_size, 50)")
    parser.add_argument("--profile", action="append", default=[],
                        choices=["decide", "plan", "execute", "mail_queue", "core_mail"],
                        help="cProfile this phase and print its top 25 functions (repeatable)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile-dir", default=str(Path(__file__).resolve().parent / "results"),
                        help="where the .prof files of --profile go (default: benchmarks/results/, git-ignored)")
    parser.add_argument("--mail-queue", action="store_true",
                        help="also time phase (d): sending the queued emails with SMTP mocked")
    parser.add_argument("--core-mail-baseline", action="store_true",
                        help="after (d): send the same emails again, unrelated to any reminder (Odoo's own cost)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace Python allocations in every phase (peak per phase; slows the run)")
    parser.add_argument("--plan-only", action="store_true", help="stop after (b): time decide and plan only")
    parser.add_argument("--skip-shapes", action="store_true", help="skip the decide-by-shape comparison")
    parser.add_argument("--no-update", action="store_true",
                        help="do not run `odoo -u relance_impayes` on the database first (default: update, "
                        "so the schema follows the module's current code)")
    args = parser.parse_args()
    if not args.no_update:
        install_module(args.db, "-u")

    from odoo import SUPERUSER_ID, api

    started = time.perf_counter()
    registry = open_registry(args.db)
    print(f"registry {args.db} loaded in {time.perf_counter() - started:.1f}s; max RSS {maxrss_mb():.0f} MB")
    cr = registry.cursor()
    forbid_commit(cr)
    try:
        env = api.Environment(cr, SUPERUSER_ID, {})
        param = env["ir.config_parameter"].sudo().get_param(DATE_PARAM)
        if not param and not args.date:
            raise SystemExit(f"{args.db} has no benchmark data: run benchmarks/generate.py first")
        run_date = args.date or date.fromisoformat(param)
        company = env.ref("base.main_company")
        daily_run(env, company, run_date, args)
        cr.rollback()
        if not args.skip_shapes:
            decide_shapes(env, company, run_date)
            cr.rollback()
    finally:
        cr.rollback()
        cr.close()
    print(f"\nall rolled back; wall time of the script {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
