from . import relance_level
from . import relance_interaction
from . import relance_communication
