from odoo import api, fields, models


class RelanceInteraction(models.Model):
    """What the customer does on the portal is evidence too: where it came from is kept with it."""

    _inherit = "relance.interaction"

    kind = fields.Selection(selection_add=[("portal", "Customer portal")], ondelete={"portal": "cascade"})
    ip_address = fields.Char("IP address", readonly=True)
    user_agent = fields.Char(readonly=True)
    portal_post = fields.Boolean(
        "Sent from the portal",
        readonly=True,
        help="A form the customer sent (promise, dispute, payment): counted by the rate limit.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Requests from the portal pass their origin in the context (``relance_portal_request``):
        every interaction written while serving them is the customer's, inbound, with its origin."""
        origin = self.env.context.get("relance_portal_request")
        if origin:
            for vals in vals_list:
                vals.setdefault("ip_address", (origin.get("ip") or "")[:64] or False)
                vals.setdefault("user_agent", (origin.get("user_agent") or "")[:512] or False)
                vals.setdefault("portal_post", bool(origin.get("post")))
                vals["direction"] = "in"
        return super().create(vals_list)

    def _get_integrity_hash_fields(self):
        """Where a portal action came from is sealed with it."""
        return super()._get_integrity_hash_fields() + ["ip_address", "user_agent", "portal_post"]
