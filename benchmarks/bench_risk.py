#!/usr/bin/env python3
"""Time the daily credit step of relance_impayes: risk scores, segments, holds, on 5,000 customers.

Usage (from the repo root):

    python3 benchmarks/bench_risk.py                      # relance_bench_risk: generate if needed, then time
    python3 benchmarks/bench_risk.py --regenerate         # drop and regenerate the data first
    python3 benchmarks/bench_risk.py --customers 500 --invoices 5000 --db relance_bench_risk_small
    python3 benchmarks/bench_risk.py --profile            # + cProfile of the scoring, top 25 functions

Data (deterministic for a given ``--seed``), in its own database created from ``relance_tpl`` with
``relance_impayes`` installed (``generate.create_db``), marked by ``relance_bench_risk.size``:

* ``--customers`` companies (``ref`` RISK-00001...), each with a payment profile: 60% pay around
  the due date, 30% 0-45 days late, 10% 20-120 days late, some never;
* ``--invoices`` posted customer invoices spread over the last 15 months (due 30 days after their
  date), some paid (a bank entry reconciled with the invoice, at the payment date), some partly
  paid, the rest open; a reminder (sent ``relance.communication``) for each invoice paid or still
  open more than 5 days late.

Paying 50,000 invoices through the ORM takes about 20 minutes (42 invoices/s, see generate.log);
the rows are therefore *cloned* in SQL from one invoice and one payment entry made by the ORM
(``account.move``, its two lines, ``account.partial.reconcile``), only the amounts, dates,
partners and reconciliation state changed: the same columns the scoring reads, consistent with
each other (residuals, ``payment_state``, partials). Generation takes well under a minute.

What is timed, in ONE transaction rolled back at the end (rerunnable; any commit raises):

* (a) ``relance.risk._compute_company(company, date)``: metrics of every customer in a few
  set-based queries, scores, bulk write of score, class, reasons, DSO on the customers;
  (a') the same on 10% of the customers (``partners=``): the metrics take the same number of
  queries; only the bulk write grows, by one UPDATE per 1,000 customers;
* (b) ``relance.segment.rule`` creation of three rules (new customers, good payers, risky), which
  assigns every customer at once, then the daily reassignment (nothing changes);
* (c) ``res.partner._relance_update_credit_holds(company)`` in block mode with a credit limit on
  a fifth of the customers: each hold is logged (chatter + history), the cost grows with the
  number of holds, not with the customers.
"""
import argparse
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _odoo_env import open_registry  # noqa: E402
from bench_daily_run import Phase, forbid_commit, maxrss_mb, measure, print_table  # noqa: E402
from generate import _psql, create_db, db_exists, drop_db  # noqa: E402

DEFAULT_DB = "relance_bench_risk"
REF_PREFIX = "RISK-"
SIZE_PARAM = "relance_bench_risk.size"
DATE_PARAM = "relance_bench_risk.reference_date"
LIMIT_SECONDS = 30.0
CHUNK = 10000


# ----------------------------------------------------------------------------------------------
# Data plan (pure Python, deterministic)
# ----------------------------------------------------------------------------------------------
def plan_data(n_customers, n_invoices, ref_date, seed):
    """``(profiles, invoices)``: a profile per customer, invoices as dicts (amount, dates, paid)."""
    rng = random.Random(seed)
    profiles = [rng.choices(["good", "watch", "risky"], weights=[60, 30, 10])[0] for _ in range(n_customers)]
    counts = [1] * n_customers
    for idx in rng.choices(range(n_customers), weights=[rng.uniform(0.2, 1.8) for _ in profiles],
                           k=n_invoices - n_customers):
        counts[idx] += 1
    invoices = []
    for customer, (profile, count) in enumerate(zip(profiles, counts)):
        for _j in range(count):
            invoice_date = ref_date - timedelta(days=rng.randint(5, 450))
            due = invoice_date + timedelta(days=30)
            amount = round(rng.uniform(50, 5000), 2)
            if profile == "good":
                delay, never = rng.randint(-5, 5), 0.01
            elif profile == "watch":
                delay, never = rng.randint(0, 45), 0.05
            else:
                delay, never = rng.randint(20, 120), 0.3
            pay_date = due + timedelta(days=delay)
            paid = 0.0 if rng.random() < never or pay_date > ref_date else amount
            if paid and rng.random() < 0.05:
                paid = round(amount * rng.uniform(0.2, 0.8), 2)
            invoices.append({
                "customer": customer, "invoice_date": invoice_date, "due": due, "amount": amount,
                "paid": paid, "pay_date": max(pay_date, invoice_date) if paid else None,
                "late": (pay_date if paid else ref_date) - due > timedelta(days=5),
            })
    invoices.sort(key=lambda inv: inv["invoice_date"])
    return profiles, invoices


