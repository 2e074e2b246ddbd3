from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.relance_impayes.models.relance_engine_ladder import Ladder

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceEngineLadder(RelanceCommon):
    """The step rule reads a ladder's levels once (``Ladder``), and decides as it did level by level."""

    def test_step_rule_gives_the_same_step_from_a_plain_list_or_a_read_ladder(self):
        engine = self.env["relance.engine"]
        self.lvl_courtesy.active = True  # shipped inactive: a courtesy reminder before the due date
        levels = list(self.policy._ladder())
        ladder = Ladder(levels)
        self.assertEqual(list(ladder), levels, "a read ladder is still the list of its levels")
        not_due, late = TODAY + timedelta(days=2), TODAY - timedelta(days=40)
        cases = {
            (None, not_due): (self.lvl_courtesy, not_due - timedelta(days=3)),
            (None, late): (self.lvl_amiable, late + timedelta(days=5)),
            (self.lvl_courtesy, late): (self.lvl_amiable, late + timedelta(days=5)),
            (self.lvl_phone, late): (self.lvl_formal, late + timedelta(days=20)),
            (self.lvl_final, late): (self.lvl_notice, late + timedelta(days=45)),
            (self.lvl_litigation, late): (None, None),
        }
        for (level, due), (expected_level, expected_date) in cases.items():
            for given in (levels, ladder):
                step = engine._next_step(given, level, due, None, TODAY, 7)
                self.assertEqual(
                    (step.level or None, step.date), (expected_level, expected_date), f"{level.name if level else '-'}"
                )
        recent = TODAY - timedelta(days=2)
        self.assertEqual(
            engine._next_step(ladder, self.lvl_phone, late, recent, TODAY, 7).date,
            recent + timedelta(days=7),
            "two reminders stay the minimum interval apart",
        )

    def test_customer_moved_to_a_shorter_ladder_resumes_at_the_same_delay(self):
        short = self.policy.copy({"name": "Without the call"})
        short_ladder = short._ladder()
        short_ladder.filtered(lambda lvl: lvl.delay == self.lvl_phone.delay).active = False
        formal = short_ladder.filtered(lambda lvl: lvl.delay == self.lvl_formal.delay)
        self.customer_b.with_company(self.company).relance_policy_id = short
        manual = self._relance_customer("Manuel SA")
        manual.with_company(self.company).relance_manual = True
        invoices = (
            self._relance_invoice(self.customer, 1000, days_late=25)
            | self._relance_invoice(self.customer_b, 2000, days_late=25)
            | self._relance_invoice(manual, 500, days_late=25)
        )
        invoices.sudo().write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=10)})
        decisions = self._decide()
        self.assertEqual(decisions[self.customer.id].level_id, self.lvl_formal.id)
        self.assertEqual(decisions[self.customer.id].policy_id, self.policy.id)
        self.assertEqual(
            decisions[self.customer_b.id].level_id, formal.id, "the call of the other ladder maps to its 12 days"
        )
        self.assertEqual(decisions[self.customer_b.id].policy_id, short.id)
        self.assertEqual(decisions[manual.id].skip_reason, "manual")
        self.assertEqual(decisions[manual.id].amount_due, 500.0)
