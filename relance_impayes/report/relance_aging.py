from odoo import api, fields, models
from odoo.tools import SQL

from .relance_analytics import ANALYTICS_DEPENDS
from .relance_report import report_formatters

BUCKETS = ["bucket_0", "bucket_1", "bucket_2", "bucket_3", "bucket_4"]  # bucket_0: not due yet
BUCKET_FIELDS = {
    "bucket_0": "amount_not_due",
    "bucket_1": "amount_bucket_1",
    "bucket_2": "amount_bucket_2",
    "bucket_3": "amount_bucket_3",
    "bucket_4": "amount_bucket_4",
}


class RelanceAgingMixin(models.AbstractModel):
    """Aged balance at a date (``relance_date`` in the context, else today).

    Every open receivable item (invoices, credit notes, payments not yet matched) counts for
    what was still open at that date — its residual today plus what was reconciled with it
    afterwards — in the bucket of its days late. The limits of the buckets are the company's
    (Settings: 30, 60 and 90 days by default) and name the columns.
    """

    _name = "relance.aging.mixin"
    _inherit = "relance.analytics.mixin"
    _description = "Aged balance"
    _depends = ANALYTICS_DEPENDS

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    collector_id = fields.Many2one("res.users", "Collector", readonly=True)
    policy_id = fields.Many2one("relance.policy", "Dunning policy", readonly=True)
    level_id = fields.Many2one("relance.level", "Reminder level", readonly=True)
    risk_class = fields.Selection(selection="_selection_risk_class", string="Risk class", readonly=True)
    amount_not_due = fields.Monetary("Not due", readonly=True)
    amount_bucket_1 = fields.Monetary("1-30", readonly=True)
    amount_bucket_2 = fields.Monetary("31-60", readonly=True)
    amount_bucket_3 = fields.Monetary("61-90", readonly=True)
    amount_bucket_4 = fields.Monetary("Over 90", readonly=True)
    amount_overdue = fields.Monetary("Overdue", readonly=True)
    amount_residual = fields.Monetary("Total", readonly=True)

    @api.model
    def _relance_bucket_limits(self, company=None):
        company = company or self.env.company
        return (company.relance_aging_bucket_1, company.relance_aging_bucket_2, company.relance_aging_bucket_3)

    @api.model
    def _relance_bucket_labels(self, company=None):
        """``{bucket: label}`` from the company's limits, e.g. ``bucket_2`` → "31-60 days"."""
        first, second, third = self._relance_bucket_limits(company)
        return {
            "bucket_0": self.env._("Not due"),
            "bucket_1": self.env._("%(low)s-%(high)s days", low=1, high=first),
            "bucket_2": self.env._("%(low)s-%(high)s days", low=first + 1, high=second),
            "bucket_3": self.env._("%(low)s-%(high)s days", low=second + 1, high=third),
            "bucket_4": self.env._("Over %(days)s days", days=third),
        }

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        """Columns are named after the company's bucket limits."""
        res = super().fields_get(allfields, attributes)
        labels = self._relance_bucket_labels()
        for bucket, label in labels.items():
            description = res.get(BUCKET_FIELDS[bucket])
            if description and "string" in description:
                description["string"] = label
        return res

    @api.model
    def _relance_aging_lines_sql(self):
        """One row per open receivable item at the date, with its bucket and the customer's
        collector, policy and risk class."""
        date = self._relance_as_of()
        return SQL(
            """
            WITH later AS (
                SELECT line_id, SUM(amount) AS amount FROM (
                    SELECT debit_move_id AS line_id, amount FROM account_partial_reconcile WHERE max_date > %(date)s
                    UNION ALL
                    SELECT credit_move_id, -amount FROM account_partial_reconcile WHERE max_date > %(date)s
                ) reconciled_after GROUP BY line_id
            ), items AS (
                SELECT aml.id, aml.move_id, move.move_type, aml.company_id, cp.id AS partner_id,
                       %(collector)s AS collector_id, %(policy)s AS policy_id, %(risk)s AS risk_class,
                       CASE WHEN move.move_type = 'out_invoice' AND lvl.company_id = aml.company_id
                            THEN move.relance_level_id END AS level_id,
                       aml.date, COALESCE(aml.date_maturity, aml.date) AS date_due,
                       %(date)s - COALESCE(aml.date_maturity, aml.date) AS days_late,
                       aml.amount_residual + COALESCE(later.amount, 0) AS residual,
                       co.relance_aging_bucket_1 AS limit_1, co.relance_aging_bucket_2 AS limit_2,
                       co.relance_aging_bucket_3 AS limit_3
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_company co ON co.id = aml.company_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = partner.commercial_partner_id
                  LEFT JOIN later ON later.line_id = aml.id
                  LEFT JOIN relance_level lvl ON lvl.id = move.relance_level_id
                 WHERE acc.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
                   AND aml.date <= %(date)s AND (aml.amount_residual != 0 OR later.line_id IS NOT NULL)
            )
            SELECT items.*,
                   CASE WHEN days_late <= 0 THEN 'bucket_0'
                        WHEN days_late <= limit_1 THEN 'bucket_1'
                        WHEN days_late <= limit_2 THEN 'bucket_2'
                        WHEN days_late <= limit_3 THEN 'bucket_3'
                        ELSE 'bucket_4' END AS bucket
              FROM items
             WHERE residual != 0
            """,
            date=date,
            collector=self._relance_sql_collector("cp", "co"),
            policy=self._relance_sql_policy("cp", "co"),
            risk=self._relance_sql_risk_class("cp", "co"),
        )

    @api.model
    def _relance_bucket_columns_sql(self, residual="residual"):
        return SQL(
            """
            CASE WHEN bucket = 'bucket_0' THEN %(r)s ELSE 0 END AS amount_not_due,
            CASE WHEN bucket = 'bucket_1' THEN %(r)s ELSE 0 END AS amount_bucket_1,
            CASE WHEN bucket = 'bucket_2' THEN %(r)s ELSE 0 END AS amount_bucket_2,
            CASE WHEN bucket = 'bucket_3' THEN %(r)s ELSE 0 END AS amount_bucket_3,
            CASE WHEN bucket = 'bucket_4' THEN %(r)s ELSE 0 END AS amount_bucket_4,
            CASE WHEN bucket != 'bucket_0' THEN %(r)s ELSE 0 END AS amount_overdue,
            %(r)s AS amount_residual
            """,
            r=SQL.identifier(residual),
        )


