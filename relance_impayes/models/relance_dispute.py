from odoo import api, fields, models
from odoo.exceptions import UserError


class RelanceDisputeReason(models.Model):
    _name = "relance.dispute.reason"
    _description = "Dispute reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)


class RelanceDispute(models.Model):
    """A disputed invoice (litige): left out of reminders and of the amount claimed, still shown
    as disputed, until resolved in the customer's favour (credit note) or ours (escalation
    resumes at the level where it stopped)."""

    _name = "relance.dispute"
    _description = "Dispute"
    _inherit = ["relance.negotiation.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date_open desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    move_ids = fields.Many2many(
        "account.move",
        "relance_dispute_account_move_rel",
        "dispute_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), "
        "('state', '=', 'posted')]",
    )
    reason_id = fields.Many2one("relance.dispute.reason", "Reason", required=True)
    description = fields.Text()
    amount = fields.Monetary("Amount disputed", help="Leave the full amount still due, or the disputed part.")
    user_id = fields.Many2one("res.users", "Owner", default=lambda self: self.env.user, tracking=True)
    review_date = fields.Date(tracking=True)
    date_open = fields.Date("Opened on", default=fields.Date.context_today, required=True, readonly=True)
    date_resolved = fields.Date("Resolved on", readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        default="open",
        required=True,
        tracking=True,
        index=True,
        readonly=True,
    )
    resolution = fields.Selection(
        [("customer", "In the customer's favour"), ("company", "In our favour")], readonly=True, tracking=True
    )
    age_days = fields.Integer("Age (days)", compute="_compute_age_days")
    credit_note_ids = fields.Many2many("account.move", compute="_compute_credit_note_ids", string="Credit notes")

    @api.constrains("partner_id", "move_ids")
    def _check_customer(self):
        for dispute in self:
            customer = self._dispute_customer(dispute.move_ids)
            if customer and customer != dispute.partner_id.commercial_partner_id:
                raise UserError(
                    self.env._(
                        "The disputed invoices belong to %(invoices)s, not to %(customer)s.",
                        invoices=customer.display_name,
                        customer=dispute.partner_id.display_name,
                    )
                )

    @api.depends("partner_id", "reason_id")
    def _compute_name(self):
        for dispute in self:
            dispute.name = f"{dispute.partner_id.name or ''} – {dispute.reason_id.name or ''}"

    @api.depends("date_open", "date_resolved")
    def _compute_age_days(self):
        today = fields.Date.context_today(self)
        for dispute in self:
            dispute.age_days = ((dispute.date_resolved or today) - dispute.date_open).days if dispute.date_open else 0

    def _compute_credit_note_ids(self):
        for dispute in self:
            dispute.credit_note_ids = (
                self.env["account.move"].search([("reversed_entry_id", "in", dispute.move_ids.ids)])
                if dispute.move_ids
                else False
            )

    @api.model
    def _move_ids_from_commands(self, commands):
        """Ids of the invoices named by the ``move_ids`` value of ``create`` (ids or commands)."""
        ids = []
        for command in commands or []:
            if isinstance(command, int):
                ids.append(command)
            elif command[0] == fields.Command.SET:
                ids = list(command[2])
            elif command[0] == fields.Command.LINK:
                ids.append(command[1])
        return ids

    @api.model
    def _dispute_customer(self, moves):
        """The one customer (commercial partner) of the disputed invoices: a dispute is with one
        customer, whose reminders it pauses."""
        customers = moves.commercial_partner_id
        if len(customers) > 1:
            raise UserError(
                self.env._(
                    "A dispute concerns the invoices of one customer; these belong to %(customers)s. "
                    "Open one dispute per customer.",
                    customers=", ".join(customers.mapped("display_name")),
                )
            )
        return customers

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            moves = self.env["account.move"].browse(self._move_ids_from_commands(vals.get("move_ids")))
            customer = self._dispute_customer(moves)
            if customer and not vals.get("partner_id"):
                vals["partner_id"] = customer.id
        disputes = super().create(vals_list)
        for dispute in disputes:
            if not dispute.amount:
                dispute.amount = sum(dispute.move_ids.mapped("amount_residual_signed"))
            dispute._log(
                self.env._("Dispute opened: %(reason)s", reason=dispute.reason_id.name), kind="dispute", direction="in"
            )
            if dispute.review_date:
                dispute.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=dispute.review_date,
                    summary=self.env._("Review the dispute"),
                    user_id=dispute.user_id.id,
                )
        return disputes

    def _log_details(self):
        return self.amount, self.description or False

    def _resolve(self, resolution):
        if self.filtered(lambda d: d.state != "open"):
            raise UserError(self.env._("This dispute is already resolved."))
        self.write({"state": "resolved", "resolution": resolution, "date_resolved": fields.Date.context_today(self)})
        self.activity_unlink(["mail.mail_activity_data_todo"])

    def action_resolve_customer(self):
        """The customer is right: close the dispute and propose the credit note."""
        self._resolve("customer")
        for dispute in self:
            dispute._log(self.env._("Dispute resolved in the customer's favour: credit note to issue"))
        moves = self.move_ids.filtered(lambda m: m.state == "posted" and m.payment_state != "reversed")
        if not moves:
            return True
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit note"),
            "res_model": "account.move.reversal",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "account.move", "active_ids": moves.ids},
        }

    def action_resolve_company(self):
        """We are right: close the dispute; escalation resumes at the level where it stopped."""
        self._resolve("company")
        for dispute in self:
            dispute._log(self.env._("Dispute resolved in our favour: reminders resume"))
        return True
