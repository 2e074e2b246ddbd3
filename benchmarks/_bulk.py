"""Bulk creation of posted customer invoices by SQL ``COPY``, cloned from ORM-made templates.

How: in a savepoint, the ORM creates and posts a few *template* moves (a one-line invoice, the
same with other partner/amount/dates, an invoice on a two-instalment payment term, a payment
entry reconciled partially with an invoice); their rows (``account_move``, ``account_move_line``,
``account_partial_reconcile``) are read and the savepoint is rolled back. Every planned invoice
is then a copy of a template row with the columns that vary substituted (ids, sequence name,
partner, dates shifted, amounts scaled, residuals, payment state, matching numbers) and
written with ``COPY``. The module's stored computed fields (``relance_*``) are then recomputed
by the ORM on the new records.

Guard: :func:`self_check` clones template A with the parameters of template B (made by the ORM)
and requires the clone to equal B column by column; a refactor (of Odoo or of the module) that
adds a stored column varying per invoice makes the generator stop with the column's name
instead of writing wrong data. :func:`check_invariants` recomputes, with the ORM, the residuals,
payment states and sequence fields of a sample and compares them with what was written.
"""
import io
import itertools
import json
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from _entry import ladder as _ladder  # noqa: F401  (re-exported for the generator)

CENT = Decimal("0.01")
IGNORED = {"id", "create_date", "write_date", "move_id", "debit_move_id", "credit_move_id"}
MOVE_MONEY = ("amount_untaxed", "amount_total", "amount_untaxed_signed", "amount_total_signed",
              "amount_total_in_currency_signed", "amount_untaxed_in_currency_signed", "amount_tax",
              "amount_tax_signed")
LINE_MONEY = ("balance", "debit", "credit", "amount_currency", "amount_residual", "amount_residual_currency",
              "price_unit", "price_subtotal", "price_total")
PARTNER_COLS = ("partner_id", "commercial_partner_id", "partner_shipping_id")
RELANCE_COLS = ("relance_level_id", "relance_date")


def _rows(cr, table, where, params):
    cr.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id", params)  # noqa: S608 (fixed names)
    return cr.dictfetchall()


def _snapshot(env, moves):
    cr = env.cr
    env.flush_all()
    ids = tuple(moves.ids)
    return {move.id: {"move": _rows(cr, "account_move", "id = %s", [move.id])[0],
                      "lines": _rows(cr, "account_move_line", "move_id = %s", [move.id])} for move in moves} | {
        "partials": _rows(cr, "account_partial_reconcile",
                          "debit_move_id IN (SELECT id FROM account_move_line WHERE move_id IN %s)", [ids])}


