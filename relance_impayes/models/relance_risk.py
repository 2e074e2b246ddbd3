"""Payment-behaviour risk: metrics per customer in a few set-based queries, then a score.

The metrics are read for every customer of a company at once (:meth:`RelanceRisk._metrics`);
the score is plain arithmetic on them (``tools/risk_score.py``) under the factor table of
:meth:`RelanceRisk._risk_factors`, which other modules override; tests and the benchmark can check
each step, and the accountant reads on the customer the reasons that make the score.
"""

import logging

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.misc import formatLang, get_lang

from ..tools import dso, risk_score

_logger = logging.getLogger(__name__)

WINDOW_MONTHS = dso.WINDOW_MONTHS
DSO_FREE_DAYS = 30  # a DSO up to a month is no sign of risk


class RelanceRisk(models.AbstractModel):
    """The daily risk run: metrics of all customers of a company, scores, stored on the customers."""

    _name = "relance.risk"
    _description = "Payment risk scoring"

    @api.model
    def _daily_credit(self, company, date=None):
        """Credit step of the daily run, before the reminders: score the customers, assign their
        segment (the policy today's decision follows), hold and release. A failure here is logged
        and does not stop the reminders."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        # reasons and hold notes are stored text: in the language of the run, else the company's
        risk = self.sudo().with_context(lang=self.env.lang or company.partner_id.lang)
        try:
            with self.env.cr.savepoint():
                risk._compute_company(company, date)
                risk.env["relance.segment.rule"]._relance_assign(company, date)
                risk.env["relance.credit"]._update_holds(company)
                self.env.flush_all()
        except Exception:  # noqa: BLE001 - the reminders must go even if scoring fails
            _logger.exception("Credit step of the daily run failed for company %s", company.id)

    @api.model
    def _compute_company(self, company, date=None, partners=None):
        """Score the customers of ``company`` on ``date`` and store score, class and reasons on them
        (company-dependent fields). A fixed number of queries whatever the number of customers.

        :return: ``{partner id: (score, class)}``
        """
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        metrics = self._metrics(company, date, partners)
        watch, risky = company.relance_risk_watch_score, company.relance_risk_risky_score
        factors = self._risk_factors()
        decimal_point = get_lang(self.env).decimal_point
        currency = company.currency_id

        def num(value, digits=1):
            # days and ratios: the language's decimal point is enough (formatLang costs ~0.1 ms a call)
            return f"{value:.{digits}f}".replace(".", decimal_point)

        def money(value):
            return formatLang(self.env, value, currency_obj=currency)

        rows = []
        result = {}
        for m in metrics.values():
            score, parts = self._score(m, factors)
            klass = risk_score.risk_class(score, watch, risky)
            reasons = "\n".join(
                f"+{num(points)}  {factors[name]['reason'](m, num, money)}"
                for name, points in sorted(parts, key=lambda part: -part[1])
            ) or self.env._("No late payment in the last 12 months.")
            rows.append(
                (
                    m.partner_id,
                    score,
                    klass,
                    reasons,
                    round(m.dso, 1),
                    round(m.days_late, 1),
                    round(m.late_share * 100, 1),
                )
            )
            result[m.partner_id] = (score, klass)
        self._store(company, date, rows, partners)
        return result

    # ------------------------------------------------------------------
    # Metrics
    # ------------------------------------------------------------------
    @api.model
    def _metrics(self, company, date, partners=None):
        """``{partner id: RiskMetrics}`` of the customers with an invoice due in the last 12 months
        or still open, in ``company`` on ``date``."""
        self.env.flush_all()
        date_from = date - relativedelta(months=WINDOW_MONTHS)
        metrics = {}
        for row in self.env.execute_query(self._invoice_metrics_query(company, date, date_from, partners)):
            (partner_id, count, amount, amount_days, late_count, reminders, overdue, overdue_days) = row
            metrics[partner_id] = risk_score.RiskMetrics(
                partner_id=partner_id,
                invoice_count=count,
                amount=amount or 0.0,
                days_late=(amount_days or 0.0) / amount if amount else 0.0,
                late_count=late_count,
                reminders=reminders or 0,
                overdue=overdue or 0.0,
                overdue_age=(overdue_days or 0.0) / overdue if overdue else 0.0,
            )
        if not metrics:
            return metrics
        tolerance = company.relance_tolerance
        for m in metrics.values():
            if m.overdue <= tolerance:
                m.overdue, m.overdue_age = 0.0, 0.0
        for partner_id, counts in self._event_counts(company, date_from, date, list(metrics)).items():
            metrics[partner_id].disputes = counts.get("disputes", 0)
            metrics[partner_id].broken_promises = counts.get("broken_promises", 0)
        periods = dso.month_periods(date, WINDOW_MONTHS)
        sales = self._monthly_sales(company, periods, list(metrics))
        balances = self.env["account.move"].sudo()._relance_net_balances(company, list(metrics))
        for partner_id, m in metrics.items():
            m.balance = balances.get(partner_id, 0.0)
            m.monthly_sales = sales.get(partner_id, [0.0] * len(periods))
            m.dso = dso.dso_countback(m.balance, m.monthly_sales, periods)
        return metrics

    @api.model
    def _invoice_domain(self, company, date, date_from):
        """Posted customer invoices (penalty invoices apart) with an instalment due in the window, or
        still open."""
        return (
            Domain("company_id", "=", company.id)
            & Domain("move_type", "=", "out_invoice")
            & Domain("state", "=", "posted")
            & Domain("payment_state", "!=", "reversed")
            & Domain("relance_is_penalty_invoice", "=", False)
            & (
                # an instalment (receivable line) due in the window
                Domain(
                    "line_ids",
                    "any",
                    Domain("display_type", "=", "payment_term")
                    & Domain("date_maturity", ">", date_from)
                    & Domain("date_maturity", "<=", date),
                )
                | Domain("payment_state", "in", ("not_paid", "partial", "in_payment"))
            )
        )

    @api.model
    def _invoice_metrics_query(self, company, date, date_from, partners=None):
        """One query: per customer, the invoices due in the window, what was paid when, what is
        still open, and the reminders they needed.

        A payment counts at the date of its reconciliation (``max_date`` of the partial, credit
        notes alike); a payment registered without journal entry (Odoo's "in payment") at its date.
        """
        moves = self.env["account.move"].sudo().with_company(company)
        domain = self._invoice_domain(company, date, date_from)
        if partners is not None:
            domain &= Domain("commercial_partner_id", "in", partners.commercial_partner_id.ids)
        query = moves._search(domain)
        table = moves._table
        invoices = query.select(
            SQL("%s AS id", moves._field_to_sql(table, "id", query)),
            SQL("%s AS partner_id", moves._field_to_sql(table, "commercial_partner_id", query)),
            SQL("%s AS payment_state", moves._field_to_sql(table, "payment_state", query)),
        )
        precision = company.currency_id.rounding / 2
        # each instalment (receivable line) is late from its own due date (LEGAL_FR §2); an invoice
        # with one due date has one instalment: its total at its due date
        return SQL(
            """
            WITH inv AS (
                SELECT i.id, i.partner_id, i.payment_state, line.id AS line_id, line.date_maturity AS due,
                       line.balance AS total,
                       line.date_maturity > %(date_from)s AND line.date_maturity <= %(date)s AS in_window
                  FROM (%(invoices)s) i
                  JOIN account_move_line line ON line.move_id = i.id AND line.display_type = 'payment_term'
            ),
            settled AS (
                SELECT partial.debit_move_id AS line_id, partial.max_date AS pay_date, SUM(partial.amount) AS amount
                  FROM inv
                  JOIN account_partial_reconcile partial ON partial.debit_move_id = inv.line_id
                 WHERE partial.max_date <= %(date)s
                 GROUP BY partial.debit_move_id, partial.max_date
            ),
            pending AS (
                SELECT rel.invoice_id AS move_id, MAX(payment.date) AS pay_date
                  FROM (SELECT DISTINCT id, payment_state FROM inv) inv
                  JOIN account_move__account_payment rel ON rel.invoice_id = inv.id
                  JOIN account_payment payment ON payment.id = rel.payment_id
                 WHERE inv.payment_state = 'in_payment' AND payment.move_id IS NULL
                   AND payment.state IN ('in_process', 'paid') AND payment.date <= %(date)s
                 GROUP BY rel.invoice_id
            ),
            per_inv AS (
                SELECT inv.id, inv.line_id, inv.partner_id, inv.due, inv.total, inv.in_window,
                       pending.pay_date AS pending_date,
                       COALESCE(SUM(settled.amount), 0) AS settled,
                       COALESCE(SUM(settled.amount * GREATEST(settled.pay_date - inv.due, 0)), 0) AS settled_days,
                       COALESCE(BOOL_OR(settled.pay_date > inv.due), FALSE) AS settled_late
                  FROM inv
                  LEFT JOIN settled ON settled.line_id = inv.line_id
                  LEFT JOIN pending ON pending.move_id = inv.id
                 GROUP BY inv.id, inv.line_id, inv.partner_id, inv.due, inv.total, inv.in_window, pending.pay_date
            ),
            per_inv2 AS (
                SELECT per_inv.*,
                       -- what is left open on the date, at its age; or settled by a pending payment
                       GREATEST(total - settled, 0) AS rest,
                       CASE WHEN pending_date IS NULL THEN GREATEST(%(date)s - due, 0)
                            ELSE GREATEST(pending_date - due, 0) END AS rest_days
                  FROM per_inv
            ),
            reminders AS (
                SELECT inv.partner_id, COUNT(*) AS n
                  FROM relance_communication_line line
                  JOIN relance_communication comm ON comm.id = line.communication_id
                  JOIN (SELECT id, partner_id FROM inv GROUP BY id, partner_id HAVING BOOL_OR(in_window)) inv
                    ON inv.id = line.move_id
                 WHERE comm.state = 'sent' AND comm.date <= %(date)s
                 GROUP BY inv.partner_id
            )
            SELECT p.partner_id,
                   COUNT(DISTINCT p.id) FILTER (WHERE p.in_window),
                   SUM(p.total) FILTER (WHERE p.in_window),
                   SUM(p.settled_days + p.rest * p.rest_days) FILTER (WHERE p.in_window),
                   COUNT(DISTINCT p.id) FILTER (WHERE p.in_window
                                      AND (p.settled_late OR (p.rest > %(precision)s AND p.rest_days > 0))),
                   MAX(r.n),
                   SUM(p.rest) FILTER (WHERE p.due < %(date)s AND p.pending_date IS NULL),
                   SUM(p.rest * (%(date)s - p.due)) FILTER (WHERE p.due < %(date)s AND p.pending_date IS NULL)
              FROM per_inv2 p
              LEFT JOIN reminders r ON r.partner_id = p.partner_id
             GROUP BY p.partner_id
            """,
            invoices=invoices,
            date=date,
            date_from=date_from,
            precision=precision,
        )

    @api.model
    def _event_counts(self, company, date_from, date, partner_ids):
        """``{partner id: {'disputes': n, 'broken_promises': n}}`` over the window."""
        events = {
            "disputes": ("relance.dispute", "date_open", []),
            "broken_promises": ("relance.promise", "date_closed", [("state", "=", "broken")]),
        }
        counts = {}
        for key, (model, date_field, domain) in events.items():
            for partner, count in (
                self.env[model]
                .sudo()
                ._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("partner_id", "in", partner_ids),
                        *domain,
                        (date_field, ">", date_from),
                        (date_field, "<=", date),
                    ],
                    ["partner_id"],
                    ["__count"],
                )
            ):
                counts.setdefault(partner.id, {})[key] = count
        return counts

    @api.model
    def _monthly_sales(self, company, periods, partner_ids):
        """``{partner id: [sales of each period]}``: invoices less credit notes, tax included,
        company currency, by accounting date."""
        moves = self.env["account.move"].sudo().with_company(company)
        query = moves._search(
            Domain("company_id", "=", company.id)
            & Domain("move_type", "in", ("out_invoice", "out_refund"))
            & Domain("state", "=", "posted")
            & Domain("commercial_partner_id", "in", partner_ids)
            & Domain("date", ">", periods[-1][0])
            & Domain("date", "<=", periods[0][1])
        )
        table = moves._table
        bounds = SQL(", ").join(
            SQL("(%s, %s::date, %s::date)", k, start, end) for k, (start, end) in enumerate(periods)
        )
        rows = self.env.execute_query(
            SQL(
                """
            SELECT m.partner_id, b.k, SUM(m.total)
              FROM (%(moves)s) m
              JOIN (VALUES %(bounds)s) AS b(k, d_from, d_to) ON m.invoice_date > b.d_from AND m.invoice_date <= b.d_to
             GROUP BY m.partner_id, b.k
            """,
                moves=query.select(
                    SQL("%s AS partner_id", moves._field_to_sql(table, "commercial_partner_id", query)),
                    SQL("%s AS invoice_date", moves._field_to_sql(table, "date", query)),
                    SQL("%s AS total", moves._field_to_sql(table, "amount_total_signed", query)),
                ),
                bounds=bounds,
            )
        )
        sales = {}
        for partner_id, k, amount in rows:
            sales.setdefault(partner_id, [0.0] * len(periods))[k] = amount or 0.0
        return sales

    # ------------------------------------------------------------------
    # Factors, score and storage
    # ------------------------------------------------------------------
    @api.model
    def _risk_factors(self):
        """The factors of the score, as OCA account_financial_risk's ``_risk_account_groups``:
        ``{name: {'factor': Factor(points, saturation), 'value': metrics -> float,
        'reason': (metrics, num, money) -> str}}``. A factor gives points in proportion to its
        value up to its saturation; the default maxima add up to 100.

        Override to reweight a factor (replace its ``factor``), drop one (``pop``) or add one (the
        three keys; ``value`` reads ``tools.risk_score.RiskMetrics``, ``reason`` says it to the accountant with
        ``num(value, digits=1)`` and ``money(amount)``).
        """
        _ = self.env._
        return {
            "days_late": {  # average days late weighted by amount, invoices due in the last 12 months
                "factor": risk_score.Factor(25, 60.0),
                "value": lambda m: m.days_late,
                "reason": lambda m, num, money: _(
                    "Paid %(days)s days late on average (weighted by amount, last 12 months)", days=num(m.days_late)
                ),
            },
            "late_share": {  # share of those invoices paid late (or still unpaid after their due date)
                "factor": risk_score.Factor(20, 1.0),
                "value": lambda m: m.late_share,
                "reason": lambda m, num, money: _(
                    "%(late)s of %(count)s invoices paid late", late=m.late_count, count=m.invoice_count
                ),
            },
            "reminders": {  # reminders sent per invoice
                "factor": risk_score.Factor(10, 2.0),
                "value": lambda m: m.reminders_per_invoice,
                "reason": lambda m, num, money: _(
                    "%(count)s reminders per invoice", count=num(m.reminders_per_invoice, 2)
                ),
            },
            "disputes": {  # disputes opened in the last 12 months
                "factor": risk_score.Factor(10, 2.0),
                "value": lambda m: m.disputes,
                "reason": lambda m, num, money: _("%(count)s dispute(s) in the last 12 months", count=m.disputes),
            },
            "broken_promises": {  # promises to pay broken in the last 12 months
                "factor": risk_score.Factor(10, 2.0),
                "value": lambda m: m.broken_promises,
                "reason": lambda m, num, money: _(
                    "%(count)s broken promise(s) to pay in the last 12 months", count=m.broken_promises
                ),
            },
            "overdue": {  # average age in days of the amount overdue today
                "factor": risk_score.Factor(15, 90.0),
                "value": lambda m: m.overdue_age if m.overdue > 0 else 0.0,
                "reason": lambda m, num, money: _(
                    "%(amount)s overdue, %(days)s days on average", amount=money(m.overdue), days=round(m.overdue_age)
                ),
            },
            "dso": {  # DSO (countback) beyond DSO_FREE_DAYS
                "factor": risk_score.Factor(10, 60.0),
                "value": lambda m: m.dso - DSO_FREE_DAYS,
                "reason": lambda m, num, money: _("DSO %(days)s days (countback)", days=num(m.dso)),
            },
        }

    @api.model
    def _score(self, metrics, factors=None):
        """``(score, [(factor, points)])`` of one customer's ``RiskMetrics``."""
        factors = factors if factors is not None else self._risk_factors()
        return risk_score.score(
            {name: spec["value"](metrics) for name, spec in factors.items()},
            {name: spec["factor"] for name, spec in factors.items()},
        )

    @api.model
    def _store(self, company, date, rows, partners=None):
        """Write the results on the customers in bulk (company-dependent values of ``company``);
        customers no longer in the computation lose their values (not rated)."""
        key = str(company.id)
        # stored column <- column of the VALUES rows below
        sources = {
            "relance_risk_score": "score",
            "relance_risk_class": "klass",
            "relance_risk_reasons": "reasons",
            "relance_dso": "dso",
            "relance_avg_days_late": "late",
            "relance_late_share": "share",
        }
        columns = tuple(sources)
        assignments = SQL(", ").join(
            SQL(
                "%s = COALESCE(p.%s, '{}') || jsonb_build_object(%s, v.%s)",
                SQL.identifier(col),
                SQL.identifier(col),
                key,
                SQL.identifier(src),
            )
            for col, src in sources.items()
        )
        partner_model = self.env["res.partner"]
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            values = SQL(", ").join(SQL("(%s, %s, %s, %s, %s::float, %s::float, %s::float)", *row) for row in chunk)
            self.env.execute_query(
                SQL(
                    """
                UPDATE res_partner p
                   SET %(assignments)s,
                       relance_risk_date = COALESCE(p.relance_risk_date, '{}') || jsonb_build_object(%(key)s, %(date)s)
                  FROM (VALUES %(values)s) AS v(id, score, klass, reasons, dso, late, share)
                 WHERE p.id = v.id
                """,
                    assignments=assignments,
                    key=key,
                    values=values,
                    date=fields.Date.to_string(date),
                )
            )
        # customers rated before, and no longer concerned: not rated any more
        stale = SQL("p.relance_risk_date ? %s", key)
        if partners is not None:
            stale = SQL("%s AND p.id IN %s", stale, tuple(partners.commercial_partner_id.ids) or (0,))
        done = [row[0] for row in rows]
        if done:
            stale = SQL("%s AND p.id NOT IN %s", stale, tuple(done))
        self.env.execute_query(
            SQL(
                "UPDATE res_partner p SET %s WHERE %s",
                SQL(", ").join(
                    SQL("%s = %s - %s", SQL.identifier(col), SQL.identifier(col), key)
                    for col in (*columns, "relance_risk_date")
                ),
                stale,
            )
        )
        partner_model.invalidate_model([*columns, "relance_risk_date"])
