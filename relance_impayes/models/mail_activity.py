from datetime import datetime, timedelta

from odoo import api, fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    relance_priority = fields.Float(
        "Call priority",
        index=True,
        readonly=True,
        help="Amount overdue times days late when the call was planned: the call queue starts with the largest.",
    )

    @api.model
    def _relance_call_day(self, day):
        """The first business day from ``day`` (Monday to Friday) on which a call still fits in the
        calling hours: today once the last slot is over becomes the next business day."""
        day = fields.Date.to_date(day)
        if day == fields.Date.context_today(self):
            now = fields.Datetime.context_timestamp(self, datetime.now())
            if now.hour + now.minute / 60 >= self._relance_call_end(self.env.company):
                day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    @api.model
    def _relance_call_end(self, company):
        """End of the last calling slot, in hours (18.0 for "09:00-12:00, 14:00-18:00")."""
        try:
            last = (company.relance_call_hours or "").split(",")[-1].split("-")[1].strip()
            hours, minutes = last.split(":")
            return int(hours) + int(minutes) / 60
        except (IndexError, ValueError):
            return 18.0

    def action_relance_log_call(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log call outcome"),
            "res_model": "relance.call.log",
            "view_mode": "form",
            "target": "new",
            "context": {"default_activity_id": self.id},
        }