def make_templates(env, company, partners, term, misc_journal, bank_account):
    """ORM-made template rows, read in a savepoint that is rolled back. ``partners``: 2 records."""
    from odoo import Command
    moves_model = env["account.move"].with_company(company)
    level = _ladder(company)[1]

    def invoice(partner, amount, inv_date, due, with_term=False, level_id=False, relance_date=False):
        vals = {"move_type": "out_invoice", "partner_id": partner.id, "invoice_date": inv_date,
                "relance_level_id": level_id, "relance_date": relance_date,
                "invoice_line_ids": [Command.create({"name": "Prestation de service", "quantity": 1,
                                                     "price_unit": amount, "tax_ids": []})]}
        vals.update({"invoice_payment_term_id": term.id} if with_term else {"invoice_date_due": due})
        return moves_model.create(vals)

    cr = env.cr
    cr.execute("SAVEPOINT bench_templates")
    try:
        d0 = date(2026, 3, 2)
        a = invoice(partners[0], 100.0, d0, d0 + timedelta(days=30))
        b = invoice(partners[1], 1234.56, d0 + timedelta(days=7), d0 + timedelta(days=37), level_id=level.id,
                    relance_date=d0 + timedelta(days=40))
        i1 = invoice(partners[0], 100.0, d0, None, with_term=True)
        i2 = invoice(partners[1], 333.33, d0 + timedelta(days=3), None, with_term=True)
        (a + b + i1 + i2).action_post()
        before = _snapshot(env, a + b + i1 + i2)
        pays = []
        for inv, paid in ((a, 40.0), (b, 500.12), (i2, 100.0)):
            receivable = inv.line_ids.filtered(lambda line: line.display_type == "payment_term").sorted(
                "date_maturity")[:1]
            pay = moves_model.create({
                "move_type": "entry", "journal_id": misc_journal.id, "date": d0 + timedelta(days=50),
                "ref": "BENCH partial payment", "line_ids": [
                    Command.create({"name": f"Paiement partiel {inv.name}", "account_id": receivable.account_id.id,
                                    "partner_id": inv.commercial_partner_id.id, "credit": paid}),
                    Command.create({"name": "Paiement partiel", "account_id": bank_account.id, "debit": paid})]})
            pay.action_post()
            (receivable + pay.line_ids.filtered(lambda line: line.account_id == receivable.account_id)).reconcile()
            pays.append(pay)
        after = _snapshot(env, a + b + i2 + pays[0] + pays[1] + pays[2])
    finally:
        cr.execute("ROLLBACK TO SAVEPOINT bench_templates")
        env.invalidate_all()
    return {"simple": before[a.id], "simple_b": before[b.id], "inst": before[i1.id], "inst_b": before[i2.id],
            "paid_simple": after[a.id], "paid_simple_b": after[b.id], "paid_inst_b": after[i2.id],
            "pay": after[pays[0].id], "pay_b": after[pays[1].id], "pay_inst_b": after[pays[2].id],
            "partials": after["partials"], "ids": {"a": a.id, "b": b.id, "i2": i2.id}}


def _shift(value, delta):
    return value + delta if isinstance(value, date) and not isinstance(value, datetime) else value


