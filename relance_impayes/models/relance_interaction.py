from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

CALL_OUTCOMES = [
    ("promise", "Reached: promised to pay"),
    ("dispute", "Reached: disputes the invoice"),
    ("will_pay", "Reached: will pay, no date"),
    ("no_answer", "No answer"),
    ("voicemail", "Voicemail left"),
    ("wrong_number", "Wrong number"),
    ("call_back", "Call back later"),
]


class RelanceInteraction(models.Model):
    """The evidence: one record per exchange with the customer, never edited.

    Only the follow-up of a registered letter (tracking number, receipt) can be filled in later,
    and each change is tracked. A manager corrects a record by adding a correction that points
    to it, so the original stays as it was.
    """

    _name = "relance.interaction"
    _description = "Reminder interaction"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "summary"

    _FOLLOW_UP_FIELDS = frozenset({"tracking_number", "lrar_sent_date", "lrar_status", "lrar_receipt_date"})

    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company,
                                 readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", "Customer", required=True, readonly=True, index=True,
                                 ondelete="restrict")
    contact_id = fields.Many2one("res.partner", "Contact", readonly=True)
    move_ids = fields.Many2many(
        "account.move", "relance_interaction_account_move_rel", "interaction_id", "account_move_id",
        string="Invoices", readonly=True,
    )
    level_id = fields.Many2one("relance.level", readonly=True, ondelete="restrict")
    communication_id = fields.Many2one("relance.communication", "Reminder", readonly=True, index="btree_not_null",
                                       ondelete="restrict")
    user_id = fields.Many2one("res.users", "By", default=lambda self: self.env.user, readonly=True)
    kind = fields.Selection(
        [
            ("email", "Email"),
            ("letter", "Letter"),
            ("registered_letter", "Registered letter"),
            ("call", "Phone call"),
            ("reply", "Customer reply"),
            ("note", "Note"),
            ("promise", "Promise to pay"),
            ("plan", "Payment plan"),
            ("dispute", "Dispute"),
            ("handoff", "Hand-off to recovery"),
            ("correction", "Correction"),
        ],
        required=True, readonly=True, index=True,
    )
    direction = fields.Selection(
        [("out", "To the customer"), ("in", "From the customer"), ("internal", "Internal")],
        required=True, default="out", readonly=True,
    )
    summary = fields.Char(required=True, readonly=True)
    body = fields.Html(readonly=True, sanitize_style=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary("Amount claimed", readonly=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Documents", readonly=True)
    mail_message_id = fields.Many2one("mail.message", "Email", readonly=True, ondelete="set null")
    call_outcome = fields.Selection(CALL_OUTCOMES, readonly=True)
    tracking_number = fields.Char(tracking=True, help="Registered letter tracking number (La Poste).")
    lrar_sent_date = fields.Date("Posted on", tracking=True)
    lrar_status = fields.Selection(
        [
            ("to_send", "To post"),
            ("sent", "Posted"),
            ("received", "Received and signed"),
            ("refused", "Refused"),
            ("not_claimed", "Not claimed"),
            ("returned", "Returned"),
        ],
        string="Registered letter status", tracking=True,
    )
    lrar_receipt_date = fields.Date("Received on", tracking=True,
                                    help="Date of receipt, or of first presentation when not claimed.")
    corrected_id = fields.Many2one("relance.interaction", "Corrects", readonly=True, ondelete="restrict",
                                   index="btree_not_null")
    correction_ids = fields.One2many("relance.interaction", "corrected_id", "Corrections", readonly=True)

    # what a person may record by hand; the rest is written by the engine itself (as superuser)
    _MANUAL_KINDS = frozenset({"call", "reply", "note", "correction"})

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("kind") not in self._MANUAL_KINDS for vals in vals_list):
            raise UserError(self.env._(
                "Emails, letters, promises, plans and disputes are recorded by the application when they "
                "happen; you can record a call, a reply or a note."))
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        return super().create(vals_list)

    def write(self, vals):
        """Append-only: only a registered letter's follow-up may be filled in (and is tracked)."""
        changed = {name for name in vals if not name.startswith(("message_", "activity_"))}
        if changed - self._FOLLOW_UP_FIELDS:
            raise UserError(self.env._(
                "Reminder history cannot be modified: it is the proof of your exchanges. "
                "A manager can add a correction instead."
            ))
        if changed and self.filtered(lambda i: i.kind != "registered_letter"):
            raise UserError(self.env._("Only registered letters have a postal follow-up to record."))
        if vals.get("lrar_receipt_date") and vals.get("lrar_sent_date"):
            if vals["lrar_receipt_date"] < vals["lrar_sent_date"]:
                raise UserError(self.env._("A letter cannot be received before it was posted."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._(
            "Reminder history cannot be deleted: it is the proof of your exchanges."
        ))

    def action_correct(self):
        """Open a correction of this record (managers): the original is kept untouched."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Correct"),
            "res_model": "relance.interaction.correct",
            "view_mode": "form",
            "target": "new",
            "context": {"default_interaction_id": self.id},
        }

    def action_open_dispute(self):
        """One click from a customer's reply to a dispute on the invoices it is about."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "relance.dispute", "view_mode": "form", "target": "current",
            "context": {"default_partner_id": self.partner_id.id, "default_move_ids": self.move_ids.ids,
                        "default_description": self.body and html2plaintext(self.body) or self.summary,
                        "default_reason_id": self.env.ref("relance_impayes.dispute_reason_other").id},
        }

    def action_register_posting(self):
        """Mark registered letters as posted today (the tracking number is filled in the form)."""
        for interaction in self.filtered(lambda i: i.kind == "registered_letter" and i.lrar_status == "to_send"):
            interaction.write({"lrar_status": "sent", "lrar_sent_date": fields.Date.context_today(self)})
        return True
