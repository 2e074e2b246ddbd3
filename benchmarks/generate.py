#!/usr/bin/env python3
"""Generate benchmark data for relance_impayes: N customers with M open, posted customer invoices.

Usage (from the repo root):

    python3 benchmarks/generate.py                      # 2,000 customers / 20,000 invoices into relance_bench
    python3 benchmarks/generate.py --regenerate         # drop relance_bench, recreate it, regenerate
    python3 benchmarks/generate.py --customers 200 --invoices 2000 --db relance_bench_small

The database is created from the template ``relance_tpl`` (account + l10n_fr_account, French
company, no demo) with ``relance_impayes`` installed, when it does not exist. When it already
holds benchmark data of the requested size, nothing is done (the data is reused); ``--regenerate``
(or another size) drops and recreates the database first. Only a database holding benchmark
data (the marker parameter ``relance_bench.reference_date`` or ``BENCH-`` customers) is ever
dropped; an existing database without them is updated (``-u relance_impayes``) and filled.

Data (deterministic for a given ``--seed``):

* customers: companies, ``ref`` = ``BENCH-00001``..., email, full French address; 20% have a
  child invoice contact (``type=invoice``) with its own email and address;
* invoices: real ``account.move`` ``out_invoice``s, one line without tax, posted (receivable
  line, sequence, ``payment_state``), created with ``create([...])`` + ``action_post()`` in
  batches of ``--batch-size`` (500). Invoices per customer vary (about 2 to 19, mean M/N).
  Each customer has a "worst lateness" L in 5..90 days skewed to small values (most
  customers are at the first levels); its invoices are 0..30 days less late than L, 5% are
  not due yet. With history (default), an invoice already received the level before the one
  it is due for (``relance_level_id``/``relance_date`` set as if sent earlier), so the
  first run exercises every level: emails, calls, letters, formal notices to validate;
* ``--partial-ratio`` (10%) of the invoices are partly paid (20-80%) by a posted
  miscellaneous entry reconciled with the invoice (``payment_state`` = partial).

The reference date (the "today" the due dates are relative to, default today) is stored in
``ir.config_parameter`` ``relance_bench.reference_date``; bench_daily_run.py uses it, so the
figures do not drift when the benchmark is rerun on later days.
"""
import argparse
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _entry  # noqa: E402
from _odoo_env import (  # noqa: E402
    BENCH_REF_PREFIX, DATE_PARAM, DEFAULT_DB, TEMPLATE_DB, install_module, open_registry,
)