class Cloner:
    """Turns template rows into new rows. ``next_id(table)`` hands out ids, ``seq`` numbers names."""

    def __init__(self, templates, partner_names, next_id, next_name):
        self.t = templates
        self.partner_names = partner_names
        self.next_id = next_id
        self.next_name = next_name

    def move(self, tpl, partner_id, inv_date, amount, level_id, relance_date, replace=()):
        """One posted move (no payment) from template ``tpl``; returns (move row, line rows)."""
        src, lines = tpl["move"], tpl["lines"]
        base_date = src["invoice_date"] or src["date"]
        delta = (inv_date - base_date)
        name, prefix, number = self.next_name(src, inv_date)
        factor = Decimal(str(amount)) / Decimal(str(src["amount_total"] or 1))
        move_id = self.next_id("account_move")
        replace = ((src["name"], name),) + tuple(replace)
        row = {k: self._common(k, v, replace, delta) for k, v in src.items()}
        row.update(id=move_id, name=name, sequence_prefix=prefix, sequence_number=number)
        for col in PARTNER_COLS:
            if src.get(col) is not None:
                row[col] = partner_id
        if src.get("invoice_partner_display_name") and src["invoice_partner_display_name"] == self.partner_names.get(
                src["partner_id"]):
            row["invoice_partner_display_name"] = self.partner_names[partner_id]
        for col in MOVE_MONEY + ("amount_residual", "amount_residual_signed"):
            if row.get(col) is not None:
                row[col] = (Decimal(str(src[col])) * factor).quantize(CENT, ROUND_HALF_UP)
        if "relance_level_id" in row:
            row["relance_level_id"], row["relance_date"] = level_id or None, relance_date or None
        new_lines = []
        for line in lines:
            new = {k: self._common(k, v, replace, delta) for k, v in line.items()}
            new.update(id=self.next_id("account_move_line"), move_id=move_id)
            if line.get("partner_id") is not None:
                new["partner_id"] = partner_id
            for col in LINE_MONEY:
                if line.get(col) is not None:
                    new[col] = (Decimal(str(line[col])) * factor).quantize(CENT, ROUND_HALF_UP)
            new_lines.append(new)
        self._balance(new_lines)
        return row, new_lines

    @staticmethod
    def _common(key, value, replace, delta):
        if key in IGNORED:
            return value
        if isinstance(value, str):
            for old, new in replace:
                if old and old in value:
                    value = value.replace(old, new)
            return value
        return _shift(value, delta)

    @staticmethod
    def _balance(lines):
        """Put the rounding difference of the scaling on the last line that carries a due date."""
        diff = sum(line["balance"] for line in lines)
        if not diff:
            return
        last = [line for line in lines if line.get("display_type") == "payment_term"][-1]
        for col in ("balance", "amount_currency", "amount_residual", "amount_residual_currency"):
            last[col] -= diff
        last["debit" if last["balance"] > 0 else "credit"] = abs(last["balance"])

    def pay(self, inv_row, inv_lines, paid, pay_date):
        """A payment entry of ``paid`` reconciled with the first instalment of the invoice. Mutates
        the invoice rows (residuals, payment state, matching number); returns (move, lines, partial)."""
        tpl = self.t["pay"]
        paid = Decimal(str(paid))
        row, lines = self.move(tpl, inv_row["commercial_partner_id"], pay_date, paid, None, None,
                               replace=((self.t["paid_simple"]["move"]["name"], inv_row["name"]),))
        first = min((line for line in inv_lines if line.get("display_type") == "payment_term"),
                    key=lambda line: (line["date_maturity"], line["id"]))
        src_partial = self.t["partials"][0]
        partial = dict(src_partial, id=self.next_id("account_partial_reconcile"), debit_move_id=first["id"],
                       amount=paid, debit_amount_currency=paid, credit_amount_currency=paid,
                       max_date=max(first["date"], pay_date))
        credit = next(line for line in lines if line["account_id"] == first["account_id"])
        credit_id = credit["id"]
        partial["credit_move_id"] = credit_id
        matching = f"P{partial['id']}"
        paid_tpl = self.t["paid_simple"]
        first_tpl = next(line for line in paid_tpl["lines"] if line.get("display_type") == "payment_term")
        for col in ("amount_residual", "amount_residual_currency"):
            first[col] -= paid
        first["reconciled"] = first_tpl["reconciled"] and not first["amount_residual"]
        first["matching_number"] = matching
        credit_tpl = next(line for line in tpl["lines"] if line.get("matching_number"))
        credit.update(amount_residual=Decimal(0), amount_residual_currency=Decimal(0),
                      reconciled=credit_tpl["reconciled"], matching_number=matching)
        for col in ("amount_residual", "amount_residual_signed"):
            inv_row[col] -= paid
        unpaid_tpl = self.t["simple"]["move"]
        for col, value in paid_tpl["move"].items():  # payment_state, status_in_payment, is_manually_modified...
            if col not in IGNORED and not col.startswith("amount_") and value != unpaid_tpl[col]:
                inv_row[col] = value
        return row, lines, partial


