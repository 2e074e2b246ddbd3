from types import MappingProxyType

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
    _relance_weighted_aggregates = MappingProxyType({"dso:avg": ("dso", "receivable")})

    scope = fields.Selection(SCOPES, readonly=True)
    date = fields.Date("Month end", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    collector_id = fields.Many2one("res.users", "Collector", readonly=True)
    receivable = fields.Monetary("Receivable", readonly=True, help="Receivable balance at the month end.")
    overdue = fields.Monetary(
        "Overdue", readonly=True, help="Part of the invoices still unpaid at the month end that was past due."
    )
    sales = fields.Monetary("Invoiced", readonly=True, help="Invoices less credit notes of the month, tax included.")
    dso = fields.Float(
        "DSO (days)",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Days sales outstanding by the countback method. Several rows together: average "
        "weighted by the receivable.",
    )

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
        self._relance_sql_session()
        date = self._relance_as_of()
        scopes = self._relance_dso_scopes()
        per_partner = scopes != ["company"]
        entity_parts = []
        if "customer" in scopes:
            entity_parts.append(
                SQL(
                    "SELECT 'customer' AS scope, company_id, partner_id AS key_id, partner_id, collector_id, m, "
                    "receivable, overdue, sales FROM monthly"
                )
            )
        if "collector" in scopes:
            entity_parts.append(
                SQL(
                    "SELECT 'collector' AS scope, company_id, COALESCE(collector_id, 0) AS key_id, NULL::int AS partner_id, "
                    "collector_id, m, SUM(receivable) AS receivable, SUM(overdue) AS overdue, SUM(sales) AS sales "
                    "FROM monthly GROUP BY company_id, collector_id, m"
                )
            )
        if "company" in scopes:
            entity_parts.append(
                SQL(
                    "SELECT 'company' AS scope, company_id, 0 AS key_id, NULL::int AS partner_id, NULL::int AS collector_id, "
                    "m, SUM(receivable) AS receivable, SUM(overdue) AS overdue, SUM(sales) AS sales "
                    "FROM monthly GROUP BY company_id, m"
                )
            )
        # Month m counts back from the current one (0), which ends at the date. The monthly figures
        # of each entity are kept in JSON maps {m: amount}: periods and countback windows read them
        # by key, with no join between intermediate results (whose row estimates are far off).
        return SQL(
            """
            WITH lines AS (
                SELECT aml.id, aml.company_id, %(partner)s AS partner_id, %(collector)s AS collector_id, aml.date,
                       COALESCE(aml.date_maturity, aml.date) AS date_due, aml.balance, move.move_type
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  %(partner_joins)s
                 WHERE acc.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
                   AND aml.date <= %(date)s AND aml.partner_id IS NOT NULL
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
                               %(month_index)s - (date_part('year', day) * 12 + date_part('month', day))::int AS m
                          FROM events WHERE day <= %(date)s) dated
                 GROUP BY 1, 2, 3, 4
            ), entities AS (
                %(entities)s
            ), maps AS (
                SELECT scope, company_id, key_id, MAX(partner_id) AS partner_id, MAX(collector_id) AS collector_id,
                       jsonb_object_agg(m::text, receivable) AS receivable, jsonb_object_agg(m::text, overdue) AS overdue,
                       jsonb_object_agg(m::text, sales) AS sales
                  FROM entities
                 GROUP BY scope, company_id, key_id
            ), balances AS (
                SELECT mp.scope, mp.company_id, mp.key_id, mp.partner_id, mp.collector_id, mp.sales AS sales_map, p.i,
                       (SELECT COALESCE(SUM(v::numeric), 0) FROM jsonb_each_text(mp.receivable) e(k, v)
                         WHERE k::int >= p.i) AS receivable,
                       (SELECT COALESCE(SUM(v::numeric), 0) FROM jsonb_each_text(mp.overdue) e(k, v)
                         WHERE k::int >= p.i) AS overdue,
                       COALESCE((mp.sales ->> p.i::text)::numeric, 0) AS sales
                  FROM maps mp CROSS JOIN generate_series(0, %(last_period)s) p(i)
            )
            SELECT ((b.key_id::bigint * 1000 + b.company_id) * 3
                    + CASE b.scope WHEN 'company' THEN 0 WHEN 'collector' THEN 1 ELSE 2 END) * %(periods)s + b.i AS id,
                   b.scope,
                   CASE WHEN b.i = 0 THEN %(date)s::date
                        ELSE (date_trunc('month', %(date)s::date) - (b.i - 1) * INTERVAL '1 month')::date - 1 END AS date,
                   b.company_id, b.partner_id, b.collector_id, b.receivable, b.overdue, b.sales,
                   CASE WHEN b.receivable <= 0 THEN 0 ELSE ROUND((
                       -- countback: each month's days count for the share of its sales the balance absorbs
                       SELECT SUM(w.days * CASE WHEN b.receivable <= w.cumulated - w.sales THEN 0
                                                WHEN w.sales = 0 THEN 1
                                                ELSE LEAST((b.receivable - (w.cumulated - w.sales)) / w.sales, 1) END)
                         FROM (SELECT ws.days, ws.sales, SUM(ws.sales) OVER (ORDER BY ws.m) AS cumulated
                                 FROM (SELECT b.i + j AS m,
                                              GREATEST(COALESCE((b.sales_map ->> (b.i + j)::text)::numeric, 0), 0) AS sales,
                                              CASE WHEN b.i + j = 0
                                                   THEN %(date)s::date - date_trunc('month', %(date)s::date)::date + 1
                                                   ELSE (date_trunc('month', %(date)s::date)
                                                         - (b.i + j - 1) * INTERVAL '1 month')::date
                                                        - (date_trunc('month', %(date)s::date)
                                                           - (b.i + j) * INTERVAL '1 month')::date END AS days
                                         FROM generate_series(0, %(last_period)s) j) ws) w
                   )::numeric, 1) END AS dso
              FROM balances b
             WHERE b.receivable != 0 OR b.sales != 0 OR b.overdue != 0
            """,
            date=date,
            month_index=date.year * 12 + date.month,
            horizon=2 * MONTHS - 1,
            periods=MONTHS,
            last_period=MONTHS - 1,
            # the company's DSO needs neither the customer nor its collector of each entry
            partner=SQL("cp.id") if per_partner else SQL("NULL::int"),
            collector=self._relance_sql_collector("cp", "co") if per_partner else SQL("NULL::int"),
            partner_joins=SQL(
                "JOIN res_company co ON co.id = aml.company_id "
                "JOIN res_partner partner ON partner.id = aml.partner_id "
                "JOIN res_partner cp ON cp.id = partner.commercial_partner_id"
            )
            if per_partner
            else SQL(""),
            entities=SQL(" UNION ALL ").join(entity_parts),
        )
