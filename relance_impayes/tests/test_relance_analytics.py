from datetime import date

from odoo import Command, fields
from odoo.tests import tagged

from ..tools.dso import dso_countback, month_periods
from .common_analytics import RelanceAnalyticsCommon, T, ago


@tagged("post_install", "-at_install")
class TestRelanceAnalytics(RelanceAnalyticsCommon):
    """Known histories at a frozen date give exact aged balances and DSO."""

    def _aging_history(self):
        inv_not_due = self._relance_invoice(self.customer, 1000, days_late=-5)
        inv_30 = self._relance_invoice(self.customer, 200, days_late=30)
        inv_45 = self._relance_invoice(self.customer, 300, days_late=45)
        inv_75 = self._relance_invoice(self.customer, 400, days_late=75)
        inv_120 = self._relance_invoice(self.customer, 500, days_late=120)
        self._pay(inv_120, 100, pay_date=ago(20))
        inv_31 = self._relance_invoice(self.customer_b, 700, days_late=31)
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer_b.id,
                "invoice_date": ago(2),
                "invoice_date_due": ago(2),
                "invoice_line_ids": [Command.create({"name": "Avoir", "quantity": 1, "price_unit": 50, "tax_ids": []})],
            }
        )
        refund.action_post()
        return inv_not_due, inv_30, inv_45, inv_75, inv_120, inv_31

    def test_aged_balance_puts_each_item_in_its_bucket(self):
        self._aging_history()
        aging = self.env["relance.aging"].with_context(relance_date="2026-03-10")
        rows = {row.partner_id: row for row in aging.search([])}
        a, b = rows[self.customer], rows[self.customer_b]
        self.assertEqual(
            (a.amount_not_due, a.amount_bucket_1, a.amount_bucket_2, a.amount_bucket_3, a.amount_bucket_4),
            (1000, 200, 300, 400, 400),
            "30 days late is still the first bucket; a partial payment counts",
        )
        self.assertEqual((a.amount_overdue, a.amount_residual, a.days_late, a.item_count), (1300, 2300, 120, 5))
        self.assertEqual(
            (b.amount_bucket_1, b.amount_bucket_2, b.amount_residual),
            (-50, 700, 650),
            "31 days late is the second bucket; an open credit note is aged by its date",
        )
        self.assertEqual(aging.search([], limit=1).partner_id, self.customer, "largest overdue first")

    def test_aged_balance_at_a_past_date_reopens_later_payments(self):
        self._aging_history()
        aging = self.env["relance.aging"].with_context(relance_date=fields.Date.to_string(ago(21)))
        a = aging.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            (a.amount_not_due, a.amount_bucket_1, a.amount_bucket_2, a.amount_bucket_3, a.amount_bucket_4),
            (1000, 500, 400, 0, 500),
            "the payment of day -20 had not happened on day -21",
        )
        b = aging.search([("partner_id", "=", self.customer_b.id)])
        self.assertEqual(b.amount_residual, 700, "the credit note of day -2 did not exist yet")

    def test_aged_balance_buckets_follow_the_company_settings(self):
        self._aging_history()
        self.company.write({"relance_aging_bucket_1": 15, "relance_aging_bucket_2": 45, "relance_aging_bucket_3": 60})
        aging = self.env["relance.aging"].with_context(relance_date="2026-03-10")
        a = aging.search([("partner_id", "=", self.customer.id)])
        self.assertEqual((a.amount_bucket_1, a.amount_bucket_2, a.amount_bucket_3, a.amount_bucket_4), (0, 500, 0, 800))
        labels = aging.fields_get(["amount_bucket_1", "amount_bucket_4"], ["string"])
        self.assertEqual(labels["amount_bucket_1"]["string"], "1-15 days")
        self.assertEqual(labels["amount_bucket_4"]["string"], "Over 60 days")
        lines = self.env["relance.aging.line"].with_context(relance_date="2026-03-10")
        self.assertEqual(dict(lines._fields["bucket"]._description_selection(lines.env))["bucket_2"], "16-45 days")

    def test_aged_balance_filters_and_drill_down(self):
        inv_not_due, inv_30, inv_45, inv_75, _inv_120, inv_31 = self._aging_history()
        self.customer.with_company(self.company).relance_collector_id = self.collector
        inv_75.write({"relance_level_id": self.lvl_phone.id, "relance_date": ago(5)})
        inv_45.write({"relance_level_id": self.lvl_amiable.id, "relance_date": ago(30)})
        lines = self.env["relance.aging.line"].with_context(relance_date="2026-03-10")
        self.assertEqual(lines.search([("level_id", "=", self.lvl_phone.id)]).move_id, inv_75)
        mine = lines.search([("collector_id", "=", self.collector.id)])
        self.assertEqual(mine.partner_id, self.customer)
        self.assertEqual(
            lines.search(
                [
                    ("policy_id", "=", self.policy.id),
                    ("partner_id", "=", self.customer_b.id),
                    ("move_type", "=", "out_invoice"),
                ]
            ).move_id,
            inv_31,
            "the company's default policy applies to customers without their own",
        )
        by_bucket = self._rows(
            "relance.aging.line", [("partner_id", "=", self.customer.id)], "bucket", ["amount_residual:sum", "__count"]
        )
        self.assertEqual(
            by_bucket,
            {
                "bucket_0": [1000, 1],
                "bucket_1": [200, 1],
                "bucket_2": [300, 1],
                "bucket_3": [400, 1],
                "bucket_4": [400, 1],
            },
        )
        aging = self.env["relance.aging"].with_context(relance_date="2026-03-10")
        row = aging.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(row.level_id, self.lvl_phone, "the customer shows its highest level")
        self.assertEqual(row.collector_id, self.collector)
        action = row.action_open_lines()
        items = lines.search(action["domain"])
        self.assertEqual(items.move_id, inv_not_due | inv_30 | inv_45 | inv_75 | _inv_120)
        self.assertEqual(action["context"]["relance_date"], "2026-03-10")
        self.assertEqual(items.filtered(lambda line: line.move_id == inv_30).action_open_move()["res_id"], inv_30.id)

    def test_aged_balance_policy_follows_segment_rules(self):
        """Analytics read the same policy as the decision: own, else segment rule, else default."""
        *_rest, inv_31 = self._aging_history()
        strict = self.env["relance.policy"].create(
            {"name": "Strict", "level_ids": [Command.create({"name": "Call at once", "delay": 1, "action_call": True})]}
        )
        rule = self.env["relance.segment.rule"].create(
            {"name": "Watched", "condition": "watch", "policy_id": strict.id}
        )
        self.customer_b.with_company(self.company).sudo().relance_segment_rule_id = rule  # as the daily run
        self.assertEqual(
            self.env["relance.policy"]._policies_for_partners(self.customer_b, self.company),
            {self.customer_b.id: strict},
        )
        lines = self.env["relance.aging.line"].with_context(relance_date="2026-03-10")
        self.assertEqual(
            lines.search([("partner_id", "=", self.customer_b.id), ("move_type", "=", "out_invoice")]).policy_id, strict
        )
        rule.active = False
        self.env.invalidate_all()  # report rows are read live from SQL: drop the cached ones
        self.assertEqual(
            lines.search([("partner_id", "=", self.customer_b.id), ("move_type", "=", "out_invoice")]).policy_id,
            self.policy,
        )

    def test_aged_balance_filters_on_the_risk_class(self):
        self._aging_history()
        self.customer.with_company(self.company).sudo().relance_risk_class = "risky"
        aging = self.env["relance.aging"].with_context(relance_date="2026-03-10")
        self.assertEqual(aging.search([("risk_class", "=", "risky")]).partner_id, self.customer)

    def test_aged_balance_prints(self):
        self._aging_history()
        aging = self.env["relance.aging"].with_context(relance_date="2026-03-10")
        report = self.env.ref("relance_impayes.relance_aging_report")
        html = str(report._render_qweb_html(report.report_name, aging.search([]).ids, data={"date": "2026-03-10"})[0])
        for text in (
            "Aged balance at",
            "03/10/2026",
            "Dupont SARL",
            "Martin SAS",
            "31-60 days",
            "Over 90 days",
            "2,950.00",
        ):
            self.assertIn(text, html)
        wizard = self.env["relance.aging.date"].create({"date": ago(21), "report": "aging"})
        self.assertEqual(wizard.action_open()["context"], {"relance_date": "2026-02-17"})
        wizard.report = "dso"
        self.assertEqual(
            wizard.action_open()["context"]["relance_dso_scopes"],
            ["company"],
            "the DSO at a date keeps its company scope",
        )
        action = wizard.with_context(discard_logo_check=True).action_print()
        self.assertEqual((action["data"], len(action["context"]["active_ids"])), ({"date": "2026-02-17"}, 2))

    # ------------------------------------------------------------------
    # DSO
    # ------------------------------------------------------------------
    def _dso(self, scope, **keys):
        dso = self.env["relance.dso"].with_context(relance_date="2026-03-10")
        domain = [("scope", "=", scope)] + [(key, "=", value) for key, value in keys.items()]
        return {row.date: (row.receivable, row.sales, row.overdue, row.dso) for row in dso.search(domain)}

    def test_dso_countback_month_by_month(self):
        self._dso_history()
        self.assertEqual(
            self._dso("customer", partner_id=self.customer.id),
            {
                date(2026, 3, 10): (10000, 6000, 4000, 24.0),  # 10 days of March + 4,000 / 8,000 x 28
                date(2026, 2, 28): (8000, 8000, 8000, 28.0),
                date(2026, 1, 31): (3000, 3000, 3000, 31.0),
            },
        )
        self.assertEqual(
            self._dso("customer", partner_id=self.customer_b.id),
            {
                date(2026, 3, 10): (2800, 0, 2800, 38.0),  # no sales in March: its 10 days count in full
                date(2026, 2, 28): (2800, 2800, 2800, 28.0),
            },
        )
        company = self._dso("company", company_id=self.company.id)
        self.assertEqual(company[date(2026, 2, 28)], (10800, 10800, 10800, 28.0))
        receivable, sales, overdue, dso = company[date(2026, 3, 10)]
        self.assertEqual((receivable, sales, overdue), (12800, 6000, 6800))
        self.assertEqual(dso, round(10 + 6800 / 10800 * 28, 1))
        self.assertEqual(self._dso("collector", collector_id=self.collector.id)[date(2026, 3, 10)][3], 24.0)
        self.assertEqual(len(company), 3, "no row before the first invoice")

    def test_dso_report_counts_back_as_the_plain_function(self):
        """The SQL countback of every row gives what ``tools/dso.py`` gives on the row's figures."""
        self._dso_history()
        rows = self.env["relance.dso"].with_context(relance_date="2026-03-10").search([])
        self.assertEqual(set(rows.mapped("scope")), {"company", "collector", "customer"})
        for row in rows:
            entity = rows.filtered(
                lambda r, row=row: (r.scope, r.partner_id, r.collector_id, r.company_id)
                == (row.scope, row.partner_id, row.collector_id, row.company_id)
            )
            periods = month_periods(row.date)
            sales = {r.date: r.sales for r in entity}
            expected = dso_countback(row.receivable, [sales.get(end, 0.0) for _start, end in periods], periods)
            self.assertAlmostEqual(row.dso, expected, places=1, msg=f"{row.scope} at {row.date}")

    def test_dso_of_several_rows_is_weighted_by_the_receivable(self):
        self._dso_history()
        dso = self.env["relance.dso"].with_context(relance_date="2026-03-10")
        [(value,)] = dso._read_group([("scope", "=", "customer"), ("date", "=", T)], [], ["dso:avg"])
        self.assertAlmostEqual(value, (24 * 10000 + 38 * 2800) / 12800, places=4)

    def test_dso_only_computes_the_scopes_asked(self):
        self._dso_history()
        dso = self.env["relance.dso"].with_context(relance_date="2026-03-10", relance_dso_scopes=["company"])
        self.assertEqual(set(dso.search([]).mapped("scope")), {"company"})
        alone = {row.date: (row.receivable, row.sales, row.overdue, row.dso) for row in dso.search([])}
        self.assertEqual(
            alone,
            self._dso("company", company_id=self.company.id),
            "the company's figures do not depend on the other scopes being computed",
        )

    # ------------------------------------------------------------------
    # Effectiveness
    # ------------------------------------------------------------------
