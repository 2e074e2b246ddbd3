from . import relance_demo
from . import relance_demo_history
from . import relance_credit_demo
from . import relance_demo_history_write
