from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import LockError, UserError
from odoo.fields import Domain
from odoo.tools import format_amount, format_date, formatLang

from ..models.account_move_line import penalty_lines_writer
from ..tools.typography import format_percent

INCOME_TYPES = ("income", "income_other")


class RelancePenaltyInvoice(models.TransientModel):
    """Charge late-payment penalties: one invoice per customer (and currency), one line per
    source invoice for the interest accrued since the last charge, one for the indemnity."""

    _name = "relance.penalty.invoice"
    _description = "Invoice late-payment penalties"

    date = fields.Date("Computed on", required=True, default=fields.Date.context_today)
    partner_ids = fields.Many2many("res.partner", string="Customers")
    move_ids = fields.Many2many("account.move", string="Invoices")
    summary = fields.Html(compute="_compute_summary")

    def _source_moves(self):
        moves = self.move_ids
        if self.partner_ids:
            moves |= self.env["account.move"].search(
                Domain("move_type", "=", "out_invoice")
                & Domain("state", "=", "posted")
                & Domain("company_id", "=", self.env.company.id)
                & Domain("commercial_partner_id", "in", self.partner_ids.commercial_partner_id.ids)
                & self.env["account.move"]._relance_due_before_domain(self.date)
            )
        return moves.filtered(lambda m: m.company_id == self.env.company and not m.relance_is_penalty_invoice)

    def _disputed_message(self, sources):
        """The sentence saying which invoices are left out because they are disputed (their
        penalties are not a certain claim, see ``relance.penalty._claimable``), or ``False``."""
        disputed = sources - self.env["relance.penalty"]._claimable(sources)
        if not disputed:
            return False
        return self.env._(
            "Left out, under dispute: %(invoices)s. Their penalties can be invoiced once the dispute is closed.",
            invoices=", ".join(disputed.mapped("name")),
        )

    @api.depends("date", "partner_ids", "move_ids")
    def _compute_summary(self):
        for wizard in self:
            sources = wizard._source_moves()
            charges = self.env["relance.penalty"]._to_charge(sources, wizard.date) if wizard.date else {}
            disputed = wizard._disputed_message(sources)
            note = Markup("<p class='text-warning'>%s</p>") % disputed if disputed else Markup()
            if not charges:
                wizard.summary = Markup("<p>%s</p>") % self.env._("Nothing to charge on this date.") + note
                continue
            rows = Markup().join(
                Markup(
                    "<tr><td>{}</td><td>{}</td><td class='text-end'>{}</td><td class='text-end'>{}</td></tr>"
                ).format(
                    move.name,
                    move.commercial_partner_id.name,
                    format_amount(self.env, charges[move.id]["interest"], move.currency_id),
                    format_amount(self.env, charges[move.id]["indemnity"], move.currency_id),
                )
                for move in self.env["account.move"].browse(charges)
            )
            wizard.summary = (
                Markup(
                    "<table class='table table-sm'><thead><tr><th>{}</th><th>{}</th><th class='text-end'>{}</th>"
                    "<th class='text-end'>{}</th></tr></thead><tbody>{}</tbody></table>"
                ).format(
                    self.env._("Invoice"), self.env._("Customer"), self.env._("Interest"), self.env._("Indemnity"), rows
                )
                + note
            )

    def _interest_label(self, move, charge, lang):
        """ "Late-payment interest on INV/2025/0001 from 16/06/2025 to 15/07/2025 (12.15 %)", in the
        customer's language (dates and decimals included). ``date_from`` is the due date or the last
        day already charged: interest runs from the next day (C. com. L441-10 II)."""
        env = self.with_context(lang=lang).env
        rates = ", ".join(
            format_percent(formatLang(env, rate, digits=2))
            for rate in sorted({period["rate"] for period in charge["result"]["periods"]})
        )
        return env._(
            "Late-payment interest on %(invoice)s from %(start)s to %(end)s (%(rates)s)",
            invoice=move.name,
            start=format_date(env, charge["date_from"] + timedelta(days=1), lang_code=lang),
            end=format_date(env, self.date, lang_code=lang),
            rates=rates,
        )

    def _check_date(self):
        """Penalties run up to a day that has come: interest accrued in the future is not owed."""
        if self.date > fields.Date.context_today(self):
            raise UserError(
                self.env._(
                    "Penalties can only be computed up to today: %(date)s is in the future.",
                    date=fields.Date.to_string(self.date),
                )
            )

    def _income_accounts(self):
        """``(interest account, indemnity account)``: chosen in the settings, income accounts."""
        interest_account, indemnity_account = self.env.company._relance_penalty_accounts()
        if not interest_account or not indemnity_account:
            raise UserError(
                self.env._(
                    "Choose the income accounts for late-payment interest and the recovery indemnity in the "
                    "settings (Invoicing > Payment reminders)."
                )
            )
        for account in interest_account | indemnity_account:
            if account.account_type not in INCOME_TYPES:
                raise UserError(
                    self.env._(
                        "%(account)s is not an income account: choose income accounts for late-payment interest "
                        "and the recovery indemnity in the settings (Invoicing > Payment reminders).",
                        account=account.display_name,
                    )
                )
        return interest_account, indemnity_account

    def _lock_sources(self, sources):
        """Lock the source invoices until the end of the transaction, then read again what was
        charged: two people invoicing the same penalties at once cannot charge them twice (the
        second is told to wait, or finds them charged)."""
        try:
            # NO KEY UPDATE: another wizard may still reference the invoices, none may charge them
            sources.lock_for_update(allow_referencing=True)
        except LockError:
            raise UserError(
                self.env._(
                    "Someone is invoicing the penalties of these invoices right now. Try again in a moment: "
                    "what they charge will not be charged twice."
                )
            ) from None
        sources.invalidate_recordset(
            [
                "relance_penalty_line_ids",
                "relance_interest_charged",
                "relance_penalty_charged_until",
                "relance_indemnity_charged",
            ]
        )

    def action_create(self):
        self.ensure_one()
        self._check_date()
        interest_account, indemnity_account = self._income_accounts()
        sources = self._source_moves()
        self._lock_sources(sources)
        charges = self.env["relance.penalty"]._to_charge(sources, self.date)
        if not charges and self._disputed_message(sources):
            raise UserError(self._disputed_message(sources))
        if not charges:
            raise UserError(self.env._("Nothing to charge: no penalty accrued since the last penalty invoice."))
        groups = defaultdict(list)
        for move in sources.browse(charges):
            groups[(move.commercial_partner_id, move.currency_id)].append(move)
        vals_list = []
        for (partner, currency), moves in groups.items():
            lines = []
            for move in moves:
                charge = charges[move.id]
                if charge["interest"] > 0:
                    lines.append(
                        fields.Command.create(
                            {
                                "name": self._interest_label(move, charge, partner.lang),
                                "quantity": 1,
                                "price_unit": charge["interest"],
                                "tax_ids": [fields.Command.clear()],
                                "account_id": interest_account.id,
                                "relance_penalty_source_id": move.id,
                                "relance_penalty_kind": "interest",
                                "relance_penalty_date_to": self.date,
                            }
                        )
                    )
                if charge["indemnity"] > 0:
                    lines.append(
                        fields.Command.create(
                            {
                                "name": self.with_context(lang=partner.lang).env._(
                                    "Fixed recovery indemnity (art. D. 441-5 C. com.) on %(invoice)s",
                                    invoice=move.name,
                                ),
                                "quantity": 1,
                                "price_unit": charge["indemnity"],
                                "tax_ids": [fields.Command.clear()],
                                "account_id": indemnity_account.id,
                                "relance_penalty_source_id": move.id,
                                "relance_penalty_kind": "indemnity",
                            }
                        )
                    )
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "currency_id": currency.id,
                    "invoice_date": self.date,
                    "invoice_origin": ", ".join(m.name for m in moves),
                    "invoice_line_ids": lines,
                }
            )
        with penalty_lines_writer():
            invoices = self.env["account.move"].create(vals_list)
        for invoice in invoices:
            invoice.commercial_partner_id._relance_log(
                self.env._("Penalty invoice %(invoice)s created.", invoice=invoice.display_name or invoice.id)
            )
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({"domain": [("id", "in", invoices.ids)], "context": {"create": False}})
        if len(invoices) == 1:
            action.update({"res_id": invoices.id, "views": [(False, "form")], "view_mode": "form"})
        return action
