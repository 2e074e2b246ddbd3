"""Late-payment penalties of customer invoices (C. com. L441-10 II, D441-5; C. civ. 1231-6).

The service gathers what the arithmetic needs (settlements, rates, formal notices) for a whole
batch of invoices with a fixed number of queries, and leaves the interest itself to the plain-Python
``tools/interest.py``. ``account.move._relance_penalties(date)`` stays the public entry.
"""

from collections import defaultdict

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools import interest

RATE_TABLE_OF_KIND = {"legal": "legal", "legal_interest": "legal_interest", "contract": "floor"}
"""Which table of ``relance.rate._relance_rate_tables`` says whether a half-year's rate is known."""


class RelancePenalty(models.AbstractModel):
    _name = "relance.penalty"
    _description = "Late-payment penalties"

    @api.model
    def _date(self, date=None):
        """``date``, else the ``relance_date`` context key, else today."""
        return fields.Date.to_date(date or self.env.context.get("relance_date") or fields.Date.context_today(self))

    @api.model
    def _empty_result(self, currency, consumer):
        return {
            "days_late": 0,
            "currency": currency,
            "base": 0.0,
            "periods": [],
            "interest": 0.0,
            "indemnity": 0.0,
            "total": 0.0,
            "waived": False,
            "consumer": bool(consumer),
            "warnings": [],
            "instalments": [],
        }

    # ------------------------------------------------------------------
    # The French rules
    # ------------------------------------------------------------------
    @api.model
    def _interest_rule(self, move, notice, lookups):
        """``(not_before, kind, rate_for)``: from which day and at which rate interest runs on the
        instalments of ``move``, or ``None`` when none runs yet.

        C. com. L441-10 II: between businesses, late-payment penalties run from the day after each
        instalment's due date (``not_before`` ``None``), without reminder, at the rate agreed (the
        customer's, else the company's) raised half-year by half-year to its legal floor
        (:meth:`_contract_lookup`), failing that the ECB rate + 10 points of each half-year. C. civ.
        1231-6: a private customer owes no such penalty, only legal interest (rate "other cases" of
        C. mon. fin. L313-2), and only from the formal notice (``notice``, see
        ``account.move._relance_formal_notice_dates``).
        """
        partner, company = move.commercial_partner_id, move.company_id
        if partner.relance_is_consumer:
            if not notice:
                return None
            return notice, "legal_interest", lookups["legal_interest"]
        contract = partner.relance_penalty_rate or company.relance_penalty_rate
        if contract > 0:
            return None, "contract", self._contract_lookup(contract, lookups)
        return None, "legal", lookups["legal"]

    @api.model
    def _contract_lookup(self, contract, lookups):
        """The contractual rate ``contract`` of each half-year, raised to the floor of that half-year.

        C. com. L441-10 II: a contractual late-payment rate can never be lower than three times the
        legal interest rate; the legal rate is set per half-year, so a rate that was valid when
        agreed may fall below the floor of another half-year (2024-H1: 15.21 %). The floor is
        applied to the days of that half-year only (period flag ``floored``).
        """
        return interest.floored_lookup(contract, lookups["floor"])

    @api.model
    def _accrual_end(self, move, date):
        """Last day on which interest accrues on ``move`` for a computation on ``date``: ``date``
        itself. Override to stop it earlier (e.g. an insolvency judgment, C. com. L622-28)."""
        return date

    @api.model
    def _recovery_indemnity(self, move, date, cache):
        """Fixed indemnity for recovery costs owed on ``move`` paid late, in the invoice currency.

        C. com. L441-10 II (4th paragraph) and D441-5: 40 € per invoice (the company's
        ``relance_indemnity_amount``), owed by a business customer only: L441-10 governs dealings
        between professionals, a private customer never owes it. ``cache`` keeps the conversion
        per (company, currency) for the batch.
        """
        if move.commercial_partner_id.relance_is_consumer:
            return 0.0
        company, currency = move.company_id, move.currency_id
        key = (company, currency)
        if key not in cache:
            cache[key] = company.currency_id._convert(company.relance_indemnity_amount, currency, company, date)
        return cache[key]

    # ------------------------------------------------------------------
    # Penalties of invoices
    # ------------------------------------------------------------------
    @api.model
    def _penalties(self, moves, date=None):
        """``{move id: result}`` (see ``account.move._relance_penalties``) of every move of
        ``moves``, with a fixed number of queries (rates, formal notices, payments prefetched)."""
        date = self._date(date)
        results = {}
        todo = moves.filtered(
            lambda m: m.move_type == "out_invoice"
            and m.state == "posted"
            and m.invoice_date_due
            and not m.relance_is_penalty_invoice
        )
        for move in moves - todo:
            results[move.id] = self._empty_result(move.currency_id, consumer=False)
        if not todo:
            return results
        # what _instalments reads, for all the invoices at once (it filters one invoice's lines)
        receivable = todo.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        receivable.matched_credit_ids.credit_move_id.fetch(["date"])
        todo.matched_payment_ids.fetch(["move_id", "state", "date"])
        rate_tables = self.env["relance.rate"]._relance_rate_tables()
        lookups = {kind: interest.rate_lookup(table) for kind, table in rate_tables.items()}
        notices = todo._relance_formal_notice_dates()
        indemnities = {}
        for company, company_moves in todo.grouped("company_id").items():
            for move in company_moves.with_company(company):
                currency = move.currency_id
                partner = move.commercial_partner_id
                result = self._empty_result(currency, partner.relance_is_consumer)
                results[move.id] = result
                instalments = self._instalments(move)
                precision = currency.rounding / 2
                end = self._accrual_end(move, date)
                result["base"] = currency.round(interest.instalments_unpaid_at(instalments, date))
                result["days_late"] = interest.instalments_days_late(instalments, end, precision)
                result["instalments"] = [
                    {
                        "date_due": due,
                        "amount": currency.round(amount),
                        "residual": currency.round(interest.unpaid_at(amount, events, date)),
                        "days_late": interest.days_late(due, end, amount, events, precision),
                    }
                    for due, amount, events in instalments
                ]
                if move.relance_penalty_waived or partner.relance_penalty_waived:
                    result["waived"] = True
                    continue
                rule = result["days_late"] and self._interest_rule(move, notices.get(move.id), lookups)
                if not rule:
                    continue
                not_before, kind, rate_for = rule
                periods = interest.instalment_periods(instalments, end, rate_for, kind, precision, not_before)
                for period in periods:
                    period["base"] = currency.round(period["base"])
                    period["interest"] = currency.round(period["interest"])
                result["periods"] = periods
                result["interest"] = currency.round(sum(period["interest"] for period in periods))
                result["warnings"] = self._rate_warnings(periods, rate_tables[RATE_TABLE_OF_KIND[kind]])
                result["indemnity"] = self._recovery_indemnity(move, date, indemnities)
                result["total"] = currency.round(result["interest"] + result["indemnity"])
        return results

    @api.model
    def _instalments(self, move):
        """The instalments of ``move`` (see ``tools.interest.Instalment``): one per receivable line,
        with its own due date (``date_maturity``), amount and settlements, by due date. An invoice
        with a single due date has a single instalment: its total and all its settlements."""
        lines = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        pending = move.matched_payment_ids.filtered(lambda p: not p.move_id and p.state in ("in_process", "paid"))
        pending_date = max(pending.mapped("date")) if pending else None
        instalments = []
        for line in lines.sorted(lambda line: (line.date_maturity or move.invoice_date_due, line.id)):
            events = [
                (partial.credit_move_id.date, partial.debit_amount_currency)
                for partial in line.matched_credit_ids
                if partial.debit_amount_currency
            ]
            # settlements: payments and credit notes reconciled with the line, at the date of the
            # counterpart entry. A payment registered without a journal entry (no outstanding
            # account) is not reconciled: Odoo shows the invoice "in payment"; what it left open
            # counts as paid on the payment date.
            if pending_date and not move.currency_id.is_zero(line.amount_residual_currency):
                events.append((pending_date, line.amount_residual_currency))
            instalments.append((line.date_maturity or move.invoice_date_due, line.amount_currency, events))
        return instalments

    @api.model
    def _half_year_label(self, code):
        """ "2026-H1" in the user's words ("S1 2026" in French)."""
        year, half = code.split("-H")
        return self.env._("%(year)s-H%(half)s", year=year, half=half)

    @api.model
    def _rate_warnings(self, periods, table):
        """Sentences for the company (never for the customer) about half-years without a rate."""
        warnings = []
        label = self._half_year_label
        for period in periods:
            if period["fallback"] and period["rate_kind"] == "contract":
                message = self.env._(
                    "No reference rate for %(half_year)s: the legal floor of %(fallback)s was used.",
                    half_year=label(period["half_year"]),
                    fallback=label(period["fallback_half_year"]),
                )
            elif period["fallback"]:
                message = self.env._(
                    "No reference rate for %(half_year)s: the rate of %(fallback)s was used.",
                    half_year=label(period["half_year"]),
                    fallback=label(period["fallback_half_year"]),
                )
            elif not table and period["rate_kind"] != "contract":
                message = self.env._(
                    "No reference rate for %(half_year)s: no interest was computed. Record the rates of the "
                    "half-year in the reference rates.",
                    half_year=label(period["half_year"]),
                )
            else:
                continue
            if message not in warnings:
                warnings.append(message)
        return warnings

    # ------------------------------------------------------------------
    # Penalty invoices: what was already charged, never twice
    # ------------------------------------------------------------------
    @api.model
    def _charged(self, moves):
        """``{move id: (interest, until, indemnity)}``: what penalty invoices (not cancelled)
        already charged for each move: interest, last day of interest charged, indemnity or not."""
        charged = {}
        for move in moves:
            lines = move.relance_penalty_line_ids.filtered(lambda line: line.parent_state != "cancel")
            interest_lines = lines.filtered(lambda line: line.relance_penalty_kind == "interest")
            charged[move.id] = (
                sum(interest_lines.mapped("price_subtotal")),
                max(interest_lines.mapped("relance_penalty_date_to"), default=False),
                any(line.relance_penalty_kind == "indemnity" for line in lines),
            )
        return charged

    @api.model
    def _to_charge(self, moves, date):
        """What is still to invoice on ``date``: interest accrued since the last penalty invoice
        (cumulative interest less what was charged) and the indemnity if not charged yet. Disputed
        invoices are left out (:meth:`_claimable`)."""
        moves = self._claimable(moves)
        results = self._penalties(moves, date)
        to_charge = {}
        for move in moves:
            result = results[move.id]
            currency = result["currency"]
            interest_due = currency.round(result["interest"] - move.relance_interest_charged)
            indemnity = 0.0 if move.relance_indemnity_charged else result["indemnity"]
            if currency.compare_amounts(interest_due, 0) > 0 or currency.compare_amounts(indemnity, 0) > 0:
                to_charge[move.id] = {
                    "interest": max(interest_due, 0.0),
                    "indemnity": indemnity,
                    "result": result,
                    "date_from": move.relance_penalty_charged_until
                    or min((i["date_due"] for i in result["instalments"]), default=move.invoice_date_due),
                }
        return to_charge

    # ------------------------------------------------------------------
    # Per customer
    # ------------------------------------------------------------------
    @api.model
    def _partner_summaries(self, partners, date=None):
        """``{commercial partner id: {'interest', 'indemnity', 'total', 'count', 'currency'}}``:
        penalties of the customers' open overdue invoices in the current company on ``date``, in
        company currency; disputed invoices are left out (:meth:`_claimable`)."""
        company = self.env.company
        date = self._date(date)
        commercial = partners.commercial_partner_id
        summaries = {
            partner.id: {"interest": 0.0, "indemnity": 0.0, "total": 0.0, "count": 0, "currency": company.currency_id}
            for partner in commercial
        }
        Move = self.env["account.move"]
        if not commercial or not Move.has_access("read"):
            return summaries
        moves = Move.search(
            Domain("company_id", "=", company.id)
            & Move._relance_open_domain()
            & Domain("commercial_partner_id", "in", commercial.ids)
            & Move._relance_due_before_domain(date)
        )
        moves = self._claimable(moves)
        results = self._penalties(moves, date)
        for move in moves:
            result = results[move.id]
            summary = summaries[move.commercial_partner_id.id]
            interest_due = result["interest"]
            if interest_due and move.currency_id != company.currency_id:
                interest_due = move.currency_id._convert(interest_due, company.currency_id, company, date)
            summary["interest"] += interest_due
            # the indemnity is set in company currency: no round trip through the invoice currency
            summary["indemnity"] += company.relance_indemnity_amount if result["indemnity"] else 0.0
            summary["count"] += 1
        for summary in summaries.values():
            currency = summary["currency"]
            summary["interest"] = currency.round(summary["interest"])
            summary["indemnity"] = currency.round(summary["indemnity"])
            summary["total"] = currency.round(summary["interest"] + summary["indemnity"])
        return summaries

    # ------------------------------------------------------------------
    # What may be claimed, and what needs a manager first
    # ------------------------------------------------------------------
    @api.model
    def _claimable(self, moves):
        """``moves`` whose penalties may be claimed: not under an open dispute.

        CPC 1405: only a certain, liquid and due claim can be recovered by an injonction de payer;
        a disputed invoice is not certain. Its penalties are never totalled, invoiced nor put in the
        recovery file (they are still computed on the invoice, for the staff)."""
        return moves.filtered(lambda move: not move.relance_disputed)

    @api.model
    def _level_claims(self, level):
        """Whether the documents of ``level`` state penalty amounts: a level that claims them, or a
        formal notice (the registered letter always itemises the sums due)."""
        return bool(level) and (level.penalty_mode == "claimed" or level.action_registered_letter)

    @api.model
    def _missing_half_years(self, results, tables=None):
        """Labels of the half-years charged in ``results`` (``{move id: result}``) without a
        recorded reference rate (the rate or floor of another half-year was used, or none).
        ``tables``: ``relance.rate._relance_rate_tables()`` when the caller already read them."""
        if tables is None:
            tables = self.env["relance.rate"]._relance_rate_tables()
        known = {kind: {interest.half_year_label(key) for key in table} for kind, table in tables.items()}
        return sorted(
            {
                period["half_year"]
                for result in results.values()
                if not result["waived"]
                for period in result["periods"]
                if period["fallback"] or period["half_year"] not in known[RATE_TABLE_OF_KIND[period["rate_kind"]]]
            }
        )

    @api.model
    def _rates_cover(self, moves, date, tables):
        """Whether every half-year over which ``moves`` can bear interest on ``date`` has its
        recorded rates: from the day after their earliest due date (each instalment runs from its
        own, :meth:`_instalments`, or later) to the last day of accrual (:meth:`_accrual_end`).
        Their penalties then use no other half-year's rate: :meth:`_missing_half_years` would find
        none. ``tables``: ``relance.rate._relance_rate_tables()``."""
        if not moves:
            return True
        line = self.env["account.move.line"]
        [(earliest,)] = self.env.execute_query(
            SQL(
                """SELECT MIN(COALESCE(line.date_maturity, move.invoice_date_due))
                     FROM account_move_line line
                     JOIN account_move move ON move.id = line.move_id
                     JOIN account_account account ON account.id = line.account_id
                    WHERE line.move_id IN %s AND account.account_type = 'asset_receivable'""",
                tuple(moves.ids),
                to_flush=[line._fields["move_id"], line._fields["account_id"], line._fields["date_maturity"]],
            )
        )
        end = max(self._accrual_end(move, date) for move in moves)
        if earliest is None or earliest + interest.ONE_DAY > end:
            return True
        needed = interest.half_years_between(earliest + interest.ONE_DAY, end)
        return all(needed <= table.keys() for table in tables.values())

    @api.model
    def _needs_manager(self, moves, date, level=None):
        """Why a document claiming the penalties of ``moves`` on ``date`` must wait for a manager,
        or ``False``: it would claim interest over a half-year whose reference rate is not recorded.
        A customer is never told about a missing rate: the manager enters it, then validates.

        :param level: the reminder's level; one that states no amount (:meth:`_level_claims`) never
            waits for this reason
        """
        return self._needs_manager_batch({0: (moves, date, level)})[0]

    @api.model
    def _needs_manager_batch(self, documents):
        """:meth:`_needs_manager` of many documents at once: ``{key: (moves, date, level)}`` →
        ``{key: reason or False}``. The penalties are computed by one :meth:`_penalties` call per
        date over all the documents' invoices (each invoice's result does not depend on the others),
        the rate tables read once."""
        reasons = dict.fromkeys(documents, False)
        claimable = {
            key: self._claimable(moves)
            for key, (moves, _date, level) in documents.items()
            if level is None or self._level_claims(level)
        }
        if not claimable:
            return reasons
        tables = self.env["relance.rate"]._relance_rate_tables()
        keys_by_date = defaultdict(list)
        for key in claimable:
            keys_by_date[documents[key][1]].append(key)
        for date, keys in keys_by_date.items():
            moves = self.env["account.move"].union(*(claimable[key] for key in keys))
            if self._rates_cover(moves, date, tables):
                continue  # no half-year without its rate: no penalty to compute to know it
            results = self._penalties(moves, date)
            for key in keys:
                missing = self._missing_half_years({mid: results[mid] for mid in claimable[key].ids}, tables)
                if missing:
                    reasons[key] = self.env._(
                        "Penalties are claimed over %(half_years)s, whose reference rates are not recorded. Enter "
                        "them in Invoicing > Configuration > Penalty reference rates, then validate: the penalties "
                        "will be computed at the real rates.",
                        half_years=", ".join(self._half_year_label(code) for code in missing),
                    )
        return reasons