class RelanceAgingLine(models.Model):
    """Aged balance, one row per open item: the drill-down of the customer aged balance, and
    the pivot and graph by bucket, level, collector, policy or risk class."""

    _name = "relance.aging.line"
    _inherit = "relance.aging.mixin"
    _description = "Aged balance item"
    _auto = False
    _order = "date_due, id"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", "Document", readonly=True)
    move_type = fields.Selection(
        [
            ("out_invoice", "Invoice"),
            ("out_refund", "Credit note"),
            ("entry", "Payment or entry"),
            ("out_receipt", "Receipt"),
            ("in_invoice", "Vendor bill"),
            ("in_refund", "Vendor credit note"),
            ("in_receipt", "Purchase receipt"),
        ],
        string="Type",
        readonly=True,
    )
    date = fields.Date("Date", readonly=True)
    date_due = fields.Date("Due date", readonly=True)
    days_late = fields.Integer("Days late", readonly=True, aggregator="max")
    bucket = fields.Selection(selection="_selection_bucket", string="Bucket", readonly=True)

    @api.model
    def _selection_bucket(self):
        labels = self._relance_bucket_labels()
        return [(bucket, labels[bucket]) for bucket in BUCKETS]

    @property
    def _table_query(self):
        self._relance_sql_session()
        return SQL(
            "SELECT lines.id, lines.move_id, lines.move_type, lines.company_id, lines.partner_id, "
            "lines.collector_id, lines.policy_id, lines.risk_class, lines.level_id, lines.date, lines.date_due, "
            "lines.days_late, lines.bucket, %s FROM (%s) lines",
            self._relance_bucket_columns_sql(),
            self._relance_aging_lines_sql(),
        )


