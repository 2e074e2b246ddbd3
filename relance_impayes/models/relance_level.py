from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RelanceLevel(models.Model):
    """One step of a policy: when it applies and what it does.

    ``delay`` counts days after the invoice due date (negative: courtesy reminder before it).
    Actions are booleans, one per channel of ``relance.communication._relance_channels()``
    (the registry names the field, the checks, the handlers and the evidence of each channel).
    """

    _name = "relance.level"
    _description = "Dunning level"
    _order = "policy_id, delay, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    policy_id = fields.Many2one("relance.policy", required=True, ondelete="cascade", index=True, check_company=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    delay = fields.Integer(
        "Days after due date",
        required=True,
        help="Number of days after the invoice due date at which this level applies. "
        "A negative number sends a courtesy reminder before the due date.",
    )
    action_email = fields.Boolean("Send email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain=[("model", "=", "relance.communication")],
    )
    action_letter = fields.Boolean("Print letter")
    action_registered_letter = fields.Boolean(
        "Registered letter (LRAR)",
        help="Prepare a letter to be sent by registered mail with acknowledgement of receipt; "
        "its tracking number and receipt are recorded on the interaction.",
    )
    action_call = fields.Boolean("Phone call task")
    action_handoff = fields.Boolean(
        "Hand-off to recovery",
        help="Hand the file over to a commissaire de justice, a collection agency or an injonction de payer.",
    )
    validation_required = fields.Boolean(help="A Relances user must validate the communication before it is sent.")
    penalty_mode = fields.Selection(
        [("none", "Not mentioned"), ("stated", "Stated"), ("claimed", "Claimed")],
        string="Late-payment penalties",
        default="none",
        required=True,
        help="Stated: the letter reminds the legal penalties and the fixed indemnity. "
        "Claimed: the letter claims their amounts.",
    )
    credit_hold = fields.Boolean(help="Customers reaching this level are put on credit hold.")
    attach_invoices = fields.Boolean(
        "Attach invoice PDFs", default=True, help="Attach the PDF of each listed invoice to the email."
    )
    letter_text = fields.Html(
        translate=True,
        help="Text of the letter for this level, shown above the table of invoices.",
    )
    is_courtesy = fields.Boolean("Courtesy reminder", compute="_compute_is_courtesy")

    @api.depends("delay")
    def _compute_is_courtesy(self):
        for level in self:
            level.is_courtesy = level.delay < 0

    @api.constrains("action_email", "mail_template_id")
    def _check_mail_template(self):
        for level in self:
            if level.action_email and not level.mail_template_id:
                raise ValidationError(
                    self.env._("Level %(level)s sends an email: choose its email template.", level=level.name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        levels = super().create(vals_list)
        self.env["relance.engine"]._refresh_next_dates(levels.company_id)
        return levels

    def write(self, vals):
        res = super().write(vals)
        if {"delay", "active", "policy_id", "sequence"} & set(vals):
            self.env["relance.engine"]._refresh_next_dates(self.company_id)
        return res
