import logging
import time
from contextvars import ContextVar

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

_logger = logging.getLogger(__name__)

OPEN_STATES = ("draft", "to_validate", "sending", "failed")
# {communication id: (subject, body)} rendered for the batch being executed (see _execute)
RENDERED = ContextVar("relance_rendered", default=None)
# {communication id: mail.mail} created for the part of the batch being performed (see _execute)
PREPARED = ContextVar("relance_prepared", default=None)
# {communication id: disputed invoices} read for the batch being rendered (see _disputed_moves)
DISPUTED = ContextVar("relance_disputed", default=None)


class RelanceCommunication(models.Model):
    """The work item of a reminder: one customer, one level, one date, its invoices.

    Mutable and retried, unlike ``relance.interaction`` which is the evidence. A customer has
    at most one open communication per company (unique index), and at most one automatic
    communication per date (``key``): running the cron twice, or after a crash, sends nothing
    twice. Invoices climb a level only in :meth:`_mark_sent`, once the reminder really left.
    """

    _name = "relance.communication"
    _description = "Reminder"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["partner_id", "level_id"]

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, index=True, check_company=True
    )
    contact_id = fields.Many2one("res.partner", "Sent to", check_company=True, help="Invoice contact of the customer.")
    level_id = fields.Many2one("relance.level", required=True, readonly=True, check_company=True, ondelete="restrict")
    policy_id = fields.Many2one(related="level_id.policy_id")
    date = fields.Date(required=True, readonly=True, index=True)
    state = fields.Selection(
        [
            ("draft", "To send"),
            ("to_validate", "To validate"),
            ("sending", "Sending"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    origin = fields.Selection([("cron", "Scheduled"), ("manual", "Manual")], default="cron", readonly=True)
    key = fields.Char(
        "Idempotency key",
        readonly=True,
        copy=False,
        help="Idempotency key: one automatic reminder per customer, company and date.",
    )
    line_ids = fields.One2many("relance.communication.line", "communication_id", readonly=True)
    move_ids = fields.Many2many("account.move", compute="_compute_move_ids", string="Invoices")
    # the company's currency, stored and given by the plan with the other values: the Monetary
    # amount then finds it without a computation per reminder (see relance_communication_plan.py)
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, precompute=True, readonly=False
    )
    amount_due = fields.Monetary("Amount due", readonly=True)
    user_id = fields.Many2one("res.users", "Collector", readonly=True)
    subject = fields.Char(help="Overrides the template's subject (set when edited before sending).")
    body_html = fields.Html("Email body", sanitize_style=True, help="Overrides the template's body.")
    mail_id = fields.Many2one("mail.mail", readonly=True, ondelete="set null", index="btree_not_null")
    letter_id = fields.Many2one("ir.attachment", "Letter", readonly=True, ondelete="set null")
    failure_reason = fields.Text(readonly=True)
    attempt_count = fields.Integer(readonly=True)
    sent_date = fields.Datetime("Sent on", readonly=True, copy=False)
    post_send_pending = fields.Boolean(
        "Follow-up to run",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Sent, but the follow-up (climb, evidence, tasks, hold) is still to run: see _run_post_send.",
    )
    user_edited = fields.Boolean(
        "Edited by a person",
        readonly=True,
        copy=False,
        help="A person changed the subject, body or contact: the daily run no longer rewrites it.",
    )
    validated_by_id = fields.Many2one("res.users", readonly=True)
    validated_date = fields.Datetime(readonly=True)
    interaction_ids = fields.One2many("relance.interaction", "communication_id", readonly=True)
    action_summary = fields.Char("Actions", compute="_compute_action_summary")

    _key_uniq = models.UniqueIndex("(key) WHERE key IS NOT NULL")
    _one_open_per_customer = models.UniqueIndex(
        "(company_id, partner_id) WHERE state IN ('draft', 'to_validate', 'sending', 'failed')"
    )

    @api.depends("partner_id", "level_id", "date")
    def _compute_display_name(self):
        for comm in self:
            comm.display_name = f"{comm.partner_id.display_name} – {comm.level_id.name} ({comm.date or ''})"

    @api.depends("company_id")
    def _compute_currency_id(self):
        for comm in self:
            comm.currency_id = comm.company_id.currency_id

    @api.depends("line_ids.move_id")
    def _compute_move_ids(self):
        for comm in self:
            comm.move_ids = comm.line_ids.move_id

    @api.depends("level_id")
    def _compute_action_summary(self):
        for comm in self:
            comm.action_summary = (
                ", ".join(channel["label"] for channel in comm._relance_active_channels()) if comm.level_id else False
            )

    # ------------------------------------------------------------------
    # Daily run
    # ------------------------------------------------------------------
    @api.model
    def _cron_relance(self, batch_size=None):
        """Daily entry point (``relance_impayes.ir_cron_relance``): follow-ups left over by an
        earlier run first (see :meth:`_run_post_send`), then :meth:`relance.engine._run_daily`."""
        self.search([("post_send_pending", "=", True)])._run_post_send()
        self.env["relance.engine"]._run_daily(batch_size=batch_size)

    @api.model
    def _pending_domain(self, company):
        max_attempts = self._relance_max_attempts()
        return (
            Domain("company_id", "=", company.id)
            & Domain("origin", "=", "cron")
            & (
                Domain("state", "=", "draft")
                | (Domain("state", "=", "failed") & Domain("attempt_count", "<", max_attempts))
            )
        )

    def write(self, vals):
        """A person's change of subject, body or contact is kept: the daily run stops refreshing."""
        if not self.env.su and self._USER_EDIT_FIELDS & vals.keys():
            vals = dict(vals, user_edited=True)
        return super().write(vals)

    _USER_EDIT_FIELDS = frozenset({"subject", "body_html", "contact_id"})

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------
    def _execute(self):
        """Send what can go; queue for validation what needs a person. Survives one bad record.

        The invoices are read again first (see :meth:`_relance_refresh_amounts`): what was paid
        since planning is dropped, a reminder with nothing left due is cancelled. Emails are
        rendered per (template, language) for the batch and created together. In a scheduled run,
        the batch is performed and committed in parts sized to the time left (the first reminder
        alone, which measures the pace) and the run stops when its time is up: a big customer
        never makes the batch start over, the next run resumes with the others."""
        comms = self.try_lock_for_update().filtered(lambda c: c.state in ("draft", "failed"))
        comms = comms._relance_refresh_amounts()
        held = comms._relance_hold_for_manager()  # penalties over a half-year without its rate
        comms -= held
        to_validate = comms.filtered(lambda c: c.level_id.validation_required and not c.validated_by_id)
        to_validate.write({"state": "to_validate"})
        to_send = comms - to_validate
        token = RENDERED.set(to_send._relance_prerender_emails())
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        done, todo = self.browse(), to_send
        size = 1 if in_cron else len(todo)  # in a cron, the first part alone: it measures the time of one
        try:
            while todo:
                part, todo = todo[:size], todo[size:]
                started = time.monotonic()
                done |= part._relance_perform_part()
                if in_cron:
                    time_left = self.env["ir.cron"]._commit_progress()
                    if not time_left:
                        break  # out of time: what is left stays to send, the next run resumes
                    # the next part fits in half the time left, at the pace measured
                    pace = max((time.monotonic() - started) / len(part), 1e-3)
                    size = max(1, int(min(len(todo), time_left / 2 / pace)))
        finally:
            RENDERED.reset(token)
        done.filtered("post_send_pending")._run_post_send()

    def _perform(self):
        """Run the level's channels (see ``_relance_channels``). Email completes asynchronously
        (see mail.mail): the reminder waits in Sending until the email left."""
        self.ensure_one()
        channels = self._relance_active_channels()
        self._check_can_send()
        self._relance_channel_step("perform", channels)
        if any(channel["waits"] for channel in channels):
            self.with_context(tracking_disable=True).write({"state": "sending", "failure_reason": False})
        else:
            self._set_sent()

    def _check_can_send(self):
        """Refuse, with a message the accountant can act on, what cannot reach the customer."""
        if not self.line_ids.filtered("level_id") and self.origin == "cron":
            raise UserError(self.env._("Nothing is due for this customer any more."))
        self._relance_channel_step("check")

    def _set_sent(self):
        """The reminder left, and nothing else: written once the mail queue recorded its email
        (``mail.mail._relance_record_sent``). The follow-up (climb, evidence, tasks, hold) is
        :meth:`_post_send`, run afterwards."""
        self.with_context(tracking_disable=True).write(
            {"state": "sent", "failure_reason": False, "sent_date": fields.Datetime.now(), "post_send_pending": True}
        )

    def _mark_sent(self):
        """The reminder left: marked sent, then its follow-up (see :meth:`_run_post_send`)."""
        self._set_sent()
        self._run_post_send()

    def _mark_failed(self, reason):
        for comm in self:
            comm.write({"state": "failed", "failure_reason": reason})
            comm.message_post(
                body=self.env._("Reminder not sent: %(reason)s", reason=reason), subtype_xmlid="mail.mt_note"
            )

    # ------------------------------------------------------------------
    # Customer replies
    # ------------------------------------------------------------------
    def message_update(self, msg_dict, update_vals=None):
        """A reply to a reminder email: into the history, the customer's chatter, and the
        collector's to-do. An automatic answer (out of office) is not a reply."""
        res = super().message_update(msg_dict, update_vals=update_vals)
        if not self.env.context.get("relance_auto_reply"):
            for comm in self:
                comm._record_reply(msg_dict)
        return res

    def _record_reply(self, msg_dict):
        self.ensure_one()
        author = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        interaction = (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "company_id": self.company_id.id,
                    "partner_id": self.partner_id.id,
                    "contact_id": author.id or self.contact_id.id,
                    "kind": "reply",
                    "direction": "in",
                    "summary": msg_dict.get("subject") or self.env._("Reply to the reminder"),
                    "body": msg_dict.get("body"),
                    "move_ids": [fields.Command.set(self.line_ids.move_id.ids)],
                    "level_id": self.level_id.id,
                    "communication_id": self.id,
                }
            )
        )
        self.partner_id._relance_log(
            Markup("%s<br/>%s")
            % (
                self.env._("Reply from the customer: %(subject)s", subject=interaction.summary),
                Markup(msg_dict.get("body") or ""),
            )
        )
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=self.env._("Customer replied to a reminder"),
            note=interaction.summary,
            user_id=(self.user_id or self.partner_id._relance_collector()).id,
        )
        return interaction

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_validate(self):
        """A person approves queued reminders (formal notices...): they go at once."""
        to_validate = self.filtered(lambda c: c.state == "to_validate")
        if not to_validate:
            raise UserError(self.env._("Only reminders waiting for validation can be validated."))
        to_validate.write(
            {
                "validated_by_id": self.env.user.id,
                "validated_date": fields.Datetime.now(),
                "state": "draft",
            }
        )
        to_validate._execute()
        return True

    def action_send_now(self):
        """The accountant sends the reminder prepared by hand: the person is the validation."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("This reminder is not waiting to be sent."))
        self.write({"validated_by_id": self.env.user.id, "validated_date": fields.Datetime.now()})
        self._execute()
        return True

    def action_retry(self):
        failed = self.filtered(lambda c: c.state == "failed")
        if not failed:
            raise UserError(self.env._("Only failed reminders can be retried."))
        failed._execute()
        return True

    def action_cancel(self):
        if self.filtered(lambda c: c.state in ("sent", "sending")):
            raise UserError(self.env._("A reminder that was sent cannot be cancelled."))
        self.write({"state": "cancelled"})
        return True

    def action_preview(self):
        self.ensure_one()
        return self._letter_report().report_action(self, data={"date": fields.Date.to_string(self.date)})

    # ------------------------------------------------------------------
    # Rendering helpers for templates and letters
    # ------------------------------------------------------------------
    def _payment_link(self):
        """Portal link where the customer can see and pay its invoices."""
        self.ensure_one()
        return self.partner_id._relance_portal_url(self.company_id)

    def _disputed_moves(self):
        """The customer's invoices under an open dispute: shown as such, never claimed."""
        self.ensure_one()
        known = DISPUTED.get()
        if known is not None and self.id in known:
            return known[self.id]
        return self._relance_disputed_moves_batch()[self.id]

    def _deadline_date(self):
        self.ensure_one()
        from datetime import timedelta

        return self.date + timedelta(days=self.company_id.relance_payment_days)


