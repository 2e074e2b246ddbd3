from odoo import api, models


class ReportDeclarationCreance(models.AbstractModel):
    _name = "report.relance_impayes.report_declaration_creance"
    _inherit = "relance.report.mixin"
    _description = "Claim declaration"
    _doc_model = "relance.insolvency"

    @api.model
    def _get_report_values(self, docids, data=None):
        values = super()._get_report_values(docids, data)
        values["declaration"] = lambda procedure: procedure._declaration(values["report_date"])
        return values
