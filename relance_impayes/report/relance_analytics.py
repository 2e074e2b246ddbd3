"""Shared SQL of the reminder analytics (aging, DSO, effectiveness, funnel, recoveries, dashboards).

Every figure is computed by PostgreSQL from the accounting entries and the reminder history, in
one set-based query per report. Dates come from Python — the ``relance_date`` context key, else
the user's today — and are passed as parameters, never read from the database clock, so a report
can be read at a past date and tests freeze time.

Vocabulary of the queries:

* a *settlement* is what reduced an invoice: a partial reconciliation with a payment (``paid``),
  a credit note (``credited``) or another entry (``written_off``), at the date of the later of
  the two entries; a payment registered without journal entry (no outstanding account: the
  invoice is *in payment*) settles what it left open on the payment date;
* a *reminder* is a sent communication (its lines are the invoices it listed, those that climb
  *enter* a level), or a phone call logged outside a communication;
* a *hold* is a dispute opened or a payment plan confirmed on an invoice, contributed only when
  the negotiation models are installed.
"""

from types import MappingProxyType

from odoo import api, fields, models
from odoo.tools import SQL

# Channels of a reminder, from the evidence it left (its interactions)
CHANNELS = [
    ("email", "Email"),
    ("email_letter", "Email and letter"),
    ("letter", "Letter"),
    ("registered_letter", "Registered letter"),
    ("call", "Phone call"),
    ("handoff", "Hand-off to recovery"),
    ("other", "Other"),
]

SETTLEMENT_KINDS = [("paid", "Paid"), ("credited", "Credited"), ("written_off", "Written off")]

# Reports computed from the accounting and the history: flushed before each query
ANALYTICS_DEPENDS = {
    "account.move": [
        "move_type",
        "state",
        "payment_state",
        "commercial_partner_id",
        "company_id",
        "amount_total_signed",
        "amount_residual_signed",
        "relance_level_id",
        "origin_payment_id",
        "statement_line_id",
        "journal_id",
    ],
    "account.move.line": [
        "move_id",
        "account_id",
        "partner_id",
        "company_id",
        "date",
        "date_maturity",
        "balance",
        "amount_residual",
        "parent_state",
    ],
    "account.partial.reconcile": ["debit_move_id", "credit_move_id", "amount", "max_date"],
    "account.payment": ["move_id", "state", "date"],
    "relance.communication": ["state", "date", "level_id", "company_id", "partner_id", "user_id", "amount_due"],
    "relance.communication.line": ["communication_id", "move_id", "level_id", "amount_residual"],
    "relance.interaction": [
        "kind",
        "direction",
        "date",
        "communication_id",
        "move_ids",
        "level_id",
        "user_id",
        "call_outcome",
        "corrected_id",
    ],
    "relance.level": ["policy_id", "delay", "action_handoff", "mail_template_id"],
    "res.partner": ["commercial_partner_id", "user_id", "relance_collector_id", "relance_policy_id"],
    "res.company": [
        "relance_collector_id",
        "relance_policy_id",
        "relance_aging_bucket_1",
        "relance_aging_bucket_2",
        "relance_aging_bucket_3",
    ],
}


