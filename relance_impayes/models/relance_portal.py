from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import format_amount, format_date
from odoo.tools.mimetypes import guess_mimetype
from odoo.tools.misc import hash_sign, verify_hash_signed

TOKEN_SCOPE = "relance_impayes.portal"


class RelancePortalRateLimit(UserError):
    """Too many forms sent from one customer link within an hour."""


class RelancePolicy(models.Model):
    _inherit = "relance.policy"

    portal_promise_days = fields.Integer(
        "Latest promise date (days)",
        default=30,
        help="On the customer portal, a promise to pay can be dated at most this many days from today.",
    )
    portal_promise_min_percent = fields.Float(
        "Minimum promised share (%)",
        default=30.0,
        help="On the customer portal, a promise must cover at least this share of the amount due on the "
        "invoices it is about.",
    )

    @api.constrains("portal_promise_days", "portal_promise_min_percent")
    def _check_portal_promise_limits(self):
        for policy in self:
            if policy.portal_promise_days < 0:
                raise UserError(self.env._("The latest promise date cannot be negative."))
            if not 0 <= policy.portal_promise_min_percent <= 100:
                raise UserError(self.env._("The minimum promised share is a percentage between 0 and 100."))


class ResPartner(models.Model):
    """The customer portal of reminders: one customer (its commercial entity) in one company.

    The controller only reads the request and renders; what the customer may see and do, and the
    checks on what it sends, live here so they are the same for every caller and testable."""

    _inherit = "res.partner"

    # a reminder link stays valid this long; a newer reminder carries a newer link
    _RELANCE_PORTAL_TOKEN_DAYS = 180
    _RELANCE_PORTAL_MAX_TEXT = 2000
    _RELANCE_PORTAL_MAX_FILE = 5 * 1024 * 1024
    _RELANCE_PORTAL_FILE_TYPES = ("application/pdf", "image/png", "image/jpeg")

    # ------------------------------------------------------------------ access
    def _relance_portal_token(self, company):
        """Signed token naming the commercial entity and the company, valid without a login."""
        self.ensure_one()
        return hash_sign(
            self.env(su=True),
            TOKEN_SCOPE,
            [self.commercial_partner_id.id, company.id],
            expiration_hours=24 * self._RELANCE_PORTAL_TOKEN_DAYS,
        )

    def _relance_portal_url(self, company, page=""):
        """The link every reminder carries: the customer's account page, signed."""
        self.ensure_one()
        from urllib.parse import urlencode

        query = urlencode({"access_token": self._relance_portal_token(company)})
        return f"{company.get_base_url()}/my/relance{page}?{query}"

    @api.model
    def _relance_portal_from_token(self, token):
        """``(partner, company)`` (sudo) named by a valid token, else ``None``."""
        if not token or not isinstance(token, str) or len(token) > 512:
            return None
        try:
            values = verify_hash_signed(self.env(su=True), TOKEN_SCOPE, token)
        except Exception:  # noqa: BLE001 - a malformed token is just not a token
            return None
        if not isinstance(values, list) or len(values) != 2 or not all(isinstance(v, int) for v in values):
            return None
        partner = self.sudo().browse(values[0]).exists()
        company = self.env["res.company"].sudo().browse(values[1]).exists()
        if not partner or not company or partner.commercial_partner_id != partner:
            return None
        return partner, company

    def _relance_portal_moves(self, company):
        """The customer's open invoices in ``company`` (sudo, already scoped)."""
        self.ensure_one()
        moves = self.env["account.move"].sudo()
        return moves.search(
            moves._relance_open_domain()
            & Domain("company_id", "=", company.id)
            & Domain("commercial_partner_id", "=", self.commercial_partner_id.id),
            order="invoice_date_due, id",
        )

    def _relance_portal_move(self, company, move_id, disputed=None):
        """One open invoice of the customer, or an empty recordset (never someone else's)."""
        self.ensure_one()
        moves = self._relance_portal_moves(company).filtered(lambda m: m.id == move_id)
        if disputed is not None:
            moves = moves.filtered(lambda m: m.relance_disputed == disputed)
        return moves

    # ------------------------------------------------------------------ pages
    def _relance_portal_account(self, company, date=None):
        """What *My account* shows: open invoices (disputed apart), credits, totals."""
        self.ensure_one()
        date = date or fields.Date.context_today(self)
        partner = self.commercial_partner_id
        moves = self._relance_portal_moves(company)
        due_dates = {m.id: m._relance_due_date() for m in moves}  # the earliest unpaid instalment
        rows = [
            {
                "move": m,
                "due": due_dates[m.id],
                "late": max((date - due_dates[m.id]).days, 0),
                "residual": m.amount_residual_signed,
            }
            for m in moves.sorted(lambda m: (due_dates[m.id], m.id))
        ]
        credits = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "child_of", partner.id),
                    ("parent_state", "=", "posted"),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("reconciled", "=", False),
                    ("amount_residual", "<", 0),
                ],
                order="date, id",
            )
        )
        open_rows = [r for r in rows if not r["move"].relance_disputed]
        credit_total = sum(credits.mapped("amount_residual"))
        return {
            "partner": partner,
            "company": company,
            "currency": company.currency_id,
            "date": date,
            "rows": open_rows,
            "disputed": [r for r in rows if r["move"].relance_disputed],
            "credits": credits,
            "total_due": sum(r["residual"] for r in rows) + credit_total,
            "total_overdue": sum(r["residual"] for r in open_rows if r["late"] > 0),
            "promises": self.env["relance.promise"]
            .sudo()
            .search([("company_id", "=", company.id), ("partner_id", "=", partner.id), ("state", "=", "open")]),
        }

    def _relance_portal_letters(self, company):
        """Reminders, letters and formal notices sent to the customer, with their PDF."""
        self.ensure_one()
        return (
            self.env["relance.interaction"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "=", self.commercial_partner_id.id),
                    ("direction", "=", "out"),
                    ("attachment_ids.mimetype", "=", "application/pdf"),
                ]
            )
        )

    def _relance_portal_letter(self, company, attachment_id):
        """A letter's PDF if it was sent to this customer, else an empty recordset."""
        self.ensure_one()
        return self._relance_portal_letters(company).attachment_ids.filtered(
            lambda a: a.id == attachment_id and a.mimetype == "application/pdf"
        )

    def _relance_portal_promise_limits(self, company):
        self.ensure_one()
        policy = (
            self.env["relance.policy"]
            .sudo()
            ._policies_for_partners(self.commercial_partner_id, company)[self.commercial_partner_id.id]
        )
        return {
            "days": policy.portal_promise_days if policy else 30,
            "percent": policy.portal_promise_min_percent if policy else 0.0,
        }

    # ------------------------------------------------------------------ actions
    @api.model
    def _relance_portal_posts_per_hour(self):
        return int(self.env["ir.config_parameter"].sudo().get_param("relance_impayes.portal_posts_per_hour", 10))

    def _relance_portal_check_rate(self, company):
        """At most N actions an hour for one customer link (they are counted in the evidence)."""
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(hours=1)
        count = (
            self.env["relance.interaction"]
            .sudo()
            .search_count(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "=", self.commercial_partner_id.id),
                    ("portal_post", "=", True),
                    ("date", ">=", since),
                ]
            )
        )
        if count >= self._relance_portal_posts_per_hour():
            raise RelancePortalRateLimit(self.env._("Too many requests from this link: please try again in an hour."))

    def _relance_portal_log(self, company, summary, moves=None, attachments=None, amount=0.0):
        """An inbound portal interaction (origin taken from the context)."""
        self.ensure_one()
        return (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "partner_id": self.commercial_partner_id.id,
                    "kind": "portal",
                    "direction": "in",
                    "summary": summary,
                    "amount": amount,
                    "move_ids": [fields.Command.set(moves.ids if moves else [])],
                    "attachment_ids": [fields.Command.set(attachments.ids if attachments else [])],
                }
            )
        )

    def _relance_portal_promise(self, company, move_ids, date, amount, note=""):
        """A promise to pay from the portal, checked against the policy's limits."""
        self.ensure_one()
        _ = self.env._
        partner = self.commercial_partner_id
        moves = self._relance_portal_moves(company).filtered(lambda m: m.id in move_ids and not m.relance_disputed)
        if not move_ids or len(moves) != len(set(move_ids)):
            raise UserError(_("Choose one or more of your open invoices."))
        try:
            date = fields.Date.to_date(date)
        except ValueError:
            date = None
        if not date:
            raise UserError(_("Give the date you will pay (YYYY-MM-DD)."))
        today = fields.Date.context_today(self)
        limits = partner._relance_portal_promise_limits(company)
        latest = today + timedelta(days=limits["days"])
        if date < today:
            raise UserError(_("The payment date cannot be in the past."))
        if date > latest:
            raise UserError(_("The payment date cannot be later than %(date)s.", date=format_date(self.env, latest)))
        try:
            amount = float(str(amount).replace(",", ".").replace("\u00a0", "").replace(" ", ""))
        except ValueError:
            raise UserError(_("Give the amount you will pay.")) from None
        currency = company.currency_id
        due = sum(moves.mapped("amount_residual_signed"))
        minimum = currency.round(due * limits["percent"] / 100.0)
        if currency.compare_amounts(amount, 0) <= 0 or currency.compare_amounts(amount, due) > 0:
            raise UserError(
                _("The amount must be positive and at most %(due)s.", due=format_amount(self.env, due, currency))
            )
        if currency.compare_amounts(amount, minimum) < 0:
            raise UserError(
                _(
                    "The amount must be at least %(minimum)s (%(percent)s %% of the amount due).",
                    minimum=format_amount(self.env, minimum, currency),
                    percent="%g" % limits["percent"],
                )
            )
        if len(note or "") > self._RELANCE_PORTAL_MAX_TEXT:
            raise UserError(
                _("The message is too long (%(max)s characters at most).", max=self._RELANCE_PORTAL_MAX_TEXT)
            )
        if moves.relance_promise_ids.filtered(lambda p: p.state == "open"):
            raise UserError(_("A promise to pay is already open on these invoices."))
        partner._relance_portal_check_rate(company)
        collector = partner.with_company(company)._relance_collector()
        promise = (
            self.env["relance.promise"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "move_ids": [fields.Command.set(moves.ids)],
                    "amount": currency.round(amount),
                    "date": date,
                    "note": note or False,
                    "user_id": collector.id,
                }
            )
        )
        partner.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=today,
            user_id=collector.id,
            summary=_("Promise to pay made on the portal"),
            note=_(
                "%(amount)s promised for %(date)s on %(invoices)s.",
                amount=format_amount(self.env, amount, currency),
                date=format_date(self.env, date),
                invoices=", ".join(moves.mapped("name")),
            ),
        )
        return promise

    def _relance_portal_dispute(self, company, move_id, reason_id, message, filename=None, content=None):
        """A dispute from the portal: reason from the configured list, message, optional document."""
        self.ensure_one()
        _ = self.env._
        partner = self.commercial_partner_id
        move = self._relance_portal_move(company, move_id, disputed=False)
        if not move:
            raise UserError(_("Choose one of your open invoices that is not already disputed."))
        reason = self.env["relance.dispute.reason"].sudo().browse(reason_id).exists().filtered("active")
        if not reason:
            raise UserError(_("Choose a reason for the dispute."))
        message = (message or "").strip()
        if not message:
            raise UserError(_("Tell us what is wrong with this invoice."))
        if len(message) > self._RELANCE_PORTAL_MAX_TEXT:
            raise UserError(
                _("The message is too long (%(max)s characters at most).", max=self._RELANCE_PORTAL_MAX_TEXT)
            )
        if content:
            if len(content) > self._RELANCE_PORTAL_MAX_FILE:
                raise UserError(_("The document is too large (5 MB at most)."))
            if guess_mimetype(content) not in self._RELANCE_PORTAL_FILE_TYPES:
                raise UserError(_("The document must be a PDF, PNG or JPEG file."))
        partner._relance_portal_check_rate(company)
        collector = partner.with_company(company)._relance_collector()
        dispute = (
            self.env["relance.dispute"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "move_ids": [fields.Command.set(move.ids)],
                    "reason_id": reason.id,
                    "description": message,
                    "user_id": collector.id,
                }
            )
        )
        if content:
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": (filename or "document")[:128],
                        "raw": content,
                        "res_model": "relance.dispute",
                        "res_id": dispute.id,
                    }
                )
            )
            dispute.message_post(body=_("Document sent by the customer"), attachment_ids=attachment.ids)
        dispute.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.context_today(self),
            summary=_("Dispute opened on the portal: review it"),
            user_id=collector.id,
        )
        return dispute

    @api.model
    def _relance_portal_file(self, upload):
        """``(filename, bytes)`` of an uploaded file, reading at most one byte over the limit."""
        if not upload or not getattr(upload, "filename", None):
            return None, None
        return upload.filename, upload.read(self._RELANCE_PORTAL_MAX_FILE + 1)

    def _relance_portal_statement_pdf(self, company):
        self.ensure_one()
        report = self.env.ref("relance_impayes.action_report_releve_compte").sudo().with_company(company)
        pdf, _ = report.with_context(allowed_company_ids=[company.id])._render_qweb_pdf(
            "relance_impayes.action_report_releve_compte", self.commercial_partner_id.ids
        )
        return pdf
