from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import TODAY, RelanceCommon, move_values


@tagged("post_install", "-at_install")
class TestRelanceClaims(RelanceCommon):
    """What may be claimed: instalments, contract floor per half-year, disputed invoices, missing
    reference rates (LEGAL_FR §2, §4, §7). Figures computed by hand:
    interest = base x rate / 100 x days / 365 per period, each period rounded to the cent.
    Shipped rates: 2024-H1 floor 3 x 5.07 = 15.21 %, 2024-H2 floor 3 x 4.92 = 14.76 %; 2025-H1
    ECB 3.15 -> 13.15 %; 2025-H2 ECB 2.15 -> 12.15 %, floor 3 x 2.76 = 8.28 %; 2026-H1 12.15 %,
    floor 7.86 %; no 2026-H2.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.relance_indemnity_amount = 40.0
        cls.cur = cls.company.currency_id
        cls.term_30_60 = cls.env["account.payment.term"].create(
            {
                "name": "50 % at 30 days, 50 % at 60 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 60}),
                ],
            }
        )

    def _instalment_invoice(self, partner, amount, invoice_date):
        values = move_values(partner, amount, invoice_date)
        move = self.env["account.move"].create(dict(values, invoice_payment_term_id=self.term_30_60.id))
        move.action_post()
        return move

    def _html(self, report, records, **data):
        return self.env["ir.actions.report"]._render_qweb_html(report, records.ids, data=data or None)[0].decode()

    @staticmethod
    def _periods(result):
        return [
            (p["date_due"], p["date_from"], p["date_to"], p["days"], p["base"], p["rate"], p["interest"])
            for p in result["periods"]
        ]

    # ------------------------------------------------------------------
    # 1. Instalments
    # ------------------------------------------------------------------
    def test_instalment_penalties_to_the_cent(self):
        """10 000 invoiced on 01/05/2025, 50 % at 30 days (31/05) and 50 % at 60 days (30/06),
        computed on 31/07/2025 at the legal rate:
        - first instalment, late from 01/06: 01/06 -> 30/06 (2025-H1), 30 days:
          5 000 x 13.15 % x 30 / 365 = 54.0411 -> 54.04; 01/07 -> 31/07 (2025-H2), 31 days:
          5 000 x 12.15 % x 31 / 365 = 51.5959 -> 51.60
        - second instalment, late from 01/07: 31 days, 5 000 x 12.15 % x 31 / 365 -> 51.60
        interest 157.24, indemnity 40 once for the invoice, total 197.24; 61 days late (from 31/05).
        """
        inv = self._instalment_invoice(self.customer, 10000, date(2025, 5, 1))
        lines = inv._relance_instalment_lines()
        self.assertEqual(lines.mapped("date_maturity"), [date(2025, 5, 31), date(2025, 6, 30)])
        self.assertEqual(lines.mapped("amount_currency"), [5000.0, 5000.0])
        self.assertEqual(inv.invoice_date_due, date(2025, 6, 30), "Odoo's due date is the last one")
        res = inv._relance_penalties(date(2025, 7, 31))
        self.assertEqual(
            self._periods(res),
            [
                (date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 30), 30, 5000.0, 13.15, 54.04),
                (date(2025, 5, 31), date(2025, 7, 1), date(2025, 7, 31), 31, 5000.0, 12.15, 51.60),
                (date(2025, 6, 30), date(2025, 7, 1), date(2025, 7, 31), 31, 5000.0, 12.15, 51.60),
            ],
        )
        self.assertAlmostEqual(res["interest"], 157.24, places=2)
        self.assertAlmostEqual(res["indemnity"], 40.0, places=2)
        self.assertAlmostEqual(res["total"], 197.24, places=2)
        self.assertEqual(res["days_late"], 61)
        self.assertEqual(
            [(i["date_due"], i["amount"], i["residual"], i["days_late"]) for i in res["instalments"]],
            [(date(2025, 5, 31), 5000.0, 5000.0, 61), (date(2025, 6, 30), 5000.0, 5000.0, 31)],
        )
        self.assertEqual(inv.with_context(relance_date=date(2025, 7, 31)).relance_days_late, 61)
        # B2B limitation: 5 years from the earliest unpaid instalment
        self.assertEqual(inv.relance_prescription_date, date(2030, 5, 31))

    def test_payment_of_the_first_instalment_stops_its_interest(self):
        """The first instalment paid on 10/06/2025: it bore 01/06 -> 10/06, 10 days,
        5 000 x 13.15 % x 10 / 365 = 18.0137 -> 18.01; the second as above 51.60; 69.61 + 40."""
        inv = self._instalment_invoice(self.customer, 10000, date(2025, 5, 1))
        self._pay(inv, 5000.0, date(2025, 6, 10))
        res = inv._relance_penalties(date(2025, 7, 31))
        self.assertEqual(
            self._periods(res),
            [
                (date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 10), 10, 5000.0, 13.15, 18.01),
                (date(2025, 6, 30), date(2025, 7, 1), date(2025, 7, 31), 31, 5000.0, 12.15, 51.60),
            ],
        )
        self.assertAlmostEqual(res["total"], 69.61 + 40.0, places=2)
        self.assertEqual(inv._relance_due_date(), date(2025, 6, 30), "the earliest unpaid instalment")
        self.assertEqual(
            [(i["date_due"], i["residual"]) for i in inv._relance_late_instalments(date(2025, 7, 31))],
            [(date(2025, 6, 30), 5000.0)],
        )

    def test_reminder_is_due_after_the_first_instalment_not_the_last(self):
        """Invoiced 45 days before TODAY: 5 000 due TODAY - 15, 5 000 due TODAY + 15. The amiable
        level (5 days) is due on TODAY - 10, with 15 days late; an invoice due only on TODAY + 15
        is not."""
        inv = self._instalment_invoice(self.customer, 10000, TODAY - timedelta(days=45))
        first, last = TODAY - timedelta(days=15), TODAY + timedelta(days=15)
        self.assertEqual(inv._relance_instalment_lines().mapped("date_maturity"), [first, last])
        self._relance_invoice(self.customer_b, 10000, due=last)
        decisions = self._decide()
        decision = decisions[self.customer.id]
        self.assertIsNone(decision.skip_reason)
        self.assertEqual(decision.level_id, self.lvl_amiable.id)
        (step,) = decision.steps
        self.assertEqual((step.date_due, step.days_late), (first, 15))
        self.assertEqual(decisions[self.customer_b.id].skip_reason, "nothing_due")
        self.assertEqual(inv.relance_next_date, first + timedelta(days=5))
        self.assertEqual(inv.relance_next_level_id, self.lvl_amiable)
        # 15 days on the first instalment only: 5 000 x 12.15 % x 15 / 365 = 24.9658 -> 24.97
        res = inv._relance_penalties(TODAY)
        self.assertEqual([p["date_due"] for p in res["periods"]], [first])
        self.assertAlmostEqual(res["total"], 24.97 + 40.0, places=2)
        # the letter lists the late instalment with its due date and amount
        comm = self.env["relance.communication"]._plan(self.company, [decision], TODAY)
        self.assertEqual(comm.line_ids.date_due, first)
        html = self._html("relance_impayes.action_report_relance_letter", comm)
        self.assertIn("Instalment due", html)
        self.assertEqual(html.count("o_relance_instalment"), 1, "only the late instalment")
        self.assertIn("5,000.00", html)

    # ------------------------------------------------------------------
    # 3. Contract floor per half-year
    # ------------------------------------------------------------------
    def test_contract_rate_is_raised_to_the_floor_of_each_half_year(self):
        """Customer rate 12 %, accepted today (2026-H1 floor 7.86 %). Invoice 10 000 due 15/06/2024,
        computed 15/07/2024: 16/06 -> 30/06, 15 days at the 2024-H1 floor 15.21 %:
        10 000 x 15.21 % x 15 / 365 = 62.5068 -> 62.51; 01/07 -> 15/07, 15 days at the 2024-H2
        floor 14.76 %: 10 000 x 14.76 % x 15 / 365 = 60.6575 -> 60.66; total interest 123.17.
        Customer B at 9 %, invoice due 31/07/2025, computed 30/08/2025: 2025-H2 floor 8.28 %, 9 % kept:
        10 000 x 9 % x 30 / 365 = 73.9726 -> 73.97."""
        self.customer.relance_penalty_rate = 12.0
        self.customer_b.relance_penalty_rate = 9.0
        inv = self._relance_invoice(self.customer, 10000, due=date(2024, 6, 15))
        res = inv._relance_penalties(date(2024, 7, 15))
        self.assertEqual(
            [(p["half_year"], p["days"], p["rate"], p["floored"], p["interest"]) for p in res["periods"]],
            [("2024-H1", 15, 15.21, True, 62.51), ("2024-H2", 15, 14.76, True, 60.66)],
        )
        self.assertAlmostEqual(res["interest"], 123.17, places=2)
        self.assertEqual({p["rate_kind"] for p in res["periods"]}, {"contract"})
        inv_b = self._relance_invoice(self.customer_b, 10000, due=date(2025, 7, 31))
        res_b = inv_b._relance_penalties(date(2025, 8, 30))
        self.assertEqual(
            [(p["half_year"], p["days"], p["rate"], p["floored"], p["interest"]) for p in res_b["periods"]],
            [("2025-H2", 30, 9.0, False, 73.97)],
        )
        # the letter says so
        html = self._html("relance_impayes.action_report_dossier_recouvrement", self.customer, date="2024-07-15")
        self.assertIn("raised to the legal floor", html)
        self.assertIn("15.21", html)
        html_b = self._html("relance_impayes.action_report_dossier_recouvrement", self.customer_b, date="2025-08-30")
        self.assertNotIn("raised to the legal floor", html_b)

    def test_contract_rate_below_every_floor_is_refused(self):
        # lowest floor of the table: 2023-H1, 3 x 2.06 = 6.18 %; today's (2026-H1) 7.86 %
        with self.assertRaisesRegex(ValidationError, "below the legal floor of every half-year"), self.cr.savepoint():
            self.customer.relance_penalty_rate = 6.0
        with self.assertRaisesRegex(ValidationError, r"below the legal minimum of 7\.86"), self.cr.savepoint():
            self.customer.relance_penalty_rate = 7.0
        self.env.invalidate_all()
        self.assertEqual(self.customer.relance_penalty_rate, 0.0, "nothing changed")

    # ------------------------------------------------------------------
    # 2. Disputed invoices
    # ------------------------------------------------------------------
    def test_disputed_invoice_is_never_claimed(self):
        """Two invoices of 1 000 due 38 days before TODAY, one disputed: 1 000 x 12.15 % x 38 / 365
        = 12.6493 -> 12.65 of penalties + 40 for the undisputed one only."""
        inv = self._relance_invoice(self.customer, 1000, days_late=38)
        disputed = self._relance_invoice(self.customer, 3000, days_late=38)
        self.env["relance.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(disputed.ids)],
                "reason_id": self.env.ref("relance_impayes.dispute_reason_defective").id,
            }
        )
        self.assertTrue(disputed.relance_disputed)
        self.assertGreater(disputed.relance_penalty_total, 0, "still computed for the staff")
        summary = self.env["relance.penalty"]._partner_summaries(self.customer, TODAY)[self.customer.id]
        self.assertEqual(summary["count"], 1)
        self.assertAlmostEqual(summary["interest"], 12.65, places=2)
        self.assertAlmostEqual(summary["total"], 52.65, places=2)
        self.assertAlmostEqual(self.customer.relance_penalty_total, 52.65, places=2)
        # the recovery file: total and order for payment without it, shown apart
        html = self._html("relance_impayes.action_report_dossier_recouvrement", self.customer)
        self.assertIn("1,052.65", html, "total claimed: 1 000 + 12.65 + 40")
        self.assertNotIn("4,", html.split("o_relance_disputed")[0].split("Total claimed")[-1])
        self.assertIn("en litige", html)
        disputed_part = html.split("o_relance_disputed")[1].split("</div>")[0]
        self.assertIn(disputed.name, disputed_part)
        cerfa = html.split("o_relance_cerfa")[1]
        self.assertNotIn(disputed.name, cerfa)
        self.assertIn(inv.name, cerfa)
        # penalty invoices: refused for the disputed invoice alone, skipped with the other
        revenue = self.company_data["default_account_revenue"]
        self.company.write(
            {
                "relance_interest_account_id": revenue.copy({"code": "763198"}).id,
                "relance_indemnity_account_id": revenue.copy({"code": "758198"}).id,
            }
        )
        wizard = self.env["relance.penalty.invoice"].create({"date": TODAY, "move_ids": [Command.set(disputed.ids)]})
        self.assertIn("under dispute", wizard.summary)
        with self.assertRaisesRegex(UserError, "under dispute"):
            wizard.action_create()
        wizard = self.env["relance.penalty.invoice"].create(
            {"date": TODAY, "partner_ids": [Command.set(self.customer.ids)]}
        )
        action = wizard.action_create()
        penalty_invoice = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(penalty_invoice.invoice_line_ids.relance_penalty_source_id, inv)
        self.assertAlmostEqual(penalty_invoice.amount_total, 52.65, places=2)

    # ------------------------------------------------------------------
    # 4. Missing reference rate: a manager's to-do
    # ------------------------------------------------------------------
    def test_rates_covering_the_delay_need_no_penalty_computed(self):
        """The hold for a missing rate computes no penalty when every half-year of the delay has
        its rates (shipped table: 2023-H1 to 2026-H1); it does, and holds, when one has none."""
        penalty = self.env["relance.penalty"]
        tables = self.env["relance.rate"]._relance_rate_tables()
        recent = self._relance_invoice(self.customer, 1000, due=date(2026, 3, 1))
        old = self._relance_invoice(self.customer, 500, due=date(2022, 12, 20))
        self.assertTrue(penalty._rates_cover(recent, date(2026, 6, 30), tables))
        self.assertFalse(penalty._rates_cover(recent, date(2026, 7, 1), tables), "2026-H2 has no rate")
        self.assertFalse(penalty._rates_cover(recent | old, date(2026, 6, 30), tables), "nor has 2022-H2")
        self.assertTrue(penalty._rates_cover(old, date(2022, 12, 20), tables), "not late yet: no interest")
        with patch.object(type(penalty), "_penalties", side_effect=AssertionError("computed")):
            self.assertFalse(penalty._needs_manager(recent, date(2026, 6, 30)))
        self.assertIn("2022-H2", penalty._needs_manager(recent | old, date(2026, 6, 30)))
        self.assertIn("2026-H2", penalty._needs_manager(recent, date(2026, 7, 15)))

    def test_missing_rate_waits_for_a_manager_then_sends_at_the_real_rate(self):
        on = date(2026, 7, 15)
        self.lvl_formal.penalty_mode = "claimed"  # a letter and an email that claim the amounts
        inv = self._relance_invoice(self.customer, 10000, due=date(2026, 6, 1))
        inv.write({"relance_level_id": self.lvl_phone.id, "relance_date": date(2026, 6, 20)})
        with freeze_time(on), self.mock_mail_gateway():
            decisions = [d for d in self.env["account.move"]._relance_decide(self.company, on) if not d.skip_reason]
            comm = self.env["relance.communication"]._plan(self.company, decisions, on)
            self.assertEqual(comm.level_id, self.lvl_formal)
            self.assertFalse(self.lvl_formal.validation_required)
            comm._execute()
            self.assertEqual(comm.state, "to_validate")
            self.assertIn("2026-H2", comm.validation_reason)
            self.assertIn("Penalty reference rates", comm.validation_reason)
            todo = comm.activity_ids
            self.assertEqual(len(todo), 1)
            self.assertEqual(todo.summary, "Enter the missing reference rate")
            self.assertTrue(todo.user_id.has_group("relance_impayes.relance_impayes_group_manager"))
            comm._execute()  # the next run: still waiting, one to-do
            self.assertEqual(len(comm.activity_ids), 1)
            # the customer's letter never mentions the missing rate; the invoice form does
            html = self._html("relance_impayes.action_report_relance_letter", comm, date="2026-07-15")
            self.assertIn("Total claimed", html)
            self.assertNotIn("No reference rate", html)
            self.assertNotIn("was used", html)
            self.assertIn("No reference rate for 2026-H2", inv.with_context(relance_date=on).relance_penalty_warning)
            with self.assertRaisesRegex(UserError, "2026-H2"):
                comm.action_validate()
            self.assertEqual(comm.state, "to_validate")
            # the manager enters the rate: validation sends it at the real rate (ECB 2.40 -> 12.40 %)
            self.env["relance.rate"].create(
                {"year": 2026, "half": "2", "ecb_rate": 2.40, "legal_rate_consumer": 6.50, "legal_rate_other": 2.60}
            )
            comm.action_validate()
            self.assertIn(comm.state, ("sending", "sent"))
            self.assertFalse(comm.validation_reason)
            self.assertFalse(comm.activity_ids, "the to-do is done")
            res = inv._relance_penalties(on)
            self.assertEqual(
                [(p["half_year"], p["rate"], p["fallback"]) for p in res["periods"]][-1], ("2026-H2", 12.4, False)
            )
            self.assertFalse(res["warnings"])