class RelanceAnalyticsMixin(models.AbstractModel):
    """SQL building blocks shared by the report models (``_auto = False``, ``_table_query``)."""

    _name = "relance.analytics.mixin"
    _description = "Reminder analytics"

    # ------------------------------------------------------------------
    # Session
    # ------------------------------------------------------------------
    @api.model
    def _relance_sql_session(self):
        """Called by each report's ``_table_query``: PostgreSQL's JIT compiler takes seconds to
        compile these analytic queries (their estimated cost is high) which then run in a fraction
        of that; it is turned off for the current transaction only."""
        self.env.cr.execute(SQL("SET LOCAL jit = off"))

    # ------------------------------------------------------------------
    # Dates
    # ------------------------------------------------------------------
    @api.model
    def _relance_as_of(self):
        """The date the report is computed for: ``relance_date`` in the context, else today."""
        value = self.env.context.get("relance_date")
        return fields.Date.to_date(value) if value else fields.Date.context_today(self)

    # ------------------------------------------------------------------
    # Customer attributes (company-dependent fields are JSON keyed by company id)
    # ------------------------------------------------------------------
    @api.model
    def _relance_sql_collector(self, partner, company):
        """Collector of a commercial partner in a company, as ``res.partner._relance_collector``:
        its collector, else its salesperson, else the company's default collector."""
        return SQL(
            "COALESCE((%(p)s.relance_collector_id ->> %(c)s.id::text)::int, %(p)s.user_id, %(c)s.relance_collector_id)",
            p=SQL.identifier(partner),
            c=SQL.identifier(company),
        )

    @api.model
    def _relance_sql_policy(self, partner, company):
        """Policy of a commercial partner in a company, as ``relance.policy._policies_for_partners``:
        its own, else the policy of the segment rule it matched (if active), else the company default."""
        self.env["res.partner"].flush_model(["relance_policy_id", "relance_segment_rule_id"])
        self.env["relance.segment.rule"].flush_model(["policy_id", "active"])
        return SQL(
            "COALESCE((%(p)s.relance_policy_id ->> %(c)s.id::text)::int, "
            "(SELECT rule.policy_id FROM relance_segment_rule rule "
            "WHERE rule.id = (%(p)s.relance_segment_rule_id ->> %(c)s.id::text)::int AND rule.active), "
            "%(c)s.relance_policy_id)",
            p=SQL.identifier(partner),
            c=SQL.identifier(company),
        )

    @api.model
    def _relance_sql_risk_class(self, partner, company):
        self.env["res.partner"].flush_model(["relance_risk_class"])
        return SQL("(%s ->> %s.id::text)", SQL.identifier(partner, "relance_risk_class"), SQL.identifier(company))

    @api.model
    def _selection_risk_class(self):
        return self.env["res.partner"]._fields["relance_risk_class"]._description_selection(self.env)

    # ------------------------------------------------------------------
    # Settlements and holds
    # ------------------------------------------------------------------
    @api.model
    def _relance_settlements_sql(self):
        """``(id, move_id, date, amount, kind)``: what settled each posted customer invoice, in
        company currency (``id``: the partial reconciliation, or minus the invoice for payments
        without entry). Exchange differences are left out (they settle nothing)."""
        return SQL("""
            SELECT pr.id AS id, inv.id AS move_id, pr.max_date AS date, pr.amount AS amount,
                   CASE
                       WHEN cm.move_type = 'out_refund' THEN 'credited'
                       WHEN cm.origin_payment_id IS NOT NULL OR cm.statement_line_id IS NOT NULL THEN 'paid'
                       WHEN EXISTS (
                           SELECT 1 FROM account_move_line liq
                             JOIN account_account liq_acc ON liq_acc.id = liq.account_id
                            WHERE liq.move_id = cm.id AND liq_acc.account_type = 'asset_cash'
                       ) THEN 'paid'
                       ELSE 'written_off'
                   END AS kind
              FROM account_partial_reconcile pr
              JOIN account_move_line inv_line ON inv_line.id = pr.debit_move_id
              JOIN account_move inv ON inv.id = inv_line.move_id
              JOIN account_move_line cl ON cl.id = pr.credit_move_id
              JOIN account_move cm ON cm.id = cl.move_id
              JOIN res_company co ON co.id = inv.company_id
             WHERE inv.move_type = 'out_invoice' AND inv.state = 'posted' AND cm.id != inv.id
               AND cm.journal_id IS DISTINCT FROM co.currency_exchange_journal_id
            UNION ALL
            SELECT -inv.id, inv.id, MAX(pay.date), MAX(inv.amount_residual_signed), 'paid'
              FROM account_move inv
              JOIN account_move__account_payment rel ON rel.invoice_id = inv.id
              JOIN account_payment pay ON pay.id = rel.payment_id
             WHERE inv.move_type = 'out_invoice' AND inv.state = 'posted' AND inv.payment_state = 'in_payment'
               AND inv.amount_residual_signed > 0 AND pay.move_id IS NULL AND pay.state IN ('in_process', 'paid')
             GROUP BY inv.id
        """)

    @api.model
    def _relance_holds_sql(self):
        """``(move_id, date, kind)``: invoices put in dispute (``disputed``) or on a payment plan
        (``plan``)."""
        parts = []
        for model_name, date_field, kind in (
            ("relance.dispute", "date_open", "disputed"),
            ("relance.payment.plan", "date_confirmed", "plan"),
        ):
            model = self.env[model_name]
            moves = model._fields["move_ids"]
            model.flush_model(["move_ids", date_field])
            parts.append(
                SQL(
                    "SELECT rel.%s AS move_id, rec.%s AS date, %s AS kind FROM %s rec JOIN %s rel ON rel.%s = rec.id "
                    "WHERE rec.%s IS NOT NULL",
                    SQL.identifier(moves.column2),
                    SQL.identifier(date_field),
                    kind,
                    SQL.identifier(model._table),
                    SQL.identifier(moves.relation),
                    SQL.identifier(moves.column1),
                    SQL.identifier(date_field),
                )
            )
        return SQL(" UNION ALL ").join(parts)

    # ------------------------------------------------------------------
    # Aggregates the pivot cannot express as SUM/AVG of a column
    # ------------------------------------------------------------------
    _relance_ratio_aggregates = MappingProxyType({})  # "field:avg" -> (numerator field, denominator field)
    _relance_median_aggregates = ()  # "field:avg" computed as the median of the field
    _relance_distinct_aggregates = MappingProxyType({})  # "field:sum" -> column counted distinctly
    _relance_weighted_aggregates = MappingProxyType({})  # "field:avg" -> (field, weight): weighted average

    def _read_group_select(self, aggregate_spec, query):
        """Shares are ratios of sums (weighted by the amounts), medians are medians, counts of
        reminders count each reminder once: right at every level of a pivot or a grouped list."""
        if aggregate_spec in self._relance_ratio_aggregates:
            numerator, denominator = self._relance_ratio_aggregates[aggregate_spec]
            return SQL(
                "COALESCE(100.0 * SUM(%s) / NULLIF(SUM(%s), 0), 0)",
                self._field_to_sql(self._table, numerator, query),
                self._field_to_sql(self._table, denominator, query),
            )
        if aggregate_spec in self._relance_median_aggregates:
            fname = aggregate_spec.split(":")[0]
            return SQL("PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s)", self._field_to_sql(self._table, fname, query))
        if aggregate_spec in self._relance_weighted_aggregates:
            fname, weight = self._relance_weighted_aggregates[aggregate_spec]
            weight_sql = self._field_to_sql(self._table, weight, query)
            return SQL(
                "COALESCE(SUM(%s * %s) / NULLIF(SUM(%s), 0), 0)",
                self._field_to_sql(self._table, fname, query),
                weight_sql,
                weight_sql,
            )
        if aggregate_spec in self._relance_distinct_aggregates:
            return SQL(
                "COUNT(DISTINCT %s)",
                self._field_to_sql(self._table, self._relance_distinct_aggregates[aggregate_spec], query),
            )
        return super()._read_group_select(aggregate_spec, query)

    def action_open_move(self):
        """Drill down from a report line to its invoice (lines that carry a ``move_id``)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
