from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceAccess(RelanceCommon):
    """Who may change what: each forbidden write, made through the ORM by a real user of the
    group, is refused with a clear message and changes nothing; what is allowed leaves a trace."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def user(login, groups, company=None):
            company = company or cls.company
            return new_test_user(
                cls.env,
                login=login,
                name=login.replace("_", " ").title(),
                email=f"{login}@example.fr",
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.contacts_user = user("access_contacts", "base.group_user,base.group_partner_manager")
        cls.invoicing_user = user("access_invoicing", "account.group_account_invoice,base.group_partner_manager")
        cls.relance_user = user(
            "access_relance", "relance_impayes.relance_impayes_group_user,base.group_partner_manager"
        )
        cls.manager = user("access_manager", "relance_impayes.relance_impayes_group_manager,base.group_partner_manager")
        cls.strict_policy = cls.policy.copy({"name": "Stricte"})

    def _hold(self, partner, reason="Redressement judiciaire"):
        self.env["relance.credit.hold"].create(
            {"partner_id": partner.id, "mode": "hold", "reason": reason}
        ).action_apply()

    def _notes(self, partner):
        return self.env["relance.interaction"].search(
            [("partner_id", "=", partner.id), ("kind", "=", "note")], order="id"
        )

    # ------------------------------------------------------------------
    # Customers: hold, manual follow-up, policy
    # ------------------------------------------------------------------
    def test_contacts_and_invoicing_users_cannot_touch_dunning_controls(self):
        self._hold(self.customer)
        notes = self._notes(self.customer)
        for user in (self.contacts_user, self.invoicing_user, self.relance_user):
            partner = self.customer.with_user(user)
            for vals in (
                {"relance_credit_hold": False},
                {"relance_hold_reason": "Paid"},
                {"relance_manual": True},
                {"relance_policy_id": self.strict_policy.id},
                {"relance_penalty_waived": True, "relance_penalty_waive_reason": "Friend"},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaisesRegex(AccessError, "Relances manager"):
                    partner.write(vals)
        self.env.invalidate_all()
        self.assertTrue(self.customer.relance_credit_hold)
        self.assertEqual(self.customer.relance_hold_reason, "Redressement judiciaire")
        self.assertFalse(self.customer.relance_manual)
        self.assertFalse(self.customer.relance_policy_id)
        self.assertFalse(self.customer.relance_penalty_waived)
        self.assertEqual(self._notes(self.customer), notes, "nothing logged for a refused change")
        # other contact details stay the contacts user's
        self.customer.with_user(self.contacts_user).write({"phone": "+33 4 78 00 00 00", "relance_manual": False})
        self.assertEqual(self.customer.phone, "+33 4 78 00 00 00")

    def test_contacts_user_cannot_create_a_customer_on_manual_follow_up(self):
        with self.assertRaisesRegex(AccessError, "Relances manager"):
            self.env["res.partner"].with_user(self.contacts_user).create({"name": "Sneaky", "relance_manual": True})
        with self.assertRaisesRegex(AccessError, "Credit hold buttons"):
            self.env["res.partner"].with_user(self.contacts_user).create({"name": "Sneaky", "relance_risk_score": 1})
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Sneaky")]))

    def test_manager_change_is_logged_with_old_and_new_value(self):
        notes = self._notes(self.customer)
        self.customer.with_user(self.manager).write(
            {"relance_manual": True, "relance_policy_id": self.strict_policy.id}
        )
        self.assertTrue(self.customer.relance_manual)
        self.assertEqual(self.customer.relance_policy_id, self.strict_policy)
        note = self._notes(self.customer) - notes
        self.assertEqual(len(note), 1)
        self.assertEqual(note.user_id, self.manager, "who")
        self.assertTrue(note.date, "when")
        self.assertIn("Access Manager", note.summary)
        self.assertIn("Manual follow-up: No → Yes", note.body)
        self.assertIn(f"Dunning policy: - → {self.strict_policy.name}", note.body)
        self.assertTrue(note.integrity_hash, "sealed like any evidence")

    def test_hold_only_through_the_wizard_with_a_reason(self):
        with self.assertRaisesRegex(AccessError, "Credit hold buttons"):
            self.customer.with_user(self.manager).write({"relance_credit_hold": True})
        self.assertFalse(self.customer.relance_credit_hold)
        wizard = self.env["relance.credit.hold"].with_user(self.manager)
        with self.assertRaisesRegex(UserError, "reason"):
            wizard.create({"partner_id": self.customer.id, "mode": "hold", "reason": "   "}).action_apply()
        self.assertFalse(self.customer.relance_credit_hold)
        wizard.create(
            {"partner_id": self.customer.id, "mode": "hold", "reason": "Cessation de paiements"}
        ).action_apply()
        self.assertTrue(self.customer.relance_credit_hold)
        self.assertEqual(self._notes(self.customer)[-1].summary, "Credit hold: Cessation de paiements")
        self.assertEqual(self._notes(self.customer)[-1].user_id, self.manager)

    # ------------------------------------------------------------------
    # Hold overrides
    # ------------------------------------------------------------------
    def test_override_context_key_no_longer_lets_anything_through(self):
        self._hold(self.customer)
        draft = self._relance_invoice(self.customer, 500, days_late=-30, post=False)
        with self.assertRaisesRegex(UserError, "Redressement judiciaire"):
            draft.with_user(self.manager).with_context(relance_hold_override=True).action_post()
        self.assertEqual(draft.state, "draft")
        with self.assertRaisesRegex(UserError, "reason"):
            draft.with_user(self.manager)._relance_override_credit_hold("  ")
        self.assertEqual(draft.state, "draft")
        action = draft.with_user(self.manager).action_relance_override_hold()
        with Form(self.env[action["res_model"]].with_user(self.manager).with_context(action["context"])) as form:
            form.reason = "Acompte reçu par virement"
        form.record.action_apply()
        self.assertEqual(draft.state, "posted")
        self.assertIn("Acompte reçu par virement", self._notes(self.customer)[-1].summary)

    # ------------------------------------------------------------------
    # Invoices: dunning state, exclusion
    # ------------------------------------------------------------------
    def test_dunning_state_written_by_the_engine_or_a_manager_only(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        for user in (self.invoicing_user, self.relance_user):
            for vals in ({"relance_level_id": self.lvl_litigation.id}, {"relance_date": TODAY}):
                with self.subTest(user=user.login, vals=vals), self.assertRaisesRegex(AccessError, "Relances manager"):
                    inv.with_user(user).write(vals)
        self.env.invalidate_all()
        self.assertFalse(inv.relance_level_id)
        self.assertFalse(inv.relance_date)
        # the engine climbs whoever runs it
        self.env["relance.engine"].with_user(self.relance_user)._climb({inv.id: self.lvl_amiable}, TODAY)
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
        # a manager's correction is kept on the invoice
        inv.with_user(self.manager).write({"relance_level_id": self.lvl_phone.id})
        self.assertEqual(inv.relance_level_id, self.lvl_phone)
        trace = inv.message_ids.filtered(lambda m: "changed by hand" in (m.body or ""))
        self.assertEqual(len(trace), 1)
        self.assertIn("Access Manager", trace.body)
        self.assertIn(f"{self.lvl_amiable.name} → {self.lvl_phone.name}", trace.body)

    def test_exclusion_is_a_relances_users_decision_and_logged(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        with self.assertRaisesRegex(AccessError, "Relances user"):
            inv.with_user(self.invoicing_user).write(
                {"relance_excluded": True, "relance_exclusion_reason": "Litige qualité"}
            )
        self.assertFalse(inv.relance_excluded)
        notes = self._notes(self.customer)
        inv.with_user(self.relance_user).write({"relance_excluded": True, "relance_exclusion_reason": "Litige qualité"})
        self.assertTrue(inv.relance_excluded)
        note = self._notes(self.customer) - notes
        self.assertEqual(len(note), 1)
        self.assertEqual(note.move_ids, inv)
        self.assertEqual(note.user_id, self.relance_user)
        self.assertIn("Litige qualité", note.summary)

    # ------------------------------------------------------------------
    # Penalty lines
    # ------------------------------------------------------------------
    def test_a_note_line_cannot_make_a_penalty_invoice(self):
        overdue = self._relance_invoice(self.customer, 100, days_late=60)
        self._hold(self.customer)
        other = self._relance_invoice(self.customer_b, 1000, days_late=60)
        line_vals = {"display_type": "line_note", "name": "voir facture", "relance_penalty_source_id": other.id}
        draft = self._relance_invoice(self.customer, 500, days_late=-30, post=False)
        with self.assertRaisesRegex(AccessError, "Invoice penalties button"):
            draft.with_user(self.invoicing_user).write({"invoice_line_ids": [Command.create(line_vals)]})
        self.assertFalse(draft.invoice_line_ids.relance_penalty_source_id)
        with self.assertRaisesRegex(AccessError, "Invoice penalties button"):
            draft.invoice_line_ids.with_user(self.invoicing_user).write({"relance_penalty_source_id": other.id})
        # even when the application (superuser) writes such lines, a sale stays a sale
        with self.assertRaisesRegex(ValidationError, "Only an invoice line with an amount"):
            draft.sudo().write({"invoice_line_ids": [Command.create(line_vals)]})
        draft.invoice_line_ids.sudo().filtered(lambda line: line.display_type == "product").write(
            {"relance_penalty_source_id": overdue.id}
        )
        draft.write({"invoice_line_ids": [Command.create({"name": "Prestation", "quantity": 1, "price_unit": 80})]})
        self.assertTrue(draft.invoice_line_ids.relance_penalty_source_id)
        self.assertFalse(draft.relance_is_penalty_invoice, "not every product line is a penalty line")
        with self.assertRaisesRegex(UserError, "credit hold"):
            draft.with_user(self.invoicing_user).action_post()
        self.assertFalse(other.relance_indemnity_charged)

    def test_penalty_line_of_another_customer_or_company_is_refused(self):
        other = self._relance_invoice(self.customer_b, 1000, days_late=60)
        draft = self._relance_invoice(self.customer, 40, days_late=-30, post=False)
        with self.assertRaisesRegex(ValidationError, "charged to that customer only"):
            draft.invoice_line_ids.sudo().write({"relance_penalty_source_id": other.id})
        self.assertFalse(other.relance_indemnity_charged)

    # ------------------------------------------------------------------
    # Payment plans
    # ------------------------------------------------------------------
    def _plan(self, partner, inv, company=None):
        plan = (
            self.env["relance.payment.plan"]
            .with_company(company or self.company)
            .create(
                {
                    "partner_id": partner.id,
                    "move_ids": [Command.set(inv.ids)],
                    "installment_count": 2,
                    "first_date": TODAY + timedelta(days=10),
                }
            )
        )
        plan.action_generate()
        return plan

    def test_plan_lines_of_another_company_are_out_of_reach(self):
        other = self.setup_other_company(name="Filiale Sud")["company"]
        inv = self._relance_invoice(self.customer, 1000, days_late=20, company=other)
        plan = self._plan(self.customer, inv, company=other)
        lines = plan.line_ids
        Line = self.env["relance.payment.plan.line"].with_user(self.relance_user)
        self.assertFalse(Line.search([("id", "in", lines.ids)]))
        with self.assertRaises(AccessError):
            Line.browse(lines.ids).read(["amount"])
        with self.assertRaises(AccessError):
            Line.browse(lines.ids).unlink()
        self.assertEqual(len(lines.exists()), 2)

    def test_plan_lines_are_frozen_once_confirmed(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        plan = self._plan(self.customer, inv)
        plan.with_user(self.relance_user).line_ids[0].amount = 400  # draft: the schedule is negotiated
        plan.with_user(self.relance_user).line_ids[1].amount = 600
        plan.with_user(self.relance_user).action_confirm()
        lines = plan.line_ids.with_user(self.relance_user)
        with self.assertRaisesRegex(AccessError, "agreed with the customer"):
            lines[0].write({"amount": 1000})
        with self.assertRaisesRegex(AccessError, "agreed with the customer"):
            lines[1].unlink()
        with self.assertRaisesRegex(AccessError, "agreed with the customer"):
            lines.create({"plan_id": plan.id, "date": TODAY, "amount": 1})
        with self.assertRaisesRegex(AccessError, "followed by the application"):
            self._plan(self.customer, self._relance_invoice(self.customer, 10, days_late=5)).line_ids.with_user(
                self.relance_user
            ).write({"amount_paid": 10})
        self.assertEqual(plan.line_ids.mapped("amount"), [400, 600])

    def test_plan_without_instalments_is_not_paid(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        plan = self._plan(self.customer, inv)
        plan.action_confirm()
        plan.line_ids.sudo().unlink()  # the application (superuser) only
        plan._relance_update_state(TODAY, payments_only=False)
        self.assertEqual(plan.state, "active", "no instalment is not every instalment paid")

    # ------------------------------------------------------------------
    # Communications
    # ------------------------------------------------------------------
    def _communication(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        decision = self.env["relance.engine"]._manual_decision(self.company, self.lvl_amiable, inv, TODAY)
        Comm = self.env["relance.communication"]
        return Comm.create(Comm._prepare_vals(self.company, decision, TODAY, origin="manual"))

    def test_communication_user_edits_only_the_message_while_open(self):
        comm = self._communication()
        mine = comm.with_user(self.relance_user)
        mine.write({"subject": "Votre facture", "body_html": "<p>Bonjour</p>"})
        self.assertEqual(comm.subject, "Votre facture")
        amount = comm.amount_due
        for vals in ({"state": "sent"}, {"amount_due": 1}, {"attempt_count": 0}, {"date": TODAY - timedelta(days=9)}):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, "Only the subject"):
                mine.write(vals)
        comm.sudo().state = "sent"  # the application
        with self.assertRaisesRegex(AccessError, "sent or cancelled"):
            mine.write({"subject": "Autre"})
        self.env.invalidate_all()
        self.assertEqual((comm.state, comm.amount_due, comm.subject), ("sent", amount, "Votre facture"))

    def test_communication_buttons_still_work_for_users(self):
        comm = self._communication()
        comm.with_user(self.relance_user).action_cancel()
        self.assertEqual(comm.state, "cancelled")

    # ------------------------------------------------------------------
    # Credit review to-do
    # ------------------------------------------------------------------
    def test_credit_review_todo_reads_with_the_users_rights(self):
        other = self.setup_other_company(name="Filiale Nord")["company"]
        hidden = self._relance_customer("Secret SA", company_id=other.id)
        self.company.relance_review_exposure = 100
        self._relance_invoice(self.customer, 1000, days_late=20)
        action = self.env["res.partner"].with_user(self.manager).action_relance_credit_review_todo()
        ids = action["domain"][0][2]
        self.assertIn(self.customer.id, ids)
        self.assertNotIn(hidden.id, ids)
        readable = self.env["res.partner"].with_user(self.manager).search([("id", "in", ids)])
        self.assertEqual(set(readable.ids), set(ids), "only customers the manager may read")
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.contacts_user)._relance_credit_review_due_ids(self.company)

    # ------------------------------------------------------------------
    # Penalty invoices
    # ------------------------------------------------------------------
    def _penalty_wizard(self, invoices, on=TODAY, user=None):
        return (
            self.env["relance.penalty.invoice"]
            .with_user(user or self.relance_user)
            .create({"move_ids": [Command.set(invoices.ids)], "date": on})
        )

    def _penalty_accounts(self, account_type="income"):
        accounts = [
            self.env["account.account"].create({"code": code, "name": code, "account_type": account_type})
            for code in ("763198", "758198")
        ]
        self.company.write(
            {"relance_interest_account_id": accounts[0].id, "relance_indemnity_account_id": accounts[1].id}
        )

    def test_penalty_wizard_refuses_a_future_date(self):
        self._penalty_accounts()
        inv = self._relance_invoice(self.customer, 10000, days_late=30)
        with self.assertRaisesRegex(UserError, "in the future"):
            self._penalty_wizard(inv, on=TODAY + timedelta(days=1)).action_create()
        self.assertFalse(inv.relance_penalty_line_ids)

    def test_penalty_wizard_needs_income_accounts(self):
        self._penalty_accounts(account_type="expense")
        inv = self._relance_invoice(self.customer, 10000, days_late=30)
        with self.assertRaisesRegex(UserError, "is not an income account"):
            self._penalty_wizard(inv).action_create()
        self.assertFalse(inv.relance_penalty_line_ids)

    def test_second_penalty_wizard_charges_nothing(self):
        """Two wizards opened on the same invoices: the second, run after the first, reads what
        was charged after taking its lock and charges nothing."""
        self._penalty_accounts()
        inv = self._relance_invoice(self.customer, 10000, days_late=30)
        first, second = self._penalty_wizard(inv), self._penalty_wizard(inv)
        self.assertIn(inv.name, second.summary, "both wizards showed the penalties as due")
        first.action_create()
        lines = inv.relance_penalty_line_ids
        self.assertEqual(sorted(lines.mapped("relance_penalty_kind")), ["indemnity", "interest"])
        with self.assertRaisesRegex(UserError, "Nothing to charge"):
            second.action_create()
        self.assertEqual(inv.relance_penalty_line_ids, lines)
        self.assertTrue(lines.move_id.relance_is_penalty_invoice)
