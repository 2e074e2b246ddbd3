"""The formal notice (mise en demeure) as the engine reads it: its date and its deadline."""

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.fields import Domain


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    # ------------------------------------------------------------------
    # Formal notice (mise en demeure): its date and its deadline
    # ------------------------------------------------------------------
    @api.model
    def _first_letter_values(self, moves, domain, order, value):
        """``{move id: value(letter)}`` over the registered letters that listed each invoice of
        ``moves``, the first one in ``order`` with a value winning (one query for all)."""
        if not moves.ids:
            return {}
        letters = (
            self.env["relance.interaction"]
            .sudo()
            .search_fetch(
                Domain("kind", "=", "registered_letter") & Domain("move_ids", "in", moves.ids) & Domain(domain),
                ["lrar_sent_date", "lrar_receipt_date", "move_ids", "company_id"],
                order=order,
            )
        )
        values = {}
        for letter in letters:
            found = value(letter)
            if found:
                for move_id in letter.move_ids.ids:
                    values.setdefault(move_id, found)
        return values

    @api.model
    def _formal_notice_dates(self, moves):
        """``{move id: date}`` of the formal notice of each invoice of ``moves``: the receipt (or first
        presentation) of the first registered letter that listed it, failing that its posting
        date. Absent while no registered letter has left (one still to post is no notice)."""
        return self._first_letter_values(
            moves,
            [("lrar_status", "not in", ("to_send", "returned"))],
            "date, id",
            lambda letter: letter.lrar_receipt_date or letter.lrar_sent_date,
        )

    @api.model
    def _notice_deadlines(self, moves):
        """``{move id: deadline}``: receipt (or first presentation) of the last registered letter
        that listed the invoice, plus the days given to pay (C. civ. 1344). Invoices whose notice
        was not received (or not yet recorded) have no deadline: the hand-off waits."""
        return self._first_letter_values(
            moves,
            [("lrar_receipt_date", "!=", False), ("lrar_status", "in", ("received", "refused", "not_claimed"))],
            "date desc, id desc",
            lambda letter: letter.lrar_receipt_date + relativedelta(days=letter.company_id.relance_payment_days),
        )
