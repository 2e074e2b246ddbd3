from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

# the invoices a promise or a payment plan can cover: the customer's posted invoices still due
OPEN_INVOICES_OF_PARTNER = (
    "[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'),"
    " ('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial'))]"
)


class RelancePromise(models.Model):
    """A customer's promise to pay an amount by a date.

    Escalation of its invoices is suspended until the date plus a grace period. It is kept as soon
    as the amount is received (payments and credit notes reconciled with the invoices since the
    promise), broken otherwise; a broken promise lets escalation resume at the next level.
    """

    _name = "relance.promise"
    _description = "Promise to pay"
    _inherit = ["relance.negotiation.mixin", "mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    move_ids = fields.Many2many(
        "account.move",
        "relance_promise_account_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain=OPEN_INVOICES_OF_PARTNER,
    )
    amount = fields.Monetary("Amount promised", required=True, tracking=True)
    date = fields.Date("Promised for", required=True, tracking=True)
    grace_days = fields.Integer(
        default=lambda self: self.env.company.relance_promise_grace_days,
        help="Days after the promised date before the promise is considered broken.",
    )
    date_limit = fields.Date("Suspended until", compute="_compute_date_limit", store=True, index=True)
    state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Broken"), ("cancelled", "Cancelled")],
        default="open",
        required=True,
        tracking=True,
        index=True,
        readonly=True,
    )
    user_id = fields.Many2one("res.users", "Collector", default=lambda self: self.env.user)
    note = fields.Text()
    residual_start = fields.Monetary("Due when promised", readonly=True)
    amount_received = fields.Monetary(compute="_compute_amount_received")
    date_closed = fields.Date(readonly=True)

    @api.depends("date", "grace_days")
    def _compute_date_limit(self):
        for promise in self:
            promise.date_limit = promise.date and promise.date + timedelta(days=promise.grace_days)

    @api.depends("move_ids.amount_residual_signed", "residual_start")
    def _compute_amount_received(self):
        for promise in self:
            promise.amount_received = max(
                promise.residual_start - sum(promise.move_ids.mapped("amount_residual_signed")), 0.0
            )

    @api.constrains("amount", "grace_days", "move_ids", "partner_id")
    def _check_promise(self):
        for promise in self:
            if promise.currency_id.compare_amounts(promise.amount, 0) <= 0:
                raise ValidationError(self.env._("The amount promised must be positive."))
            if promise.grace_days < 0:
                raise ValidationError(self.env._("The grace period cannot be negative."))
            if promise.move_ids.commercial_partner_id - promise.partner_id.commercial_partner_id:
                raise ValidationError(self.env._("A promise only covers invoices of its customer."))

    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("date") and fields.Date.to_date(vals["date"]) < today:
                raise UserError(self.env._("A promise to pay cannot be dated in the past."))
        promises = super().create(vals_list)
        for promise in promises:
            promise.residual_start = sum(promise.move_ids.mapped("amount_residual_signed"))
            promise._log(
                self.env._(
                    "Promise to pay %(amount)s by %(date)s", amount=promise._fmt(promise.amount), date=promise.date
                ),
                kind="promise",
                direction="in",
            )
        return promises

    def _fmt(self, amount):
        from odoo.tools import format_amount

        return format_amount(self.env, amount, self.currency_id)

    def _log_details(self):
        return self.amount, self.note or False

    @api.model
    def _relance_running_domain(self):
        return Domain("state", "=", "open")

    def _relance_update_state(self, date, payments_only):
        """Kept when the amount came in, broken once the grace period is over."""
        self.ensure_one()
        if self.currency_id.compare_amounts(self.amount_received, self.amount) >= 0 or self._relance_invoices_settled():
            self._close("kept", date)
        elif self.date_limit < date and not payments_only:
            self._close("broken", date)

    def _close(self, state, date):
        self.ensure_one()
        self.write({"state": state, "date_closed": date})
        if state == "kept":
            self._log(self.env._("Promise kept: %(amount)s received", amount=self._fmt(self.amount_received)))
        else:
            self._log(
                self.env._(
                    "Promise broken: %(received)s received of %(amount)s promised for %(date)s",
                    received=self._fmt(self.amount_received),
                    amount=self._fmt(self.amount),
                    date=self.date,
                )
            )
            self.partner_id.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=date,
                summary=self.env._("Promise broken: escalation resumes"),
                user_id=(self.user_id or self.partner_id._relance_collector()).id,
            )

    def action_cancel(self):
        for promise in self.filtered(lambda p: p.state == "open"):
            promise.write({"state": "cancelled", "date_closed": fields.Date.context_today(self)})
            promise._log(self.env._("Promise cancelled"))
        return True
