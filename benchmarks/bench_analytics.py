#!/usr/bin/env python3
"""Time the analytics of relance_impayes (dashboards, effectiveness table, aged balance, DSO,
funnel) on 20,000 open invoices of 2,000 customers with a year of reminder history.

Usage (from the repo root):

    python3 benchmarks/bench_analytics.py                 # relance_bench_analytics, built on first run
    python3 benchmarks/bench_analytics.py --repeat 3      # best of 3 runs of each step
    python3 benchmarks/bench_analytics.py --rebuild       # drop and rebuild the database first

The database ``relance_bench_analytics`` is a copy of ``relance_bench`` (made by generate.py:
2,000 customers, 20,000 open invoices at various levels), or generated with generate.py when
there is none. Its history is grown once (the marker parameter ``relance_bench.analytics_history``
says it was): five collectors share the customers, a third of them follow a stricter policy, and
``relance.demo._grow_history`` — the demo's generator — invoices every customer about
every other month for a year, plays the reminders of the ladder until the customer pays (or
disputes, or is handed off), with payments, credit notes and write-offs; the open invoices get
the reminders that brought them to their level. About 10 minutes, once.

Each step is what the web client asks when a screen opens (``web_search_read`` of the kanban and
the lists, ``formatted_read_grouping_sets`` of a pivot, ``formatted_read_group`` of a graph),
with the ORM cache emptied before; nothing is written. Target: every dashboard and the
effectiveness table under 2 s.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _odoo_env import BENCH_REF_PREFIX, DATE_PARAM, DEFAULT_DB, install_module, open_registry

DB = "relance_bench_analytics"
HISTORY_PARAM = "relance_bench.analytics_history"
TARGET = 2.0


def psql(db, sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-d", db, "-c", sql], capture_output=True, text=True, check=False)
    return None if out.returncode else out.stdout.strip()


def db_exists(db):
    return psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def build_database(args):
    """A copy of the benchmark database (or a new one), updated to the current code."""
    if args.rebuild and db_exists(args.db):
        subprocess.run(["dropdb", "--force", args.db], check=True)
    if not db_exists(args.db):
        source_size = psql(args.source, "SELECT value FROM ir_config_parameter WHERE key = 'relance_bench.size'") \
            if db_exists(args.source) else None
        if source_size == "2000/20000":
            print(f"copying {args.source} into {args.db}")
            subprocess.run(["createdb", "-T", args.source, args.db], check=True)
        else:
            print(f"generating {args.db} with generate.py (2,000 customers, 20,000 invoices)")
            subprocess.run([sys.executable, str(Path(__file__).parent / "generate.py"), "--db", args.db], check=True)
    if not args.no_update:
        install_module(args.db, "-u")


def grow_history(registry, seed):
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Domain

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True,
                                                 "mail_notrack": True, "mail_notify_noemail": True})
        if env["ir.config_parameter"].get_param(HISTORY_PARAM):
            print(f"history already grown ({env['ir.config_parameter'].get_param(HISTORY_PARAM)})")
            return
        from datetime import date

        today = date.fromisoformat(env["ir.config_parameter"].get_param(DATE_PARAM))
        company = env.ref("base.main_company")
        demo = env["relance.demo"].with_company(company)
        started = time.perf_counter()
        group = env.ref("relance_impayes.relance_impayes_group_user")
        collectors = env["res.users"].create([{
            "name": f"Bench collector {n}", "login": f"bench_collector_{n}", "email": f"collector{n}@bench.example.fr",
            "company_id": company.id, "company_ids": [(6, 0, company.ids)], "group_ids": [(4, group.id)],
        } for n in range(1, 6)])
        strict = demo._strict_policy(company)
        partners = env["res.partner"].with_company(company).search(
            [("ref", "=like", BENCH_REF_PREFIX + "%"), ("parent_id", "=", False)], order="ref")
        profiles = ["prompt"] * 8 + ["slow"] * 5 + ["late"] * 4 + ["difficult"] * 2 + ["disputing"]
        customers, by_collector, strict_ids = [], {}, []
        for index, partner in enumerate(partners):
            policy = strict if index % 3 == 2 else company.relance_policy_id
            customers.append((partner, policy, profiles[index % len(profiles)]))
            by_collector.setdefault(collectors[index % len(collectors)], []).append(partner.id)
            if policy == strict:
                strict_ids.append(partner.id)
        for collector, ids in by_collector.items():
            partners.browse(ids).write({"relance_collector_id": collector.id})
        partners.browse(strict_ids).write({"relance_policy_id": strict.id})
        cr.commit()
        open_moves = env["account.move"].search(
            env["account.move"]._relance_open_domain() & Domain("company_id", "=", company.id)
            & Domain("partner_id.ref", "=like", BENCH_REF_PREFIX + "%"))
        print(f"growing a year of history for {len(partners)} customers and {len(open_moves)} open invoices "
              f"(reference date {today})", flush=True)
        ticks = [time.perf_counter()]

        def commit():
            env.flush_all()
            cr.commit()
            env.invalidate_all()
            if time.perf_counter() - ticks[0] > 30:
                ticks[0] = time.perf_counter()
                print(f"  ... {time.perf_counter() - started:.0f}s", flush=True)

        counts = demo._grow_history(
            company, customers, today, months=12, seed=seed, invoices_per_month=(0, 1), amount_range=(100, 5000),
            tax=False, batch_size=500, commit=commit, open_moves=open_moves)
        env["ir.config_parameter"].set_param(HISTORY_PARAM, f"{today} {counts}")
        cr.commit()
        print(f"history grown in {time.perf_counter() - started:.0f}s: {counts}")


def steps(env, company, as_of):
    """(dashboard, name, callable) of what the screens ask."""
    ctx = {"relance_date": as_of}
    collector = env["res.users"].search([("login", "=", "bench_collector_1")], limit=1) or env.user
    cenv = env(user=collector.id, context=dict(env.context, **ctx))
    menv = env(context=dict(env.context, **ctx))
    company_scope = dict(ctx, relance_dso_scopes=["company"])
    last_year = [("date", ">=", "2000-01-01")]
    tile_spec = {"code": {}, "name": {}, "value_display": {}, "subtitle": {}, "tone": {}}

    def tiles(e, dashboard):
        return lambda: e["relance.dashboard"].web_search_read([("dashboard", "=", dashboard)], tile_spec)

    def group(e, model, domain, groupby, aggregates, context=None):
        model = e[model].with_context(**(context or {}))
        return lambda: model.formatted_read_group(domain, groupby, aggregates)

    def pivot(e, model, domain, rows, aggregates, context=None):
        model = e[model].with_context(**(context or {}))
        sets = [[], *[rows[:i + 1] for i in range(len(rows))]]
        return lambda: model.formatted_read_grouping_sets(domain, sets, aggregates)

    def top(e, domain):
        spec = {"partner_id": {"fields": {"display_name": {}}}, "level_id": {"fields": {"display_name": {}}},
                "collector_id": {"fields": {"display_name": {}}}, "days_late": {}, "amount_overdue": {}}
        return lambda: e["relance.aging"].web_search_read(domain, spec, limit=10)

    mine = [("collector_id", "=", collector.id)]
    effectiveness = ["reminder_count:sum", "claimed:sum", "paid_7_rate:avg", "paid_15_rate:avg", "paid_30_rate:avg",
                     "days_to_payment:avg", "recovered:sum"]
    this_month = [("date", ">=", as_of[:8] + "01"), ("kind", "=", "paid"), ("reminded", "=", True)]
    return [
        ("collector", "tiles (incl. the decision for today)", tiles(cenv, "collector")),
        ("collector", "my top overdue customers", top(cenv, mine + [("amount_overdue", ">", 0)])),
        ("collector", "recovered this month (graph)",
         group(cenv, "relance.recovery", this_month + mine, ["date:day"], ["amount:sum"])),
        ("collector", "my customers by bucket (graph)",
         group(cenv, "relance.aging.line", [("collector_id", "=", collector.id)], ["bucket", "level_id"],
               ["amount_residual:sum"])),
        ("manager", "tiles", tiles(menv, "manager")),
        ("manager", "overdue trend (graph)",
         group(menv, "relance.dso", [("scope", "=", "company")], ["date:month"], ["overdue:sum"], company_scope)),
        ("manager", "DSO trend (graph)",
         group(menv, "relance.dso", [("scope", "=", "company")], ["date:month"], ["dso:avg"], company_scope)),
        ("manager", "top overdue customers", top(menv, [("amount_overdue", ">", 0)])),
        ("manager", "effectiveness per level (pivot)",
         pivot(menv, "relance.effectiveness", last_year, ["level_id"], effectiveness)),
        ("manager", "recovery funnel (graph)",
         group(menv, "relance.funnel", last_year, ["level_id", "outcome"], ["amount:sum"])),
        ("effectiveness", "per level (pivot)", pivot(menv, "relance.effectiveness", [], ["level_id"], effectiveness)),
        ("effectiveness", "per email template (pivot)",
         pivot(menv, "relance.effectiveness", [], ["template_id"], effectiveness)),
        ("effectiveness", "per channel (pivot)", pivot(menv, "relance.effectiveness", [], ["channel"], effectiveness)),
        ("effectiveness", "per policy and level (pivot)",
         pivot(menv, "relance.effectiveness", [], ["policy_id", "level_id"], effectiveness)),
        ("reports", "aged balance per customer (list, 80 rows)",
         lambda: menv["relance.aging"].web_search_read([], {"partner_id": {"fields": {"display_name": {}}},
                                                            "amount_residual": {}, "amount_overdue": {}}, limit=80)),
        ("reports", "aged balance per customer (pivot)",
         pivot(menv, "relance.aging", [], ["partner_id"],
               [f"amount_{b}:sum" for b in ("not_due", "bucket_1", "bucket_2", "bucket_3", "bucket_4", "residual")])),
        ("reports", "DSO per customer (pivot customer x month)",
         pivot(menv, "relance.dso", [("scope", "=", "customer")], ["partner_id", "date:month"], ["dso:avg"],
               dict(ctx, relance_dso_scopes=["customer"]))),
        ("reports", "DSO per collector (pivot collector x month)",
         pivot(menv, "relance.dso", [("scope", "=", "collector")], ["collector_id", "date:month"], ["dso:avg"],
               dict(ctx, relance_dso_scopes=["collector"]))),
        ("reports", "recovery funnel (pivot level x outcome)",
         pivot(menv, "relance.funnel", [], ["level_id", "outcome"], ["amount:sum", "entry_count:sum"])),
    ]


def concurrent_wall_time(registry, dashboard):
    """Wall time of a dashboard as the browser loads it: every widget at once, each request in its
    own transaction (Odoo with several workers)."""
    import threading

    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        as_of = env["ir.config_parameter"].get_param(DATE_PARAM)
        company = env.ref("base.main_company")
        count = sum(1 for step in steps(env(context={"allowed_company_ids": company.ids}), company, as_of)
                    if step[0] == dashboard)
    errors = []

    def widget(index):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"allowed_company_ids": company.ids, "tz": "UTC"})
                mine = [step for step in steps(env, company, as_of) if step[0] == dashboard]
                mine[index][2]()
                cr.rollback()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=widget, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def run(registry, repeat):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        as_of = env["ir.config_parameter"].get_param(DATE_PARAM)
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": company.ids, "tz": "UTC"})
        counts = {
            "customers": env["res.partner"].search_count([("ref", "=like", BENCH_REF_PREFIX + "%")]),
            "invoices": env["account.move"].search_count([("move_type", "=", "out_invoice")]),
            "open invoices": env["account.move"].search_count(env["account.move"]._relance_open_domain()),
            "reminders sent": env["relance.communication"].search_count([("state", "=", "sent")]),
            "reminder lines": env["relance.communication.line"].search_count([]),
            "interactions": env["relance.interaction"].search_count([]),
            "reconciliations": env["account.partial.reconcile"].search_count([]),
        }
        print(f"\ndata at {as_of}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        print(f"\n{'screen':<15}{'step':<55}{'seconds':>9}{'queries':>9}  result")
        totals, step_seconds = {}, {}
        for dashboard, name, func in steps(env, company, as_of):
            best, queries, result = None, 0, None
            for _n in range(repeat):
                env.invalidate_all()
                env.registry.clear_cache()
                q0 = cr.sql_log_count
                t0 = time.perf_counter()
                result = func()
                seconds = time.perf_counter() - t0
                if best is None or seconds < best:
                    best, queries = seconds, cr.sql_log_count - q0
            totals[dashboard] = totals.get(dashboard, 0.0) + best
            step_seconds.setdefault(dashboard, []).append(best)
            print(f"{dashboard:<15}{name:<55}{best:>9.2f}{queries:>9}  {summary(result)}")
        cr.rollback()
    print()
    for dashboard in ("collector", "manager"):
        wall = min(concurrent_wall_time(registry, dashboard) for _n in range(repeat))
        verdict = "OK" if wall < TARGET else "OVER TARGET"
        print(f"{dashboard + ' dashboard':<32}one widget after the other {totals[dashboard]:>6.2f} s, "
              f"all at once like the browser {wall:>6.2f} s  (target < {TARGET:.0f} s: {verdict})")
    slowest = max(step_seconds["effectiveness"])
    verdict = "OK" if slowest < TARGET else "OVER TARGET"
    print(f"{'effectiveness table':<32}slowest view {slowest:>6.2f} s  (target < {TARGET:.0f} s: {verdict})")


def summary(result):
    """A few figures of what a step returned, to see the data is there."""
    if isinstance(result, dict) and "records" in result:
        records = result["records"]
        if records and "value_display" in records[0]:
            return "; ".join(f"{r['name']}: {r['value_display']}" for r in records)[:160]
        return f"{result.get('length', len(records))} rows"
    if isinstance(result, list) and result and isinstance(result[0], list):
        return f"{sum(len(groups) for groups in result)} groups"
    if isinstance(result, list):
        def is_aggregate(key):
            return key.endswith((":sum", ":avg", ":count", ":max", ":min")) or key == "__count"

        def value(group):
            return next((v for k, v in group.items() if is_aggregate(k)), None)
        shown = []
        for group_ in result[:4]:
            labels = [v for k, v in group_.items() if not k.startswith("__") and not is_aggregate(k)]
            label = "/".join(str(v[1] if isinstance(v, (list, tuple)) and len(v) > 1 else v) for v in labels)
            amount = value(group_)
            shown.append(f"{label}={amount:.1f}" if isinstance(amount, float) else f"{label}={amount}")
        return f"{len(result)} groups: " + ", ".join(shown)
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DB)
    parser.add_argument("--source", default=DEFAULT_DB, help="benchmark database to copy (generate.py's)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step; the best is shown")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build it again")
    parser.add_argument("--no-update", action="store_true", help="skip odoo -u relance_impayes")
    args = parser.parse_args()
    build_database(args)
    registry = open_registry(args.db)
    grow_history(registry, args.seed)
    run(registry, args.repeat)


if __name__ == "__main__":
    main()
