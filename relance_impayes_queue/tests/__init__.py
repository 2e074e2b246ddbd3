from . import test_relance_queue
