from odoo import api, models
from odoo.tools import format_amount, format_date


class ReportRelanceLetter(models.AbstractModel):
    """Letters share the QWeb helpers of the email templates (format_date, format_amount)."""

    _name = "report.relance_impayes.report_relance_letter"
    _description = "Reminder letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["relance.communication"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "relance.communication",
            "docs": docs,
            "format_date": lambda value, pattern=False: format_date(self.env, value, date_format=pattern),
            "format_amount": lambda amount, currency: format_amount(self.env, amount, currency),
        }
