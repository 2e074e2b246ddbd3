from . import test_relance_queue
from . import test_relance_queue_letters
