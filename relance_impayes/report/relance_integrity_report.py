from odoo import api, models
from odoo.exceptions import AccessError


class ReportRelanceIntegrity(models.AbstractModel):
    """The reminder history's integrity check, per company, for the managers."""

    _name = "report.relance_impayes.report_relance_integrity"
    _description = "Reminder history integrity check"

    @api.model
    def _get_report_values(self, docids, data=None):
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_manager"):
            raise AccessError(self.env._("Only a Reminders manager can check the integrity of the history."))
        companies = self.env["res.company"].browse(docids) & self.env.companies if docids else self.env.companies
        Interaction = self.env["relance.interaction"]
        return {
            "doc_ids": companies.ids,
            "doc_model": "res.company",
            "docs": companies,
            "results": [Interaction._integrity_check(company) for company in companies],
        }
