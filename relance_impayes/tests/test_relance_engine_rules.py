from datetime import timedelta
from unittest.mock import patch

from odoo.fields import Domain
from odoo.tests import Form, tagged

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceEngine(RelanceCommon):
    """The engine's rules are model methods: another module overrides them, every caller follows."""

    def _engine_class(self):
        return type(self.env["relance.engine"])

    def test_overridden_step_rule_moves_the_decision_and_the_stored_next_date(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        self.assertEqual(self._decide()[self.customer.id].level_id, self.lvl_amiable.id)
        engine = self._engine_class()
        standard = engine._next_step

        def ten_days_later(self, ladder, level, date_due, last_date, today, min_interval, notice_deadline=None):
            step = standard(self, ladder, level, date_due, last_date, today, min_interval, notice_deadline)
            return step._replace(date=step.date and step.date + timedelta(days=10))

        with patch.object(engine, "_next_step", ten_days_later):
            self.assertSkipReason("nothing_due", "the decision follows the overridden rule")
            self.env["relance.engine"]._refresh_next_dates(inv)
            self.assertEqual(
                inv.relance_next_date,
                inv.invoice_date_due + timedelta(days=15),
                "the stored next date follows the same rule",
            )
            self.assertEqual(inv.relance_next_level_id, self.lvl_amiable)
            self.assertEqual(self._decide(TODAY + timedelta(days=9))[self.customer.id].level_id, self.lvl_amiable.id)

    def test_overridden_exclusion_reasons_leave_invoices_out(self):
        small = self._relance_invoice(self.customer, 40, days_late=10)
        self._relance_invoice(self.customer_b, 4000, days_late=10)
        self.assertIsNone(self._decide()[self.customer.id].skip_reason)
        engine = self._engine_class()
        standard = engine._exclusion_reasons

        def with_small_amounts(self, date):
            return [*standard(self, date), ("small", "Under 50", Domain("amount_residual", "<", 50))]

        with patch.object(engine, "_exclusion_reasons", with_small_amounts):
            decisions = self._decide()
            self.assertNotIn(self.customer.id, decisions, "the small invoice is left out of the decision")
            self.assertIsNone(decisions[self.customer_b.id].skip_reason)
            self.assertIn(
                small, self.env["account.move"].search(self.env["account.move"]._relance_exclusion_domain(TODAY))
            )
            self.env["relance.engine"]._refresh_next_dates(small)
            self.assertFalse(small.relance_next_date, "an excluded invoice has no next reminder")
        self.assertEqual(
            [code for code, _label, _domain in self.env["relance.engine"]._exclusion_reasons(TODAY)],
            ["excluded", "dispute", "payment_plan", "promise", "insolvency"],
        )

    def test_stored_next_date_of_a_hand_off_waits_for_the_notice_deadline(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=70)
        inv.write({"relance_level_id": self.lvl_notice.id, "relance_date": TODAY - timedelta(days=25)})
        self.assertTrue(self.lvl_litigation.action_handoff)
        self.assertEqual(inv.relance_next_level_id, self.lvl_litigation)
        self.assertFalse(inv.relance_next_date, "no receipt recorded: the hand-off has no date yet")
        self._relance_notice_received(inv)
        deadline = TODAY - timedelta(days=5) + timedelta(days=self.company.relance_payment_days)
        self.assertEqual(
            inv.relance_next_date,
            deadline + timedelta(days=1),
            "the day after the notice's deadline, as the decision says",
        )
        decision = self._decide()[self.customer.id]
        self.assertEqual(decision.skip_reason, "awaiting_notice")
        self.assertEqual(decision.steps[0].next_date, inv.relance_next_date)
        self.assertEqual(self._decide(inv.relance_next_date)[self.customer.id].level_id, self.lvl_litigation.id)
        self.assertEqual(
            self._decide(inv.relance_next_date - timedelta(days=1))[self.customer.id].skip_reason, "awaiting_notice"
        )

    def test_climb_is_idempotent(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        engine = self.env["relance.engine"]
        engine._climb({inv.id: self.lvl_amiable}, TODAY)
        engine._climb({inv.id: self.lvl_amiable}, TODAY)
        self.assertEqual((inv.relance_level_id, inv.relance_date), (self.lvl_amiable, TODAY))
        self.assertEqual(inv.relance_next_level_id, self.lvl_phone)

    def test_send_wizard_asks_the_engine_once(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        engine = self._engine_class()
        with patch.object(engine, "_decide", autospec=True, side_effect=engine._decide) as decide:
            wizard = Form(self.env["relance.send"].with_context(default_partner_id=self.customer.id))
            self.assertEqual(wizard.level_id, self.lvl_amiable)
            self.assertIn(inv, wizard.move_ids)
        self.assertEqual(decide.call_count, 1)
