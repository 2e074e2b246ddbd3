from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.relance_impayes.models.relance_portal import RelancePortalRateLimit


class RelancePortal(CustomerPortal):
    """The customer's side of reminders: its account, its letters, pay, promise, dispute.

    A page is reached either with the signed token of a reminder link (no login) or as a logged-in
    portal user; both give one commercial entity in one company, and every query is scoped to it.
    The rules live on ``res.partner`` (models/relance_portal.py); this only reads and renders."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "relance_open_count" in counters:
            partner = request.env.user.partner_id.commercial_partner_id
            values["relance_open_count"] = (
                len(partner.sudo()._relance_portal_moves(request.env.company))
                if not request.env.user._is_public()
                else 0
            )
        return values

    # ------------------------------------------------------------------ scope
    def _relance_scope(self, access_token=None):
        """``(partner, company)`` in sudo; 403 for a bad token, login for an anonymous visitor."""
        if access_token:
            scope = request.env["res.partner"]._relance_portal_from_token(access_token)
            if not scope:
                raise Forbidden()
            if request.env.user._is_public() and scope[0].lang:
                request.update_context(lang=scope[0].lang)  # the customer reads in its language
            return scope
        if request.env.user._is_public():
            raise Forbidden()
        return request.env.user.partner_id.commercial_partner_id.sudo(), request.env.company.sudo()

    def _relance_env(self, post=False):
        """Context that marks what is written while serving this request as the customer's."""
        origin = {
            "ip": request.httprequest.remote_addr,
            "user_agent": request.httprequest.headers.get("User-Agent", ""),
            "post": post,
        }
        return {"relance_portal_request": origin}

    def _relance_values(self, partner, company, access_token, page, **values):
        token_query = f"?access_token={access_token}" if access_token else ""
        return {
            **self._prepare_portal_layout_values(),
            "page_name": f"relance_{page}",
            "relance_page": page,
            "relance_partner": partner,
            "relance_company": company,
            "access_token": access_token or "",
            "token_query": token_query,
            "relance_can_pay": self._relance_can_pay(partner, company),
            **values,
        }

    def _relance_can_pay(self, partner, company):
        """Online payment is offered by the account_payment bridge when a provider is enabled."""
        return False

    def _relance_render(self, template, values, status=200):
        response = request.render(template, values)
        response.status_code = status
        return response

    def _relance_form(self, partner, company, access_token, page, values, submit):
        """The portal form ``page``; a POST records the customer's request with ``submit(partner)``
        (the partner in the portal's posting context) and shows its result, or the refusal on the
        form (400, 429 when too many requests were sent)."""
        status = 200
        if request.httprequest.method == "POST":
            try:
                values["done"] = submit(partner.with_context(**self._relance_env(post=True)))
            except UserError as error:
                values["error"], status = error.args[0], 429 if isinstance(error, RelancePortalRateLimit) else 400
        values["account"] = partner._relance_portal_account(company)
        return self._relance_render(
            f"relance_impayes.portal_relance_{page}",
            self._relance_values(partner, company, access_token, page, **values),
            status,
        )

    @staticmethod
    def _ids(value):
        """Integer ids from a form value (list or comma separated); bad items dropped."""
        items = value if isinstance(value, list) else str(value or "").split(",")
        return [int(item) for item in items if str(item).strip().isdigit()]

    # ------------------------------------------------------------------ pages
    @http.route("/my/relance", type="http", auth="public", website=True, sitemap=False)
    def relance_account(self, access_token=None, **kw):
        partner, company = self._relance_scope(access_token)
        account = partner._relance_portal_account(company)
        return request.render(
            "relance_impayes.portal_relance_account",
            self._relance_values(partner, company, access_token, "account", account=account),
        )

    @http.route("/my/relance/statement", type="http", auth="public", website=True, sitemap=False)
    def relance_statement(self, access_token=None, **kw):
        partner, company = self._relance_scope(access_token)
        partner = partner.with_context(**self._relance_env())
        pdf = partner._relance_portal_statement_pdf(company)
        partner._relance_portal_log(company, request.env._("Statement of account downloaded on the portal"))
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", http.content_disposition(f"statement-{partner.id}.pdf")),
            ],
        )

    @http.route("/my/relance/letters", type="http", auth="public", website=True, sitemap=False)
    def relance_letters(self, access_token=None, **kw):
        partner, company = self._relance_scope(access_token)
        return request.render(
            "relance_impayes.portal_relance_letters",
            self._relance_values(
                partner, company, access_token, "letters", letters=partner._relance_portal_letters(company)
            ),
        )

    @http.route("/my/relance/letters/<int:attachment_id>", type="http", auth="public", website=True, sitemap=False)
    def relance_letter(self, attachment_id, access_token=None, **kw):
        partner, company = self._relance_scope(access_token)
        attachment = partner._relance_portal_letter(company, attachment_id)
        if not attachment:
            raise NotFound()
        partner.with_context(**self._relance_env())._relance_portal_log(
            company, request.env._("Letter downloaded on the portal: %(name)s", name=attachment.name)
        )
        content = attachment.raw or b""
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(content)),
                ("Content-Disposition", http.content_disposition(attachment.name or "letter.pdf")),
            ],
        )

    @http.route("/my/relance/promise", type="http", auth="public", website=True, sitemap=False, methods=["GET", "POST"])
    def relance_promise(self, access_token=None, **post):
        partner, company = self._relance_scope(access_token)
        values = {
            "limits": partner._relance_portal_promise_limits(company),
            "error": False,
            "done": False,
            "form": post,
            "selected": self._ids(
                request.httprequest.form.getlist("move_ids")
                if request.httprequest.method == "POST"
                else post.get("move_ids")
            ),
        }
        return self._relance_form(
            partner,
            company,
            access_token,
            "promise",
            values,
            lambda customer: customer._relance_portal_promise(
                company, values["selected"], post.get("date"), post.get("amount"), post.get("note", "")
            ),
        )

    @http.route("/my/relance/dispute", type="http", auth="public", website=True, sitemap=False, methods=["GET", "POST"])
    def relance_dispute(self, access_token=None, **post):
        partner, company = self._relance_scope(access_token)
        move_id = (self._ids(post.get("move_id")) or [0])[0]
        if move_id and not partner._relance_portal_move(company, move_id):
            raise NotFound()
        values = {
            "error": False,
            "done": False,
            "form": post,
            "move_id": move_id,
            "reasons": request.env["relance.dispute.reason"].sudo().search([]),
        }

        def submit(customer):
            filename, content = customer._relance_portal_file(post.get("attachment"))
            reason_id = (self._ids(post.get("reason_id")) or [0])[0]
            return customer._relance_portal_dispute(company, move_id, reason_id, post.get("message"), filename, content)

        return self._relance_form(partner, company, access_token, "dispute", values, submit)