# ----------------------------------------------------------------------------------------------
# Generation: ORM for the templates and customers, SQL clones for the volume
# ----------------------------------------------------------------------------------------------
def columns(cr, table):
    cr.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
               "AND table_schema = current_schema() ORDER BY ordinal_position", [table])
    return dict(cr.fetchall())


def next_ids(cr, table, n):
    cr.execute(f"SELECT nextval('{table}_id_seq') FROM generate_series(1, %s)", [n])
    return [row[0] for row in cr.fetchall()]


def clone(cr, table, template_id, rows):
    """Insert ``rows`` (dicts of column -> value, same keys) into ``table``: every other column is
    copied from the row ``template_id``; ``id`` comes from its sequence unless given."""
    if not rows:
        return
    types = columns(cr, table)
    keys = list(rows[0])
    copied = [col for col in types if col not in keys and col != "id"]
    target = ", ".join(f'"{col}"' for col in keys + copied)
    select = ", ".join([f'g."{col}"' for col in keys] + [f't."{col}"' for col in copied])
    arrays = ", ".join(f"%s::{types[col]}[]" for col in keys)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        cr.execute(
            f'INSERT INTO "{table}" ({target}) SELECT {select} FROM "{table}" t, unnest({arrays}) '
            f'AS g({", ".join(keys)}) WHERE t.id = %s',
            [[row[col] for row in chunk] for col in keys] + [template_id],
        )


