"""Credit hold: which customers get no new invoice nor order, why, and who let one through.

A hold has a cause: set by hand by a manager, the customer over its credit limit (core
``credit_limit``) while the company blocks, or an invoice at a level with credit hold. Automatic
holds lift by themselves once their cause is gone; every hold, release and override is logged on
the customer. Documents (invoices, sales orders) read the hold through
``relance.credit.override.mixin``.
"""

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import plaintext2html


class RelanceCredit(models.AbstractModel):
    _name = "relance.credit"
    _description = "Credit hold"

    @api.model
    def _limit_blocks(self, company):
        """Whether ``company`` blocks documents that would take a customer over its credit limit."""
        return company.account_use_credit_limit and company.relance_credit_limit_mode == "block"

    @api.model
    def _log(self, partner, summary, body=None, moves=None):
        """Every hold, release and override: a note on the customer's chatter and in its history
        (in the current company)."""
        partner = partner.commercial_partner_id
        partner._relance_log(f"{summary}\n{body}" if body else summary)
        return (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "company_id": self.env.company.id,
                    "partner_id": partner.id,
                    "kind": "note",
                    "direction": "internal",
                    "summary": summary,
                    "body": plaintext2html(body) if body else False,
                    "move_ids": [fields.Command.set(moves.ids)] if moves else False,
                    "user_id": self.env.user.id,
                }
            )
        )

    @api.model
    def _hold(self, partners, cause, reason):
        """Put the customers on hold in the current company (logged)."""
        today = fields.Date.context_today(self)
        for partner in partners.commercial_partner_id:
            partner.sudo().write(
                {
                    "relance_credit_hold": True,
                    "relance_hold_cause": cause,
                    "relance_hold_reason": reason,
                    "relance_hold_date": partner.relance_hold_date if partner.relance_credit_hold else today,
                }
            )
            self._log(partner, self.env._("Credit hold: %(reason)s", reason=reason))

    @api.model
    def _release(self, partners, reason):
        """Lift the hold of the customers in the current company (logged)."""
        for partner in partners.commercial_partner_id.filtered("relance_credit_hold"):
            partner.sudo().write(
                {
                    "relance_credit_hold": False,
                    "relance_hold_cause": False,
                    "relance_hold_reason": False,
                    "relance_hold_date": False,
                }
            )
            self._log(partner, self.env._("Credit hold lifted: %(reason)s", reason=reason))

    @api.model
    def _level_causes(self, company, only=None):
        """``{partner id: ('level', reason)}``: customers with an open invoice at a level with credit hold."""
        moves = self.env["account.move"].sudo()
        domain = (
            Domain("company_id", "=", company.id)
            & moves._relance_open_domain()
            & Domain("relance_level_id.credit_hold", "=", True)
        )
        if only is not None:
            domain &= Domain("commercial_partner_id", "in", only)
        by_partner = {}
        for partner, level, names in moves._read_group(
            domain, ["commercial_partner_id", "relance_level_id"], ["name:array_agg"]
        ):
            top, all_names = by_partner.get(partner.id, (level, []))
            if level.delay > top.delay:
                top = level
            by_partner[partner.id] = (top, all_names + sorted(names))
        return {
            partner_id: (
                "level",
                self.env._(
                    "invoice(s) %(invoices)s at the reminder level %(level)s",
                    invoices=", ".join(names),
                    level=level.name,
                ),
            )
            for partner_id, (level, names) in by_partner.items()
        }

    @api.model
    def _limit_causes(self, company, only=None):
        """``{partner id: ('over_limit', reason)}``: customers whose receivable plus orders to
        invoice exceed their credit limit, when the company blocks."""
        if not self._limit_blocks(company):
            return {}
        partner_model = self.env["res.partner"].sudo().with_company(company)
        over_domain = Domain("credit_limit", ">", 0) & Domain("credit", ">", 0)
        if only is not None:
            over_domain &= Domain("id", "in", only)
        over = partner_model.search(over_domain)
        over.invalidate_recordset(["credit", "credit_to_invoice"])  # not stored, no dependencies: may be stale
        over.fetch(["company_id", "credit_limit"])  # core's credit computation reads them one partner at a time
        return {
            partner.id: (
                "over_limit",
                self.env._(
                    "over its credit limit of %(limit)s", limit=company.currency_id.format(partner.credit_limit)
                ),
            )
            for partner in over
            if partner.credit + partner.credit_to_invoice > partner.credit_limit
        }

    @api.model
    def _causes(self, company, only=None):
        """``{partner id: (cause, reason)}``: every automatic cause of hold of the customers of
        ``company`` (``only``: those ids); a later cause wins. Override to add one."""
        return self._limit_causes(company, only) | self._level_causes(company, only)

    @api.model
    def _update_holds(self, company, partners=None):
        """Hold the customers of ``company`` that have a cause, lift the automatic holds whose cause
        is gone. A hold set by hand stays until a manager lifts it. A few queries for all customers
        (``partners`` restricts them); a level cause wins over the credit limit.

        :return: ``(held, released)`` partner recordsets
        """
        credit = self.with_company(company)
        partner_model = self.env["res.partner"].sudo().with_company(company)
        only = partners.commercial_partner_id.ids if partners is not None else None
        causes = credit._causes(company, only)
        held_domain = Domain("relance_credit_hold", "=", True)
        if only is not None:
            held_domain &= Domain("id", "in", only)
        current = partner_model.search(held_domain)
        held = released = partner_model.browse()
        for partner in current | partner_model.browse(causes):
            if partner.relance_credit_hold and partner.relance_hold_cause == "manual":
                continue
            cause = causes.get(partner.id)
            if cause and (partner.relance_hold_cause, partner.relance_hold_reason) != cause:
                credit._hold(partner, *cause)
                held |= partner
            elif not cause and partner.relance_credit_hold:
                credit._release(partner, self.env._("its cause is gone (%(cause)s)", cause=partner.relance_hold_reason))
                released |= partner
        return held, released

    @api.model
    def _partner_block_reason(self, partner, company=None):
        """Why the customer's new invoices and orders are blocked in ``company``, or ``False``."""
        partner = partner.commercial_partner_id.sudo().with_company(company or self.env.company)
        return partner.relance_credit_hold and (partner.relance_hold_reason or self.env._("on credit hold"))

    @api.model
    def _invoices_paid(self, moves):
        """A paid invoice may end a customer's hold: check at once rather than at the next daily run."""
        for company, company_moves in (
            moves.filtered(lambda m: m.move_type == "out_invoice").grouped("company_id").items()
        ):
            held = company_moves.commercial_partner_id.with_company(company).sudo().filtered("relance_credit_hold")
            if held:
                self._update_holds(company, held)
