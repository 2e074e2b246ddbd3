from . import test_relance_portal_payment
