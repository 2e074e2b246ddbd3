{
    "name": "Relance des impayés - Paiement en ligne (tests)",
    "summary": "Tests only: pays from the reminder portal through Odoo's demo payment provider",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "relance_impayes",
    "website": "https://github.com/relance-impayes/relance_impayes",
    # payment_demo publishes a fake provider as soon as it is installed: never a dependency of
    # the real bridge, only of this test module (as Odoo's own test_* modules)
    "depends": ["relance_impayes_payment", "payment_demo"],
    "data": [],
    "assets": {
        "web.assets_tests": [
            "test_relance_impayes_payment/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
