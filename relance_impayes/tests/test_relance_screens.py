from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceScreens(RelanceCommon):
    """What the accountant clicks: to do, send wizard, calls, history, rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.relance_user = cls._relance_user("relance_user", "Romane Relance", "romane@example.fr")
        cls.relance_manager = cls._relance_user("relance_manager", "Marc Manager", "marc@example.fr", "manager")
        cls.invoicing_only = new_test_user(
            cls.env,
            login="invoicing_only",
            name="Ines Invoicing",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )

    def test_todo_lists_customers_due_today_largest_first(self):
        self._relance_invoice(self.customer, 300, days_late=6)
        self._relance_invoice(self.customer_b, 5000, days_late=6)
        quiet = self._relance_customer("Calme SARL")
        self._relance_invoice(quiet, 800, days_late=1)
        with freeze_time(TODAY):
            action = self.env["res.partner"].with_user(self.relance_user).action_relance_todo()
        self.assertEqual(action["domain"], [("id", "in", [self.customer_b.id, self.customer.id])])
        self.assertEqual(self.customer.with_context(tz="UTC").relance_overdue_amount, 300)

    def test_send_wizard_previews_edits_and_sends(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=2)
        with freeze_time(TODAY):
            wizard = Form(
                self.env["relance.send"].with_user(self.relance_user).with_context(default_partner_id=self.customer.id)
            )
            wizard.level_id = self.lvl_formal
            self.assertIn(inv, wizard.move_ids)
            action = wizard.save().action_prepare()
        comm = self.env["relance.communication"].browse(action["res_id"])
        self.assertEqual(comm.origin, "manual")
        self.assertIn(inv.name, comm.body_html)
        comm.body_html = "<p>Message personnalisé pour Dupont</p>"
        with self.mock_mail_gateway(), freeze_time(TODAY):
            comm.with_user(self.relance_user).action_send_now()
            self._send_queue()
        self.assertEqual(comm.state, "sent")
        self._run_letters()  # the letter follows the email (letters' step)
        self.assertIn("Message personnalisé", self._mails[0]["body"])
        self.assertEqual(inv.relance_level_id, self.lvl_formal, "sent by hand at the chosen level")
        self.assertEqual(
            comm.interaction_ids.filtered(lambda i: i.kind == "letter").attachment_ids.mimetype, "application/pdf"
        )

    def test_call_outcome_is_logged_and_decides_next_step(self):
        self._relance_invoice(self.customer, 1000, days_late=13)
        call_type = self.env.ref("relance_impayes.mail_activity_type_relance_call")
        activity = self.customer.activity_schedule(
            activity_type_id=call_type.id, date_deadline=TODAY, user_id=self.relance_user.id
        )
        with freeze_time(TODAY):
            action = activity.with_user(self.relance_user).action_relance_log_call()
            wizard = Form(self.env["relance.call.log"].with_user(self.relance_user).with_context(action["context"]))
            wizard.outcome = "no_answer"
            wizard.note = "Standard saturé"
            wizard.save().action_log()
        call = self.env["relance.interaction"].search([("partner_id", "=", self.customer.id), ("kind", "=", "call")])
        self.assertEqual(call.call_outcome, "no_answer")
        self.assertEqual(call.user_id, self.relance_user)
        self.assertFalse(activity.exists() and activity.active, "the call task is done")
        retry = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == call_type)
        self.assertEqual(retry.date_deadline, TODAY + timedelta(days=1), "no answer: call again tomorrow")

    def test_call_back_date_in_the_past_is_refused(self):
        with freeze_time(TODAY):
            wizard = (
                self.env["relance.call.log"]
                .with_user(self.relance_user)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "outcome": "call_back",
                        "call_back_date": TODAY - timedelta(days=1),
                    }
                )
            )
            with self.assertRaises(UserError):
                wizard.action_log()
        self.assertFalse(self.env["relance.interaction"].search([("partner_id", "=", self.customer.id)]))

    def test_interactions_are_append_only(self):
        interaction = self._relance_note("Appel entrant", self.relance_user)
        with self.assertRaises(UserError):
            interaction.summary = "Autre chose"
        with self.assertRaises(AccessError):
            interaction.unlink()
        with self.assertRaises(AccessError):
            interaction.with_user(self.relance_manager).unlink()
        with self.assertRaises(UserError):
            interaction.sudo().unlink()
        interaction.with_user(self.relance_manager).action_correct()
        self.env["relance.interaction.correct"].with_user(self.relance_manager).create(
            {
                "interaction_id": interaction.id,
                "summary": "Appel sortant, pas entrant",
            }
        ).action_confirm()
        self.assertEqual(interaction.correction_ids.summary, "Appel sortant, pas entrant")
        self.assertEqual(interaction.summary, "Appel entrant", "the original stays as it was")

    def test_access_rights_of_both_groups(self):
        policy_as_user = self.policy.with_user(self.relance_user)
        self.assertTrue(policy_as_user.name)
        with self.assertRaises(AccessError):
            policy_as_user.name = "Changed"
        with self.assertRaises(AccessError):
            self.lvl_amiable.with_user(self.relance_user).delay = 1
        self.lvl_amiable.with_user(self.relance_manager).delay = 6
        self.assertEqual(self.lvl_amiable.delay, 6)
        with self.assertRaises(AccessError):
            self.env["relance.communication"].with_user(self.invoicing_only).search([])
            self.env["relance.communication"].with_user(self.invoicing_only).check_access("read")
        with self.assertRaises(AccessError):
            self.env["relance.policy"].with_user(self.relance_user).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.env["relance.interaction.correct"].with_user(self.relance_user).create(
                {"interaction_id": 1, "summary": "x"}
            )

    def test_letter_report_renders_invoices_and_payment_details(self):
        inv = self._relance_invoice(self.customer, 1234.5, days_late=25)
        inv.write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=8)})
        with freeze_time(TODAY):
            self.env["relance.communication"]._plan(
                self.company,
                [d for d in self.env["account.move"]._relance_decide(self.company, TODAY) if not d.skip_reason],
                TODAY,
            )
        comm = self._comms(self.customer)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("relance_impayes.action_report_relance_letter", comm.ids)[0]
            .decode()
        )
        for expected in (inv.name, "Formal reminder", "L. 441-10", "Lyon", "/my/"):
            self.assertIn(expected, html)

    def test_users_cannot_forge_sent_evidence(self):
        with self.assertRaises(UserError):
            self.env["relance.interaction"].with_user(self.relance_user).create(
                {
                    "partner_id": self.customer.id,
                    "kind": "registered_letter",
                    "summary": "Faux recommandé",
                }
            )
