import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

_logger = logging.getLogger(__name__)


class RelanceNegotiationMixin(models.AbstractModel):
    """What promises, payment plans and disputes share: a customer of a company, every step
    they take written in the customer's history and chatter, and the daily follow-up loop
    (:meth:`_relance_update_states`) whose rule each model supplies
    (:meth:`_relance_running_domain`, :meth:`_relance_update_state`)."""

    _name = "relance.negotiation.mixin"
    _description = "Negotiation with a customer"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, index=True, check_company=True, domain="[('parent_id', '=', False)]"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    def _log_details(self):
        """``(amount, body)`` recorded with each step."""
        return 0.0, False

    def _log(self, summary, kind="note", direction="internal", attachments=None):
        self.ensure_one()
        amount, body = self._log_details()
        self.env["relance.interaction"].sudo().with_context(mail_create_nolog=True).create(
            {
                "company_id": self.company_id.id,
                "partner_id": self.partner_id.id,
                "kind": kind,
                "direction": direction,
                "summary": summary,
                "body": body,
                "amount": amount,
                "move_ids": [fields.Command.set(self.move_ids.ids)],
                "level_id": self.move_ids.relance_level_id[-1:].id,
                "attachment_ids": [fields.Command.set(attachments.ids if attachments else [])],
            }
        )
        self.partner_id._relance_log(summary)

    # ------------------------------------------------------------------
    # Daily follow-up
    # ------------------------------------------------------------------
    @api.model
    def _relance_update_states(self, moves=None, date=None, company=None, payments_only=False):
        """Move the running negotiations on: called by the daily run (context date) for a
        company, and with ``payments_only`` when a payment is reconciled with ``moves``."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        domain = self._relance_running_domain()
        if moves is not None:
            domain &= Domain("move_ids", "in", moves.ids)
        if company is not None:
            domain &= Domain("company_id", "=", company.id)
        for record in self.search(domain):
            try:
                with self.env.cr.savepoint():
                    record._relance_update_state(date, payments_only)
            except Exception as error:  # noqa: BLE001 - one record's fault must not stop the others
                record._relance_update_failed(error)

    def _relance_update_failed(self, error):
        """The follow-up of this record failed (rolled back): say so on its chatter, try again tomorrow."""
        self.ensure_one()
        if isinstance(error, UserError | ValidationError):
            _logger.warning("Follow-up of %s failed: %s", self, error)
        else:
            _logger.exception("Follow-up of %s failed", self)
        self.message_post(
            body=self.env._("The daily follow-up could not update this record: %(error)s", error=str(error)),
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _relance_running_domain(self):
        """The records the daily follow-up looks at (none unless the model says)."""
        return Domain.FALSE

    def _relance_update_state(self, date, payments_only):
        """The model's rule for one running record on ``date``; ``payments_only``: a payment
        came in, only what it settles may change."""
        self.ensure_one()

    def _relance_invoices_settled(self):
        """Every invoice of the record is paid (or reversed)."""
        return all(move.payment_state in ("paid", "in_payment", "reversed") for move in self.move_ids)
