from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Seal the history kept before the integrity chain existed, in creation order."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["relance.interaction"]._integrity_seal_missing()