SIZE_PARAM = "relance_bench.size"
CITIES = [("75002", "Paris"), ("69006", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"),
          ("33000", "Bordeaux"), ("44000", "Nantes"), ("59000", "Lille"), ("67000", "Strasbourg")]
STREETS = ["rue de la Paix", "avenue Foch", "boulevard Haussmann", "rue Nationale", "place Bellecour",
           "cours Mirabeau", "rue Sainte-Catherine", "quai des Chartrons"]


# ----------------------------------------------------------------------------------------------
# Database management (outside Odoo: psql / createdb / odoo -i)
# ----------------------------------------------------------------------------------------------
def _psql(db, sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-d", db, "-c", sql], capture_output=True, text=True)
    if out.returncode:
        return None
    return out.stdout.strip()


def db_exists(db):
    return _psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def db_marker(db):
    """(reference date, size) stored by a complete generation, or (None, None)."""
    if not db_exists(db):
        return None, None
    rows = _psql(db, f"SELECT key, value FROM ir_config_parameter WHERE key IN ('{DATE_PARAM}', '{SIZE_PARAM}')")
    values = dict(line.split("|", 1) for line in (rows or "").splitlines() if "|" in line)
    return values.get(DATE_PARAM), values.get(SIZE_PARAM)


def create_db(db, template=TEMPLATE_DB):
    for attempt in range(10):  # the template may be in use by another copy for a moment
        out = subprocess.run(["createdb", "-T", template, db], capture_output=True, text=True)
        if not out.returncode:
            break
        if "being accessed by other users" not in out.stderr:
            raise SystemExit(f"createdb -T {template} {db} failed: {out.stderr.strip()}")
        time.sleep(3)
    else:
        raise SystemExit(f"createdb -T {template} {db}: template busy, giving up")
    install_module(db, "-i")


def drop_db(db):
    if db == TEMPLATE_DB:
        raise SystemExit("refusing to drop the template database")
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True)


# ----------------------------------------------------------------------------------------------
# Data plan (pure Python, deterministic)
# ----------------------------------------------------------------------------------------------
def plan_data(n_customers, n_invoices, ref_date, ladder_delays, seed, partial_ratio, history,
              not_due_ratio=0.05, instalment_ratio=0.0):
    """Return (customers, invoices): plain dicts describing what to create."""
    rng = random.Random(seed)
    if n_invoices < n_customers:
        raise SystemExit("need at least one invoice per customer")
    customers = []
    for i in range(n_customers):
        zip_code, city = CITIES[i % len(CITIES)]
        customers.append({
            "index": i,
            "ref": f"{BENCH_REF_PREFIX}{i + 1:05d}",
            "name": f"Bench client {i + 1:05d} SAS",
            "email": f"client{i + 1:05d}@bench.example.fr",
            "street": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            "zip": zip_code,
            "city": city,
            "invoice_contact": rng.random() < 0.2,
            # worst lateness, skewed toward the first levels
            "worst": 5 + round(85 * rng.random() ** 1.5),
        })
    weights = [rng.uniform(0.2, 1.8) for _ in customers]
    counts = [1] * n_customers
    for idx in rng.choices(range(n_customers), weights=weights, k=n_invoices - n_customers):
        counts[idx] += 1

    invoices = []
    irng = random.Random(seed * 7919 + 1)  # apart, so that instalments leave the other draws unchanged
    for customer, count in zip(customers, counts):
        worst = customer["worst"]
        for j in range(count):
            if j == 0:
                late = worst
            elif rng.random() < not_due_ratio:
                late = -rng.randint(1, 20)
            else:
                late = rng.randint(max(0, worst - 30), worst)
            due = ref_date - timedelta(days=late)
            amount = round(rng.uniform(50, 5000), 2)
            inv = {
                "customer": customer["index"],
                "due": due,
                "invoice_date": due - timedelta(days=30),
                "amount": amount,
                "paid": round(amount * rng.uniform(0.2, 0.8), 2) if rng.random() < partial_ratio else 0.0,
                "level_index": None,
                "relance_date": None,
                "instalment": False,
            }
            if irng.random() < instalment_ratio:
                # two instalments (50% at 30 days, 50% at 60 days): the last one falls on ``due``; a
                # partial payment pays part of the first one
                inv.update(instalment=True, invoice_date=due - timedelta(days=60), paid=round(inv["paid"] * 0.5, 2))
            if history:
                # the invoice is due for level k today: it already received level k-1
                reached = [k for k, delay in enumerate(ladder_delays) if delay <= late]
                if reached and reached[-1] >= 1:
                    prev = reached[-1] - 1
                    inv["level_index"] = prev
                    inv["relance_date"] = due + timedelta(days=ladder_delays[prev])
            invoices.append(inv)
    invoices.sort(key=lambda inv: inv["invoice_date"])  # post in date order (sequence numbers)
    return customers, invoices


# ----------------------------------------------------------------------------------------------
# Generation inside Odoo
# ----------------------------------------------------------------------------------------------
def instalment_term(env, company):
    """A payment term with two due dates (50% at 30 days, 50% at 60 days)."""
    from odoo import Command
    name = "BENCH 2 instalments 30/60 days"
    term = env["account.payment.term"].search([("name", "=", name)], limit=1)
    return term or env["account.payment.term"].create({"name": name, "company_id": company.id, "line_ids": [
        Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
        Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 60})]})


