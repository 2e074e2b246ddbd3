from odoo import fields, models
from odoo.tools import format_date
from odoo.tools.safe_eval import safe_eval


class RelanceAgingDate(models.TransientModel):
    """Choose the date of the aged balance or of the DSO (a month end for the closing, say):
    the reports read it from the ``relance_date`` context key."""

    _name = "relance.aging.date"
    _description = "Aged balance at a date"

    date = fields.Date(required=True, default=fields.Date.context_today)
    report = fields.Selection(
        [("aging", "Aged balance per customer"), ("lines", "Aged balance per item"), ("dso", "DSO")],
        required=True,
        default="aging",
    )

    def action_open(self):
        self.ensure_one()
        xmlid = {
            "aging": "relance_impayes.relance_aging_action",
            "lines": "relance_impayes.relance_aging_line_action",
            "dso": "relance_impayes.relance_dso_action",
        }[self.report]
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        context = safe_eval(action.get("context") or "{}", {"uid": self.env.uid})
        action["context"] = dict(context, relance_date=fields.Date.to_string(self.date))
        action["display_name"] = self.env._(
            "%(report)s at %(date)s", report=action["name"], date=format_date(self.env, self.date)
        )
        return action

    def action_print(self):
        """The aged balance of the company at the date, every customer, as a PDF."""
        self.ensure_one()
        date = fields.Date.to_string(self.date)
        rows = (
            self.env["relance.aging"].with_context(relance_date=date).search([("company_id", "=", self.env.company.id)])
        )
        return self.env.ref("relance_impayes.relance_aging_report").report_action(rows, data={"date": date})
