"""The formal notice (mise en demeure) as the engine reads it: its date and its deadline."""

from dateutil.relativedelta import relativedelta

from odoo import api, models


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    # ------------------------------------------------------------------
    # Formal notice (mise en demeure): its date and its deadline
    # ------------------------------------------------------------------
    @api.model
    def _formal_notice_dates(self, moves):
        """``{move id: date}`` of the formal notice of each invoice of ``moves``: the receipt (or first
        presentation) of the first registered letter that listed it, failing that its posting
        date. Absent while no registered letter has left (one still to post is no notice)."""
        if not moves.ids:
            return {}
        letters = (
            self.env["relance.interaction"]
            .sudo()
            .search_fetch(
                [
                    ("kind", "=", "registered_letter"),
                    ("move_ids", "in", moves.ids),
                    ("lrar_status", "not in", ("to_send", "returned")),
                ],
                ["lrar_sent_date", "lrar_receipt_date", "move_ids"],
                order="date, id",
            )
        )
        notices = {}
        for letter in letters:
            notice = letter.lrar_receipt_date or letter.lrar_sent_date
            if not notice:
                continue
            for move_id in letter.move_ids.ids:
                notices.setdefault(move_id, notice)
        return notices

    @api.model
    def _notice_deadlines(self, moves):
        """``{move id: deadline}``: receipt (or first presentation) of the last registered letter
        that listed the invoice, plus the days given to pay. Invoices whose notice was not received
        (or not yet recorded) have no deadline: the hand-off waits."""
        if not moves.ids:
            return {}
        letters = (
            self.env["relance.interaction"]
            .sudo()
            .search_fetch(
                [
                    ("kind", "=", "registered_letter"),
                    ("move_ids", "in", moves.ids),
                    ("lrar_receipt_date", "!=", False),
                    ("lrar_status", "in", ("received", "refused", "not_claimed")),
                ],
                ["lrar_receipt_date", "move_ids", "company_id"],
                order="date desc, id desc",
            )
        )
        deadlines = {}
        for letter in letters:
            deadline = letter.lrar_receipt_date + relativedelta(days=letter.company_id.relance_payment_days)
            for move_id in letter.move_ids.ids:
                deadlines.setdefault(move_id, deadline)
        return deadlines
