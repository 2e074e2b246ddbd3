from odoo import api, models
from odoo.exceptions import AccessError

from .relance_changes import change_label, real_changes


class AccountMove(models.Model):
    """Where an invoice stands in the reminders is written by the engine; people change it only
    through the decisions their group allows, and each change leaves a trace."""

    _inherit = "account.move"

    # written by the engine when a reminder leaves; a manager may correct them by hand (traced)
    _RELANCE_ENGINE_FIELDS = frozenset({"relance_level_id", "relance_date"})
    # a Relances user's decision about one invoice, with its reason (logged)
    _RELANCE_DECISION_FIELDS = frozenset(
        {"relance_excluded", "relance_exclusion_reason", "relance_penalty_waived", "relance_penalty_waive_reason"}
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if any(vals.get(name) for name in self._RELANCE_ENGINE_FIELDS):
                    self._relance_check_state_writer()
                if any(vals.get(name) for name in self._RELANCE_DECISION_FIELDS):
                    self._relance_check_decision_writer()
        return super().create(vals_list)

    def write(self, vals):
        if self.env.su or not (self._RELANCE_ENGINE_FIELDS | self._RELANCE_DECISION_FIELDS) & vals.keys():
            return super().write(vals)
        state_changes = self._relance_changes(vals, self._RELANCE_ENGINE_FIELDS)
        if state_changes:
            self._relance_check_state_writer()
        if self._relance_changes(vals, self._RELANCE_DECISION_FIELDS):
            self._relance_check_decision_writer()
        excluded_before = {move.id: move.relance_excluded for move in self}
        res = super().write(vals)
        self._relance_trace_state_changes(state_changes)
        if "relance_excluded" in vals:
            self.filtered(lambda m: m.relance_excluded != excluded_before[m.id])._relance_log_exclusion()
        return res

    def _relance_changes(self, vals, names):
        """``{move: [(field, old, new)]}`` for the fields of ``names`` that ``vals`` really changes."""
        return real_changes(self, vals, names)

    @api.model
    def _relance_check_state_writer(self):
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_manager"):
            raise AccessError(
                self.env._(
                    "The reminder level and the date of the last reminder of an invoice are set when a reminder "
                    "leaves; only a Relances manager can correct them by hand."
                )
            )

    @api.model
    def _relance_check_decision_writer(self):
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_user"):
            raise AccessError(
                self.env._(
                    "Only a Relances user can exclude an invoice from reminders or waive its penalties, "
                    "giving the reason."
                )
            )

    def _relance_trace_state_changes(self, changes):
        """A manager's correction of the dunning state, on the invoice's chatter: who, old and new value."""

        for move, move_changes in changes.items():
            details = "; ".join(
                f"{self._fields[name]._description_string(self.env)}: "
                f"{change_label(move, name, old)} → {change_label(move, name, new)}"
                for name, old, new in move_changes
            )
            move.message_post(
                body=self.env._(
                    "Reminder state changed by hand by %(user)s: %(changes)s", user=self.env.user.name, changes=details
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _relance_log_exclusion(self):
        """Excluding an invoice from reminders, or bringing it back, goes into the customer's history."""
        credit = self.env["relance.credit"]
        for move in self:
            if move.relance_excluded:
                summary = self.env._(
                    "Invoice %(invoice)s excluded from reminders by %(user)s: %(reason)s",
                    invoice=move.name,
                    user=self.env.user.name,
                    reason=move.relance_exclusion_reason,
                )
            else:
                summary = self.env._(
                    "Invoice %(invoice)s back in reminders (%(user)s)", invoice=move.name, user=self.env.user.name
                )
            credit.with_company(move.company_id)._log(move.commercial_partner_id, summary, moves=move)
