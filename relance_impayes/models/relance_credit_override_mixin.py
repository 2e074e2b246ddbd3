from contextvars import ContextVar

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# Documents ``(model, id)`` a manager is letting through the hold in this call of the override
# wizard: no client can set it (unlike a context key), and it ends with the override.
_OVERRIDES = ContextVar("relance_hold_overrides", default=frozenset())


class RelanceCreditOverrideMixin(models.AbstractModel):
    """A customer document that a credit hold blocks (invoice, sales order), and the manager's
    override that lets one through, logged with its reason.

    The inheriting model says who the customer is (:meth:`_relance_credit_partner`), whether the
    document is concerned (:meth:`_relance_credit_applies`) and still waiting
    (:meth:`_relance_credit_pending`), how it goes through (:meth:`_relance_credit_let_through`)
    and what the user reads when it is blocked (:meth:`_relance_credit_hold_message`). Its core
    override (``_post``, ``_confirmation_error_message``) calls :meth:`_relance_credit_hold_error`.
    """

    _name = "relance.credit.override.mixin"
    _description = "Document blocked by a credit hold"

    relance_credit_hold = fields.Boolean("Customer on credit hold", compute="_compute_relance_credit_hold")
    relance_hold_reason = fields.Char("Credit hold reason", compute="_compute_relance_credit_hold")

    def _relance_credit_hold_depends(self):
        """Fields the hold of the document depends on (the customer, the company, the state)."""
        return ["partner_id", "company_id", "state"]

    def _relance_credit_partner(self):
        """The customer whose hold applies: the commercial partner of the document."""
        self.ensure_one()
        return self.partner_id.commercial_partner_id

    def _relance_credit_applies(self):
        """Whether this kind of document is blocked by a hold at all."""
        return True

    def _relance_credit_pending(self):
        """Whether the document still waits for the step a hold blocks (posting, confirming)."""
        return self.state == "draft"

    def _relance_credit_let_through(self):
        """The step a hold blocks, run once the override is granted."""
        raise NotImplementedError

    def _relance_credit_hold_message(self, reason):
        """What the user reads when the document is blocked."""
        return self.env._(
            "%(document)s is blocked: %(customer)s is on credit hold (%(reason)s). A Relances manager can "
            "override the hold for this document.",
            document=self.display_name,
            customer=self._relance_credit_partner().display_name,
            reason=reason,
        )

    def _relance_credit_log_moves(self):
        """Invoices the override note in the customer's history is about."""
        return None

    @api.depends(lambda self: self._relance_credit_hold_depends())
    def _compute_relance_credit_hold(self):
        for document in self:
            reason = document._relance_credit_pending() and document._relance_credit_block_reason()
            document.relance_credit_hold = bool(reason)
            document.relance_hold_reason = reason or False

    def _relance_credit_block_reason(self):
        """Why this document may not go through, or ``False``: its customer is on hold, or it would
        take the customer over its credit limit while the company blocks (core's warning)."""
        self.ensure_one()
        partner = self._relance_credit_partner()
        if not partner or not self._relance_credit_applies():
            return False
        credit = self.env["relance.credit"]
        company = self.company_id
        reason = credit._partner_block_reason(partner, company)
        if not reason and credit._limit_blocks(company):
            # core's warning reads the customer's receivable, not stored and without dependencies
            partner.sudo().invalidate_recordset(["credit", "credit_to_invoice"])
            self.invalidate_recordset(["partner_credit_warning"])
            reason = self.partner_credit_warning
        return reason

    def _relance_credit_hold_error(self):
        """The message blocking the first document of ``self`` that a hold stops, or ``False``
        (documents a manager lets through with the override wizard are not stopped)."""
        pending = self._relance_credit_not_overridden()
        for company, documents in pending.grouped("company_id").items():
            # one read for the batch: each customer is then read from the cache
            documents.partner_id.commercial_partner_id.sudo().with_company(company).fetch(
                ["relance_credit_hold", "relance_hold_reason"]
            )
        for document in pending:
            reason = document._relance_credit_block_reason()
            if reason:
                return document._relance_credit_hold_message(reason)
        return False

    def _relance_credit_not_overridden(self):
        """The documents of ``self`` that no manager is letting through with the override wizard."""
        overrides = _OVERRIDES.get()
        return self.filtered(lambda document: (document._name, document.id) not in overrides)

    def _relance_check_credit_hold(self):
        error = self._relance_credit_hold_error()
        if error:
            raise UserError(error)

    def action_relance_override_hold(self):
        """Managers let one document of a customer on hold through, giving the reason (logged)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override credit hold"),
            "res_model": "relance.credit.hold",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_mode": "override",
                "default_partner_id": self._relance_credit_partner().id,
                "default_res_model": self._name,
                "default_res_id": self.id,
            },
        }

    def _relance_override_credit_hold(self, reason):
        """Let the document through despite the hold, and say who did it and why: on the document
        and in the customer's history."""
        self.ensure_one()
        reason = (reason or "").strip()
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_manager"):
            raise AccessError(self.env._("Only a Relances manager can override a credit hold."))
        if not reason:
            raise UserError(self.env._("Give the reason for letting %(document)s through.", document=self.display_name))
        block = self._relance_credit_block_reason()
        token = _OVERRIDES.set(_OVERRIDES.get() | {(self._name, self.id)})
        try:
            self._relance_credit_let_through()
        finally:
            _OVERRIDES.reset(token)
        summary = self.env._(
            "Credit hold overridden for %(document)s by %(user)s: %(reason)s",
            document=self.name,
            user=self.env.user.name,
            reason=reason,
        )
        self.message_post(body=summary, subtype_xmlid="mail.mt_note")
        self.env["relance.credit"].with_company(self.company_id)._log(
            self._relance_credit_partner(),
            summary,
            body=self.env._("Hold: %(hold)s", hold=block) if block else None,
            moves=self._relance_credit_log_moves(),
        )
