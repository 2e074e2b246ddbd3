from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_amount

# (code, dashboard, sequence, model needed): the tiles of the collector's and the manager's
# dashboards; a tile whose model is not installed is not shown.
TILES = [
    ("todo", "collector", 10),
    ("calls", "collector", 20),
    ("validate", "collector", 30),
    ("promises_due", "collector", 40),
    ("promises_broken", "collector", 50),
    ("disputes_recent", "collector", 60),
    ("disputes_middle", "collector", 70),
    ("disputes_old", "collector", 80),
    ("recovered", "collector", 90),
    ("overdue", "collector", 100),
    ("overdue", "manager", 10),
    ("dso", "manager", 20),
    ("recovered", "manager", 30),
    ("validate", "manager", 40),
    ("promises_broken", "manager", 50),
    ("disputes_open", "manager", 60),
]
DISPUTE_AGES = {"disputes_recent": (0, 30), "disputes_middle": (31, 60), "disputes_old": (61, None)}


class RelanceDashboard(models.Model):
    """The tiles of the collector's and the manager's dashboards: one figure each, computed by
    ``_read_group`` or one query for all tiles at once, a click opens the records behind it.

    The collector's tiles count what concerns the current user (customers it collects,
    reminders, calls, promises and disputes it owns); the manager's count the whole company.
    """

    _name = "relance.dashboard"
    _inherit = "relance.analytics.mixin"
    _description = "Reminder dashboard tile"
    _auto = False
    _order = "dashboard, sequence, id"

    code = fields.Char(readonly=True)
    dashboard = fields.Selection([("collector", "Collector"), ("manager", "Manager")], readonly=True)
    sequence = fields.Integer(readonly=True)
    name = fields.Char(compute="_compute_figures")
    count = fields.Integer(compute="_compute_figures")
    amount = fields.Float(compute="_compute_figures")
    value_display = fields.Char("Figure", compute="_compute_figures")
    subtitle = fields.Char(compute="_compute_figures")
    tone = fields.Selection([("info", "Info"), ("success", "Good"), ("warning", "Watch"), ("danger", "Act")],
                            compute="_compute_figures")

    @property
    def _table_query(self):
        rows = [
            SQL("(%s, %s, %s, %s)", index, code, dashboard, sequence)
            for index, (code, dashboard, sequence) in enumerate(TILES, 1)
        ]
        return SQL("SELECT * FROM (VALUES %s) AS tiles(id, code, dashboard, sequence)", SQL(", ").join(rows))

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    @api.depends_context("uid", "company", "relance_date")
    def _compute_figures(self):
        date = self._relance_as_of()
        currency = self.env.company.currency_id
        labels = self._relance_tile_labels()
        cache = {}
        for tile in self:
            mine = tile.dashboard == "collector"
            key = (tile.code, mine)
            if key not in cache:
                cache[key] = getattr(self, f"_relance_tile_{tile.code}")(date, mine)
            figure = cache[key]
            tile.name = labels[tile.code]
            tile.count = figure.get("count", 0)
            tile.amount = figure.get("amount", 0.0)
            tile.tone = figure.get("tone", "info")
            if "display" in figure:
                tile.value_display = figure["display"]
            elif "amount" in figure:
                tile.value_display = format_amount(self.env, figure["amount"], currency)
            else:
                tile.value_display = str(figure.get("count", 0))
            tile.subtitle = figure.get("subtitle", "")

    @api.model
    def _relance_tile_labels(self):
        _ = self.env._
        return {
            "todo": _("To remind today"),
            "calls": _("Calls due"),
            "validate": _("To validate"),
            "promises_due": _("Promises due today"),
            "promises_broken": _("Broken promises (30 days)"),
            "disputes_recent": _("Disputes under 30 days"),
            "disputes_middle": _("Disputes 31-60 days"),
            "disputes_old": _("Disputes over 60 days"),
            "disputes_open": _("Open disputes"),
            "recovered": _("Recovered this month"),
            "overdue": _("Overdue"),
            "dso": _("DSO this month"),
        }

    @api.model
    def _relance_count_text(self, count, singular, plural):
        """``singular`` or ``plural`` (translated, with a ``%(count)s`` placeholder) for ``count``."""
        return (singular if count == 1 else plural) % {"count": count}

    @api.model
    def _relance_my_partner_ids(self, date):
        """Customers with open items whose collector is the current user."""
        aging = self.env["relance.aging"].with_context(relance_date=fields.Date.to_string(date))
        return [partner.id for (partner,) in aging._read_group(
            [("company_id", "=", self.env.company.id), ("collector_id", "=", self.env.uid)], ["partner_id"])]

    @api.model
    def _relance_tile_todo(self, date, mine):
        partners = self.env["res.partner"].browse(self._relance_my_partner_ids(date)) if mine else None
        if mine and not partners:
            return {"count": 0, "amount": 0.0, "subtitle": self.env._("No customer")}
        decisions = self.env["account.move"]._relance_decide(self.env.company, date, partners=partners)
        due = [d for d in decisions if d.skip_reason in (None, "manual")]
        count = len(due)
        return {
            "count": count, "amount": sum(d.amount_due for d in due), "tone": "warning" if count else "success",
            "subtitle": self._relance_count_text(count, self.env._("%(count)s customer"), self.env._("%(count)s customers")),
        }

    @api.model
    def _relance_tile_calls(self, date, mine):
        activity_type = self.env.ref("relance_impayes.mail_activity_type_relance_call", raise_if_not_found=False)
        domain = Domain("activity_type_id", "=", activity_type.id if activity_type else 0) & Domain(
            "date_deadline", "<=", date) & Domain("res_model", "=", "res.partner")
        if mine:
            domain &= Domain("user_id", "=", self.env.uid)
        count = self.env["mail.activity"].search_count(domain)
        overdue = self.env["mail.activity"].search_count(domain & Domain("date_deadline", "<", date))
        return {
            "count": count, "tone": "danger" if overdue else ("warning" if count else "success"),
            "subtitle": self._relance_count_text(overdue, self.env._("%(count)s late"), self.env._("%(count)s late")),
        }

    @api.model
    def _relance_tile_validate(self, date, mine):
        domain = Domain("state", "=", "to_validate") & Domain("company_id", "=", self.env.company.id)
        if mine:
            domain &= Domain("user_id", "=", self.env.uid)
        [(count, amount)] = self.env["relance.communication"]._read_group(
            domain, aggregates=["__count", "amount_due:sum"])
        return {
            "count": count, "amount": amount or 0.0, "tone": "warning" if count else "success",
            "subtitle": self._relance_count_text(count, self.env._("%(count)s reminder"), self.env._("%(count)s reminders")),
        }

    @api.model
    def _relance_promise_domain(self, mine):
        domain = Domain("company_id", "=", self.env.company.id)
        return domain & Domain("user_id", "=", self.env.uid) if mine else domain

    @api.model
    def _relance_tile_promises_due(self, date, mine):
        domain = self._relance_promise_domain(mine) & Domain("state", "=", "open") & Domain("date", "=", date)
        [(count, amount)] = self.env["relance.promise"]._read_group(domain, aggregates=["__count", "amount:sum"])
        return {
            "count": count, "amount": amount or 0.0, "tone": "warning" if count else "success",
            "subtitle": self._relance_count_text(count, self.env._("%(count)s promise"), self.env._("%(count)s promises")),
        }

    @api.model
    def _relance_broken_promise_domain(self, date, mine):
        return self._relance_promise_domain(mine) & (
            (Domain("state", "=", "broken") & Domain("date_closed", ">=", date - timedelta(days=30)))
            | (Domain("state", "=", "open") & Domain("date_limit", "<", date))
        )

    @api.model
    def _relance_tile_promises_broken(self, date, mine):
        domain = self._relance_broken_promise_domain(date, mine)
        [(count, amount)] = self.env["relance.promise"]._read_group(domain, aggregates=["__count", "amount:sum"])
        return {
            "count": count, "amount": amount or 0.0, "tone": "danger" if count else "success",
            "subtitle": self._relance_count_text(count, self.env._("%(count)s promise"), self.env._("%(count)s promises")),
        }

    @api.model
    def _relance_dispute_domain(self, date, mine, code):
        domain = Domain("company_id", "=", self.env.company.id) & Domain("state", "=", "open")
        if mine:
            domain &= Domain("user_id", "=", self.env.uid)
        if code in DISPUTE_AGES:
            youngest, oldest = DISPUTE_AGES[code]
            domain &= Domain("date_open", "<=", date - timedelta(days=youngest))
            if oldest is not None:
                domain &= Domain("date_open", ">=", date - timedelta(days=oldest))
        return domain

    @api.model
    def _relance_tile_disputes(self, date, mine, code):
        domain = self._relance_dispute_domain(date, mine, code)
        [(count, amount)] = self.env["relance.dispute"]._read_group(domain, aggregates=["__count", "amount:sum"])
        tone = "info" if not count else ("danger" if code == "disputes_old" else "warning")
        return {
            "count": count, "amount": amount or 0.0, "tone": tone,
            "subtitle": self._relance_count_text(count, self.env._("%(count)s dispute"), self.env._("%(count)s disputes")),
        }

    @api.model
    def _relance_tile_disputes_recent(self, date, mine):
        return self._relance_tile_disputes(date, mine, "disputes_recent")

    @api.model
    def _relance_tile_disputes_middle(self, date, mine):
        return self._relance_tile_disputes(date, mine, "disputes_middle")

    @api.model
    def _relance_tile_disputes_old(self, date, mine):
        return self._relance_tile_disputes(date, mine, "disputes_old")

    @api.model
    def _relance_tile_disputes_open(self, date, mine):
        return self._relance_tile_disputes(date, mine, "disputes_open")

    @api.model
    def _relance_recovered_domain(self, date, mine):
        domain = (Domain("company_id", "=", self.env.company.id) & Domain("kind", "=", "paid")
                  & Domain("reminded", "=", True) & Domain("date", ">=", date.replace(day=1))
                  & Domain("date", "<=", date))
        return domain & Domain("collector_id", "=", self.env.uid) if mine else domain

    @api.model
    def _relance_tile_recovered(self, date, mine):
        recovery = self.env["relance.recovery"].with_context(relance_date=fields.Date.to_string(date))
        [(count, amount)] = recovery._read_group(
            self._relance_recovered_domain(date, mine), aggregates=["move_id:count_distinct", "amount:sum"])
        return {
            "count": count, "amount": amount or 0.0, "tone": "success",
            "subtitle": self._relance_count_text(count, self.env._("%(count)s invoice"), self.env._("%(count)s invoices")),
        }

    @api.model
    def _relance_tile_overdue(self, date, mine):
        aging = self.env["relance.aging"].with_context(relance_date=fields.Date.to_string(date))
        domain = Domain("company_id", "=", self.env.company.id) & Domain("amount_overdue", ">", 0)
        if mine:
            domain &= Domain("collector_id", "=", self.env.uid)
        [(count, amount)] = aging._read_group(domain, aggregates=["__count", "amount_overdue:sum"])
        return {
            "count": count, "amount": amount or 0.0, "tone": "danger" if amount else "success",
            "subtitle": self._relance_count_text(count, self.env._("%(count)s customer"), self.env._("%(count)s customers")),
        }

    @api.model
    def _relance_tile_dso(self, date, mine):
        dso = self.env["relance.dso"].with_context(
            relance_date=fields.Date.to_string(date), relance_dso_scopes=["company"])
        rows = dso.search_fetch([("company_id", "=", self.env.company.id)], ["date", "dso"], order="date desc",
                                limit=2)
        current = rows[:1].dso
        previous = rows[1:2].dso
        return {
            "count": round(current), "display": self.env._("%(days)s days", days=f"{current:.0f}"),
            "tone": "danger" if previous and current > previous else "success",
            "subtitle": self.env._("last month: %(days)s days", days=f"{previous:.0f}") if len(rows) > 1 else "",
        }

    # ------------------------------------------------------------------
    # Clicks
    # ------------------------------------------------------------------
    @api.model
    def _relance_window(self, xmlid, model, name, domain=None, context=None):
        """The window action ``xmlid`` (or a plain one on ``model``) narrowed to ``domain``."""
        action = self.env.ref(xmlid, raise_if_not_found=False)
        if action:
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        else:
            action = {"type": "ir.actions.act_window", "res_model": model,
                      "views": [(False, "list"), (False, "form")]}
        action["display_name"] = name
        if domain is not None:
            action["domain"] = list(domain)
        action["context"] = context or {}
        return action

    def action_open(self):
        self.ensure_one()
        date = self._relance_as_of()
        mine = self.dashboard == "collector"
        name = self.name
        uid, company = self.env.uid, self.env.company.id
        date_ctx = {"relance_date": fields.Date.to_string(date)}
        if self.code == "todo":
            action = self.env["res.partner"].action_relance_todo()
            if mine:
                action["domain"] = Domain(action["domain"]) & Domain("id", "in", self._relance_my_partner_ids(date))
                action["domain"] = list(action["domain"])
            return action
        if self.code == "calls":
            domain = [("date_deadline", "<=", date)] + ([("user_id", "=", uid)] if mine else [])
            return self._relance_window("relance_impayes.mail_activity_action_relance_call", "mail.activity", name,
                                        domain)
        if self.code == "validate":
            domain = [("state", "=", "to_validate"), ("company_id", "=", company)]
            domain += [("user_id", "=", uid)] if mine else []
            return self._relance_window("relance_impayes.relance_communication_action_to_validate",
                                        "relance.communication", name, domain)
        if self.code == "promises_due":
            domain = self._relance_promise_domain(mine) & Domain("state", "=", "open") & Domain("date", "=", date)
            return self._relance_window("relance_impayes.relance_promise_action", "relance.promise", name, domain)
        if self.code == "promises_broken":
            return self._relance_window("relance_impayes.relance_promise_action", "relance.promise", name,
                                        self._relance_broken_promise_domain(date, mine))
        if self.code.startswith("disputes_"):
            return self._relance_window("relance_impayes.relance_dispute_action", "relance.dispute", name,
                                        self._relance_dispute_domain(date, mine, self.code))
        if self.code == "recovered":
            return self._relance_window("relance_impayes.relance_recovery_action", "relance.recovery", name,
                                        self._relance_recovered_domain(date, mine), date_ctx)
        if self.code == "overdue":
            domain = [("company_id", "=", company)] + ([("collector_id", "=", uid)] if mine else [])
            return self._relance_window("relance_impayes.relance_aging_action", "relance.aging", name, domain,
                                        date_ctx)
        if self.code == "dso":
            return self._relance_window("relance_impayes.relance_dso_action", "relance.dso", name,
                                        [("company_id", "=", company)], dict(date_ctx, search_default_company=1))
        return False
