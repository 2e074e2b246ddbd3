from . import relance_send
from . import relance_call_log
from . import relance_credit_hold
from . import relance_interaction_correct
from . import relance_penalty_invoice
from . import relance_aging_date