def generate(db, n_customers, n_invoices, ref_date, seed):
    from odoo import SUPERUSER_ID, Command, api

    registry = open_registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True,
                                                 "mail_notrack": True})
        company = env.ref("base.main_company")
        started = time.perf_counter()
        profiles, invoices = plan_data(n_customers, n_invoices, ref_date, seed)

        # templates made by the ORM: one invoice, one payment entry reconciled with it
        journals = env["account.journal"]
        income = journals.search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1).default_account_id
        sale = journals.create({"name": "Risk bench sales", "code": "RBS", "type": "sale", "company_id": company.id,
                                "default_account_id": income.id})
        misc = journals.create({"name": "Risk bench payments", "code": "RBP", "type": "general",
                                "company_id": company.id})
        bank_account = journals.search([("company_id", "=", company.id), ("type", "=", "bank")],
                                       limit=1).default_account_id
        template_partner = env["res.partner"].create({"name": "Risk bench template", "is_company": True})
        invoice = env["account.move"].create({
            "move_type": "out_invoice", "journal_id": sale.id, "partner_id": template_partner.id,
            "invoice_date": ref_date - timedelta(days=60), "invoice_date_due": ref_date - timedelta(days=30),
            "invoice_line_ids": [Command.create({"name": "Prestation", "quantity": 1, "price_unit": 100,
                                                 "tax_ids": []})],
        })
        invoice.action_post()
        receivable = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        product_line = invoice.line_ids.filtered(lambda line: line.display_type == "product")
        payment = env["account.move"].create({
            "move_type": "entry", "journal_id": misc.id, "date": ref_date - timedelta(days=20),
            "line_ids": [
                Command.create({"name": "Paiement", "account_id": receivable.account_id.id,
                                "partner_id": template_partner.id, "credit": 100}),
                Command.create({"name": "Banque", "account_id": bank_account.id, "debit": 100}),
            ],
        })
        payment.action_post()
        pay_receivable = payment.line_ids.filtered(lambda line: line.account_id == receivable.account_id)
        pay_bank = payment.line_ids - pay_receivable
        (receivable + pay_receivable).reconcile()
        partial = receivable.matched_credit_ids
        assert partial, "the template payment is not reconciled"

        partners = env["res.partner"].create([{
            "name": f"Risk client {i + 1:05d} SAS", "ref": f"{REF_PREFIX}{i + 1:05d}", "is_company": True,
            "email": f"risk{i + 1:05d}@bench.example.fr", "lang": "en_US",
        } for i in range(n_customers)])
        env.flush_all()
        partner_ids, names = partners.ids, partners.mapped("name")
        print(f"  templates and {n_customers} customers: {time.perf_counter() - started:.1f}s")

        # invoices: the move, its product line, its receivable line
        t0 = time.perf_counter()
        now = env.cr.now()
        move_ids = next_ids(cr, "account_move", len(invoices))
        term_ids = next_ids(cr, "account_move_line", len(invoices))
        move_rows, product_rows, term_rows = [], [], []
        for k, (inv, move_id, term_id) in enumerate(zip(invoices, move_ids, term_ids)):
            partner_id = partner_ids[inv["customer"]]
            amount, residual = inv["amount"], round(inv["amount"] - inv["paid"], 2)
            state = "paid" if not residual else ("partial" if inv["paid"] else "not_paid")
            name = f"RBS/{k + 1:06d}"
            inv.update(move_id=move_id, term_id=term_id, name=name)
            move_rows.append({
                "id": move_id, "name": name, "sequence_prefix": "RBS/", "sequence_number": k + 1,
                "partner_id": partner_id, "commercial_partner_id": partner_id,
                "invoice_partner_display_name": names[inv["customer"]], "payment_reference": name,
                "date": inv["invoice_date"], "invoice_date": inv["invoice_date"], "invoice_date_due": inv["due"],
                "amount_untaxed": amount, "amount_total": amount, "amount_residual": residual,
                "amount_untaxed_signed": amount, "amount_untaxed_in_currency_signed": amount,
                "amount_total_signed": amount, "amount_total_in_currency_signed": amount,
                "amount_residual_signed": residual, "quick_edit_total_amount": amount, "payment_state": state,
                "access_token": None, "relance_prescription_date": inv["due"] + timedelta(days=5 * 365),
                "create_date": now, "write_date": now,
            })
            common = {"move_id": move_id, "partner_id": partner_id, "date": inv["invoice_date"],
                      "invoice_date": inv["invoice_date"], "move_name": name, "create_date": now, "write_date": now}
            product_rows.append(dict(common, credit=amount, balance=-amount, amount_currency=-amount,
                                     price_unit=amount, price_subtotal=amount, price_total=amount))
            term_rows.append(dict(common, id=term_id, date_maturity=inv["due"], debit=amount, balance=amount,
                                  amount_currency=amount, amount_residual=residual,
                                  amount_residual_currency=residual, reconciled=not residual,
                                  matching_number=None, full_reconcile_id=None))
        clone(cr, "account_move", invoice.id, move_rows)
        clone(cr, "account_move_line", product_line.id, product_rows)
        clone(cr, "account_move_line", receivable.id, term_rows)
        print(f"  {len(invoices)} invoices (move + 2 lines): {time.perf_counter() - t0:.1f}s")

        # payments: a bank entry per paid invoice, reconciled with it at the payment date
        t0 = time.perf_counter()
        paid = [inv for inv in invoices if inv["paid"]]
        pay_move_ids = next_ids(cr, "account_move", len(paid))
        pay_line_ids = next_ids(cr, "account_move_line", len(paid))
        pay_moves, pay_lines, bank_lines, partials = [], [], [], []
        for k, (inv, move_id, line_id) in enumerate(zip(paid, pay_move_ids, pay_line_ids)):
            partner_id, amount, name = partner_ids[inv["customer"]], inv["paid"], f"RBP/{k + 1:06d}"
            pay_moves.append({
                "id": move_id, "name": name, "sequence_prefix": "RBP/", "sequence_number": k + 1,
                "partner_id": None, "commercial_partner_id": None, "date": inv["pay_date"], "ref": inv["name"],
                "amount_total": amount, "amount_total_signed": amount, "amount_total_in_currency_signed": amount,
                "create_date": now, "write_date": now,
            })
            common = {"move_id": move_id, "date": inv["pay_date"], "move_name": name, "create_date": now,
                      "write_date": now}
            pay_lines.append(dict(common, id=line_id, partner_id=partner_id, credit=amount, balance=-amount,
                                  amount_currency=-amount, amount_residual=0.0, amount_residual_currency=0.0,
                                  reconciled=True, matching_number=None, full_reconcile_id=None))
            bank_lines.append(dict(common, debit=amount, balance=amount, amount_currency=amount))
            partials.append({"debit_move_id": inv["term_id"], "credit_move_id": line_id, "amount": amount,
                             "debit_amount_currency": amount, "credit_amount_currency": amount,
                             "max_date": max(inv["pay_date"], inv["invoice_date"]), "full_reconcile_id": None,
                             "create_date": now, "write_date": now})
        clone(cr, "account_move", payment.id, pay_moves)
        clone(cr, "account_move_line", pay_receivable.id, pay_lines)
        clone(cr, "account_move_line", pay_bank.id, bank_lines)
        clone(cr, "account_partial_reconcile", partial.id, partials)
        print(f"  {len(paid)} payments (move + 2 lines + partial): {time.perf_counter() - t0:.1f}s")

        # reminders: a sent communication for each invoice paid or still open more than 5 days late
        t0 = time.perf_counter()
        level = company.relance_policy_id._ladder()[:1]
        late = [inv for inv in invoices if inv["late"]]
        comm_ids = next_ids(cr, "relance_communication", len(late))
        uid = env.uid
        for start in range(0, len(late), CHUNK):
            chunk = list(zip(late[start:start + CHUNK], comm_ids[start:start + CHUNK]))
            cr.execute(
                "INSERT INTO relance_communication (id, company_id, partner_id, level_id, date, state, origin, "
                "amount_due, attempt_count, create_uid, write_uid, create_date, write_date) "
                "SELECT g.id, %s, g.partner_id, %s, g.date, 'sent', 'cron', g.amount, 1, %s, %s, %s, %s "
                "FROM unnest(%s::int[], %s::int[], %s::date[], %s::numeric[]) AS g(id, partner_id, date, amount)",
                [company.id, level.id, uid, uid, now, now, [c for _inv, c in chunk],
                 [partner_ids[inv["customer"]] for inv, _c in chunk],
                 [inv["due"] + timedelta(days=5) for inv, _c in chunk], [inv["amount"] for inv, _c in chunk]],
            )
            cr.execute(
                "INSERT INTO relance_communication_line (communication_id, move_id, level_id, date_due, days_late, "
                "amount_residual, create_uid, write_uid, create_date, write_date) "
                "SELECT g.comm, g.move, %s, g.due, 5, g.amount, %s, %s, %s, %s "
                "FROM unnest(%s::int[], %s::int[], %s::date[], %s::numeric[]) AS g(comm, move, due, amount)",
                [level.id, uid, uid, now, now, [c for _inv, c in chunk], [inv["move_id"] for inv, _c in chunk],
                 [inv["due"] for inv, _c in chunk], [inv["amount"] for inv, _c in chunk]],
            )
        print(f"  {len(late)} sent reminders: {time.perf_counter() - t0:.1f}s")
        env["ir.config_parameter"].set_param(SIZE_PARAM, f"{n_customers}/{n_invoices}")
        env["ir.config_parameter"].set_param(DATE_PARAM, ref_date.isoformat())
        env.invalidate_all()
        cr.commit()
        # fresh planner statistics, as after any bulk load (autovacuum would do it a moment later)
        cr.execute("ANALYZE account_move, account_move_line, account_partial_reconcile, relance_communication, "
                   "relance_communication_line, res_partner")
        cr.commit()
        open_count = env["account.move"].search_count([("journal_id", "=", sale.id),
                                                       ("payment_state", "in", ("not_paid", "partial"))])
        print(f"  profiles: {dict(Counter(profiles))}; invoices open: {open_count}, paid: {len(paid)} "
              f"(partly: {sum(1 for inv in paid if inv['paid'] < inv['amount'])})")
        print(f"generation: {time.perf_counter() - started:.1f}s")