def generate(db, n_customers, n_invoices, ref_date, batch_size, seed, partial_ratio, history,
             instalment_ratio=0.0, method="bulk", check_sample=500):
    from odoo import SUPERUSER_ID, Command, api
    from odoo.fields import Domain

    registry = open_registry(db)
    timings = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {
            "tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True, "mail_notify_noemail": True,
        })
        company = env.ref("base.main_company")
        if env["res.partner"].search_count([("ref", "=like", BENCH_REF_PREFIX + "%")], limit=1):
            raise SystemExit(f"{db} already holds partial benchmark data without marker: use --regenerate")
        company.write({"email": "compta@bench.example.fr", "street": "1 rue de la Paix", "zip": "75002",
                       "city": "Paris", "country_id": env.ref("base.fr").id})
        ladder = _entry.ladder(company)
        customers, invoices = plan_data(
            n_customers, n_invoices, ref_date, [lvl.delay for lvl in ladder], seed, partial_ratio, history,
            instalment_ratio=instalment_ratio,
        )

        # customers
        started = time.perf_counter()
        fr = env.ref("base.fr")
        partners = env["res.partner"].create([{
            "name": c["name"], "ref": c["ref"], "is_company": True, "email": c["email"],
            "street": c["street"], "zip": c["zip"], "city": c["city"], "country_id": fr.id,
            "lang": "en_US",
        } for c in customers])
        contacts = [(c, p) for c, p in zip(customers, partners) if c["invoice_contact"]]
        env["res.partner"].create([{
            "name": f"Comptabilité {c['name']}", "type": "invoice", "parent_id": p.id,
            "email": c["email"].replace("client", "compta"), "street": c["street"], "zip": c["zip"],
            "city": c["city"], "country_id": fr.id,
        } for c, p in contacts])
        env.flush_all()
        cr.commit()
        timings["customers"] = time.perf_counter() - started
        print(f"  {len(partners)} customers ({len(contacts)} with an invoice contact): "
              f"{timings['customers']:.1f}s")
        partner_ids = partners.ids

        # invoices, by batches
        started = time.perf_counter()
        moves_model = env["account.move"].with_company(company)
        misc_journal = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "general")], limit=1)
        counterpart = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1).default_account_id
        term = instalment_term(env, company)
        created = paid = 0
        if method == "bulk":
            import _bulk
            invoice_ids = _bulk.fill(env, company, invoices, ref_date, partner_ids, term, misc_journal, counterpart,
                                     ladder, log=lambda msg: print(msg, flush=True))
            cr.commit()
            timings["invoices"] = time.perf_counter() - started
            t0 = time.perf_counter()
            checked, problems = _bulk.check_invariants(env, invoice_ids, sample=check_sample, seed=seed)
            timings["check"] = time.perf_counter() - t0
            print(f"  invariants recomputed by the ORM on {checked} moves (a sample of {check_sample} invoices "
                  f"and their payments): {len(problems)} mismatches ({timings['check']:.1f}s)")
            if problems:
                raise SystemExit("\n".join(problems[:40]))
            paid = sum(1 for inv in invoices if inv["paid"])
        for start in range(0, len(invoices) if method == "orm" else 0, batch_size):
            t0 = time.perf_counter()
            chunk = invoices[start:start + batch_size]
            moves = moves_model.create([{
                "move_type": "out_invoice",
                "partner_id": partner_ids[inv["customer"]],
                "invoice_date": inv["invoice_date"],
                **({"invoice_payment_term_id": term.id} if inv["instalment"] else {"invoice_date_due": inv["due"]}),
                "relance_level_id": ladder[inv["level_index"]].id if inv["level_index"] is not None else False,
                "relance_date": inv["relance_date"] or False,
                "invoice_line_ids": [Command.create({
                    "name": "Prestation de service", "quantity": 1, "price_unit": inv["amount"], "tax_ids": [],
                })],
            } for inv in chunk])
            t_create = time.perf_counter() - t0
            moves.action_post()
            t_post = time.perf_counter() - t0 - t_create
            to_pay = [(move, inv["paid"]) for move, inv in zip(moves, chunk) if inv["paid"]]
            if to_pay:
                payment = moves_model.create({
                    "move_type": "entry",
                    "journal_id": misc_journal.id,
                    "date": ref_date - timedelta(days=1),
                    "ref": "BENCH partial payments",
                    "line_ids": [Command.create({
                        "name": f"Paiement partiel {move.name}", "account_id": move.line_ids.filtered(
                            lambda line: line.account_type == "asset_receivable").account_id.id,
                        "partner_id": move.commercial_partner_id.id, "credit": amount,
                    }) for move, amount in to_pay] + [Command.create({
                        "name": "Paiements partiels", "account_id": counterpart.id,
                        "debit": round(sum(amount for _move, amount in to_pay), 2),
                    })],
                })
                payment.action_post()
                pay_lines = payment.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
                plan = []
                for (move, _amount), pay_line in zip(to_pay, pay_lines.sorted("id")):
                    inv_line = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
                    plan.append(inv_line + pay_line)
                env["account.move.line"]._reconcile_plan(plan)
                paid += len(to_pay)
            env.flush_all()
            cr.commit()
            env.invalidate_all()
            created += len(moves)
            elapsed = time.perf_counter() - started
            print(f"  invoices {created:>6}/{len(invoices)}  batch: create {t_create:.1f}s post {t_post:.1f}s "
                  f"total {time.perf_counter() - t0:.1f}s  (elapsed {elapsed:.0f}s, "
                  f"{created / elapsed:.0f} inv/s)", flush=True)
        if method == "orm":
            timings["invoices"] = time.perf_counter() - started

        env["ir.config_parameter"].set_param(SIZE_PARAM, f"{n_customers}/{n_invoices}" + (
            f"/instalments {instalment_ratio}" if instalment_ratio else ""))
        env["ir.config_parameter"].set_param(DATE_PARAM, ref_date.isoformat())
        cr.commit()
        open_count = env["account.move"].search_count(
            env["account.move"]._relance_open_domain() & Domain("partner_id.ref", "=like", BENCH_REF_PREFIX + "%"))
        states = dict(env["account.move"]._read_group(
            [("move_type", "=", "out_invoice"), ("partner_id.ref", "=like", BENCH_REF_PREFIX + "%")],
            ["payment_state"], ["__count"]))
        print(f"  open bench invoices: {open_count} (payment_state: {states}), partly paid: {paid}")
    return timings


