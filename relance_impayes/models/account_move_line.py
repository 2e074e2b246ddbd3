from contextvars import ContextVar

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..tools.context import flag_set

# Set while the penalty wizard writes its lines: no client can set it (unlike a context key),
# and it ends with the wizard's call.
_PENALTY_WIZARD = ContextVar("relance_penalty_wizard", default=False)


def penalty_lines_writer():
    """The penalty invoice wizard's right to write the penalty fields of invoice lines."""
    return flag_set(_PENALTY_WIZARD)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    relance_penalty_source_id = fields.Many2one(
        "account.move",
        "Penalties of",
        index="btree_not_null",
        ondelete="restrict",
        copy=False,
        help="Overdue invoice whose late-payment penalties this line charges.",
    )
    relance_penalty_kind = fields.Selection(
        [("interest", "Late-payment interest"), ("indemnity", "Fixed recovery indemnity")],
        "Penalty type",
        copy=False,
    )
    relance_penalty_date_to = fields.Date("Interest charged up to", copy=False)

    _RELANCE_PENALTY_FIELDS = frozenset(
        {"relance_penalty_source_id", "relance_penalty_kind", "relance_penalty_date_to"}
    )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get(name) for vals in vals_list for name in self._RELANCE_PENALTY_FIELDS):
            self._relance_check_penalty_writer()
        return super().create(vals_list)

    def write(self, vals):
        if self._RELANCE_PENALTY_FIELDS & vals.keys() and (
            any(vals[name] for name in self._RELANCE_PENALTY_FIELDS & vals.keys())
            or self.filtered("relance_penalty_source_id")
        ):
            self._relance_check_penalty_writer()
        return super().write(vals)

    @api.model
    def _relance_check_penalty_writer(self):
        """Which invoice a line charges penalties for is written by the penalty wizard only: a
        line set by hand would turn any invoice into a 'penalty invoice' (which a credit hold does
        not block) or mark another invoice's penalties as charged."""
        if not (self.env.su or _PENALTY_WIZARD.get()):
            raise AccessError(
                self.env._(
                    "Penalty lines are created by the Invoice penalties button of the overdue invoices; "
                    "they cannot be set by hand."
                )
            )

    @api.constrains("relance_penalty_source_id", "move_id", "display_type")
    def _check_relance_penalty_source(self):
        self._relance_raise_penalty_source_errors()

    def _relance_penalty_source_error(self):
        """Why this penalty line may not charge its source invoice, or ``False``: the source must
        be a customer invoice of the same company and the same customer, on a product line."""
        self.ensure_one()
        source = self.relance_penalty_source_id
        if not source:
            return False
        if self.display_type != "product":
            return self.env._("Only an invoice line with an amount can charge penalties.")
        if source.move_type != "out_invoice" or source == self.move_id:
            return self.env._("Penalties are charged for another customer invoice.")
        if source.company_id != self.move_id.company_id:
            return self.env._(
                "%(invoice)s belongs to another company: its penalties cannot be charged here.", invoice=source.name
            )
        if source.commercial_partner_id != self.move_id.commercial_partner_id:
            return self.env._(
                "%(invoice)s is an invoice of %(customer)s: its penalties are charged to that customer only.",
                invoice=source.name,
                customer=source.commercial_partner_id.display_name,
            )
        return False

    def _relance_raise_penalty_source_errors(self):
        for line in self.filtered("relance_penalty_source_id"):
            error = line._relance_penalty_source_error()
            if error:
                raise ValidationError(error)