def ensure_data(args):
    size = f"{args.customers}/{args.invoices}"
    marker = None
    if db_exists(args.db):
        rows = _psql(args.db, f"SELECT value FROM ir_config_parameter WHERE key = '{SIZE_PARAM}'")
        marker = rows or None
        if marker == size and not args.regenerate:
            print(f"{args.db} already holds {size} customers/invoices: reused (--regenerate forces a new generation)")
            return
        has_bench = marker or _psql(args.db, f"SELECT 1 FROM res_partner WHERE ref LIKE '{REF_PREFIX}%' LIMIT 1") == "1"
        if not has_bench:
            raise SystemExit(f"{args.db} exists and holds no risk benchmark data: choose another --db")
        print(f"dropping {args.db} ({marker or 'incomplete'})")
        drop_db(args.db)
    print(f"creating {args.db} from relance_tpl and installing relance_impayes")
    create_db(args.db)
    # mark the database as ours at once: an interrupted generation is dropped by the next run
    _psql(args.db, f"INSERT INTO ir_config_parameter (key, value) VALUES ('{SIZE_PARAM}', 'incomplete')")
    ref_date = args.date or date.today()
    print(f"generating {args.customers} customers / {args.invoices} invoices, reference date {ref_date}")
    generate(args.db, args.customers, args.invoices, ref_date, args.seed)


