from odoo import api, models
from odoo.exceptions import AccessError

from .relance_changes import change_label, real_changes


class ResPartner(models.Model):
    """What controls a customer's dunning and credit is not a contact detail: only the application
    and the Relances managers change it, and each change by a manager goes into the customer's
    history (who, when, old and new value)."""

    _inherit = "res.partner"

    # written by the application only: the hold (set and lifted with its reason by the hold
    # wizard, or by the daily run), the risk figures and the segment the daily run computes
    _RELANCE_APPLICATION_FIELDS = frozenset(
        {
            "relance_credit_hold",
            "relance_hold_reason",
            "relance_hold_cause",
            "relance_hold_date",
            "relance_risk_score",
            "relance_risk_class",
            "relance_risk_reasons",
            "relance_risk_date",
            "relance_dso",
            "relance_avg_days_late",
            "relance_late_share",
            "relance_segment_rule_id",
        }
    )
    # a Relances manager's decision (logged): how and whether the customer is reminded, its penalties
    _RELANCE_MANAGER_FIELDS = frozenset(
        {
            "relance_policy_id",
            "relance_manual",
            "relance_penalty_rate",
            "relance_penalty_waived",
            "relance_penalty_waive_reason",
        }
    )

    def _relance_manager_fields(self):
        """The manager's fields in the current company: with a blocking credit limit, the limit is a
        hold (raising it lifts the hold), so it is the manager's too."""
        if self.env["relance.credit"]._limit_blocks(self.env.company):
            return self._RELANCE_MANAGER_FIELDS | {"credit_limit"}
        return self._RELANCE_MANAGER_FIELDS

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.su:
            return super().create(vals_list)
        manager_fields = self._relance_manager_fields()
        for vals in vals_list:
            if any(vals.get(name) for name in self._RELANCE_APPLICATION_FIELDS):
                raise AccessError(self._relance_application_fields_message())
            if any(vals.get(name) for name in manager_fields):
                self._relance_check_manager()
        partners = super().create(vals_list)
        for partner, vals in zip(partners, vals_list, strict=True):
            names = [name for name in manager_fields if vals.get(name)]
            if names:
                partner._relance_log_control_changes({name: False for name in names})
        return partners

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        manager_fields = self._relance_manager_fields()
        changed = self._relance_changed(vals, self._RELANCE_APPLICATION_FIELDS | manager_fields)
        if not changed:
            return super().write(vals)
        names = {name for names in changed.values() for name in names}
        if names & self._RELANCE_APPLICATION_FIELDS:
            raise AccessError(self._relance_application_fields_message())
        self._relance_check_manager()
        before = {partner: {name: partner[name] for name in changed[partner]} for partner in changed}
        res = super().write(vals)
        for partner, old_values in before.items():
            partner._relance_log_control_changes(old_values)
        return res

    def _relance_changed(self, vals, names):
        """``{partner: [field names]}``: the fields of ``names`` that ``vals`` really changes."""
        return {partner: [name for name, _old, _new in c] for partner, c in real_changes(self, vals, names).items()}

    def _relance_application_fields_message(self):
        return self.env._(
            "A customer's credit hold, risk and segment are set by the application: put a customer on "
            "hold or lift its hold with the Credit hold buttons (a Relances manager, giving the reason)."
        )

    @api.model
    def _relance_check_manager(self):
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_manager"):
            raise AccessError(
                self.env._(
                    "Only a Relances manager can change a customer's dunning policy, manual follow-up, "
                    "late-payment penalties or blocking credit limit."
                )
            )

    def _relance_log_control_changes(self, old_values):
        """Into the customer's history: who changed which control, from what to what (in the
        current company, as the values are the company's)."""
        self.ensure_one()

        lines = [
            self.env._(
                "%(field)s: %(old)s → %(new)s",
                field=self._fields[name]._description_string(self.env),
                old=change_label(self, name, old),
                new=change_label(self, name, self[name]),
            )
            for name, old in sorted(old_values.items())
        ]
        self.env["relance.credit"]._log(
            self,
            self.env._(
                "Dunning settings of %(customer)s changed by %(user)s", customer=self.name, user=self.env.user.name
            ),
            body="\n".join(lines),
        )
