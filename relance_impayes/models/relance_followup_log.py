"""The traces of the follow-up of sent reminders, written for the whole batch at once.

*On the invoices*: ``account.move.relance_level_id`` is tracked, each invoice's chatter says "Reminder level: A → B".
The ORM's tracking posts one message per invoice, each by its own create (8,829 creates after a
daily run of 20,000 invoices: most of the mail queue's time). The same messages are created here
by one ``create`` for the batch, and their tracking values by another (``mail.message.create``
would make them one create per message).

*On the customers*: "Reminder sent" notes, one ``_message_log_batch`` for the batch instead of a
``message_post`` per customer.
"""

from odoo import api, models
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
        tracking does (a note, the author the current user, a tracking value), in one create."""
        name = "relance_level_id"
        moves = moves.filtered(lambda move: move.relance_level_id != before[move.id])
        if not moves:
            return self.env["mail.message"]
        info = moves.fields_get([name], attributes=("string", "type", "selection", "currency_field"))[name]
        tracking = self.env["mail.tracking.value"]
        author_id, email_from = moves._message_compute_author()
        common = {
            "author_id": author_id,
            "email_from": email_from,
            "model": moves._name,
            "message_type": "notification",
            "is_internal": True,
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "body": "",
            "email_add_signature": False,
            "record_alias_domain_id": False,
            "record_company_id": False,
            "message_id": generate_tracking_message_id("message-notify"),
            "reply_to": self.env["mail.thread"]._notify_get_reply_to(default=email_from, author_id=author_id)[False],
        }
        messages = moves._message_create([dict(common, res_id=move.id) for move in moves])
        # their tracking values by one create too (``mail.message.create`` makes them with sudo,
        # one create per message)
        tracking.sudo().create(
            [
                dict(
                    tracking._create_tracking_values(before[move.id], move.relance_level_id, name, info, move),
                    mail_message_id=message.id,
                )
                for move, message in zip(moves, messages, strict=True)
            ]
        )
        return messages


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
