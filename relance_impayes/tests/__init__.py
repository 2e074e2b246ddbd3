from . import test_relance_engine
from . import test_relance_run
from . import test_relance_screens
from . import test_relance_tour
from . import test_relance_penalties
from . import test_relance_letters
from . import test_relance_credit
from . import test_relance_negotiation
