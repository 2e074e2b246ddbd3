import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, RelanceCommon
from .test_relance_legal_letters import as_text

# 10 000 invoiced 40 days before TODAY (10/03/2026) on 50 % at 30 days + 50 % at 60 days:
# 5 000 due on 28/02/2026 (10 days late on TODAY), 5 000 due on 30/03/2026 (not yet due).
INVOICED = TODAY - timedelta(days=40)
FIRST_DUE = INVOICED + timedelta(days=30)
SECOND_DUE = INVOICED + timedelta(days=60)
DAY_70 = INVOICED + timedelta(days=70)


def spaced(text):
    """``text`` with every kind of space (NBSP, narrow NBSP of French numbers) as a plain one."""
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


@tagged("post_install", "-at_install")
class TestRelanceInstalmentReminders(RelanceCommon):
    """A reminder claims only the instalments due by its date; "overdue" everywhere means late
    instalments (issue 12, item 1)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.half_and_half = cls.env["account.payment.term"].create(
            {
                "name": "Half at 30 days, half at 60 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": days}) for days in (30, 60)
                ],
            }
        )

    def _split_invoice(self, partner=None, amount=10000, invoiced=INVOICED):
        move = self._relance_invoice(partner or self.customer, amount, post=False, invoice_date=invoiced, due=invoiced)
        move.invoice_payment_term_id = self.half_and_half
        move.action_post()
        return move

    def _french_customer(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["relance_impayes"], ["fr_FR"], overwrite=True)
        self.customer.lang = "fr_FR"

    def _letter(self, comm, lang=None):
        """The letter as text; ``lang``: the language it is printed in (numbers and dates follow
        the printing user's language, not the customer's: the letters room's business)."""
        report = self.env["ir.actions.report"].with_context(lang=lang)
        html = report._render_qweb_html("relance_impayes.action_report_relance_letter", comm.ids)[0]
        return spaced(as_text(html.decode()))

    # ------------------------------------------------------------------
    # What a reminder claims
    # ------------------------------------------------------------------
    def test_reminder_claims_only_the_instalment_due(self):
        self._french_customer()
        inv = self._split_invoice()
        self.assertEqual(inv._relance_instalment_lines().mapped("date_maturity"), [FIRST_DUE, SECOND_DUE])
        decision = self._decide()[self.customer.id]
        self.assertIsNone(decision.skip_reason)
        self.assertEqual(decision.level_id, self.lvl_amiable.id)
        self.assertEqual(decision.amount_due, 5000.0)
        (step,) = decision.steps
        self.assertEqual((step.date_due, step.residual, step.days_late), (FIRST_DUE, 5000.0, 10))
        comm = self.env["relance.communication"]._plan(self.company, [decision], TODAY)
        self.assertEqual(comm.amount_due, 5000.0)
        self.assertEqual(comm.line_ids.mapped("amount_residual"), [5000.0])
        # read again at send time: still the first instalment only
        self.assertEqual(comm._relance_refresh_amounts(), comm)
        self.assertEqual((comm.amount_due, comm.line_ids.amount_residual), (5000.0, 5000.0))
        email = spaced(as_text(comm._render_email()[1]))
        letter = self._letter(comm, "fr_FR")
        for name, text in (("email", email), ("letter", letter)):
            # the test company's currency is the dollar: "$ 5 000,00" (in euros "5 000,00 €")
            self.assertIn("5 000,00", text, name)
            self.assertIn(FIRST_DUE.strftime("%d/%m/%Y"), text, name)
            self.assertNotIn("10 000,00", text, f"{name}: the instalment not yet due is not claimed")
            self.assertNotIn(SECOND_DUE.strftime("%d/%m/%Y"), text, name)

    def test_reminder_after_the_last_due_date_claims_the_whole_invoice(self):
        inv = self._split_invoice()
        decision = self._decide(on=DAY_70)[self.customer.id]
        self.assertEqual(decision.amount_due, 10000.0)
        self.assertEqual([(s.date_due, s.residual, s.days_late) for s in decision.steps], [(FIRST_DUE, 10000.0, 40)])
        with freeze_time(DAY_70):
            comm = self.env["relance.communication"]._plan(self.company, [decision], DAY_70)
            self.assertEqual(comm.line_ids.amount_residual, 10000.0)
            text = self._letter(comm)
        self.assertIn("10,000.00", text)  # in English: the customer has no language
        self.assertEqual(text.count("Instalment due"), 2, "both instalments are listed with their due dates")
        self.assertEqual(inv._relance_due_residual(DAY_70), 10000.0)

    def test_send_time_reads_the_instalments_again(self):
        """Planned with 5 000 due, then 2 000 paid on the first instalment: 3 000 left to claim."""
        inv = self._split_invoice()
        comm = self.env["relance.communication"]._plan(self.company, [self._decide()[self.customer.id]], TODAY)
        self._pay(inv, 2000.0)
        self.assertEqual(
            inv._relance_instalment_lines().mapped("amount_residual"), [3000.0, 5000.0], "paid on the earliest"
        )
        self.assertEqual(comm._relance_refresh_amounts(), comm)
        self.assertEqual((comm.amount_due, comm.line_ids.amount_residual), (3000.0, 3000.0))

    def test_courtesy_reminder_claims_the_earliest_instalment(self):
        """Invoiced 28 days ago: the first instalment falls due in 2 days, the courtesy level
        (3 days before) applies; it claims that instalment, 5 000, not the 10 000."""
        self.lvl_courtesy.active = True
        self._split_invoice(invoiced=TODAY - timedelta(days=28))
        decision = self._decide()[self.customer.id]
        self.assertEqual(decision.level_id, self.lvl_courtesy.id)
        (step,) = decision.steps
        self.assertEqual((step.date_due, step.residual, step.days_late), (TODAY + timedelta(days=2), 5000.0, -2))
        self.assertEqual(decision.amount_due, 5000.0)

    def test_invoice_with_one_due_date_is_claimed_whole(self):
        inv = self._relance_invoice(self.customer, 1234.56, days_late=10)
        self._pay(inv, 234.56)
        decision = self._decide()[self.customer.id]
        self.assertEqual([(s.residual, s.days_late) for s in decision.steps], [(1000.0, 10)])
        self.assertEqual(inv._relance_due_residual(TODAY), 1000.0)
        self.assertEqual(inv._relance_due_residual(TODAY - timedelta(days=30)), 1000.0, "not yet due: all of it")

    def test_manual_reminder_claims_only_the_instalment_due(self):
        inv = self._split_invoice()
        engine = self.env["relance.engine"]
        decision = engine._manual_decision(self.company, self.lvl_phone, inv, TODAY)
        self.assertEqual(decision.amount_due, 5000.0)
        self.assertEqual([(s.date_due, s.residual) for s in decision.steps], [(FIRST_DUE, 5000.0)])
        self.assertEqual(engine._manual_decision(self.company, self.lvl_phone, inv, DAY_70).amount_due, 10000.0)

    # ------------------------------------------------------------------
    # What is overdue
    # ------------------------------------------------------------------
    def test_overdue_amount_and_call_priority_read_instalments(self):
        inv = self._split_invoice()
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relance_due_amount, 10000.0)
        self.assertEqual(self.customer.relance_overdue_amount, 5000.0)
        # 5 000 overdue x 10 days late of the oldest late instalment
        self.assertEqual(self.customer._relance_call_priority(TODAY), 50000.0)
        self.assertEqual(self.customer._relance_call_priority(DAY_70), 10000.0 * 40)
        # the calls of a batch: the same priorities, one query per date
        other = self._relance_customer("Autre SARL")
        self._relance_invoice(other, 300, days_late=4)
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        batch = self.env["res.partner"]._relance_call_priorities([(self.customer, TODAY), (other, TODAY)])
        self.assertEqual(self.env.cr.sql_log_count - before, 1)
        self.assertEqual(batch, {(self.customer.id, TODAY): 50000.0, (other.id, TODAY): 1200.0})
        # the first instalment paid: nothing overdue until the second falls due
        self._pay(inv, 5000.0)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relance_overdue_amount, 0.0)
        self.assertEqual(self.customer._relance_call_priority(TODAY), 0.0)
        action = self.customer.action_relance_promise()
        self.assertEqual((action["context"]["default_move_ids"], action["context"]["default_amount"]), ([], 0))

    def test_negotiation_opens_on_the_late_instalments(self):
        inv = self._split_invoice()
        self._relance_invoice(self.customer, 700, days_late=-5)  # not due yet: not in a promise
        context = self.customer.action_relance_payment_plan()["context"]
        self.assertEqual(context["default_move_ids"], inv.ids)
        self.assertEqual(context["default_amount"], 5000.0)

    def test_call_log_records_the_amount_overdue(self):
        inv = self._split_invoice()
        wizard = self.env["relance.call.log"].create(
            {"partner_id": self.customer.id, "outcome": "promise", "promise_amount": 5000.0, "promise_date": TODAY}
        )
        wizard.action_log()
        call = self.env["relance.interaction"].search([("partner_id", "=", self.customer.id), ("kind", "=", "call")])
        self.assertEqual(call.amount, 5000.0)
        promise = self.env["relance.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promise.move_ids, inv)

    def test_portal_counts_days_late_from_the_earliest_unpaid_instalment(self):
        inv = self._split_invoice()
        later = self._relance_invoice(self.customer, 300, days_late=3)
        account = self.customer._relance_portal_account(self.company, TODAY)
        self.assertEqual(
            [(row["move"], row["due"], row["late"], row["residual"]) for row in account["rows"]],
            [(inv, FIRST_DUE, 10, 10000.0), (later, TODAY - timedelta(days=3), 3, 300.0)],
        )
