from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelancePlan(RelanceCommon):
    """The plan inserts the reminders' lines set-based: what the ORM's create gave stays true."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls._relance_user("plan_user", "Plan User", "plan@example.fr")
        cls.old = cls._relance_invoice(cls.customer, 1000.005, days_late=40)
        cls.recent = cls._relance_invoice(cls.customer, 250.0, days_late=6)
        cls._relance_invoice(cls.customer_b, 80.0, days_late=6)

    def _due(self, on=TODAY):
        return [d for d in self._decide(on).values() if d.skip_reason is None]

    def test_lines_inserted_with_the_orm_bookkeeping(self):
        decisions = self._due()
        self.assertFalse(self.customer.relance_communication_ids)  # in cache before the plan
        comms = self.env["relance.communication"].with_user(self.user)._plan(self.company, decisions, TODAY)
        self.assertEqual(
            self.customer.relance_communication_ids, comms.filtered(lambda c: c.partner_id == self.customer)
        )
        self.assertEqual(comms.partner_id, self.customer | self.customer_b)
        comm = comms.filtered(lambda c: c.partner_id == self.customer)
        decision = next(d for d in decisions if d.partner_id == self.customer.id)
        self.assertEqual(comm.line_ids.move_id, self.old | self.recent, "lines visible at once, no stale cache")
        self.assertEqual(comm.move_ids, self.old | self.recent)
        self.assertEqual(comm.currency_id, self.company.currency_id)
        self.assertAlmostEqual(comm.amount_due, decision.amount_due)
        self.assertAlmostEqual(sum(comm.line_ids.mapped("amount_residual")), comm.amount_due)
        for step in decision.steps:
            line = comm.line_ids.filtered(lambda ln, s=step: ln.move_id.id == s.move_id)
            self.assertEqual(line.level_id.id or None, step.target_level_id)
            self.assertEqual((line.date_due, line.days_late), (step.date_due, step.days_late))
            self.assertEqual(line.amount_residual, self.company.currency_id.round(step.residual))
        self.env.invalidate_all()
        self.assertEqual(comm.line_ids.create_uid, self.user, "written by who planned, as create does")
        self.assertTrue(all(comm.line_ids.mapped("create_date")))
        self.assertEqual(comm.line_ids.write_uid, self.user)
        # the reminders themselves: one INSERT, what create gives (defaults, bookkeeping)
        defaults = comm.default_get(["state", "origin", "letter_state"])
        self.assertEqual((comm.state, comm.origin, comm.letter_state), tuple(defaults.values()))
        self.assertEqual((comm.create_uid, comm.write_uid, comm.company_id), (self.user, self.user, self.company))
        self.assertTrue(comm.create_date)
        self.assertEqual((comm.attempt_count, comm.post_send_pending), (0, False))
        self.assertEqual(comm.contact_id, self.customer._relance_invoice_contact())

    def test_refresh_replaces_the_lines(self):
        Comm = self.env["relance.communication"]
        comms = Comm._plan(self.company, self._due(), TODAY)
        comm = comms.filtered(lambda c: c.partner_id == self.customer)
        old_lines = comm.line_ids
        self._pay(self.recent, 250.0)
        tomorrow = TODAY + timedelta(days=1)
        again = Comm._plan(self.company, self._due(tomorrow), tomorrow)
        self.assertIn(comm, again, "the open reminder is refreshed, not doubled")
        self.assertEqual(Comm.search_count([("partner_id", "=", self.customer.id)]), 1)
        self.assertFalse(old_lines.exists(), "yesterday's lines are gone")
        self.assertEqual(comm.line_ids.move_id, self.old, "the paid invoice left the reminder")
        self.assertEqual(comm.date, tomorrow)
        self.assertEqual(comm.key, Comm._make_key(self.company, self.customer.id, tomorrow))
        self.assertAlmostEqual(comm.amount_due, self.old.amount_residual)

    def test_no_plan_without_reminder_rights(self):
        outsider = new_test_user(self.env, login="plan_outsider", groups="base.group_user", company_id=self.company.id)
        with self.assertRaises(AccessError):
            self.env["relance.communication"].with_user(outsider)._plan(self.company, self._due(), TODAY)
        self.assertFalse(self._comms())

    def test_lines_of_a_sent_reminder_are_never_replanned(self):
        comm = self.env["relance.communication"]._plan(self.company, self._due(), TODAY)[:1]
        comm.sudo().state = "sent"
        lines = self.env["relance.communication.line"]
        decision = next(d for d in self._due() if d.partner_id == comm.partner_id.id)
        with self.assertRaises(AccessError):
            lines.with_user(self.user)._relance_insert([(comm.with_user(self.user), decision.steps)])
        with self.assertRaises(ValueError):  # nor the application itself
            lines.sudo()._relance_insert([(comm.sudo(), decision.steps)])
        self.assertEqual(len(comm.line_ids), len(decision.steps), "nothing added to the evidence")