class RelanceAging(models.Model):
    """Aged balance per customer (balance âgée): what each customer owes at the date, by
    bucket of days late; drill down to the items."""

    _name = "relance.aging"
    _inherit = "relance.aging.mixin"
    _description = "Aged balance per customer"
    _auto = False
    _order = "amount_overdue desc, amount_residual desc, id"
    _rec_name = "partner_id"

    date_due = fields.Date(
        "Oldest due date", readonly=True, aggregator="min", help="Due date of the oldest item still open."
    )
    days_late = fields.Integer(
        "Days late", readonly=True, aggregator="max", help="Days late of the oldest item still open."
    )
    item_count = fields.Integer("Open items", readonly=True)

    @property
    def _table_query(self):
        self._relance_sql_session()
        return SQL(
            """
            SELECT lines.partner_id::bigint * 10000 + lines.company_id AS id, lines.company_id,
                   lines.partner_id, lines.collector_id, lines.policy_id, lines.risk_class,
                   (ARRAY_AGG(lines.level_id ORDER BY lvl.delay DESC, lvl.id DESC)
                        FILTER (WHERE lines.level_id IS NOT NULL))[1] AS level_id,
                   MIN(lines.date_due) FILTER (WHERE lines.residual > 0) AS date_due,
                   MAX(lines.days_late) FILTER (WHERE lines.residual > 0) AS days_late,
                   COUNT(*) AS item_count,
                   SUM(lines.amount_not_due) AS amount_not_due, SUM(lines.amount_bucket_1) AS amount_bucket_1,
                   SUM(lines.amount_bucket_2) AS amount_bucket_2, SUM(lines.amount_bucket_3) AS amount_bucket_3,
                   SUM(lines.amount_bucket_4) AS amount_bucket_4, SUM(lines.amount_overdue) AS amount_overdue,
                   SUM(lines.amount_residual) AS amount_residual
              FROM (SELECT items.*, %s FROM (%s) items) lines
              LEFT JOIN relance_level lvl ON lvl.id = lines.level_id
             GROUP BY lines.company_id, lines.partner_id, lines.collector_id, lines.policy_id, lines.risk_class
            """,
            self._relance_bucket_columns_sql(),
            self._relance_aging_lines_sql(),
        )

    def action_open_lines(self):
        """The customer's open items at the same date."""
        action = self.env["ir.actions.act_window"]._for_xml_id("relance_impayes.relance_aging_line_action")
        action["domain"] = [("partner_id", "in", self.partner_id.ids), ("company_id", "in", self.company_id.ids)]
        action["context"] = {"relance_date": fields.Date.to_string(self._relance_as_of())}
        if len(self.partner_id) == 1:
            action["display_name"] = self.env._("Aged balance: %(customer)s", customer=self.partner_id.display_name)
        return action

    @api.model
    def _relance_report_totals(self, rows):
        """Totals of the printed aged balance."""
        names = list(BUCKET_FIELDS.values()) + ["amount_overdue", "amount_residual"]
        return {name: sum(rows.mapped(name)) for name in names}


class ReportRelanceAging(models.AbstractModel):
    """The printed aged balance, at the date of the ``date`` data key or of the context."""

    _name = "report.relance_impayes.report_relance_aging"
    _description = "Aged balance (PDF)"

    @api.model
    def _get_report_values(self, docids, data=None):
        date = fields.Date.to_date(
            (data or {}).get("date") or self.env.context.get("relance_date")
        ) or fields.Date.context_today(self)
        aging = self.env["relance.aging"].with_context(relance_date=fields.Date.to_string(date))
        docs = aging.browse(docids).exists().sorted(lambda row: (-row.amount_overdue, -row.amount_residual))
        totals = aging._relance_report_totals(docs)
        labels = aging._relance_bucket_labels(docs.company_id[:1] or self.env.company)
        shares = {
            bucket: f"{100.0 * totals[BUCKET_FIELDS[bucket]] / totals['amount_residual']:.1f} %"
            if totals["amount_residual"]
            else ""
            for bucket in labels
        }
        return {
            "doc_ids": docs.ids,
            "doc_model": "relance.aging",
            "docs": docs,
            "report_date": date,
            "labels": labels,
            "totals": totals,
            "shares": shares,
            "bucket_fields": BUCKET_FIELDS,
            # an internal document: the language of whoever prints it, text and numbers alike
            **report_formatters(self.env),
        }
