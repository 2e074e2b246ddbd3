from odoo import api, fields, models
from odoo.tools import format_amount

DEBTOR_KINDS = [
    ("consumer", "Private individual (consumer)"),
    ("trader", "Trader or commercial company"),
    ("professional", "Non-trading professional"),
    ("association", "Association or other non-trading body"),
]


class ResPartner(models.Model):
    """Which French rules govern a customer: consumer or business (C. conso. liminaire), and,
    among businesses, trader or not (the court of an injonction de payer, CPC 1406)."""

    _inherit = "res.partner"

    relance_debtor_type = fields.Selection(
        [("auto", "Automatic"), *DEBTOR_KINDS],
        string="Debtor type",
        default="auto",
        required=True,
        tracking=True,
        help="Automatic: a company (or a contact of a company) is a trader or commercial company, a person "
        "without a parent company is a private individual (consumer). Choose another type for a sole trader, "
        "a liberal profession or an association.",
    )
    relance_debtor_kind = fields.Selection(
        DEBTOR_KINDS,
        string="Debtor kind",
        compute="_compute_relance_debtor_kind",
        store=True,
        help="The debtor type in force: the one chosen, or the automatic one.",
    )
    relance_is_consumer = fields.Boolean(
        "Private individual",
        compute="_compute_relance_is_consumer",
        inverse="_inverse_relance_is_consumer",
        store=True,
        tracking=True,
        help="The customer is a consumer (B2C): no late-payment penalties nor recovery indemnity, only legal "
        "interest from the formal notice, and a 2-year limitation.",
    )
    relance_court_name = fields.Char(
        "Court for an injonction de payer",
        tracking=True,
        help="Leave empty to use the court of the debtor's city. Set it when the debtor's domicile belongs to "
        "another court's district.",
    )
    relance_rules_summary = fields.Char("Rules applied", compute="_compute_relance_rules_summary")

    @api.model
    def _relance_default_debtor_kind(self, partner):
        """C. conso. article liminaire: a consumer is a natural person not acting for professional
        purposes. Odoo only knows whether the customer (or the company it belongs to) is a company:
        a person without a parent company is a consumer until the accountant says otherwise."""
        if partner.relance_debtor_type and partner.relance_debtor_type != "auto":
            return partner.relance_debtor_type
        return "trader" if partner.is_company else "consumer"

    @api.depends(
        "relance_debtor_type",
        "is_company",
        "parent_id",
        "commercial_partner_id.relance_debtor_type",
        "commercial_partner_id.is_company",
    )
    def _compute_relance_debtor_kind(self):
        for partner in self:
            commercial = partner.commercial_partner_id or partner
            if commercial != partner and partner.relance_debtor_type == "auto":
                partner.relance_debtor_kind = self._relance_default_debtor_kind(commercial)
            else:
                partner.relance_debtor_kind = self._relance_default_debtor_kind(partner)

    @api.depends("relance_debtor_kind")
    def _compute_relance_is_consumer(self):
        for partner in self:
            partner.relance_is_consumer = partner.relance_debtor_kind == "consumer"

    def _inverse_relance_is_consumer(self):
        """Ticking the box makes the customer a consumer; unticking it on a person makes it a
        non-trading professional (a sole trader can then be set to "trader")."""
        for partner in self:
            if partner.relance_is_consumer and partner.relance_debtor_kind != "consumer":
                partner.relance_debtor_type = "consumer"
            elif not partner.relance_is_consumer and partner.relance_debtor_kind == "consumer":
                partner.relance_debtor_type = "trader" if partner.is_company else "professional"

    @api.depends("relance_debtor_kind")
    @api.depends_context("company")
    def _compute_relance_rules_summary(self):
        company = self.env.company
        indemnity = format_amount(self.env, company.relance_indemnity_amount, company.currency_id)
        for partner in self:
            if partner.relance_is_consumer:
                partner.relance_rules_summary = self.env._(
                    "Consumer: no L. 441-10 penalties nor %(indemnity)s indemnity; legal interest from the formal "
                    "notice (C. civ. 1231-6); 2-year limitation from the invoice date (C. conso. L. 218-2); "
                    "injonction de payer at the tribunal judiciaire.",
                    indemnity=indemnity,
                )
            else:
                court = self.env["relance.court"]._injonction_court(partner)
                partner.relance_rules_summary = self.env._(
                    "Business: L. 441-10 penalties from the day after the due date and %(indemnity)s indemnity per "
                    "invoice; 5-year limitation from the due date (C. com. L. 110-4); injonction de payer: "
                    "%(court)s (cerfa %(cerfa)s).",
                    indemnity=indemnity,
                    court=court["name"],
                    cerfa=court["cerfa"],
                )
