from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relance_policy_id = fields.Many2one(
        related="company_id.relance_policy_id", readonly=False, string="Default dunning policy"
    )
    relance_tolerance = fields.Monetary(related="company_id.relance_tolerance", readonly=False)
    relance_min_interval = fields.Integer(related="company_id.relance_min_interval", readonly=False)
    relance_payment_days = fields.Integer(related="company_id.relance_payment_days", readonly=False)
    relance_indemnity_amount = fields.Monetary(related="company_id.relance_indemnity_amount", readonly=False)
    relance_collector_id = fields.Many2one(related="company_id.relance_collector_id", readonly=False)
    relance_reply_to = fields.Char(related="company_id.relance_reply_to", readonly=False)
    relance_promise_grace_days = fields.Integer(related="company_id.relance_promise_grace_days", readonly=False)
    relance_plan_break_days = fields.Integer(related="company_id.relance_plan_break_days", readonly=False)
    relance_stuck_days = fields.Integer(related="company_id.relance_stuck_days", readonly=False)
    relance_call_hours = fields.Char(related="company_id.relance_call_hours", readonly=False)
    relance_penalty_rate = fields.Float(related="company_id.relance_penalty_rate", readonly=False)
    relance_interest_account_id = fields.Many2one(related="company_id.relance_interest_account_id", readonly=False)
    relance_indemnity_account_id = fields.Many2one(related="company_id.relance_indemnity_account_id", readonly=False)
    relance_prescription_warning_months = fields.Integer(
        related="company_id.relance_prescription_warning_months", readonly=False
    )
    relance_credit_limit_mode = fields.Selection(related="company_id.relance_credit_limit_mode", readonly=False)
    relance_risk_watch_score = fields.Integer(related="company_id.relance_risk_watch_score", readonly=False)
    relance_risk_risky_score = fields.Integer(related="company_id.relance_risk_risky_score", readonly=False)
    relance_review_months = fields.Integer(related="company_id.relance_review_months", readonly=False)
    relance_review_exposure = fields.Monetary(related="company_id.relance_review_exposure", readonly=False)
    relance_aging_bucket_1 = fields.Integer(related="company_id.relance_aging_bucket_1", readonly=False)
    relance_aging_bucket_2 = fields.Integer(related="company_id.relance_aging_bucket_2", readonly=False)
    relance_aging_bucket_3 = fields.Integer(related="company_id.relance_aging_bucket_3", readonly=False)
    relance_max_attached_invoices = fields.Integer(related="company_id.relance_max_attached_invoices", readonly=False)