class RelanceCommunicationLine(models.Model):
    _name = "relance.communication.line"
    _description = "Invoice listed in a reminder"
    _order = "date_due, id"

    communication_id = fields.Many2one("relance.communication", required=True, ondelete="cascade", index=True)
    move_id = fields.Many2one("account.move", "Invoice", required=True, ondelete="cascade", index=True)
    level_id = fields.Many2one(
        "relance.level",
        "Climbs to",
        ondelete="set null",
        help="Level this invoice reaches when the reminder is sent; empty when the invoice is only listed.",
    )
    date_due = fields.Date("Due date")
    days_late = fields.Integer()
    company_currency_id = fields.Many2one(related="communication_id.currency_id", string="Company currency")
    amount_residual = fields.Monetary("Amount due", currency_field="company_currency_id")
    currency_id = fields.Many2one(related="move_id.currency_id")
    invoice_date = fields.Date(related="move_id.invoice_date")
    amount_total = fields.Monetary(related="move_id.amount_total", currency_field="currency_id")
    amount_residual_currency = fields.Monetary(
        related="move_id.amount_residual", currency_field="currency_id", string="Still due"
    )

    @api.model
    def _prepare_vals(self, step):
        return {
            "move_id": step.move_id,
            "level_id": step.target_level_id,
            "date_due": step.date_due,
            "days_late": step.days_late,
            "amount_residual": step.residual,
        }
