from . import relance_report
from . import relance_analytics
from . import relance_aging
from . import relance_dso
from . import relance_effectiveness
from . import relance_funnel
from . import relance_recovery
from . import relance_dashboard
