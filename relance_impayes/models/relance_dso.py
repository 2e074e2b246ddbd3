from odoo import api, fields, models
from odoo.tools import SQL

from .relance_analytics import ANALYTICS_DEPENDS

SCOPES = [("company", "Company"), ("collector", "Collector"), ("customer", "Customer")]
MONTHS = 12  # months shown, and months of sales a countback may go through


class RelanceDso(models.Model):
    """Days sales outstanding by the countback method, at the end of each of the last 12 months
    (the current month ends at the report date), for the company, each collector and each
    customer; with the receivable balance, the overdue part and the month's sales.

    Countback: the receivable balance at the end of the month is "counted back" against the
    invoicing of that month, then of the month before, and so on. Each month whose invoicing is
    entirely absorbed counts all its days; the month where the balance runs out counts the
    share of its days that the remainder represents. Example: 10,000 owed at 31 March, 6,000
    invoiced in March (31 days) and 8,000 in February (28 days): 31 + 4,000 / 8,000 × 28 = 45
    days. Invoices and credit notes are the sales (tax included, as the receivable); the count
    goes back 12 months at most.
    """

    _name = "relance.dso"
    _inherit = "relance.analytics.mixin"
    _description = "Days sales outstanding"
    _auto = False
    _order = "date desc, scope, id"
    _depends = ANALYTICS_DEPENDS
    _relance_weighted_aggregates = {"dso:avg": ("dso", "receivable")}

    scope = fields.Selection(SCOPES, readonly=True)
    date = fields.Date("Month end", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    collector_id = fields.Many2one("res.users", "Collector", readonly=True)
    receivable = fields.Monetary("Receivable", readonly=True, help="Receivable balance at the month end.")
    overdue = fields.Monetary("Overdue", readonly=True,
                              help="Part of the invoices still unpaid at the month end that was past due.")
    sales = fields.Monetary("Invoiced", readonly=True, help="Invoices less credit notes of the month, tax included.")
    dso = fields.Float("DSO (days)", readonly=True, digits=(16, 1), aggregator="avg",
                       help="Days sales outstanding by the countback method. Several rows together: average "
                       "weighted by the receivable.")

    @api.model
    def _relance_dso_scopes(self):
        """Scopes computed: all, or those of the ``relance_dso_scopes`` context key (the
        dashboards only need the company's)."""
        wanted = self.env.context.get("relance_dso_scopes")
        if isinstance(wanted, str):
            wanted = [wanted]
        return [scope for scope, _label in SCOPES if not wanted or scope in wanted]

    @property
    def _table_query(self):
        date = self._relance_as_of()
        scopes = self._relance_dso_scopes()
        entity_parts = []
        if "customer" in scopes:
            entity_parts.append(SQL(
                "SELECT 'customer' AS scope, company_id, partner_id AS key_id, partner_id, collector_id, m, "
                "receivable, overdue, sales FROM monthly"))
        if "collector" in scopes:
            entity_parts.append(SQL(
                "SELECT 'collector' AS scope, company_id, COALESCE(collector_id, 0) AS key_id, NULL::int AS partner_id, "
                "collector_id, m, SUM(receivable) AS receivable, SUM(overdue) AS overdue, SUM(sales) AS sales "
                "FROM monthly GROUP BY company_id, collector_id, m"))
        if "company" in scopes:
            entity_parts.append(SQL(
                "SELECT 'company' AS scope, company_id, 0 AS key_id, NULL::int AS partner_id, NULL::int AS collector_id, "
                "m, SUM(receivable) AS receivable, SUM(overdue) AS overdue, SUM(sales) AS sales "
                "FROM monthly GROUP BY company_id, m"))
        return SQL(
            """
            WITH months AS (
                SELECT m, start,
                       CASE WHEN m = 0 THEN %(date)s ELSE (start + INTERVAL '1 month' - INTERVAL '1 day')::date END
                           AS stop,
                       CASE WHEN m = 0 THEN %(date)s - start + 1 ELSE (start + INTERVAL '1 month')::date - start END
                           AS days
                  FROM (SELECT m, (date_trunc('month', %(date)s::date) - m * INTERVAL '1 month')::date AS start
                          FROM generate_series(0, %(horizon)s) m) s
            ), lines AS (
                SELECT aml.id, aml.company_id, cp.id AS partner_id, %(collector)s AS collector_id, aml.date,
                       COALESCE(aml.date_maturity, aml.date) AS date_due, aml.balance, move.move_type
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_company co ON co.id = aml.company_id
                  JOIN res_partner partner ON partner.id = aml.partner_id
                  JOIN res_partner cp ON cp.id = partner.commercial_partner_id
                 WHERE acc.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
                   AND aml.date <= %(date)s
            ), events AS (
                -- the receivable moves on the date of each entry; invoices and credit notes are the sales
                SELECT company_id, partner_id, collector_id, date AS day, balance AS receivable, 0 AS overdue,
                       CASE WHEN move_type IN ('out_invoice', 'out_refund') THEN balance ELSE 0 END AS sales
                  FROM lines
                UNION ALL
                -- what is owed becomes overdue the day after its due date...
                SELECT company_id, partner_id, collector_id, GREATEST(date, date_due + 1), 0, balance, 0
                  FROM lines WHERE balance > 0
                UNION ALL
                -- ...until it is settled
                SELECT l.company_id, l.partner_id, l.collector_id, GREATEST(pr.max_date, l.date_due + 1), 0,
                       -pr.amount, 0
                  FROM account_partial_reconcile pr JOIN lines l ON l.id = pr.debit_move_id
                 WHERE l.balance > 0
            ), monthly AS (
                SELECT company_id, partner_id, collector_id, CASE WHEN m > %(horizon)s THEN 99 ELSE m END AS m,
                       SUM(receivable) AS receivable, SUM(overdue) AS overdue, SUM(sales) AS sales
                  FROM (SELECT events.*,
                               ((EXTRACT(YEAR FROM %(date)s::date) - EXTRACT(YEAR FROM day)) * 12
                                + EXTRACT(MONTH FROM %(date)s::date) - EXTRACT(MONTH FROM day))::int AS m
                          FROM events WHERE day <= %(date)s) dated
                 GROUP BY 1, 2, 3, 4
            ), entities AS (
                %(entities)s
            ), balances AS (
                SELECT e.scope, e.company_id, e.key_id, e.partner_id, e.collector_id, p.i,
                       COALESCE(SUM(e.receivable) FILTER (WHERE e.m >= p.i), 0) AS receivable,
                       COALESCE(SUM(e.overdue) FILTER (WHERE e.m >= p.i), 0) AS overdue,
                       COALESCE(SUM(e.sales) FILTER (WHERE e.m = p.i), 0) AS sales
                  FROM entities e CROSS JOIN generate_series(0, %(last_period)s) p(i)
                 GROUP BY 1, 2, 3, 4, 5, 6
            ), windows AS (
                SELECT b.scope, b.company_id, b.key_id, b.i, b.receivable, mo.days,
                       GREATEST(COALESCE(e.sales, 0), 0) AS sales,
                       SUM(GREATEST(COALESCE(e.sales, 0), 0)) OVER (
                           PARTITION BY b.scope, b.company_id, b.key_id, b.i ORDER BY w.j) AS cumulated
                  FROM balances b
                 CROSS JOIN generate_series(0, %(last_period)s) w(j)
                  JOIN months mo ON mo.m = b.i + w.j
                  LEFT JOIN entities e ON e.scope = b.scope AND e.company_id = b.company_id AND e.key_id = b.key_id
                                      AND e.m = b.i + w.j
                 WHERE b.receivable > 0
            ), countback AS (
                SELECT scope, company_id, key_id, i,
                       SUM(days * CASE WHEN receivable <= cumulated - sales THEN 0
                                       WHEN sales = 0 THEN 1
                                       ELSE LEAST((receivable - (cumulated - sales)) / sales, 1) END) AS dso
                  FROM windows
                 GROUP BY 1, 2, 3, 4
            )
            SELECT ((b.key_id::bigint * 1000 + b.company_id) * 3
                    + CASE b.scope WHEN 'company' THEN 0 WHEN 'collector' THEN 1 ELSE 2 END) * %(periods)s + b.i AS id,
                   b.scope, mo.stop AS date, b.company_id, b.partner_id, b.collector_id,
                   b.receivable, b.overdue, b.sales, ROUND(COALESCE(cb.dso, 0)::numeric, 1) AS dso
              FROM balances b
              JOIN months mo ON mo.m = b.i
              LEFT JOIN countback cb ON cb.scope = b.scope AND cb.company_id = b.company_id AND cb.key_id = b.key_id
                                    AND cb.i = b.i
             WHERE b.receivable != 0 OR b.sales != 0 OR b.overdue != 0
            """,
            date=date,
            horizon=2 * MONTHS - 1,
            periods=MONTHS,
            last_period=MONTHS - 1,
            collector=self._relance_sql_collector("cp", "co"),
            entities=SQL(" UNION ALL ").join(entity_parts),
        )
