from . import controllers
from . import models
from . import report
from . import wizard
from . import demo


def _relance_post_init(env):
    """Seal any history already there (same step as the upgrade's migration)."""
    env["relance.interaction"]._integrity_seal_missing()