def self_check(templates, partner_names):
    """Clone template A with B's parameters; every column must equal the ORM's B. Raises otherwise."""
    t = templates
    problems = []
    counter = itertools.count(10**9)

    def cloner_factory(*targets):
        queue = list(targets)

        def next_name(_src, _date):
            row = queue.pop(0)
            return row["name"], row["sequence_prefix"], row["sequence_number"]
        return Cloner(t, partner_names, lambda _table: next(counter), next_name)

    def compare(label, got, expected):
        for key, value in expected.items():
            if key in IGNORED or key in ("name", "sequence_number", "matching_number", "secure_sequence_number"):
                continue
            if key.startswith("relance_") and key not in RELANCE_COLS:
                continue  # the module's stored computed fields: recomputed by the ORM after the COPY
            mine = got.get(key)
            if isinstance(value, (Decimal, float)) and mine is not None:
                same = abs(Decimal(str(value)) - Decimal(str(mine))) < Decimal("0.005")
            else:
                same = mine == value
            if not same:
                problems.append(f"{label}.{key}: clone {mine!r} != ORM {value!r}")

    for tpl_key, target_key, paid_key, pay_key in (("simple", "simple_b", "paid_simple_b", "pay_b"),
                                                     ("inst", "inst_b", "paid_inst_b", "pay_inst_b")):
        target = t[target_key]["move"]
        cloner = cloner_factory(target, t[pay_key]["move"])
        row, lines = cloner.move(t[tpl_key], target["partner_id"], target["invoice_date"], target["amount_total"],
                                 target.get("relance_level_id"), target.get("relance_date"))
        compare(target_key, row, target)
        for i, (mine, orm) in enumerate(zip(lines, t[target_key]["lines"])):
            compare(f"{target_key}.line{i}", mine, orm)
        pay_target = t[pay_key]["move"]
        paid = pay_target["amount_total"]
        prow, plines, _partial = cloner.pay(row, lines, paid, pay_target["date"])
        compare(paid_key, row, t[paid_key]["move"])
        for i, (mine, orm) in enumerate(zip(lines, t[paid_key]["lines"])):
            compare(f"{paid_key}.line{i}", mine, orm)
        compare(pay_key, prow, pay_target)
        for i, (mine, orm) in enumerate(zip(plines, t[pay_key]["lines"])):
            compare(f"{pay_key}.line{i}", mine, orm)
    if problems:
        raise SystemExit("bulk generator self-check failed (a column varies that the cloner does not "
                         "handle):\n  " + "\n  ".join(problems))


def _text(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(cr, table, rows):
    """``COPY table FROM STDIN`` of dict rows (all with the same keys)."""
    if not rows:
        return
    cols = list(rows[0])
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(_text(row[c]) for c in cols) + "\n")
    buf.seek(0)
    columns = ", ".join(f'"{c}"' for c in cols)
    cr._obj.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buf)


def id_allocator(cr):
    pools = {}

    def next_id(table):
        pool = pools.setdefault(table, [])
        if not pool:
            cr.execute("SELECT nextval(%s) FROM generate_series(1, 5000)", [f"{table}_id_seq"])
            pool.extend(r[0] for r in reversed(cr.fetchall()))
        return pool.pop()
    return next_id


def name_allocator(cr):
    """Next sequence name per (journal, prefix), continuing after what the database holds."""
    last = {}

    def next_name(src, move_date):
        prefix = re.sub(r"\d{4}", str(move_date.year), src["sequence_prefix"], count=1)
        if re.search(r"/\d{2}/$", src["sequence_prefix"]):  # monthly sequence (MISC/2026/11/)
            prefix = re.sub(r"/\d{2}/$", f"/{move_date.month:02d}/", prefix)
        key = (src["journal_id"], prefix)
        if key not in last:
            cr.execute("SELECT COALESCE(MAX(sequence_number), 0) FROM account_move "
                       "WHERE journal_id = %s AND sequence_prefix = %s", key)
            last[key] = cr.fetchone()[0]
        last[key] += 1
        digits = len(src["name"]) - len(src["sequence_prefix"])
        return f"{prefix}{last[key]:0{digits}d}", prefix, last[key]
    return next_name


