from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceChannels(RelanceCommon):
    """A channel is one descriptor in ``_relance_channels``: adding one needs no other edit."""

    def _patch_fax_channel(self, check=None):
        """Add a "fax" channel, enabled by the level's "Phone call task" box, to the registry."""
        comm_class = type(self.env["relance.communication"])
        original = comm_class._relance_channels
        faxed = []

        def _relance_channels(comm):
            return original(comm) + [
                comm._relance_channel(
                    "fax",
                    "action_call",
                    label="Fax",
                    kind="note",
                    perform="_test_fax",
                    check="_test_fax_check" if check else None,
                    evidence="_test_fax_evidence",
                )
            ]

        def _test_fax(comm):
            faxed.append(comm.id)

        def _test_fax_evidence(comm, channel, common):
            return [dict(common, kind=channel["kind"], summary=f"Fax: {comm.level_id.name}")]

        for name, method in (
            ("_relance_channels", _relance_channels),
            ("_test_fax", _test_fax),
            ("_test_fax_evidence", _test_fax_evidence),
            ("_test_fax_check", check),
        ):
            patcher = patch.object(comm_class, name, method, create=True)
            patcher.start()
            self.addCleanup(patcher.stop)
        return faxed

    def test_added_channel_is_performed_summarised_and_logged(self):
        faxed = self._patch_fax_channel()
        self.lvl_amiable.action_call = True
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(faxed, [comm.id], "performed once, at send time")
        self.assertEqual(comm.action_summary.split(", ")[-1], "Fax")
        self.assertIn("Send email", comm.action_summary)
        self.assertEqual(sorted(comm.interaction_ids.mapped("summary"))[0], f"Fax: {self.lvl_amiable.name}")
        self.assertEqual(sorted(comm.interaction_ids.mapped("kind")), ["email", "note"])
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)

    def test_added_channel_check_blocks_the_whole_reminder(self):
        def _test_fax_check(comm):
            raise UserError("No fax number")

        faxed = self._patch_fax_channel(check=_test_fax_check)
        self.lvl_amiable.action_call = True
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "failed")
        self.assertEqual(comm.failure_reason, "No fax number")
        self.assertFalse(faxed)
        self.assertFalse(self._mails, "no channel left: the email was not sent either")
        self.assertFalse(inv.relance_level_id)

    def test_level_without_channels_leaves_a_note(self):
        self.lvl_amiable.action_email = False
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "sent")
        self.assertFalse(comm.action_summary)
        self.assertEqual(comm.interaction_ids.kind, "note")
