{
    "name": "Relance des impayés - Paiement en ligne",
    "summary": "Customers pay one invoice, several or their whole balance from the reminder portal, "
    "through the payment providers enabled in Odoo",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "relance_impayes",
    "website": "https://github.com/relance-impayes/relance_impayes",
    "depends": ["relance_impayes", "account_payment"],
    "data": [
        "views/portal_templates.xml",
    ],
    "auto_install": True,
    "installable": True,
}
