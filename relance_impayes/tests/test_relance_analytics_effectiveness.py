from datetime import date, datetime, time
from pathlib import Path
from unittest.mock import patch

from odoo import Command
from odoo.fields import Domain
from odoo.tests import tagged

from .common_analytics import RelanceAnalyticsCommon, ago


@tagged("post_install", "-at_install")
class TestRelanceAnalyticsEffectiveness(RelanceAnalyticsCommon):
    """Known histories at a frozen date give exact effectiveness, funnel and dashboards."""

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
