from . import relance_engine
