from collections import namedtuple

from markupsafe import Markup

from odoo import api, models
from odoo.tools import formataddr

from ..tools.typography import format_date_long

RelanceSender = namedtuple("RelanceSender", "email_from reply_to name signature")


class RelanceCommunication(models.Model):
    """Who writes to the customer, and how the letter greets and dates: one place for every
    email and letter of a reminder, whoever (a person or the daily run) sends it."""

    _inherit = "relance.communication"

    @api.model
    def _relance_is_person(self, user):
        """A user who can sign a letter: an internal, active account of a real person, not the
        system user (OdooBot), nor a portal or public user."""
        return bool(user) and user.active and not user.share and not user._is_superuser()

    def _relance_signatory(self):
        """The customer's collector (the one of the reminder, else the customer's), or no one."""
        self.ensure_one()
        for user in (self.user_id, self.partner_id._relance_collector()):
            if self._relance_is_person(user):
                return user
        return self.env["res.users"]

    def _relance_sender(self):
        """``RelanceSender(email_from, reply_to, name, signature)`` of this reminder.

        It comes from the company (its name and accounts address, else the configured reply-to)
        and is signed by the customer's collector or, without one, by the company's accounts
        department with its phone and email. Never by OdooBot: the daily run sends as the system
        user, who is nobody the customer can answer.
        """
        self.ensure_one()
        company = self.company_id
        user = self._relance_signatory()
        # a company without an address of its own writes from the server's default sender (or its
        # collector's address): the name the customer reads is the company's all the same
        address = (
            company.email
            or company.relance_reply_to
            or self.env["ir.mail_server"].sudo()._get_default_from_address()
            or user.email
        )
        reply = company.relance_reply_to or company.email
        email_from = formataddr((company.name, address)) if address else False
        reply_to = formataddr((company.name, reply)) if reply else False
        if user:
            name = user.name
            lines = [user.name, user.partner_id.function, company.name, user.phone or company.phone, user.email]
        else:
            name = self.env._("Accounts department, %(company)s", company=company.name)
            lines = [self.env._("Accounts department"), company.name, company.phone, reply or company.email]
        signature = Markup("<br/>").join(line for line in lines if line)
        return RelanceSender(email_from, reply_to, name, Markup('<p class="o_relance_signature">%s</p>') % signature)

    def _relance_sender_values(self):
        """The ``mail.mail`` values of the sender, for ``_action_email``."""
        sender = self._relance_sender()
        return {"email_from": sender.email_from, "reply_to": sender.reply_to}

    def _relance_salutation(self, formal=False):
        """ "Dear Jean Martin," ("Bonjour Jean Martin,") to a named person in an email, "Dear Sir or
        Madam," ("Madame, Monsieur,") when all we know is the company's name, and in a letter
        (``formal``): a letter, a formal notice above all, opens as French correspondence does,
        the addressee being named in its address block."""
        self.ensure_one()
        contact = self.contact_id
        if contact.name and not contact.is_company and not formal:
            return self.env._("Dear %(name)s,", name=contact.name)
        return self.env._("Dear Sir or Madam,")

    @api.model
    def _relance_format_date_long(self, date, lang=None):
        """A date written out for a letter ("1er décembre 2026") in ``lang`` (default: the
        context's language)."""
        return format_date_long(date, lang or self.env.lang or "en_US")
