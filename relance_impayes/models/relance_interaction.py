from hashlib import sha256
from json import dumps

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_repr, html2plaintext, html_sanitize

INTEGRITY_HASH_VERSION = 1
INTEGRITY_BATCH_SIZE = 1000

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

    Each record is sealed when created: a SHA-256 over its content and the fingerprints of its
    documents, chained to the previous record of its company (``integrity_sequence``), as core
    ``account`` does for posted entries. The integrity report recomputes the chain.
    """

    _name = "relance.interaction"
    _description = "Reminder interaction"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "summary"

    _FOLLOW_UP_FIELDS = frozenset({"tracking_number", "lrar_sent_date", "lrar_status", "lrar_receipt_date"})

    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, index=True, ondelete="restrict"
    )
    contact_id = fields.Many2one("res.partner", "Contact", readonly=True)
    move_ids = fields.Many2many(
        "account.move",
        "relance_interaction_account_move_rel",
        "interaction_id",
        "account_move_id",
        string="Invoices",
        readonly=True,
    )
    level_id = fields.Many2one("relance.level", readonly=True, ondelete="restrict")
    communication_id = fields.Many2one(
        "relance.communication", "Reminder", readonly=True, index="btree_not_null", ondelete="restrict"
    )
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
        required=True,
        readonly=True,
        index=True,
    )
    direction = fields.Selection(
        [("out", "To the customer"), ("in", "From the customer"), ("internal", "Internal")],
        required=True,
        default="out",
        readonly=True,
    )
    summary = fields.Char(required=True, readonly=True)
    # sanitized on create (see _relance_clean_bodies), except the copy of an email as it was sent
    body = fields.Html(readonly=True, sanitize=False)
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
        string="Registered letter status",
        tracking=True,
    )
    lrar_receipt_date = fields.Date(
        "Received on", tracking=True, help="Date of receipt, or of first presentation when not claimed."
    )
    corrected_id = fields.Many2one(
        "relance.interaction", "Corrects", readonly=True, ondelete="restrict", index="btree_not_null"
    )
    correction_ids = fields.One2many("relance.interaction", "corrected_id", "Corrections", readonly=True)
    integrity_sequence = fields.Integer(
        "Chain position",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Position of the record in its company's chain of evidence.",
    )
    integrity_hash = fields.Char(
        "Integrity hash",
        readonly=True,
        copy=False,
        help="SHA-256 of the record and its documents, chained to the previous record.",
    )

    _integrity_sequence_uniq = models.UniqueIndex("(company_id, integrity_sequence)")

    # what a person may record by hand; the rest is written by the application (as superuser),
    # corrections by the managers' correction wizard
    _MANUAL_KINDS = frozenset({"call", "reply", "note"})
    # what the application sent, kept as the customer received it (shown in a sandboxed frame)
    _VERBATIM_KINDS = frozenset({"email"})
    _INTEGRITY_FIELDS = frozenset({"integrity_sequence", "integrity_hash"})

    @api.model_create_multi
    def create(self, vals_list):
        """A person records what happens now, signed by himself; only the application (superuser)
        writes the date and the author it knows (an email sent by the cron, a reply received)."""
        if not self.env.su:
            self._check_manual_vals(vals_list)
        self._relance_clean_bodies(vals_list)
        for vals in vals_list:
            for name in self._INTEGRITY_FIELDS:
                vals.pop(name, None)
            if not self.env.su:
                vals.update(date=fields.Datetime.now(), user_id=self.env.uid)
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        records = super().create(vals_list)
        records._integrity_seal()
        return records

    @api.model
    def _relance_clean_bodies(self, vals_list):
        """Sanitize the bodies as an HTML field does (a reply's email, a person's note), except the
        copy of an email the application sent (``_VERBATIM_KINDS``, made by the application only):
        the evidence is what the customer received, byte for byte, not a cleaned version of it."""
        for vals in vals_list:
            if vals.get("body") and not (self.env.su and vals.get("kind") in self._VERBATIM_KINDS):
                vals["body"] = html_sanitize(vals["body"], sanitize_attributes=True, sanitize_style=True)

    @api.model
    def _check_manual_vals(self, vals_list):
        if any(vals.get("kind") == "correction" or vals.get("corrected_id") for vals in vals_list):
            raise UserError(
                self.env._("Only a manager can correct the history, with the Correct button of the record to correct.")
            )
        if any(vals.get("kind") not in self._MANUAL_KINDS for vals in vals_list):
            raise UserError(
                self.env._(
                    "Emails, letters, promises, plans and disputes are recorded by the application when they "
                    "happen; you can record a call, a reply or a note."
                )
            )

    def write(self, vals):
        """Append-only: only a registered letter's follow-up may be filled in (and is tracked)."""
        changed = {name for name in vals if not name.startswith(("message_", "activity_"))}
        if changed - self._FOLLOW_UP_FIELDS:
            raise UserError(
                self.env._(
                    "Reminder history cannot be modified: it is the proof of your exchanges. "
                    "A manager can add a correction instead."
                )
            )
        if changed and self.filtered(lambda i: i.kind != "registered_letter"):
            raise UserError(self.env._("Only registered letters have a postal follow-up to record."))
        if vals.get("lrar_receipt_date") and vals.get("lrar_sent_date"):
            if vals["lrar_receipt_date"] < vals["lrar_sent_date"]:
                raise UserError(self.env._("A letter cannot be received before it was posted."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Reminder history cannot be deleted: it is the proof of your exchanges."))

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
            "type": "ir.actions.act_window",
            "res_model": "relance.dispute",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": self.partner_id.id,
                "default_move_ids": self.move_ids.ids,
                "default_description": self.body and html2plaintext(self.body) or self.summary,
                "default_reason_id": self.env.ref("relance_impayes.dispute_reason_other").id,
            },
        }

    def action_register_posting(self):
        """Mark registered letters as posted today (the tracking number is filled in the form)."""
        for interaction in self.filtered(lambda i: i.kind == "registered_letter" and i.lrar_status == "to_send"):
            interaction.write({"lrar_status": "sent", "lrar_sent_date": fields.Date.context_today(self)})
        return True

    # ------------------------------------------------------------------
    # Integrity chain
    # ------------------------------------------------------------------
    def _get_integrity_hash_fields(self):
        """The content sealed by the hash. The registered letter's postal follow-up is left out:
        it is filled in later (and tracked). Extend to seal new evidence fields."""
        return [
            "date",
            "company_id",
            "partner_id",
            "contact_id",
            "move_ids",
            "level_id",
            "communication_id",
            "user_id",
            "kind",
            "direction",
            "summary",
            "body",
            "amount",
            "call_outcome",
            "corrected_id",
            "attachment_ids",
        ]

    def _integrity_value(self, fname):
        field = self._fields[fname]
        value = self[fname]
        if field.type == "many2one":
            return value.id or False
        if field.type in ("many2many", "one2many"):
            if field.comodel_name == "ir.attachment":
                return sorted([doc.id, doc._relance_fingerprint()] for doc in value)
            return sorted(value.ids)
        if field.type == "monetary":
            return float_repr(value or 0.0, self.currency_id.decimal_places)
        if field.type == "datetime":
            return fields.Datetime.to_string(value) or False
        if field.type == "date":
            return fields.Date.to_string(value) or False
        if field.type in ("char", "text", "html", "selection"):
            return str(value or "")
        return value

    def _integrity_compute_hash(self, previous_hash):
        """``$version$sha256(previous hash + canonical JSON of the sealed content)``.

        Empty values are left out, so that a field added to the sealed ones later leaves the
        records sealed before it (where it is empty) intact."""
        self.ensure_one()
        record = self.sudo().with_context(active_test=False)
        values = {
            fname: value
            for fname in record._get_integrity_hash_fields()
            if (value := record._integrity_value(fname)) not in (False, None, "", [])
        }
        content = dumps(values, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
        previous = (previous_hash or "").rsplit("$", 1)[-1]
        digest = sha256((previous + content).encode()).hexdigest()
        return f"${INTEGRITY_HASH_VERSION}${digest}"

    def _integrity_seal(self):
        """Append the records to their company's chain, in creation order.

        The head of the chain is read ``FOR UPDATE`` and touched: a concurrent transaction that
        read the same head waits, then fails to serialize and is retried by Odoo, instead of
        forking the chain; the unique index on (company, position) guards the empty chain."""
        if not self:
            return
        self.flush_recordset()
        self.invalidate_recordset()  # hash what is stored, not the cache
        for company, records in self.sudo().grouped("company_id").items():
            head = self.env.execute_query(
                SQL(
                    """SELECT id, integrity_sequence, integrity_hash FROM relance_interaction
                    WHERE company_id = %s AND integrity_sequence IS NOT NULL
                 ORDER BY integrity_sequence DESC LIMIT 1 FOR UPDATE""",
                    company.id,
                )
            )
            if head:
                head_id, sequence, previous = head[0]
                self.env.execute_query(
                    SQL("UPDATE relance_interaction SET integrity_hash = integrity_hash WHERE id = %s", head_id)
                )
            else:
                sequence, previous = 0, ""
            seals = []
            for record in records.sorted("id"):
                sequence += 1
                previous = record._integrity_compute_hash(previous)
                seals.append(SQL("(%s, %s, %s)", record.id, sequence, previous))
            for start in range(0, len(seals), INTEGRITY_BATCH_SIZE):
                self.env.execute_query(
                    SQL(
                        """UPDATE relance_interaction AS ri
                              SET integrity_sequence = seal.sequence, integrity_hash = seal.hash
                         FROM (VALUES %s) AS seal(id, sequence, hash) WHERE ri.id = seal.id""",
                        SQL(", ").join(seals[start : start + INTEGRITY_BATCH_SIZE]),
                    )
                )
        self.invalidate_recordset(["integrity_sequence", "integrity_hash"])

    @api.model
    def _integrity_seal_missing(self):
        """Seal the records that have no hash yet (history kept before the chain existed)."""
        self.sudo().with_context(active_test=False).search(
            [("integrity_hash", "=", False)], order="id"
        )._integrity_seal()

    @api.model
    def _integrity_check(self, company):
        """Recompute the chain of ``company``; stop at the first record that no longer matches.

        :return: dict with ``status`` (``intact``, ``broken`` or ``empty``), ``count``, ``first``
            and ``last`` (the intact range), and for a broken chain ``record`` and ``reason``.
        """
        Interaction = self.sudo().with_context(active_test=False)
        ids = Interaction.search(
            [("company_id", "=", company.id)], order="integrity_sequence ASC NULLS LAST, id ASC"
        ).ids
        result = {
            "company": company,
            "status": "empty",
            "count": 0,
            "first": Interaction,
            "last": Interaction,
            "record": Interaction,
            "reason": "",
        }
        previous = ""
        for start in range(0, len(ids), INTEGRITY_BATCH_SIZE):
            self.env.invalidate_all()
            for record in Interaction.browse(ids[start : start + INTEGRITY_BATCH_SIZE]):
                reason = False
                if not record.integrity_hash:
                    reason = self.env._("This record was never sealed: it was not written by the application.")
                elif record.integrity_sequence != result["count"] + 1:
                    reason = self.env._("The record expected before this one in the chain is missing.")
                elif record._integrity_compute_hash(previous) != record.integrity_hash:
                    reason = self.env._("Its content or one of its documents changed after it was recorded.")
                if reason:
                    result.update(status="broken", record=record, reason=reason)
                    return result
                previous = record.integrity_hash
                result["count"] += 1
                result["first"] = result["first"] or record
                result["last"] = record
                result["status"] = "intact"
        return result

    @api.model
    def action_integrity_report(self):
        """The integrity check of the current companies (managers)."""
        return self.env.ref("relance_impayes.action_report_relance_integrity").report_action(self.env.companies)
