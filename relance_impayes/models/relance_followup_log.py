"""The traces of the follow-up of sent reminders, written for the whole batch at once.

*On the invoices*: ``account.move.relance_level_id`` is tracked, each invoice's chatter says "Reminder level: A → B".
The ORM's tracking posts one message per invoice, each by its own create (8,829 creates after a
daily run of 20,000 invoices: most of the mail queue's time). The same rows are inserted here by
one query for the batch's messages and one for their tracking values (``_climb_track``).

*On the customers*: "Reminder sent" notes, one ``_message_log_batch`` for the batch instead of a
``message_post`` per customer.
"""

from odoo import api, fields, models
from odoo.tools import SQL, float_repr
from odoo.tools.mail import generate_tracking_message_id


class AccountMove(models.Model):
    _inherit = "account.move"

    def _climb_untracked(self):
        """The invoices whose level change :meth:`relance.engine._climb_track` logs: those the ORM's
        tracking does not watch yet in this transaction (an invoice already written with tracking in
        it is left to the ORM, which would report the change once more), none when the caller
        disabled tracking."""
        context = self.env.context
        if context.get("tracking_disable") or context.get("mail_notrack"):
            return self.browse()
        watched = self.env.cr.precommit.data.get(f"mail.tracking.{self._name}", {})
        return self.filtered(lambda move: move.id not in watched)


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _climb_track(self, moves, before):
        """Log the level change of ``moves`` (``before``: ``{move id: previous level}``) as the ORM's
        tracking does: a note on each invoice, the author the current user, with its tracking value.

        The notes and their values are inserted by one query each (:meth:`_relance_insert_rows`):
        the same rows as ``mail.thread``'s tracking writes, without the per-message cost of
        ``mail.message.create`` (it updates the cached chatter of every document model in the
        registry for each message: most of the mail queue's time after a daily run)."""
        name = "relance_level_id"
        moves = moves.filtered(lambda move: move.relance_level_id != before[move.id])
        if not moves:
            return self.env["mail.message"]
        messages = self.env["mail.message"].sudo()
        info = moves.fields_get([name], attributes=("string", "type", "selection", "currency_field"))[name]
        author_id, email_from = moves._message_compute_author()
        reply_to = self.env["mail.thread"]._notify_get_reply_to(default=email_from, author_id=author_id)[False]
        now = self.env.cr.now()
        common = {
            "author_id": author_id,
            "email_from": email_from,
            "reply_to": reply_to,
            "model": moves._name,
            "message_type": "notification",
            "is_internal": True,
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "body": "",
            "email_add_signature": False,
            "date": fields.Datetime.now(),
        }
        messages = self._relance_insert_rows(
            messages,
            [dict(common, res_id=move.id, message_id=generate_tracking_message_id("message-notify")) for move in moves],
            now,
        )
        tracking = self.env["mail.tracking.value"].sudo()
        self._relance_insert_rows(
            tracking,
            [
                dict(
                    tracking._create_tracking_values(before[move.id], move.relance_level_id, name, info, move),
                    mail_message_id=message_id,
                )
                for move, message_id in zip(moves, messages.ids, strict=True)
            ],
            now,
        )
        return messages.with_env(self.env)

    @api.model
    def _relance_insert_rows(self, model, vals_list, now=None):
        """Insert ``vals_list`` (plain stored columns; a key missing from a dict is NULL) into
        ``model``'s table by one ``INSERT`` with the ORM's log columns, as its ``_create`` does but
        without its per-record work; returns the records in the order of ``vals_list``.

        For the application's bulk writes of records with no Python constraint: the fields
        depending on the new records are marked to recompute (their given values protected), the
        cached one2many of the records they point to are invalidated."""
        if not vals_list:
            return model.browse()
        model.flush_model()
        now = now or self.env.cr.now()
        names = sorted({fname for vals in vals_list for fname in vals})
        uid = self.env.uid
        columns = [*names, "create_uid", "create_date", "write_uid", "write_date"]
        rows = [
            (*(self._relance_column_value(model, fname, vals) for fname in names), uid, now, uid, now)
            for vals in vals_list
        ]
        records = model.browse(
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "INSERT INTO %s (%s) VALUES %s RETURNING id",
                    SQL.identifier(model._table),
                    SQL(", ").join(map(SQL.identifier, columns)),
                    SQL(", ").join(rows),  # each row a tuple of parameters, as the ORM's _create
                )
            )
        )
        given = [model._fields[fname] for fname in names]
        with self.env.protecting(given, records):
            records.modified(names, create=True)
        for field in given:
            for inverse in self.pool.field_inverses[field]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
        return records

    @api.model
    def _relance_column_value(self, model, fname, vals):
        """The column value of ``vals[fname]`` as ``create`` writes it; an amount rounded in the
        currency ``vals`` names (the ORM would make a new record per value to find it)."""
        field = model._fields[fname]
        if field.type == "monetary":
            currency = self.env["res.currency"].browse(vals.get(field.get_currency_field(model)))
            if currency:
                return float_repr(currency.round(vals.get(fname) or 0.0), currency.decimal_places)
        return field.convert_to_column_insert(vals.get(fname), model)


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _relance_log_batch(self, entries):
        """``res.partner._relance_log`` of many customers at once, ``[(partner, body)]``: the same
        notes on the customers' chatters, signed by the current user, created by one
        ``_message_log_batch`` per round (a customer named twice gets its second note in the next
        round). Logged, as the daily run's trace: no follower is notified."""
        messages = self.env["mail.message"]
        todo = [(partner.commercial_partner_id, body) for partner, body in entries]
        while todo:
            bodies, later = {}, []
            for partner, body in todo:
                if partner.id in bodies:
                    later.append((partner, body))
                else:
                    bodies[partner.id] = body
            partners = self.browse(list(bodies)).sudo()
            messages |= partners._message_log_batch(bodies, author_id=self.env.user.partner_id.id)
            todo = later
        return messages
