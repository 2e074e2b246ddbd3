from datetime import date, datetime, time, timedelta
from pathlib import Path
from unittest.mock import patch

from odoo import Command, fields
from odoo.fields import Domain
from odoo.tests import new_test_user, tagged

from ..tools.dso import dso_countback, month_periods
from .common import TODAY, RelanceCommon

T = TODAY  # 2026-03-10


def ago(days):
    return T - timedelta(days=days)


@tagged("post_install", "-at_install")
class TestRelanceAnalytics(RelanceCommon):
    """Known histories at a frozen date give exact aged balances, DSO, effectiveness and funnel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = new_test_user(
            cls.env,
            login="claire_analytics",
            name="Claire Recouvrement",
            email="claire@example.fr",
            groups="relance_impayes.relance_impayes_group_user",
            company_id=cls.company.id,
        )

    # ------------------------------------------------------------------
    # Helpers: a history written as the engine writes it
    # ------------------------------------------------------------------
    def _invoice(self, partner, amount, invoice_date, due):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Prestation", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _remind(self, moves, level, on, claimed=None, kinds=("email",), climbs=True, user=None):
        """A sent reminder of ``moves`` at ``level`` on ``on``, with its evidence of ``kinds``."""
        partner = moves.commercial_partner_id
        claimed = claimed or {}
        comm = (
            self.env["relance.communication"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "partner_id": partner.id,
                    "level_id": level.id,
                    "date": on,
                    "state": "sent",
                    "origin": "cron",
                    "user_id": (user or self.env.user).id,
                    "amount_due": sum(claimed.get(m, m.amount_total) for m in moves),
                    "line_ids": [
                        Command.create(
                            {
                                "move_id": move.id,
                                "level_id": level.id if climbs else False,
                                "date_due": move.invoice_date_due,
                                "days_late": (on - move.invoice_date_due).days,
                                "amount_residual": claimed.get(move, move.amount_total),
                            }
                        )
                        for move in moves
                    ],
                }
            )
        )
        self.env["relance.interaction"].sudo().create(
            [
                {
                    "company_id": self.company.id,
                    "partner_id": partner.id,
                    "move_ids": [Command.set(moves.ids)],
                    "level_id": level.id,
                    "communication_id": comm.id,
                    "kind": kind,
                    "summary": f"{kind} {level.name}",
                    "date": datetime.combine(on, time(9)),
                    "amount": comm.amount_due,
                    "direction": "internal" if kind == "handoff" else "out",
                }
                for kind in kinds
            ]
        )
        return comm

    def _refund(self, invoice, amount, on):
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": invoice.partner_id.id,
                "invoice_date": on,
                "invoice_line_ids": [
                    Command.create({"name": "Avoir", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        refund.action_post()
        (refund + invoice).line_ids.filtered(lambda line: line.account_type == "asset_receivable").reconcile()
        return refund

    def _write_off(self, invoice, amount, on):
        receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": on,
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Perte",
                            "account_id": self.company_data["default_account_expense"].id,
                            "debit": amount,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Perte",
                            "account_id": receivable.account_id.id,
                            "partner_id": invoice.partner_id.id,
                            "credit": amount,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        (receivable + entry.line_ids.filtered(lambda line: line.account_type == "asset_receivable")).reconcile()
        return entry

    def _rows(self, model, domain, groupby, aggregates, on=T):
        Model = self.env[model].with_context(relance_date=fields.Date.to_string(on))
        return {group: values for group, *values in Model._read_group(domain, [groupby], aggregates)}

    # ------------------------------------------------------------------
    # Aged balance
    # ------------------------------------------------------------------
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
    def _dso_history(self):
        self.customer.with_company(self.company).relance_collector_id = self.collector
        jan = self._invoice(self.customer, 3000, date(2026, 1, 15), date(2026, 1, 20))
        self._pay(jan, 3000, pay_date=date(2026, 2, 20))
        feb = self._invoice(self.customer, 8000, date(2026, 2, 10), date(2026, 2, 25))
        self._pay(feb, 4000, pay_date=date(2026, 3, 1))
        self._invoice(self.customer, 6000, date(2026, 3, 5), date(2026, 4, 4))
        self._invoice(self.customer_b, 2800, date(2026, 2, 5), date(2026, 2, 15))

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
    def _effectiveness_history(self):
        policy_b = self.policy.copy({"name": "Stricte"})
        ladder_b = policy_b.with_context(active_test=False).level_ids.sorted("delay")
        amiable_b, phone_b = ladder_b[1], ladder_b[2]
        inv_a = self._relance_invoice(self.customer, 1000, days_late=45)
        inv_b = self._relance_invoice(self.customer, 500, days_late=45)
        inv_c = self._relance_invoice(self.customer_b, 800, days_late=45)
        self._remind(inv_a | inv_b, self.lvl_amiable, ago(40))
        self._remind(inv_c, amiable_b, ago(40))
        self._remind(inv_c, phone_b, ago(25))
        self._pay(inv_a, 1000, pay_date=ago(35))
        self._pay(inv_b, 300, pay_date=ago(30))
        self._pay(inv_b, 200, pay_date=ago(20))
        self._pay(inv_c, 800, pay_date=ago(10))
        return policy_b, amiable_b, phone_b, (inv_a, inv_b, inv_c)

    def test_effectiveness_per_level(self):
        _policy_b, amiable_b, phone_b, _invoices = self._effectiveness_history()
        measures = [
            "reminder_count:sum",
            "claimed:sum",
            "paid_7_rate:avg",
            "paid_15_rate:avg",
            "paid_30_rate:avg",
            "days_to_payment:avg",
            "recovered:sum",
        ]
        rows = self._rows("relance.effectiveness", [], "level_id", measures)
        self.assertEqual(
            [round(v, 2) for v in rows[self.lvl_amiable]],
            [1, 1500, 66.67, 86.67, 100, 20, 1500],
            "one reminder for two invoices: paid in full when the second one is",
        )
        self.assertEqual(
            [round(v, 2) for v in rows[amiable_b]],
            [1, 800, 0, 0, 100, 30, 0],
            "paid after the next reminder: not recovered by this one",
        )
        self.assertEqual([round(v, 2) for v in rows[phone_b]], [1, 800, 0, 100, 100, 15, 800])
        [(count, claimed, paid_7, median, recovered)] = self.env["relance.effectiveness"]._read_group(
            [], [], ["reminder_count:sum", "claimed:sum", "paid_7_rate:avg", "days_to_payment:avg", "recovered:sum"]
        )
        self.assertEqual(
            (count, claimed, round(paid_7, 3), median, recovered),
            (3, 3100, 32.258, 20, 2300),
            "shares weighted by the amounts, median of all, recovered counted once",
        )

    def test_effectiveness_compares_policies_and_templates(self):
        policy_b, _amiable_b, _phone_b, _invoices = self._effectiveness_history()
        by_policy = self._rows(
            "relance.effectiveness", [], "policy_id", ["reminder_count:sum", "paid_15_rate:avg", "days_to_payment:avg"]
        )
        self.assertEqual([round(v, 2) for v in by_policy[self.policy]], [1, 86.67, 20])
        self.assertEqual([round(v, 2) for v in by_policy[policy_b]], [2, 50, 22.5])
        by_template = self._rows("relance.effectiveness", [], "template_id", ["claimed:sum"])
        self.assertEqual(
            by_template[self.lvl_amiable.mail_template_id], [2300], "the copied policy uses the same template"
        )

    def test_effectiveness_per_channel(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=40)
        self._remind(inv, self.lvl_formal, ago(20), kinds=("email", "letter"))
        other = self._relance_invoice(self.customer_b, 600, days_late=40)
        self.env["relance.interaction"].sudo().create(
            {
                "company_id": self.company.id,
                "partner_id": self.customer_b.id,
                "move_ids": [Command.set(other.ids)],
                "level_id": self.lvl_phone.id,
                "kind": "call",
                "call_outcome": "promise",
                "summary": "Appel",
                "date": datetime.combine(ago(15), time(10)),
                "direction": "out",
            }
        )
        self._pay(other, 200, pay_date=ago(30))
        self._pay(other, 400, pay_date=ago(12))
        self._pay(inv, 1000, pay_date=ago(5))
        rows = self._rows(
            "relance.effectiveness",
            [],
            "channel",
            ["claimed:sum", "paid_7_rate:avg", "days_to_payment:avg", "reminder_count:sum"],
        )
        self.assertEqual(rows["email_letter"], [1000, 0, 15, 1])
        self.assertEqual(rows["call"], [400, 100, 3, 1], "a call claims what was still due on its day")

    # ------------------------------------------------------------------
    # Funnel
    # ------------------------------------------------------------------
    def test_funnel_amounts_entering_each_level_and_how_they_left(self):
        inv_e = self._relance_invoice(self.customer, 1000, days_late=60)
        inv_f = self._relance_invoice(self.customer_b, 800, days_late=60)
        customer_c = self._relance_customer("Garnier SA")
        inv_g = self._relance_invoice(customer_c, 600, days_late=80)
        customer_d = self._relance_customer("Lemoine SARL")
        inv_h = self._relance_invoice(customer_d, 400, days_late=20)
        self._remind(inv_e, self.lvl_amiable, ago(50))
        self._pay(inv_e, 300, pay_date=ago(45))
        self._remind(inv_e, self.lvl_phone, ago(40), claimed={inv_e: 700})
        self._refund(inv_e, 200, ago(35))
        self._remind(inv_e, self.lvl_formal, ago(30), claimed={inv_e: 500})
        self._remind(inv_f, self.lvl_amiable, ago(50))
        self._write_off(inv_f, 100, ago(48))
        self._pay(inv_f, 700, pay_date=ago(45))
        self._remind(inv_g, self.lvl_notice, ago(20), kinds=("registered_letter",))
        self._remind(inv_g, self.lvl_litigation, ago(5), kinds=("handoff",))
        self._remind(inv_h, self.lvl_amiable, ago(10))
        expected = {
            (self.lvl_amiable, "paid"): 1000,
            (self.lvl_amiable, "written_off"): 100,
            (self.lvl_amiable, "escalated"): 700,
            (self.lvl_amiable, "open"): 400,
            (self.lvl_phone, "credited"): 200,
            (self.lvl_phone, "escalated"): 500,
            (self.lvl_formal, "open"): 500,
            (self.lvl_notice, "handed_off"): 600,
            (self.lvl_litigation, "open"): 600,
        }
        reason = self.env["relance.dispute.reason"].search([], limit=1)
        dispute = self.env["relance.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv_e.ids)],
                "reason_id": reason.id,
                "amount": 500,
            }
        )
        dispute.write({"date_open": ago(28)})
        expected[self.lvl_formal, "disputed"] = expected.pop((self.lvl_formal, "open"))
        funnel = self.env["relance.funnel"]
        rows = {
            (level, outcome): amount
            for level, outcome, amount in funnel._read_group([], ["level_id", "outcome"], ["amount:sum"])
        }
        self.assertEqual(rows, expected)
        entering = dict(funnel._read_group([], ["level_id"], ["amount:sum"]))
        self.assertEqual(entering[self.lvl_amiable], 2200, "the outcomes add up to what entered")
        counts = dict(funnel._read_group([], ["level_id"], ["entry_count:sum"]))
        self.assertEqual(counts[self.lvl_amiable], 3)
        in_period = dict(funnel._read_group([("date", ">=", ago(30))], ["level_id"], ["amount:sum"]))
        self.assertNotIn(self.lvl_phone, in_period, "a period keeps the entries of the period")

    def test_funnel_counts_a_payment_plan(self):
        inv = self._relance_invoice(self.customer, 900, days_late=40)
        self._remind(inv, self.lvl_amiable, ago(30))
        plan = self.env["relance.payment.plan"].create(
            {"partner_id": self.customer.id, "move_ids": [Command.set(inv.ids)]}
        )
        self.env.cr.execute(
            "UPDATE relance_payment_plan SET state = 'active', date_confirmed = %s WHERE id = %s", (ago(25), plan.id)
        )
        rows = self.env["relance.funnel"]._read_group([], ["outcome"], ["amount:sum"])
        self.assertEqual(rows, [("plan", 900)])

    # ------------------------------------------------------------------
    # Recoveries and dashboards
    # ------------------------------------------------------------------
    def test_recovered_amounts_know_the_level_reached(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=40)
        self._pay(inv, 100, pay_date=ago(36))
        self._remind(inv, self.lvl_amiable, ago(35))
        self._pay(inv, 300, pay_date=ago(20))
        self._remind(inv, self.lvl_phone, ago(15))
        self._pay(inv, 600, pay_date=ago(5))
        rows = self._rows("relance.recovery", [], "level_id", ["amount:sum"])
        self.assertEqual(rows, {self.env["relance.level"]: [100], self.lvl_amiable: [300], self.lvl_phone: [600]})
        reminded = self._rows("relance.recovery", [("date", ">=", date(2026, 3, 1))], "reminded", ["amount:sum"])
        self.assertEqual(reminded, {True: [600]})

    def test_collector_dashboard_counts_my_work(self):
        self.customer.with_company(self.company).relance_collector_id = self.collector
        due_today = self._relance_invoice(self.customer, 1000, days_late=6)
        paid = self._relance_invoice(self.customer, 500, days_late=40)
        self._remind(paid, self.lvl_amiable, ago(30), user=self.collector)
        self._pay(paid, 500, pay_date=ago(4))
        self._relance_invoice(self.customer_b, 2000, days_late=50)  # somebody else's
        self.customer._relance_schedule_call(ago(1), "Appeler", user=self.collector)
        tiles = self.env["relance.dashboard"].with_user(self.collector).search([("dashboard", "=", "collector")])
        figures = {tile.code: (tile.count, tile.amount) for tile in tiles}
        self.assertEqual(figures["todo"], (1, 1000))
        self.assertEqual(figures["calls"], (1, 0))
        self.assertEqual(figures["recovered"], (1, 500))
        self.assertEqual(figures["overdue"], (1, 1000))
        todo = tiles.filtered(lambda t: t.code == "todo").action_open()
        self.assertEqual(self.env["res.partner"].search(todo["domain"]), self.customer)
        self.assertIn(
            due_today,
            self.env["relance.aging.line"]
            .search(
                tiles.filtered(lambda t: t.code == "overdue").action_open()["domain"]
                + [("partner_id", "=", self.customer.id)]
            )
            .move_id,
        )

    def test_manager_dashboard_shows_company_figures(self):
        self._dso_history()
        tiles = self.env["relance.dashboard"].search([("dashboard", "=", "manager")])
        figures = {tile.code: tile for tile in tiles}
        self.assertEqual(figures["overdue"].amount, 6800)
        self.assertEqual(figures["dso"].value_display, "28 days")
        self.assertEqual(figures["dso"].subtitle, "last month: 28 days")
        self.assertEqual(figures["recovered"].amount, 0, "payments without a reminder are not recoveries")
        for tile in tiles:
            self.assertTrue(tile.action_open(), f"tile {tile.code} opens something")

    def test_a_module_adds_a_dashboard_tile_by_overriding_the_tile_table(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=40)
        self._remind(inv, self.lvl_amiable, ago(30), kinds=("email", "letter"))
        Dashboard = type(self.env["relance.dashboard"])
        original = Dashboard._tiles

        def _tiles(model):
            tiles = original(model)
            evidence = Domain("company_id", "=", model.env.company.id)
            tiles["evidence"] = {
                "label": "Evidence written",
                "figure": lambda date, mine: {
                    "count": model.env["relance.interaction"].search_count(
                        evidence & Domain("date", "<=", datetime.combine(date, time.max))
                    )
                },
                "open": lambda date, mine, name: model._relance_window(
                    "relance_impayes.relance_interaction_action", name, evidence
                ),
                "dashboards": {"manager": 5},
            }
            del tiles["dso"]
            return tiles

        with patch.object(Dashboard, "_tiles", _tiles):
            self.env.invalidate_all()
            tiles = self.env["relance.dashboard"].search([("dashboard", "=", "manager")])
            self.assertEqual(tiles[:1].code, "evidence", "the new tile comes first, by its sequence")
            self.assertNotIn("dso", tiles.mapped("code"), "a tile taken out of the table is gone")
            self.assertEqual((tiles[:1].name, tiles[:1].count, tiles[:1].value_display), ("Evidence written", 2, "2"))
            action = tiles[:1].action_open()
            self.assertEqual(action["res_model"], "relance.interaction")
            self.assertEqual(self.env["relance.interaction"].search_count(action["domain"]), 2)
        self.env.invalidate_all()
        self.assertIn("dso", self.env["relance.dashboard"].search([]).mapped("code"), "the core table is untouched")

    def test_dashboards_are_odoo_views(self):
        for xmlid in (
            "relance_impayes.relance_dashboard_action_collector",
            "relance_impayes.relance_dashboard_action_manager",
        ):
            action = self.env.ref(xmlid)
            arch = self.env["board.board"].get_view(action.view_id.id, "form")["arch"]
            self.assertIn("<board", arch)
            self.assertIn('js_class="board"', arch)

    def test_analytics_never_read_the_database_clock(self):
        """Dates come from Python (context or today) so that tests and past reports work."""
        folder = Path(__file__).resolve().parent.parent / "report"
        for name in (
            "relance_analytics.py",
            "relance_aging.py",
            "relance_dso.py",
            "relance_effectiveness.py",
            "relance_funnel.py",
            "relance_recovery.py",
            "relance_dashboard.py",
        ):
            source = (folder / name).read_text().upper()
            for clock in ("CURRENT_DATE", "NOW()", "LOCALTIMESTAMP", "CURRENT_TIMESTAMP"):
                self.assertNotIn(clock, source, f"{name} reads {clock}")
