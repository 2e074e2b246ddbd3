from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.http import request
from odoo.tools import format_amount

from odoo.addons.payment.controllers.portal import PaymentPortal
from odoo.addons.relance_impayes.controllers.portal import RelancePortal


def _payable_moves(partner, company, move_ids):
    """The customer's open, undisputed invoices among ``move_ids``; ``None`` if any id is not one."""
    moves = partner._relance_portal_moves(company).filtered(lambda m: m.id in move_ids and not m.relance_disputed)
    return moves if move_ids and len(moves) == len(set(move_ids)) else None


class RelancePortalPay(RelancePortal):
    def _relance_providers(self, partner, company, amount=None):
        payer = partner if request.env.user._is_public() else request.env.user.partner_id
        return (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(company.id, payer.id, amount or 0.0, currency_id=company.currency_id.id)
        )

    def _relance_can_pay(self, partner, company):
        return bool(self._relance_providers(partner, company))

    @http.route("/my/relance/pay", type="http", auth="public", website=True, sitemap=False)
    def relance_pay(self, access_token=None, **kw):
        """Choose the invoices (one, several, all), then pay them with an enabled provider."""
        partner, company = self._relance_scope(access_token)
        if not self._relance_can_pay(partner, company):
            raise NotFound()
        account = partner._relance_portal_account(company)
        selected = self._ids(request.httprequest.args.getlist("move_ids"))
        values = {"account": account, "selected": selected, "moves": False, "error": False}
        if selected:
            moves = _payable_moves(partner, company, selected)
            if moves is None:
                raise NotFound()
            values.update(self._relance_payment_form_values(partner, company, moves, access_token))
        return request.render(
            "relance_impayes_payment.portal_relance_pay",
            self._relance_values(partner, company, access_token, "pay", **values),
        )

    def _relance_payment_form_values(self, partner, company, moves, access_token):
        """What Odoo's ``payment.form`` needs, as account_payment gives it for an invoice."""
        amount = sum(moves.mapped("amount_residual"))
        currency = company.currency_id
        payer = partner if request.env.user._is_public() else request.env.user.partner_id
        providers = self._relance_providers(partner, company, amount)
        methods = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(providers.ids, payer.id, currency_id=currency.id)
        )
        token_query = f"?access_token={access_token}" if access_token else ""
        return {
            "moves": moves,
            "amount": amount,
            "currency": currency,
            "partner_id": payer.id,
            "providers_sudo": providers,
            "payment_methods_sudo": methods,
            "tokens_sudo": request.env["payment.token"].sudo()._get_available_tokens(providers.ids, payer.id),
            "show_tokenize_input_mapping": PaymentPortal._compute_show_tokenize_input_mapping(providers),
            "transaction_route": "/my/relance/pay/transaction/" + "-".join(str(i) for i in moves.ids),
            "landing_route": f"/my/relance{token_query}",
            "reference_prefix": None,
        }


class RelancePaymentTransaction(PaymentPortal):
    @http.route("/my/relance/pay/transaction/<string:selection>", type="jsonrpc", auth="public")
    def relance_pay_transaction(self, selection, access_token=None, **kwargs):
        """Create the transaction for the chosen invoices, for the amount still due on them (the
        amount sent by the browser is not trusted)."""
        partner, company = RelancePortal._relance_scope(self, access_token)
        moves = _payable_moves(partner, company, RelancePortal._ids(selection.replace("-", ",")))
        if moves is None:
            raise ValidationError(request.env._("These invoices cannot be paid here."))
        self._validate_transaction_kwargs(kwargs)
        amount = sum(moves.mapped("amount_residual"))
        logged_in = not request.env.user._is_public()
        partner_ctx = partner.with_context(**RelancePortal._relance_env(self, post=True))
        try:
            partner_ctx._relance_portal_check_rate(company)
        except UserError as error:
            raise ValidationError(error.args[0]) from None
        partner_ctx._relance_portal_log(
            company,
            request.env._(
                "Online payment started: %(amount)s", amount=format_amount(request.env, amount, company.currency_id)
            ),
            moves=moves,
            amount=amount,
        )
        kwargs.update(
            {
                "amount": amount,
                "currency_id": company.currency_id.id,
                "partner_id": request.env.user.partner_id.id if logged_in else partner.id,
                "reference_prefix": None,
            }
        )
        tx_sudo = self._create_transaction(custom_create_values={"invoice_ids": [Command.set(moves.ids)]}, **kwargs)
        return tx_sudo._get_processing_values()