def check_only(db, sample, seed):
    from odoo import SUPERUSER_ID, api
    import _bulk
    with open_registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        ids = env["account.move"].search([("move_type", "=", "out_invoice"),
                                          ("partner_id.ref", "=like", BENCH_REF_PREFIX + "%")], order="id").ids
        started = time.perf_counter()
        checked, problems = _bulk.check_invariants(env, ids, sample=sample, seed=seed)
        print(f"{db}: invariants recomputed by the ORM on {checked} moves (sample of {sample} of {len(ids)} "
              f"invoices): {len(problems)} mismatches ({time.perf_counter() - started:.1f}s)")
        print("\n".join(problems[:40]))
        cr.rollback()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--partial-ratio", type=float, default=0.10, help="share of partly paid invoices")
    parser.add_argument("--no-history", action="store_true",
                        help="no previous reminder on any invoice (every customer gets the first level)")
    parser.add_argument("--date", type=date.fromisoformat, default=None,
                        help="reference date of the data (default: today)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--instalment-ratio", type=float, default=0.0,
                        help="share of invoices on a two-instalment payment term (default 0: the historical set)")
    parser.add_argument("--method", choices=["bulk", "orm"], default="bulk",
                        help="bulk: SQL COPY of ORM-made templates (default, minutes); orm: create + action_post")
    parser.add_argument("--check-sample", type=int, default=500,
                        help="bulk: invoices whose residuals/payment states the ORM recomputes afterwards")
    parser.add_argument("--regenerate", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--check-only", action="store_true",
                        help="only recompute, with the ORM, the invariants of a sample of the database's invoices")
    args = parser.parse_args()
    if args.check_only:
        return check_only(args.db, args.check_sample, args.seed)

    total = time.perf_counter()
    size = f"{args.customers}/{args.invoices}" + (f"/instalments {args.instalment_ratio}" if args.instalment_ratio else "")
    marker_date, marker_size = db_marker(args.db)
    if marker_date and marker_size == size and not args.regenerate:
        print(f"{args.db} already holds {size} customers/invoices generated for {marker_date}: reused "
              f"(--regenerate forces a new generation)")
        return
    if db_exists(args.db):
        has_bench = marker_date or _psql(
            args.db, f"SELECT 1 FROM res_partner WHERE ref LIKE '{BENCH_REF_PREFIX}%' LIMIT 1") == "1"
        if has_bench:
            if not (args.regenerate or marker_date):
                raise SystemExit(f"{args.db} holds an incomplete generation: rerun with --regenerate")
            print(f"dropping {args.db} (benchmark database, {marker_size or 'incomplete'})")
            drop_db(args.db)
    if not db_exists(args.db):
        print(f"creating {args.db} from {TEMPLATE_DB} and installing relance_impayes")
        create_db(args.db)
    else:
        installed = _psql(args.db, "SELECT state FROM ir_module_module WHERE name = 'relance_impayes'")
        install_module(args.db, "-u" if installed == "installed" else "-i")
    ref_date = args.date or date.today()
    print(f"generating {args.customers} customers / {args.invoices} invoices in {args.db}, reference date "
          f"{ref_date}, batches of {args.batch_size}")
    timings = generate(args.db, args.customers, args.invoices, ref_date, args.batch_size, args.seed,
                       args.partial_ratio, not args.no_history, args.instalment_ratio, args.method, args.check_sample)
    print(f"generation time: customers {timings['customers']:.1f}s, invoices {timings['invoices']:.1f}s "
          f"({args.invoices / timings['invoices']:.0f} invoices/s), total {time.perf_counter() - total:.1f}s")


if __name__ == "__main__":
    main()