# ----------------------------------------------------------------------------------------------
# The timed run
# ----------------------------------------------------------------------------------------------
def run(env, company, run_date, args):
    from odoo.fields import Domain

    cr = env.cr
    partners = env["res.partner"].search([("ref", "=like", REF_PREFIX + "%")])
    invoices = env["account.move"].search_count(
        Domain("commercial_partner_id", "in", partners.ids) & Domain("move_type", "=", "out_invoice"))
    print(f"\n{len(partners)} customers, {invoices} invoices; run date {run_date}")
    risk = env["relance.risk"]
    phases = []
    env.invalidate_all()

    with measure(cr, Phase("(a) score every customer"), profile=args.profile, top=args.top) as phase:
        results = risk._compute_company(company, run_date)
        env.flush_all()
    phases.append(phase)
    classes = Counter(klass for _score, klass in results.values())
    scores = sorted(score for score, _klass in results.values())
    pct = {p: scores[min(len(scores) - 1, int(len(scores) * p / 100))] for p in (10, 50, 90, 99)}
    print(f"  {len(results)} customers scored: {dict(classes)}; score percentiles "
          + ", ".join(f"p{p}={v}" for p, v in pct.items()))
    sample = partners[:1]
    print(f"  e.g. {sample.name}: {sample.relance_risk_score} ({sample.relance_risk_class}), "
          f"DSO {sample.relance_dso}\n    " + (sample.relance_risk_reasons or "").replace("\n", "\n    "))

    tenth = partners[: max(1, len(partners) // 10)]
    env.invalidate_all()
    with measure(cr, Phase("(a') score 10% of the customers")) as phase:
        risk._compute_company(company, run_date, partners=tenth)
        env.flush_all()
    phases.append(phase)

    policies = env["relance.policy"]
    strict = policies.create({"name": "Bench strict", "company_id": company.id})
    gentle = policies.create({"name": "Bench gentle", "company_id": company.id})
    env.invalidate_all()
    with measure(cr, Phase("(b) create 3 segment rules (assigns all)")) as phase:
        env["relance.segment.rule"].create([
            {"name": "New customers", "sequence": 1, "condition": "new_customer", "months": 6, "invoice_count": 3,
             "policy_id": strict.id, "company_id": company.id},
            {"name": "Good payers", "sequence": 2, "condition": "good_payer", "invoice_count": 3,
             "policy_id": gentle.id, "company_id": company.id},
            {"name": "Risky payers", "sequence": 3, "condition": "risky", "policy_id": strict.id,
             "company_id": company.id},
        ])
        env.flush_all()
    phases.append(phase)
    segments = Counter(p.relance_segment_rule_id.name for p in partners.with_company(company))
    print(f"  segments: {dict(segments)} (others: company default)")
    env.invalidate_all()
    with measure(cr, Phase("(b') daily reassignment (no change)")) as phase:
        changed = env["relance.segment.rule"]._relance_assign(company, run_date)
        env.flush_all()
    phases.append(phase)
    print(f"  {len(changed)} customers changed segment")

    company.write({"account_use_credit_limit": True, "relance_credit_limit_mode": "block"})
    limited = partners[::5]
    cr.execute("UPDATE res_partner SET credit_limit = jsonb_build_object(%s, 3000.0) WHERE id IN %s",
               [str(company.id), tuple(limited.ids)])
    env.invalidate_all()
    with measure(cr, Phase("(c) holds (block mode, 1/5 with a limit)")) as phase:
        held, released = env["res.partner"]._relance_update_credit_holds(company)
        env.flush_all()
    phases.append(phase)
    causes = Counter(held.with_company(company).mapped("relance_hold_cause"))
    print(f"  {len(held)} customers put on hold ({dict(causes)}), {len(released)} released, each logged")
    env.invalidate_all()
    with measure(cr, Phase("(c') holds again (no change)")) as phase:
        held2, released2 = env["res.partner"]._relance_update_credit_holds(company)
        env.flush_all()
    phases.append(phase)

    print_table(phases, invoices)
    scoring = phases[0].seconds
    verdict = "OK" if scoring < LIMIT_SECONDS else "TOO SLOW"
    print(f"\nscoring {len(results)} customers with {invoices} invoices: {scoring:.2f}s "
          f"({phases[0].queries} queries) -- limit {LIMIT_SECONDS:.0f}s: {verdict}")
    print(f"queries, all customers vs 10%: {phases[0].queries} vs {phases[1].queries} (the scores are written "
          f"1,000 customers per UPDATE: +1 query per 1,000 customers; the metrics are read in a fixed number)")
    return scoring


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--invoices", type=int, default=50000)
    parser.add_argument("--date", type=date.fromisoformat, default=None,
                        help="reference date of generated data / run date (default: the stored one, else today)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the scoring phase (a)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    ensure_data(args)

    from odoo import SUPERUSER_ID, api

    started = time.perf_counter()
    registry = open_registry(args.db)
    print(f"registry {args.db} loaded in {time.perf_counter() - started:.1f}s; max RSS {maxrss_mb():.0f} MB")
    cr = registry.cursor()
    forbid_commit(cr)
    try:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        run_date = args.date or date.fromisoformat(env["ir.config_parameter"].get_param(DATE_PARAM))
        company = env.ref("base.main_company")
        scoring = run(env, company, run_date, args)
    finally:
        cr.rollback()
        cr.close()
    print(f"\nall rolled back; wall time of the script {time.perf_counter() - started:.1f}s")
    if scoring >= LIMIT_SECONDS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
