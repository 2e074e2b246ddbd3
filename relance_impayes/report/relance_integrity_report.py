from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools.misc import format_datetime


class ReportRelanceIntegrity(models.AbstractModel):
    """The reminder history's integrity check, per company, for the managers."""

    _name = "report.relance_impayes.report_relance_integrity"
    _description = "Reminder history integrity check"

    @api.model
    def _get_report_values(self, docids, data=None):
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_manager"):
            raise AccessError(self.env._("Only a Reminders manager can check the integrity of the history."))
        companies = self.env["res.company"].browse(docids) & self.env.companies if docids else self.env.companies
        results = [self._describe(self.env["relance.interaction"]._integrity_check(company)) for company in companies]
        return {"doc_ids": companies.ids, "doc_model": "res.company", "docs": companies, "results": results}

    def _describe(self, result):
        """The verdict in one translated sentence, and the range that is intact."""
        first, last, record = result["first"], result["last"], result["record"]
        intact_range = (
            self.env._(
                "%(count)s records, from #%(first)s (%(first_date)s) to #%(last)s (%(last_date)s)",
                count=result["count"],
                first=first.integrity_sequence,
                first_date=format_datetime(self.env, first.date),
                last=last.integrity_sequence,
                last_date=format_datetime(self.env, last.date),
            )
            if result["count"]
            else ""
        )
        if result["status"] == "empty":
            verdict = self.env._("No reminder history recorded yet.")
        elif result["status"] == "intact":
            verdict = self.env._("Chain intact: %(range)s checked.", range=intact_range)
        else:
            verdict = self.env._("Chain broken at record ID %(id)s: %(reason)s", id=record.id, reason=result["reason"])
        return dict(
            result,
            verdict=verdict,
            intact_range=intact_range,
            record_date=format_datetime(self.env, record.date) if record else "",
        )
