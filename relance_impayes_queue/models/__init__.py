from . import relance_engine
from . import relance_communication