def fill(env, company, invoices, ref_date, partner_ids, term, misc_journal, bank_account, ladder, chunk=5000,
         log=print):
    """Write the planned ``invoices`` (dicts of generate.plan_data) by COPY. Returns the invoice ids."""
    import time
    cr = env.cr
    t0 = time.perf_counter()
    partners = env["res.partner"].browse(partner_ids)
    names = dict(zip(partners.ids, partners.mapped("display_name")))
    templates = make_templates(env, company, partners[:2], term, misc_journal, bank_account)
    self_check(templates, names)
    log(f"  bulk: templates made by the ORM, self-check passed (clone == ORM, column by column): "
        f"{time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    cloner = Cloner(templates, names, id_allocator(cr), name_allocator(cr))
    pay_date = ref_date - timedelta(days=1)
    invoice_ids = []
    for start in range(0, len(invoices), chunk):
        moves, lines, partials = [], [], []
        for inv in invoices[start:start + chunk]:
            tpl = templates["inst" if inv.get("instalment") else "simple"]
            level = ladder[inv["level_index"]].id if inv["level_index"] is not None else None
            row, rows = cloner.move(tpl, partner_ids[inv["customer"]], inv["invoice_date"], inv["amount"], level,
                                    inv["relance_date"])
            if inv["paid"]:
                prow, prows, partial = cloner.pay(row, rows, inv["paid"], pay_date)
                moves.append(prow)
                lines.extend(prows)
                partials.append(partial)
            moves.append(row)
            lines.extend(rows)
            invoice_ids.append(row["id"])
        copy_rows(cr, "account_move", moves)
        copy_rows(cr, "account_move_line", lines)
        copy_rows(cr, "account_partial_reconcile", partials)
        log(f"  bulk: {min(start + chunk, len(invoices))}/{len(invoices)} invoices copied "
            f"({len(moves)} moves, {len(lines)} lines, {len(partials)} partial reconciliations), "
            f"elapsed {time.perf_counter() - t0:.1f}s")
    env.invalidate_all()
    t0 = time.perf_counter()
    recompute_module_fields(env, invoice_ids, partner_ids, log)
    log(f"  bulk: module fields recomputed in {time.perf_counter() - t0:.1f}s")
    return invoice_ids


def recompute_module_fields(env, move_ids, partner_ids, log=print):
    """The module's stored computed fields (relance_*) on the new invoices and the customers."""
    for model, ids in (("account.move", move_ids), ("res.partner", partner_ids)):
        records = env[model].browse(ids)
        fields = [f for f in records._fields.values() if f.store and f.compute and f.name.startswith("relance_")]
        for step in range(0, len(ids), 20000):
            part = records[step:step + 20000]
            for field in fields:
                env.add_to_compute(field, part)
            env.flush_all()
            env.invalidate_all()
        log(f"  bulk: recomputed {model} {', '.join(f.name for f in fields) or '(none)'} on {len(ids)} records")


MOVE_CHECK = ("amount_untaxed", "amount_total", "amount_residual", "amount_residual_signed", "payment_state",
              "status_in_payment", "invoice_date_due", "sequence_prefix", "sequence_number", "commercial_partner_id")
LINE_CHECK = ("amount_residual", "amount_residual_currency", "reconciled", "debit", "credit")


def check_invariants(env, invoice_ids, sample=500, seed=0):
    """Recompute with the ORM, on a sample, what the generator wrote; returns the mismatches."""
    import random
    cr = env.cr
    ids = random.Random(seed).sample(invoice_ids, min(sample, len(invoice_ids)))
    moves = env["account.move"].browse(ids)
    lines = moves.line_ids
    moves = moves | lines.matched_credit_ids.credit_move_id.move_id
    lines = moves.line_ids
    stored = {(r._name, r.id, f): r[f] for recs, fnames in ((moves, MOVE_CHECK), (lines, LINE_CHECK))
              for r in recs for f in fnames if f in r._fields}
    problems = []
    cr.execute("SAVEPOINT bench_check")
    try:
        env.invalidate_all()
        for recs, fnames in ((moves, MOVE_CHECK), (lines, LINE_CHECK)):
            for f in fnames:
                field = recs._fields.get(f)
                if field and field.store and field.compute:
                    env.add_to_compute(field, recs)
        for (model, rid, f), value in stored.items():
            fresh = env[model].browse(rid)[f]
            if fresh != value:
                problems.append(f"{model}({rid}).{f}: stored {value!r}, ORM recomputes {fresh!r}")
        lines._constrains_matching_number()
        cr.execute("SELECT move_id FROM account_move_line WHERE move_id = ANY(%s) GROUP BY move_id "
                   "HAVING ROUND(SUM(balance), 2) != 0", [moves.ids])
        problems += [f"account.move({r[0]}) unbalanced" for r in cr.fetchall()]
    finally:
        cr.execute("ROLLBACK TO SAVEPOINT bench_check")
        env.invalidate_all()
    return len(moves), problems
