from datetime import date, datetime, time, timedelta

from odoo import Command, fields

from .common import TODAY, RelanceCommon

T = TODAY  # 2026-03-10


def ago(days):
    return T - timedelta(days=days)


class RelanceAnalyticsCommon(RelanceCommon):
    """Known histories at a frozen date give exact aged balances, DSO, effectiveness and funnel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector = cls._relance_user("claire_analytics", "Claire Recouvrement", "claire@example.fr")

    # ------------------------------------------------------------------
    # Helpers: a history written as the engine writes it
    # ------------------------------------------------------------------
    def _invoice(self, partner, amount, invoice_date, due):
        return self._relance_invoice(partner, amount, invoice_date=invoice_date, due=due)

    def _remind(self, moves, level, on, claimed=None, kinds=("email",), climbs=True, user=None):
        """A sent reminder of ``moves`` at ``level`` on ``on``, with its evidence of ``kinds``."""
        partner = moves.commercial_partner_id
        claimed = claimed or {}
        comm = (
            self.env["relance.communication"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "partner_id": partner.id,
                    "level_id": level.id,
                    "date": on,
                    "state": "sent",
                    "origin": "cron",
                    "user_id": (user or self.env.user).id,
                    "amount_due": sum(claimed.get(m, m.amount_total) for m in moves),
                    "line_ids": [
                        Command.create(
                            {
                                "move_id": move.id,
                                "level_id": level.id if climbs else False,
                                "date_due": move.invoice_date_due,
                                "days_late": (on - move.invoice_date_due).days,
                                "amount_residual": claimed.get(move, move.amount_total),
                            }
                        )
                        for move in moves
                    ],
                }
            )
        )
        self.env["relance.interaction"].sudo().create(
            [
                {
                    "company_id": self.company.id,
                    "partner_id": partner.id,
                    "move_ids": [Command.set(moves.ids)],
                    "level_id": level.id,
                    "communication_id": comm.id,
                    "kind": kind,
                    "summary": f"{kind} {level.name}",
                    "date": datetime.combine(on, time(9)),
                    "amount": comm.amount_due,
                    "direction": "internal" if kind == "handoff" else "out",
                }
                for kind in kinds
            ]
        )
        return comm

    def _refund(self, invoice, amount, on):
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": invoice.partner_id.id,
                "invoice_date": on,
                "invoice_line_ids": [
                    Command.create({"name": "Avoir", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        refund.action_post()
        (refund + invoice).line_ids.filtered(lambda line: line.account_type == "asset_receivable").reconcile()
        return refund

    def _write_off(self, invoice, amount, on):
        receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": on,
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Perte",
                            "account_id": self.company_data["default_account_expense"].id,
                            "debit": amount,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Perte",
                            "account_id": receivable.account_id.id,
                            "partner_id": invoice.partner_id.id,
                            "credit": amount,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        (receivable + entry.line_ids.filtered(lambda line: line.account_type == "asset_receivable")).reconcile()
        return entry

    def _rows(self, model, domain, groupby, aggregates, on=T):
        Model = self.env[model].with_context(relance_date=fields.Date.to_string(on))
        return {group: values for group, *values in Model._read_group(domain, [groupby], aggregates)}

    # ------------------------------------------------------------------
    # Aged balance
    # ------------------------------------------------------------------

    def _dso_history(self):
        self.customer.with_company(self.company).relance_collector_id = self.collector
        jan = self._invoice(self.customer, 3000, date(2026, 1, 15), date(2026, 1, 20))
        self._pay(jan, 3000, pay_date=date(2026, 2, 20))
        feb = self._invoice(self.customer, 8000, date(2026, 2, 10), date(2026, 2, 25))
        self._pay(feb, 4000, pay_date=date(2026, 3, 1))
        self._invoice(self.customer, 6000, date(2026, 3, 5), date(2026, 4, 4))
        self._invoice(self.customer_b, 2800, date(2026, 2, 5), date(2026, 2, 15))
