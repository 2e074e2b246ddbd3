from odoo import models
from odoo.exceptions import AccessError


class IrAttachment(models.Model):
    """Documents kept as evidence cannot be deleted, replaced or moved by a person.

    Evidence: the documents of the reminder history (letters, emails' attachments, registered
    letters' proofs, payment plan confirmations), whatever record they hang on, the files added
    to a history record, and the files of a payment plan once confirmed (the signed schedule).
    The application (superuser) keeps its hands free: it is the one that writes the evidence.
    """

    _inherit = "ir.attachment"

    _RELANCE_LOCKED_FIELDS = frozenset(
        {"raw", "datas", "db_datas", "store_fname", "checksum", "url", "type", "res_model", "res_id", "company_id"}
    )

    def _relance_evidence(self):
        """The attachments of ``self`` that are evidence."""
        attachments = self.sudo()
        if not attachments.ids:
            return attachments
        evidence = (
            self.env["relance.interaction"].sudo().search([("attachment_ids", "in", attachments.ids)]).attachment_ids
            & attachments
        )
        evidence |= attachments.filtered(lambda a: a.res_model == "relance.interaction" and a.res_id)
        on_plans = attachments.filtered(lambda a: a.res_model == "relance.payment.plan" and a.res_id)
        if on_plans:
            confirmed = self.env["relance.payment.plan"].sudo().browse(on_plans.mapped("res_id")).exists()
            confirmed = set(confirmed.filtered(lambda p: p.state != "draft").ids)
            evidence |= on_plans.filtered(lambda a: a.res_id in confirmed)
        return evidence

    def _relance_fingerprint(self):
        """What the integrity chain seals of a document: its content as stored now."""
        self.ensure_one()
        if self.type == "url":
            return f"url:{self.url or ''}"
        return self._compute_checksum(self.raw or b"")

    def write(self, vals):
        if not self.env.su and self._RELANCE_LOCKED_FIELDS & vals.keys() and self._relance_evidence():
            raise AccessError(
                self.env._(
                    "This document is kept as evidence of your exchanges with the customer: "
                    "it cannot be replaced or moved."
                )
            )
        return super().write(vals)

    def unlink(self):
        if not self.env.su and self._relance_evidence():
            raise AccessError(
                self.env._(
                    "This document is kept as evidence of your exchanges with the customer: it cannot be deleted."
                )
            )
        return super().unlink()
