from odoo.tests import Form

from .common import RelanceCommon


class RelanceCreditCommon(RelanceCommon):
    def _hold(self, partner, reason):
        self.env["relance.credit.hold"].create(
            {"partner_id": partner.id, "mode": "hold", "reason": reason}
        ).action_apply()

    def _draft(self, partner, amount):
        return self._relance_invoice(partner, amount, days_late=-30, post=False)

    def _notes(self, partner):
        return self.env["relance.interaction"].search(
            [("partner_id", "=", partner.id), ("kind", "=", "note")], order="id"
        )

    def _override(self, record, reason):
        action = record.action_relance_override_hold()
        with Form(self.env[action["res_model"]].with_context(action["context"])) as wizard:
            wizard.reason = reason
        wizard.record.action_apply()

    def _block_mode(self, limit, partner=None):
        self.company.write({"account_use_credit_limit": True, "relance_credit_limit_mode": "block"})
        (partner or self.customer).credit_limit = limit
