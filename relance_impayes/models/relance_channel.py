"""The channels of a reminder: one registry, one handler per channel.

A level says which channels it uses (one boolean field each); ``relance.communication`` runs
them through :meth:`RelanceCommunication._relance_channels`, and nowhere else: checking,
performing, marking sent, the evidence, the action summary and the letter report all read the
registry. Adding a channel is one small module that appends a descriptor to it (see the
``relance_impayes_sms`` bridge) and adds its boolean on ``relance.level``.
"""

import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from .relance_communication import PREPARED, RENDERED

_logger = logging.getLogger(__name__)


class RelanceCommunication(models.Model):
    _inherit = "relance.communication"

    # ------------------------------------------------------------------
    # Registry
    # ------------------------------------------------------------------
    @api.model
    def _relance_channel(self, code, field, **values):
        """A channel descriptor, every key present. Keys:

        - ``code``: unique name of the channel (``email``, ``letter``...);
        - ``field``: boolean field of ``relance.level`` that enables it;
        - ``label``: what the action summary shows (the field's translated label);
        - ``kind``: ``relance.interaction`` kind of its evidence, or None;
        - ``check``: method raising a ``UserError`` when the channel cannot reach the customer
          (nothing is sent, the reminder fails and is retried);
        - ``perform``: method run at send time, in registry order;
        - ``waits``: True when the channel completes later (the email queue, the letters' step):
          the reminder stays *Sending* until a hook calls ``_mark_sent`` (the email left; for a
          reminder without email, its letter's PDF exists);
        - ``on_sent``: method run once the reminder left (follow-up tasks);
        - ``evidence``: method ``(channel, common_vals) -> [interaction vals]``;
        - ``report``: xml-id of the letter report the channel prints, or None;
        - ``supersedes``: codes of channels this one replaces on the same level.

        A method named by several active channels runs once (one letter PDF for a letter
        and a registered letter)."""
        label = self.env["relance.level"]._fields[field]._description_string(self.env)
        return {
            "code": code,
            "field": field,
            "label": label,
            "kind": None,
            "check": None,
            "perform": None,
            "waits": False,
            "on_sent": None,
            "evidence": None,
            "report": None,
            "supersedes": (),
            **values,
        }

    @api.model
    def _relance_channels(self):
        """Ordered channel descriptors (see :meth:`_relance_channel`); override to add one.

        Order is the performing order: letters first (marked to render, see relance_letter.py),
        channels that cannot be taken back (an SMS) last."""
        return [
            self._relance_channel(
                "letter",
                "action_letter",
                kind="letter",
                check="_relance_check_postal_address",
                perform="_action_letter",
                waits=True,
                evidence="_evidence_letter",
                report="relance_impayes.action_report_relance_letter",
            ),
            self._relance_channel(
                "registered_letter",
                "action_registered_letter",
                kind="registered_letter",
                check="_relance_check_postal_address",
                perform="_action_letter",
                waits=True,
                evidence="_evidence_registered_letter",
                supersedes=("letter",),
                report="relance_impayes.action_report_mise_en_demeure",
            ),
            self._relance_channel(
                "email",
                "action_email",
                kind="email",
                check="_relance_check_email",
                perform="_action_email",
                waits=True,
                evidence="_evidence_email",
            ),
            self._relance_channel("call", "action_call", on_sent="_action_call"),
            self._relance_channel(
                "handoff", "action_handoff", kind="handoff", on_sent="_action_handoff", evidence="_evidence_handoff"
            ),
        ]

    def _relance_active_channels(self):
        """The channels this reminder's level uses, in registry order."""
        self.ensure_one()
        level = self.level_id
        channels = [channel for channel in self._relance_channels() if level[channel["field"]]]
        superseded = {code for channel in channels for code in channel["supersedes"]}
        return [channel for channel in channels if channel["code"] not in superseded]

    def _relance_channel_step(self, step, channels=None):
        """Run the method each channel names under ``step``, each method once, in order."""
        done = set()
        for channel in channels if channels is not None else self._relance_active_channels():
            method = channel[step]
            if method and method not in done:
                done.add(method)
                getattr(self, method)()

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------
    def _relance_contact_name(self):
        return self.contact_id.display_name or self.partner_id.display_name

    def _relance_check_email(self):
        if not (self.contact_id.email or "").strip():
            raise UserError(
                self.env._(
                    "%(contact)s has no email address: add one on the customer's invoice contact, then retry.",
                    contact=self._relance_contact_name(),
                )
            )
        if not self._relance_sender().email_from:
            raise UserError(
                self.env._(
                    "%(company)s has no email address to send reminders from: set one on the company "
                    "(or a reply-to address in Settings > Invoicing > Payment reminders), then retry.",
                    company=self.company_id.name,
                )
            )

    def _relance_check_postal_address(self):
        contact = self.contact_id
        if not (contact.street and contact.zip and contact.city):
            raise UserError(
                self.env._(
                    "%(contact)s has no complete postal address (street, ZIP, city): complete it, then retry.",
                    contact=self._relance_contact_name(),
                )
            )

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------
    def _letter_report(self):
        """The report of the first active channel that prints one (a registered letter is the
        formal notice, mise en demeure); the reminder letter otherwise (preview)."""
        self.ensure_one()
        xmlid = next(
            (c["report"] for c in self._relance_active_channels() if c["report"]),
            "relance_impayes.action_report_relance_letter",
        )
        return self.env.ref(xmlid)

    def _action_letter(self):
        """The letter channels' ``perform``: nothing is rendered here, the letter is marked to
        render and its PDF is made by the letters' own step (relance_letter.py), so that the
        email leaves at once. A retried reminder gets a new letter (its amounts were read again)."""
        self.with_context(tracking_disable=True).write(
            {"letter_id": False, "letter_state": "to_render", "letter_error": False, "letter_attempts": 0}
        )

    # ------------------------------------------------------------------
    # Email
    # ------------------------------------------------------------------
    def _render_email(self):
        """Subject and body: the accountant's edited version, else the level's template (as
        rendered for the whole batch by ``_execute`` when it was, see ``RENDERED``)."""
        self.ensure_one()
        if self.subject and self.body_html:
            return self.subject, self.body_html
        rendered = (RENDERED.get() or {}).get(self.id)
        if rendered is None:
            template = self.level_id.mail_template_id
            template = template.with_context(lang=template._render_lang(self.ids)[self.id])
            rendered = (
                template._render_field("subject", self.ids)[self.id],
                template._render_field("body_html", self.ids)[self.id],
            )
        return self.subject or rendered[0], self.body_html or rendered[1]

    def _relance_attached_moves(self):
        """The invoices whose PDF the email attaches (the oldest, at most the company's cap), and how
        many are left out."""
        if not self.level_id.attach_invoices:
            return self.env["account.move"], 0
        moves = self.line_ids.sorted(lambda line: (line.date_due or fields.Date.today(), line.id)).move_id
        cap = self.company_id.relance_max_attached_invoices
        return moves[:cap], max(len(moves) - cap, 0)

    def _invoice_attachments(self):
        """The PDFs of the oldest invoices, at most the company's cap; and how many are left out."""
        attachments = self.env["ir.attachment"]
        moves, left_out = self._relance_attached_moves()
        for move in moves:
            pdf = move.invoice_pdf_report_id
            if not pdf:
                content, _fmt = self.env["ir.actions.report"]._render_qweb_pdf("account.account_invoices", move.ids)
                pdf = attachments.create(
                    {
                        "name": f"{(move.name or '').replace('/', '_')}.pdf",
                        "raw": content,
                        "mimetype": "application/pdf",
                        "res_model": self._name,
                        "res_id": self.id,
                    }
                )
            attachments |= pdf
        return attachments, left_out

    def _relance_not_attached_note(self, count):
        """The paragraph saying where the invoices not attached are (in the customer's language)."""
        lang = self.contact_id.lang or self.partner_id.lang or self.env.lang
        env = self.with_context(lang=lang).env
        return Markup("<p>%s</p>") % env._(
            "%(count)s other invoices are not attached to this email: you will find all your invoices, "
            "and your statement, on your customer portal: %(link)s",
            count=count,
            link=self._payment_link(),
        )

    def _relance_mail_vals(self):
        """The ``mail.mail`` values of this reminder's email (its letter follows by post: its own step)."""
        self.ensure_one()
        subject, body = self._render_email()
        invoices, left_out = self._invoice_attachments()
        if left_out:
            body = Markup(body or "") + self._relance_not_attached_note(left_out)
        return {
            "subject": subject,
            "body_html": body,
            **self._relance_sender_values(),
            "recipient_ids": [fields.Command.link(self.contact_id.id)],
            "model": self._name,
            "res_id": self.id,
            "auto_delete": False,
            "attachment_ids": [fields.Command.set(invoices.ids)],
            "message_type": "email_outgoing",
        }

    def _relance_prepare_mails(self):
        """The emails of these reminders, created by one ``create`` before they are performed one by
        one (see ``_execute``): ``{reminder id: mail.mail}``. Left out, and made by ``_action_email``
        in the reminder's own savepoint: a reminder whose values fail (its error is then its own), and
        one whose invoice PDFs are still to render (they belong to that savepoint). The caller deletes
        the emails no reminder took."""
        prepared = {}
        emailed = self.filtered(
            lambda c: c.contact_id.email
            and any(ch["perform"] == "_action_email" for ch in c._relance_active_channels())
        )
        for comm in emailed:
            if not all(move.invoice_pdf_report_id for move in comm._relance_attached_moves()[0]):
                continue
            try:
                prepared[comm.id] = comm._relance_mail_vals()
            except Exception:  # noqa: BLE001 - made again in the reminder's savepoint, where it fails alone
                _logger.info("Email of reminder %s not prepared with its batch", comm.id)
        if not prepared:
            return {}
        try:
            with self.env.cr.savepoint():
                mails = self.env["mail.mail"].sudo().create(list(prepared.values()))
        except Exception:  # noqa: BLE001 - each email is then made by its reminder
            _logger.info("Batch creation of %s reminder emails failed, one by one now", len(prepared))
            return {}
        return dict(zip(prepared, mails, strict=True))

    def _action_email(self):
        mail = (PREPARED.get() or {}).get(self.id)
        if mail is None:
            mail = self.env["mail.mail"].sudo().create(self._relance_mail_vals())
        previous = self.sudo().mail_id  # emails are the administrator's: a Relances user retries too
        if previous and previous.state in ("exception", "outgoing"):
            previous.cancel()  # the email of a failed attempt: replaced, it never leaves
        self.mail_id = mail

    # ------------------------------------------------------------------
    # Tasks after sending
    # ------------------------------------------------------------------
    def _action_call(self):
        self.partner_id._relance_schedule_call(
            self.date,
            summary=self.env._("Call about %(amount)s overdue", amount=self._format_amount(self.amount_due)),
            note=self.env._(
                "Level %(level)s: %(count)s invoice(s) overdue.", level=self.level_id.name, count=len(self.line_ids)
            ),
            user=self.user_id or self.env.user,
        )

    def _action_handoff(self):
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=self.date,
            summary=self.env._("Hand the file over to recovery"),
            note=self.env._(
                "Prepare the recovery file and hand it to a commissaire de justice, an agency or "
                "file an injonction de payer."
            ),
            user_id=(self.user_id or self.env.user).id,
        )

    def _format_amount(self, amount):
        return formatLang(self.env, amount, currency_obj=self.currency_id)

    # ------------------------------------------------------------------
    # Evidence (relance.interaction values)
    # ------------------------------------------------------------------
    def _evidence_email(self, channel, common):
        mail = self.mail_id
        if not mail:
            return []
        return [
            dict(
                common,
                kind=channel["kind"],
                summary=mail.subject,
                body=mail.body_html,
                mail_message_id=mail.mail_message_id.id,
                attachment_ids=[fields.Command.set(mail.attachment_ids.ids)],
            )
        ]

    def _relance_letter_evidence(self, channel, common, summary, **values):
        """A letter's evidence exists when, and only when, its PDF does, and once: before that
        there is none (the letters' step writes it once the PDF exists)."""
        if self.letter_state != "done" or not self.letter_id:
            return []
        if self.interaction_ids.filtered(lambda i: i.kind == channel["kind"]):
            return []
        return [
            dict(
                common,
                kind=channel["kind"],
                summary=summary,
                attachment_ids=[fields.Command.set(self.letter_id.ids)],
                **values,
            )
        ]

    def _evidence_letter(self, channel, common):
        return self._relance_letter_evidence(channel, common, self.env._("Letter: %(level)s", level=self.level_id.name))

    def _evidence_registered_letter(self, channel, common):
        """To post (``to_send``) only with its PDF: never marked to post without it."""
        return self._relance_letter_evidence(
            channel,
            common,
            self.env._("Registered letter: %(level)s", level=self.level_id.name),
            lrar_status="to_send",
        )

    def _evidence_handoff(self, channel, common):
        return [
            dict(
                common,
                kind=channel["kind"],
                direction="internal",
                summary=self.env._("Handed off to recovery: %(level)s", level=self.level_id.name),
            )
        ]
