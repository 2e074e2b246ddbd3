import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    relance_policy_id = fields.Many2one(
        "relance.policy",
        string="Default dunning policy",
        check_company=True,
        domain="[('company_id', '=', id)]",
    )
    relance_tolerance = fields.Monetary(
        "Reminder tolerance",
        currency_field="currency_id",
        default=1.0,
        help="A customer whose net balance (invoices less credit notes and unapplied payments) "
        "is at or below this amount is not reminded.",
    )
    relance_min_interval = fields.Integer(
        "Days between two reminders",
        default=5,
        help="Minimum number of days between two reminders of the same invoice.",
    )
    relance_payment_days = fields.Integer(
        "Days given to pay",
        default=8,
        help="Deadline given to the customer in firm letters and formal notices, in days.",
    )
    relance_indemnity_amount = fields.Monetary(
        "Fixed recovery indemnity",
        currency_field="currency_id",
        default=40.0,
        help="Fixed indemnity for recovery costs per invoice paid late (C. com. L441-10, D441-5).",
    )
    relance_collector_id = fields.Many2one(
        "res.users",
        string="Default collector",
        help="Receives the call tasks of customers that have no collector or salesperson.",
    )
    relance_prescription_warning_months = fields.Integer(
        "Limitation warning (months)",
        default=6,
        help="Invoices whose claim becomes time-barred within this many months appear in the to-do list.",
    )
    relance_promise_grace_days = fields.Integer(
        "Grace days after a promise",
        default=3,
        help="Days after the promised date before a promise to pay is considered broken.",
    )
    relance_plan_break_days = fields.Integer(
        "Days late before a payment plan breaks",
        default=15,
        help="A payment plan whose instalment is late by more than this many days is broken.",
    )
    relance_call_hours = fields.Char(
        "Calling hours",
        default="09:00-12:00, 14:00-18:00",
        help="Hours at which collectors call customers, on business days (Monday to Friday). Call tasks are "
        "never due outside them.",
    )
    relance_reply_to = fields.Char(
        "Reply-to for reminders", help="Address that receives the customers' replies to reminders."
    )
    relance_stuck_days = fields.Integer(
        "Days before an unsent reminder is retried",
        default=2,
        help="A reminder whose email has not left after this many days is failed and retried by the daily run "
        "(its email is cancelled first, so the customer never gets both).",
    )

    relance_max_attached_invoices = fields.Integer(
        "Invoice PDFs attached per reminder",
        default=10,
        help="At most this many invoice PDFs go with a reminder email (the oldest first); the email "
        "tells the customer where to find the others (customer portal).",
    )

    @api.constrains("relance_max_attached_invoices")
    def _check_relance_max_attached_invoices(self):
        if any(company.relance_max_attached_invoices < 0 for company in self):
            raise ValidationError(self.env._("The number of invoice PDFs attached to a reminder cannot be negative."))

    @api.constrains("relance_call_hours")
    def _check_relance_call_hours(self):
        slot = r"\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}"
        for company in self:
            if company.relance_call_hours and not re.fullmatch(
                rf"\s*{slot}(\s*,\s*{slot})*\s*", company.relance_call_hours
            ):
                raise ValidationError(self.env._('Calling hours must read like "09:00-12:00, 14:00-18:00".'))

    @api.constrains(
        "relance_tolerance",
        "relance_min_interval",
        "relance_payment_days",
        "relance_indemnity_amount",
        "relance_promise_grace_days",
        "relance_plan_break_days",
        "relance_prescription_warning_months",
        "relance_stuck_days",
    )
    def _check_relance_settings(self):
        for company in self:
            if company.relance_tolerance < 0 or company.relance_indemnity_amount < 0:
                raise ValidationError(self.env._("Reminder amounts cannot be negative."))
            delays = (
                company.relance_min_interval,
                company.relance_payment_days,
                company.relance_promise_grace_days,
                company.relance_plan_break_days,
                company.relance_prescription_warning_months,
            )
            if min(delays) < 0:
                raise ValidationError(self.env._("Reminder delays cannot be negative."))
            if company.relance_stuck_days < 1:
                raise ValidationError(self.env._("An unsent reminder is retried after one day at the earliest."))

    @api.model_create_multi
    def create(self, vals_list):
        """A new company starts with a copy of the standard policy, ready to adapt."""
        companies = super().create(vals_list)
        template = self.env.ref("relance_impayes.relance_policy_default", raise_if_not_found=False)
        if template:
            for company in companies.filtered(lambda c: not c.relance_policy_id):
                policy = template.sudo().with_context(active_test=False).copy({"company_id": company.id})
                company.relance_policy_id = policy
        return companies

    # ------------------------------------------------------------------
    # Late-payment penalties (C. com. L441-10 II)
    # ------------------------------------------------------------------
    relance_penalty_rate = fields.Float(
        "Late-payment penalty rate (%)",
        digits=(16, 2),
        default=0.0,
        help="Annual rate of the late-payment penalties stated in your terms of sale. 0 applies the legal "
        "default: the ECB rate of the half-year + 10 points. A contractual rate cannot be lower than 3 times "
        "the legal interest rate.",
    )
    relance_interest_account_id = fields.Many2one(
        "account.account",
        string="Late-payment interest account",
        check_company=True,
        help="Income account of late-payment penalties. Empty: 763100 of the French chart.",
    )
    relance_indemnity_account_id = fields.Many2one(
        "account.account",
        string="Recovery indemnity account",
        check_company=True,
        help="Income account of fixed recovery indemnities. Empty: 758100 of the French chart.",
    )

    @api.constrains("relance_penalty_rate")
    def _check_relance_penalty_rate(self):
        for company in self:
            self.env["relance.rate"]._relance_check_contract_rate(company.relance_penalty_rate, company.display_name)

    def _relance_penalty_accounts(self):
        """``(interest account, indemnity account)`` of the company: the configured ones, else the
        accounts 763100 and 758100 of the French chart when they exist (empty recordsets otherwise)."""
        self.ensure_one()
        accounts = self.env["account.account"].with_company(self).sudo()
        domain = accounts._check_company_domain(self)

        def by_code(code):
            return accounts.search([*domain, ("code", "=", code)], limit=1)

        interest = self.relance_interest_account_id or by_code("763100")
        indemnity = self.relance_indemnity_account_id or by_code("758100")
        return interest.sudo(False), indemnity.sudo(False)

    # ------------------------------------------------------------------
    # Credit management
    # ------------------------------------------------------------------
    relance_credit_limit_mode = fields.Selection(
        [("warn", "Warn only"), ("block", "Block")],
        string="Over the credit limit",
        default="warn",
        required=True,
        help="Warn only: Odoo shows its warning on invoices and orders. Block: a customer over its credit limit "
        "is put on credit hold, and an invoice or order that would take it over is refused (a Relances manager "
        "can override).",
    )
    relance_risk_watch_score = fields.Integer(
        "Risk score 'to watch' from", default=30, help="Customers scoring at least this are 'to watch'."
    )
    relance_risk_risky_score = fields.Integer(
        "Risk score 'risky' from", default=60, help="Customers scoring at least this are 'risky'."
    )
    relance_review_months = fields.Integer(
        "Review credit every (months)",
        default=12,
        help="A customer whose last credit review is older than this appears in the credit reviews to do.",
    )
    relance_review_exposure = fields.Monetary(
        "Review credit above",
        currency_field="currency_id",
        default=10000.0,
        help="A customer never reviewed appears in the credit reviews to do once its receivable exceeds this.",
    )

    @api.constrains("relance_risk_watch_score", "relance_risk_risky_score", "relance_review_months")
    def _check_relance_credit_settings(self):
        for company in self:
            if not 0 <= company.relance_risk_watch_score <= company.relance_risk_risky_score <= 100:
                raise ValidationError(self.env._("Risk thresholds must satisfy 0 <= 'to watch' <= 'risky' <= 100."))
            if company.relance_review_months <= 0:
                raise ValidationError(self.env._("The credit review period must be at least one month."))

    # ------------------------------------------------------------------
    # Analytics: limits of the aged balance buckets (days late)
    # ------------------------------------------------------------------
    relance_aging_bucket_1 = fields.Integer(
        "Aged balance: first bucket up to (days)",
        default=30,
        help="The aged balance shows: not due, 1 to this many days late, then up to the second and the third "
        "limits, then beyond.",
    )
    relance_aging_bucket_2 = fields.Integer("Aged balance: second bucket up to (days)", default=60)
    relance_aging_bucket_3 = fields.Integer("Aged balance: third bucket up to (days)", default=90)

    @api.constrains("relance_aging_bucket_1", "relance_aging_bucket_2", "relance_aging_bucket_3")
    def _check_relance_aging_buckets(self):
        for company in self:
            if not 0 < company.relance_aging_bucket_1 < company.relance_aging_bucket_2 < company.relance_aging_bucket_3:
                raise ValidationError(
                    self.env._("The limits of the aged balance buckets must increase: 0 < first < second < third.")
                )
