from datetime import timedelta
from functools import partial

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_amount


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
    tone = fields.Selection(
        [("info", "Info"), ("success", "Good"), ("warning", "Watch"), ("danger", "Act")], compute="_compute_figures"
    )

    @property
    def _table_query(self):
        rows = [
            SQL("(%s, %s, %s, %s)", index, code, dashboard, sequence)
            for index, (code, dashboard, sequence) in enumerate(self._tile_places(), 1)
        ]
        return SQL("SELECT * FROM (VALUES %s) AS tiles(id, code, dashboard, sequence)", SQL(", ").join(rows))

    # ------------------------------------------------------------------
    # The tile table
    # ------------------------------------------------------------------
    @api.model
    def _tiles(self):
        """The tiles, ``{code: {"label", "figure", "open", "dashboards"}}``; a module adds, moves or
        drops a tile by overriding this method and editing the dict that ``super()`` returns.

        ``figure(date, mine)`` returns the tile's figures: ``count``, ``amount``, ``display``
        (the text shown, instead of the amount or the count), ``tone``, ``subtitle``;
        ``open(date, mine, name)`` returns the action a click opens; ``dashboards`` maps
        ``collector`` and/or ``manager`` to the tile's sequence there. ``mine`` is true on the
        collector's dashboard (what concerns the current user), false on the manager's.
        """
        _ = self.env._
        disputes, open_disputes = self._relance_tile_disputes, self._relance_open_disputes
        return {
            "todo": {
                "label": _("To remind today"),
                "figure": self._relance_tile_todo,
                "open": self._relance_open_todo,
                "dashboards": {"collector": 10},
            },
            "calls": {
                "label": _("Calls due"),
                "figure": self._relance_tile_calls,
                "open": self._relance_open_calls,
                "dashboards": {"collector": 20},
            },
            "validate": {
                "label": _("To validate"),
                "figure": self._relance_tile_validate,
                "open": self._relance_open_validate,
                "dashboards": {"collector": 30, "manager": 40},
            },
            "promises_due": {
                "label": _("Promises due today"),
                "figure": self._relance_tile_promises_due,
                "open": self._relance_open_promises_due,
                "dashboards": {"collector": 40},
            },
            "promises_broken": {
                "label": _("Broken promises (30 days)"),
                "figure": self._relance_tile_promises_broken,
                "open": self._relance_open_promises_broken,
                "dashboards": {"collector": 50, "manager": 50},
            },
            "disputes_recent": {
                "label": _("Disputes under 30 days"),
                "figure": partial(disputes, youngest=0, oldest=30),
                "open": partial(open_disputes, youngest=0, oldest=30),
                "dashboards": {"collector": 60},
            },
            "disputes_middle": {
                "label": _("Disputes 31-60 days"),
                "figure": partial(disputes, youngest=31, oldest=60),
                "open": partial(open_disputes, youngest=31, oldest=60),
                "dashboards": {"collector": 70},
            },
            "disputes_old": {
                "label": _("Disputes over 60 days"),
                "figure": partial(disputes, youngest=61, tone="danger"),
                "open": partial(open_disputes, youngest=61),
                "dashboards": {"collector": 80},
            },
            "disputes_open": {
                "label": _("Open disputes"),
                "figure": disputes,
                "open": open_disputes,
                "dashboards": {"manager": 60},
            },
            "recovered": {
                "label": _("Recovered this month"),
                "figure": self._relance_tile_recovered,
                "open": self._relance_open_recovered,
                "dashboards": {"collector": 90, "manager": 30},
            },
            "overdue": {
                "label": _("Overdue"),
                "figure": self._relance_tile_overdue,
                "open": self._relance_open_overdue,
                "dashboards": {"collector": 100, "manager": 10},
            },
            "dso": {
                "label": _("DSO this month"),
                "figure": self._relance_tile_dso,
                "open": self._relance_open_dso,
                "dashboards": {"manager": 20},
            },
        }

    @api.model
    def _tile_places(self):
        """``[(code, dashboard, sequence)]`` of the tiles, in the order of :meth:`_tiles`."""
        return [
            (code, dashboard, sequence)
            for code, tile in self._tiles().items()
            for dashboard, sequence in tile["dashboards"].items()
        ]

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------
    @api.depends_context("uid", "company", "relance_date")
    def _compute_figures(self):
        date = self._relance_as_of()
        currency = self.env.company.currency_id
        tiles = self._tiles()
        cache = {}
        for tile in self:
            mine = tile.dashboard == "collector"
            key = (tile.code, mine)
            if key not in cache:
                cache[key] = tiles[tile.code]["figure"](date, mine)
            figure = cache[key]
            tile.name = tiles[tile.code]["label"]
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
    def _relance_count_text(self, count, singular, plural):
        """``singular`` or ``plural`` (translated, with a ``%(count)s`` placeholder) for ``count``."""
        return (singular if count == 1 else plural) % {"count": count}

    @api.model
    def _relance_tile_figure(self, count, amount, singular, plural, tone="warning", empty_tone="success"):
        """A tile's figures: ``count`` records worth ``amount``, in ``tone`` (``empty_tone`` when
        there are none), with the subtitle ``singular`` or ``plural`` (see :meth:`_relance_count_text`)."""
        return {
            "count": count,
            "amount": amount or 0.0,
            "tone": tone if count else empty_tone,
            "subtitle": self._relance_count_text(count, singular, plural),
        }

    @api.model
    def _relance_my_partner_ids(self, date):
        """Customers with open items whose collector is the current user."""
        aging = self.env["relance.aging"].with_context(relance_date=fields.Date.to_string(date))
        return [
            partner.id
            for (partner,) in aging._read_group(
                [("company_id", "=", self.env.company.id), ("collector_id", "=", self.env.uid)], ["partner_id"]
            )
        ]

    @api.model
    def _relance_tile_todo(self, date, mine):
        partners = self.env["res.partner"].browse(self._relance_my_partner_ids(date)) if mine else None
        if mine and not partners:
            return {"count": 0, "amount": 0.0, "subtitle": self.env._("No customer")}
        decisions = self.env["account.move"]._relance_decide(self.env.company, date, partners=partners)
        due = [d for d in decisions if d.skip_reason in (None, "manual")]
        return self._relance_tile_figure(
            len(due),
            sum(d.amount_due for d in due),
            self.env._("%(count)s customer"),
            self.env._("%(count)s customers"),
        )

    @api.model
    def _relance_tile_calls(self, date, mine):
        activity_type = self.env.ref("relance_impayes.mail_activity_type_relance_call")
        domain = (
            Domain("activity_type_id", "=", activity_type.id)
            & Domain("date_deadline", "<=", date)
            & Domain("res_model", "=", "res.partner")
        )
        if mine:
            domain &= Domain("user_id", "=", self.env.uid)
        count = self.env["mail.activity"].search_count(domain)
        overdue = self.env["mail.activity"].search_count(domain & Domain("date_deadline", "<", date))
        return {
            "count": count,
            "tone": "danger" if overdue else ("warning" if count else "success"),
            "subtitle": self._relance_count_text(overdue, self.env._("%(count)s late"), self.env._("%(count)s late")),
        }

    @api.model
    def _relance_tile_validate(self, date, mine):
        domain = Domain("state", "=", "to_validate") & Domain("company_id", "=", self.env.company.id)
        if mine:
            domain &= Domain("user_id", "=", self.env.uid)
        [(count, amount)] = self.env["relance.communication"]._read_group(
            domain, aggregates=["__count", "amount_due:sum"]
        )
        return self._relance_tile_figure(
            count, amount, self.env._("%(count)s reminder"), self.env._("%(count)s reminders")
        )

    @api.model
    def _relance_promise_domain(self, mine):
        domain = Domain("company_id", "=", self.env.company.id)
        return domain & Domain("user_id", "=", self.env.uid) if mine else domain

    @api.model
    def _relance_due_promise_domain(self, date, mine):
        return self._relance_promise_domain(mine) & Domain("state", "=", "open") & Domain("date", "=", date)

    @api.model
    def _relance_tile_promises(self, domain, tone="warning"):
        [(count, amount)] = self.env["relance.promise"]._read_group(domain, aggregates=["__count", "amount:sum"])
        return self._relance_tile_figure(
            count, amount, self.env._("%(count)s promise"), self.env._("%(count)s promises"), tone
        )

    @api.model
    def _relance_tile_promises_due(self, date, mine):
        return self._relance_tile_promises(self._relance_due_promise_domain(date, mine))

    @api.model
    def _relance_broken_promise_domain(self, date, mine):
        return self._relance_promise_domain(mine) & (
            (Domain("state", "=", "broken") & Domain("date_closed", ">=", date - timedelta(days=30)))
            | (Domain("state", "=", "open") & Domain("date_limit", "<", date))
        )

    @api.model
    def _relance_tile_promises_broken(self, date, mine):
        return self._relance_tile_promises(self._relance_broken_promise_domain(date, mine), "danger")

    @api.model
    def _relance_dispute_domain(self, date, mine, youngest=None, oldest=None):
        """Open disputes of the company (of the current user when ``mine``) opened ``youngest``
        to ``oldest`` days before ``date`` (no bound: any age)."""
        domain = Domain("company_id", "=", self.env.company.id) & Domain("state", "=", "open")
        if mine:
            domain &= Domain("user_id", "=", self.env.uid)
        if youngest is not None:
            domain &= Domain("date_open", "<=", date - timedelta(days=youngest))
        if oldest is not None:
            domain &= Domain("date_open", ">=", date - timedelta(days=oldest))
        return domain

    @api.model
    def _relance_tile_disputes(self, date, mine, youngest=None, oldest=None, tone="warning"):
        domain = self._relance_dispute_domain(date, mine, youngest, oldest)
        [(count, amount)] = self.env["relance.dispute"]._read_group(domain, aggregates=["__count", "amount:sum"])
        return self._relance_tile_figure(
            count, amount, self.env._("%(count)s dispute"), self.env._("%(count)s disputes"), tone, "info"
        )

    @api.model
    def _relance_recovered_domain(self, date, mine):
        domain = (
            Domain("company_id", "=", self.env.company.id)
            & Domain("kind", "=", "paid")
            & Domain("reminded", "=", True)
            & Domain("date", ">=", date.replace(day=1))
            & Domain("date", "<=", date)
        )
        return domain & Domain("collector_id", "=", self.env.uid) if mine else domain

    @api.model
    def _relance_tile_recovered(self, date, mine):
        recovery = self.env["relance.recovery"].with_context(relance_date=fields.Date.to_string(date))
        [(count, amount)] = recovery._read_group(
            self._relance_recovered_domain(date, mine), aggregates=["move_id:count_distinct", "amount:sum"]
        )
        return self._relance_tile_figure(
            count, amount, self.env._("%(count)s invoice"), self.env._("%(count)s invoices"), "success"
        )

    @api.model
    def _relance_tile_overdue(self, date, mine):
        aging = self.env["relance.aging"].with_context(relance_date=fields.Date.to_string(date))
        domain = Domain("company_id", "=", self.env.company.id) & Domain("amount_overdue", ">", 0)
        if mine:
            domain &= Domain("collector_id", "=", self.env.uid)
        # only customers with an amount overdue are counted: a count means an amount
        [(count, amount)] = aging._read_group(domain, aggregates=["__count", "amount_overdue:sum"])
        return self._relance_tile_figure(
            count, amount, self.env._("%(count)s customer"), self.env._("%(count)s customers"), "danger"
        )

    @api.model
    def _relance_tile_dso(self, date, mine):
        dso = self.env["relance.dso"].with_context(
            relance_date=fields.Date.to_string(date), relance_dso_scopes=["company"]
        )
        rows = dso.search_fetch([("company_id", "=", self.env.company.id)], ["date", "dso"], order="date desc", limit=2)
        current = rows[:1].dso
        previous = rows[1:2].dso
        return {
            "count": round(current),
            "display": self.env._("%(days)s days", days=f"{current:.0f}"),
            "tone": "danger" if previous and current > previous else "success",
            "subtitle": self.env._("last month: %(days)s days", days=f"{previous:.0f}") if len(rows) > 1 else "",
        }

    # ------------------------------------------------------------------
    # Clicks
    # ------------------------------------------------------------------
    @api.model
    def _relance_window(self, xmlid, name, domain=None, context=None):
        """The window action ``xmlid`` narrowed to ``domain``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["display_name"] = name
        if domain is not None:
            action["domain"] = list(domain)
        action["context"] = context or {}
        return action

    def action_open(self):
        self.ensure_one()
        return self._tiles()[self.code]["open"](self._relance_as_of(), self.dashboard == "collector", self.name)

    @api.model
    def _relance_open_todo(self, date, mine, name):
        action = self.env["res.partner"].action_relance_todo()
        if mine:
            action["domain"] = list(Domain(action["domain"]) & Domain("id", "in", self._relance_my_partner_ids(date)))
        return action

    @api.model
    def _relance_open_calls(self, date, mine, name):
        domain = [("date_deadline", "<=", date)] + ([("user_id", "=", self.env.uid)] if mine else [])
        return self._relance_window("relance_impayes.mail_activity_action_relance_call", name, domain)

    @api.model
    def _relance_open_validate(self, date, mine, name):
        domain = [("state", "=", "to_validate"), ("company_id", "=", self.env.company.id)]
        domain += [("user_id", "=", self.env.uid)] if mine else []
        return self._relance_window("relance_impayes.relance_communication_action_to_validate", name, domain)

    @api.model
    def _relance_open_promises_due(self, date, mine, name):
        return self._relance_window(
            "relance_impayes.relance_promise_action", name, self._relance_due_promise_domain(date, mine)
        )

    @api.model
    def _relance_open_promises_broken(self, date, mine, name):
        return self._relance_window(
            "relance_impayes.relance_promise_action", name, self._relance_broken_promise_domain(date, mine)
        )

    @api.model
    def _relance_open_disputes(self, date, mine, name, youngest=None, oldest=None):
        return self._relance_window(
            "relance_impayes.relance_dispute_action", name, self._relance_dispute_domain(date, mine, youngest, oldest)
        )

    @api.model
    def _relance_open_recovered(self, date, mine, name):
        return self._relance_window(
            "relance_impayes.relance_recovery_action",
            name,
            self._relance_recovered_domain(date, mine),
            {"relance_date": fields.Date.to_string(date)},
        )

    @api.model
    def _relance_open_overdue(self, date, mine, name):
        domain = [("company_id", "=", self.env.company.id)] + ([("collector_id", "=", self.env.uid)] if mine else [])
        return self._relance_window(
            "relance_impayes.relance_aging_action", name, domain, {"relance_date": fields.Date.to_string(date)}
        )

    @api.model
    def _relance_open_dso(self, date, mine, name):
        return self._relance_window(
            "relance_impayes.relance_dso_action",
            name,
            [("company_id", "=", self.env.company.id)],
            {"relance_date": fields.Date.to_string(date), "search_default_company": 1},
        )
