"""Instalments: every receivable line of an invoice is a due date (LEGAL_FR §2).

Two readings of the same invoice, kept here side by side:

- *late* (:meth:`AccountMove._relance_late_instalments`, :meth:`_relance_late_domain`): the
  instalments due **before** a date and not fully paid: overdue amounts, oldest overdue date,
  penalties, the customer's account;
- *claimed* (:meth:`AccountMove._relance_claims`, read by :meth:`_relance_claim`,
  :meth:`_relance_due_instalments`, :meth:`_relance_due_residual`): what a reminder on a date asks
  for: the unpaid instalments due **on or before** it, or, for a courtesy reminder of an invoice
  with nothing due yet, its earliest unpaid instalment. Its SQL twin
  :meth:`_relance_due_instalments_sql` serves the engine's set-based decision; change both together.

An invoice with one due date has one receivable line: both readings give its whole residual.
"""

from collections import defaultdict
from contextvars import ContextVar

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

# {(invoice id, date): claim} of the reminders being rendered together (see relance.communication._relance_line_claims)
CLAIMS = ContextVar("relance_claims", default=None)


class AccountMove(models.Model):
    _inherit = "account.move"

    def _relance_instalment_lines(self):
        """Receivable lines of the invoice, one per instalment, by due date."""
        self.ensure_one()
        return self.line_ids.filtered(lambda line: line.account_type == "asset_receivable").sorted(
            lambda line: (line.date_maturity or self.invoice_date_due or self.date, line.id)
        )

    def _relance_due_date(self):
        """The due date the reminders follow: that of the earliest instalment still unpaid, else (all
        paid) the invoice's due date. An invoice with one due date: its ``invoice_date_due``."""
        self.ensure_one()
        unpaid = self._relance_instalment_lines().filtered(lambda line: not line.reconciled and line.date_maturity)
        return unpaid[:1].date_maturity or self.invoice_date_due

    def _relance_instalment_rows(self, lines, date):
        """``[{'line', 'date_due', 'amount', 'residual', 'days_late'}]`` of instalment ``lines`` on
        ``date``, amounts in the invoice currency, tax included."""
        return [
            {
                "line": line,
                "date_due": line.date_maturity,
                "amount": line.amount_currency,
                "residual": line.amount_residual_currency,
                "days_late": (date - line.date_maturity).days,
            }
            for line in lines
        ]

    # ------------------------------------------------------------------
    # Late: due before a date, something still unpaid
    # ------------------------------------------------------------------
    def _relance_late_lines(self, date):
        """The instalment lines of these invoices late on ``date`` (:meth:`_relance_late_line_domain`)."""
        date = fields.Date.to_date(date)
        lines = self.env["account.move.line"].concat(*(move._relance_instalment_lines() for move in self))
        return lines.filtered_domain(self._relance_late_line_domain(date))

    def _relance_late_instalments(self, date):
        """The instalments of the invoice late on ``date`` (due before it, something still unpaid),
        by due date (see :meth:`_relance_instalment_rows`)."""
        self.ensure_one()
        date = fields.Date.to_date(date)
        late = self._relance_late_lines(date).filtered(
            lambda line: not self.currency_id.is_zero(line.amount_residual_currency)
        )
        return self._relance_instalment_rows(late, date)

    @api.model
    def _relance_due_before_domain(self, date):
        """Invoices with an instalment due before ``date``, paid or not (for one due date:
        ``invoice_date_due < date``): what may bear penalties."""
        return Domain(
            "line_ids",
            "any",
            Domain("display_type", "=", "payment_term") & Domain("date_maturity", "<", date),
        )

    @api.model
    def _relance_late_line_domain(self, date):
        """Instalments (receivable lines, ``account.move.line``) late on ``date``: due before it and
        not fully paid."""
        return (
            Domain("display_type", "=", "payment_term")
            & Domain("reconciled", "=", False)
            & Domain("date_maturity", "<", date)
        )

    @api.model
    def _relance_late_domain(self, date):
        """Invoices overdue on ``date``: an instalment of theirs is late (:meth:`_relance_late_line_domain`)."""
        return Domain("line_ids", "any", self._relance_late_line_domain(date))

    @api.model
    def _relance_overdue_by_partner(self, domain, date):
        """``{commercial partner: (amount overdue, oldest overdue due date)}`` on ``date`` for the
        invoices of ``domain``: late instalments only (company currency), in one grouped query."""
        lines = self.env["account.move.line"]
        groups = lines._read_group(
            self._relance_late_line_domain(date) & Domain("move_id", "any", domain),
            ["move_id.commercial_partner_id"],
            ["amount_residual:sum", "date_maturity:min"],
        )
        return {partner: (amount or 0.0, oldest) for partner, amount, oldest in groups}

    def _relance_overdue_residual(self, date):
        """What is late on ``date`` of these invoices, company currency: their late instalments."""
        return sum(self._relance_late_lines(date).mapped("amount_residual"))

    # ------------------------------------------------------------------
    # Claimed: what a reminder on a date asks for
    # ------------------------------------------------------------------
    def _relance_due_instalments(self, date):
        """The instalments (receivable lines) a reminder on ``date`` claims: the unpaid ones due on
        or before ``date``; an invoice with none due yet (courtesy reminder): its earliest unpaid
        one(s). The rule is :meth:`_relance_claims`'; SQL twin: :meth:`_relance_due_instalments_sql`."""
        self.ensure_one()
        return self.env["account.move.line"].browse(self._relance_claim(date)["line_ids"])

    def _relance_due_residual(self, date):
        """What a reminder on ``date`` claims of this invoice, in company currency (as
        ``amount_residual_signed``): the residual of :meth:`_relance_due_instalments`; without a
        dated unpaid instalment, the invoice's residual. Batch: :meth:`_relance_claims`."""
        self.ensure_one()
        return self._relance_claim(date)["due_residual"]

    def _relance_claim(self, date):
        """The invoice as a reminder on ``date`` states it, in the invoice currency: ``amount``
        and ``residual`` of the claimed instalments (:meth:`_relance_due_instalments`) and their
        ``instalments`` rows (see :meth:`_relance_instalment_rows`); one due date: the invoice's
        total and residual. ``due_residual``: :meth:`_relance_due_residual`. Many invoices at once:
        :meth:`_relance_claims`."""
        self.ensure_one()
        date = fields.Date.to_date(date)
        return self._relance_claims([(self, date)])[self.id, date]

    @api.model
    def _relance_claims(self, pairs):
        """:meth:`_relance_claim` of many ``(invoice, date)`` pairs at once, ``{(invoice id, date):
        claim}``: their receivable lines by one query (no per-line ORM read). The rule: the unpaid
        instalments due on or before the date, else the earliest unpaid one(s) (courtesy reminder);
        ``line_ids`` the claimed receivable lines (:meth:`_relance_due_instalments`)."""
        pairs = [(move, fields.Date.to_date(date)) for move, date in pairs]
        moves = self.browse({move.id for move, _date in pairs})
        lines = defaultdict(list)
        if moves:
            query = SQL(
                """SELECT line.move_id, line.id, line.date_maturity, line.reconciled, line.amount_currency,
                          line.amount_residual_currency, line.amount_residual
                     FROM account_move_line line
                     JOIN account_account account ON account.id = line.account_id
                    WHERE line.move_id IN %(moves)s AND account.account_type = 'asset_receivable'""",
                moves=tuple(moves.ids),
                to_flush=[
                    self.env["account.move.line"]._fields[fname]
                    for fname in (
                        "move_id",
                        "account_id",
                        "date_maturity",
                        "reconciled",
                        "amount_currency",
                        "amount_residual_currency",
                        "amount_residual",
                    )
                ],
            )
            for row in self.env.execute_query(query):
                lines[row[0]].append(row[1:])
        line_model = self.env["account.move.line"]
        claims = {}
        for move, date in pairs:
            receivable = lines[move.id]
            unpaid = sorted((row for row in receivable if not row[2] and row[1]), key=lambda row: (row[1], row[0]))
            claimed = []
            if unpaid:
                threshold = max(date, unpaid[0][1])
                claimed = [row for row in unpaid if row[1] <= threshold]
            claim = {
                "line_ids": [row[0] for row in claimed],
                "due_residual": sum(row[5] for row in claimed) if claimed else move.amount_residual_signed,
            }
            if not claimed or len(receivable) == 1:
                claim.update(amount=move.amount_total, residual=move.amount_residual, instalments=[])
            else:
                claim.update(
                    amount=sum(row[3] for row in claimed),
                    residual=sum(row[4] for row in claimed),
                    instalments=[
                        {
                            "line": line_model.browse(row[0]),
                            "date_due": row[1],
                            "amount": row[3],
                            "residual": row[4],
                            "days_late": (date - row[1]).days,
                        }
                        for row in claimed
                    ],
                )
            claims[move.id, date] = claim
        return claims

    @api.model
    def _relance_due_instalments_sql(self, company, date):
        """SQL twin of :meth:`_relance_due_instalments` and :meth:`_relance_due_residual`, for a set
        of invoices at once: rows ``(move_id, date_due, residual)`` over the unpaid instalments of
        ``company``, ``date_due`` the earliest unpaid due date (:meth:`_relance_due_date`),
        ``residual`` the company-currency residual claimed on ``date`` (NULL without a dated unpaid
        instalment: the caller falls back on the invoice's residual). One grouped scan."""
        return SQL(
            """(SELECT instalment.move_id,
                       MIN(instalment.date_maturity) AS date_due,
                       SUM(instalment.amount_residual) FILTER (
                           WHERE instalment.date_maturity <= GREATEST(%(date)s, instalment.earliest)
                       ) AS residual
                  FROM (SELECT line.move_id, line.date_maturity, line.amount_residual,
                               MIN(line.date_maturity) OVER (PARTITION BY line.move_id) AS earliest
                          FROM account_move_line line
                         WHERE line.company_id = %(company)s
                           AND line.display_type = 'payment_term'
                           AND line.reconciled IS NOT TRUE) instalment
              GROUP BY instalment.move_id)""",
            date=date,
            company=company.id,
            to_flush=[
                self.env["account.move.line"]._fields[fname]
                for fname in ("move_id", "company_id", "display_type", "reconciled", "date_maturity", "amount_residual")
            ],
        )
