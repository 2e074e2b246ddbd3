from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain


class RelanceLimitation(models.AbstractModel):
    """When a claim becomes time-barred, and which open invoices get there soon."""

    _name = "relance.limitation"
    _description = "Limitation of claims"

    @api.model
    def _time_barred_on(self, move):
        """Date at which the claim of customer invoice ``move`` becomes time-barred, or ``False``.

        C. com. L110-4: 5 years between businesses, from the due date (the day the claim can be
        demanded); of an invoice in instalments, the due date of its earliest unpaid instalment (each
        instalment is a claim of its own, the earliest is time-barred first). C. conso. L218-2:
        2 years for a professional's claim on a consumer, from the completion of the service or the
        delivery (Cass. 1re civ. 19 May 2021 n° 20-12.520): the invoice date is the best proxy Odoo holds.
        """
        if move.move_type != "out_invoice":
            return False
        if move.commercial_partner_id.relance_is_consumer:
            start = move.invoice_date or move._relance_due_date()
            return start and start + relativedelta(years=2)
        due = move._relance_due_date()
        return due and due + relativedelta(years=5)

    @api.model
    def _domain(self, company, date=None):
        """Open invoices whose claim becomes time-barred within the company's warning period."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        limit = date + relativedelta(months=company.relance_prescription_warning_months)
        moves = self.env["account.move"]
        return (
            moves._relance_open_domain()
            & Domain("company_id", "=", company.id)
            & Domain("relance_prescription_date", "<=", limit)
        )

    @api.model
    def _partner_warnings(self, partners, company=None):
        """``{commercial partner id: text or False}``: how many open invoices of each customer
        become time-barred soon, and from when."""
        company = company or self.env.company
        moves = self.env["account.move"]
        domain = self._domain(company) & Domain("commercial_partner_id", "in", partners.commercial_partner_id.ids)
        first = {
            partner.id: (count, date)
            for partner, count, date in moves._read_group(
                domain, ["commercial_partner_id"], ["__count", "relance_prescription_date:min"]
            )
        }
        return {
            partner.id: partner.id in first
            and self.env._(
                "%(count)s invoice(s) time-barred from %(date)s",
                count=first[partner.id][0],
                date=fields.Date.to_string(first[partner.id][1]),
            )
            or False
            for partner in partners.commercial_partner_id
        }
