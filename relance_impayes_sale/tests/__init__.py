from . import test_relance_sale
