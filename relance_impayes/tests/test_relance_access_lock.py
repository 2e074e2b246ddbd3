from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .common import move_values


@tagged("post_install", "-at_install")
class TestRelancePenaltyLock(TransactionCase):
    """Two people invoice the same penalties at the same time, each in their own transaction
    (two real cursors on committed data): one set of penalty lines in all."""

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _cleanup(self, partner_id):
        with self.env.registry.cursor() as cr:
            cr.execute(SQL("SELECT id FROM account_move WHERE commercial_partner_id = %s ORDER BY id DESC", partner_id))
            for (move_id,) in cr.fetchall():  # penalty invoices first: their lines point at the source
                cr.execute(SQL("DELETE FROM account_move WHERE id = %s", move_id))
            cr.execute(SQL("DELETE FROM res_partner WHERE id = %s", partner_id))

    def test_two_wizards_on_two_cursors_charge_once(self):
        registry = self.env.registry
        today = fields.Date.context_today(self.env["res.partner"])
        with registry.cursor() as cr:
            env = self._env(cr)
            company = env.ref("base.main_company")
            if not all(company._relance_penalty_accounts()):
                self.skipTest("the main company has no French chart of accounts")
            env = env(context={"allowed_company_ids": company.ids})
            partner = env["res.partner"].create({"name": "Concurrence SARL", "is_company": True})
            invoice = env["account.move"].create(
                move_values(partner, 10000, today - timedelta(days=90), today - timedelta(days=60))
            )
            invoice.action_post()
            partner_id, invoice_id, company_id = partner.id, invoice.id, company.id
        self.addCleanup(self._cleanup, partner_id)

        def wizard(env):
            env = env(context={"allowed_company_ids": [company_id]})
            return env["relance.penalty.invoice"].create({"move_ids": [Command.set([invoice_id])], "date": today})

        cr_a, cr_b = registry.cursor(), registry.cursor()
        try:
            env_a, env_b = self._env(cr_a), self._env(cr_b)
            wizard(env_a).action_create()  # first person: lines created, source locked until commit
            with self.assertRaisesRegex(UserError, "right now"):
                wizard(env_b).action_create()  # second person, at the same time: told to wait
            cr_b.rollback()
            cr_a.commit()
            with self.assertRaisesRegex(UserError, "Nothing to charge"):
                wizard(env_b).action_create()  # trying again: what the first charged is read
            cr_b.rollback()
            lines = env_b["account.move.line"].search([("relance_penalty_source_id", "=", invoice_id)])
            self.assertEqual(sorted(lines.mapped("relance_penalty_kind")), ["indemnity", "interest"])
            self.assertEqual(len(lines.move_id), 1, "one penalty invoice")
        finally:
            cr_a.close()
            cr_b.close()
