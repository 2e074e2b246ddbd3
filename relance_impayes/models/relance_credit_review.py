from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools.misc import formatLang


class RelanceCreditReview(models.Model):
    """A dated look at a customer's creditworthiness and the limit granted after it.

    The granted limit becomes the customer's credit limit (core ``credit_limit``) unless told
    otherwise: the review is the evidence of why the limit is what it is.
    """

    _name = "relance.credit.review"
    _description = "Credit review"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        domain="[('is_company', '=', True)]",
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    source = fields.Selection(
        [
            ("credit_insurer", "Credit insurer"),
            ("banque_de_france", "Banque de France rating"),
            ("financial_statements", "Financial statements"),
            ("manual", "Manual"),
        ],
        required=True,
        default="manual",
    )
    rating = fields.Char(
        help="Rating given by the source, e.g. the Banque de France 'cotation' (3++, 4+...) or the insurer's grade."
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    granted_limit = fields.Monetary("Granted limit", help="Credit limit granted to the customer after this review.")
    apply_limit = fields.Boolean(
        "Set as credit limit",
        default=True,
        help="The granted limit becomes the customer's credit limit in this company.",
    )
    user_id = fields.Many2one("res.users", "Reviewed by", default=lambda self: self.env.user)
    note = fields.Text("Notes")
    next_review_date = fields.Date("Next review", compute="_compute_next_review_date", store=True)

    @api.depends("date", "company_id.relance_review_months")
    def _compute_next_review_date(self):
        for review in self:
            review.next_review_date = review.date and review.date + relativedelta(
                months=review.company_id.relance_review_months or 12
            )

    @api.constrains("granted_limit")
    def _check_granted_limit(self):
        for review in self:
            if review.granted_limit < 0:
                raise ValidationError(self.env._("A granted credit limit cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        reviews = super().create(vals_list)
        for review in reviews:
            review._relance_apply()
        return reviews

    def _relance_apply(self):
        """Log the review on the customer, set its limit; a raised limit may lift a hold at once."""
        self.ensure_one()
        partner = self.partner_id.with_company(self.company_id)
        label = dict(self._fields["source"]._description_selection(self.env))[self.source]
        limit = formatLang(self.env, self.granted_limit, currency_obj=self.currency_id)
        partner._relance_credit_log(
            self.env._(
                "Credit review (%(origin)s%(rating)s): limit granted %(limit)s",
                origin=label,
                rating=f", {self.rating}" if self.rating else "",
                limit=limit,
            ),
            body=self.note,
        )
        if self.apply_limit:
            # res.partner.write re-examines the customer's hold when its limit changes
            partner.sudo().credit_limit = self.granted_limit


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _relance_credit_review_due_ids(self, company, date=None):
        """Customers whose last credit review in ``company`` is older than the review period, or
        who have none while their receivable is above the company's exposure threshold. Read with
        the user's rights: only the reviews and customers the user may read."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        limit = fields.Date.subtract(date, months=company.relance_review_months or 12)
        last = self.env["relance.credit.review"]._read_group(
            [("company_id", "=", company.id)], ["partner_id"], ["date:max"]
        )
        due = [partner.id for partner, last_date in last if last_date <= limit]
        reviewed = [partner.id for partner, _last_date in last]
        # receivable lines bear the commercial partner: only customers have a `credit`
        unreviewed = self.with_company(company).search(
            Domain("credit", ">", company.relance_review_exposure) & Domain("id", "not in", reviewed)
        )
        return due + unreviewed.ids

    @api.model
    def action_relance_credit_review_todo(self):
        """The manager's to-do: customers whose credit must be reviewed."""
        action = self.env["ir.actions.act_window"]._for_xml_id("relance_impayes.res_partner_action_credit_review_todo")
        action["domain"] = [("id", "in", self._relance_credit_review_due_ids(self.env.company))]
        return action
