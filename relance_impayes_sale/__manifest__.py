{
    "name": "Relance des impayés - Ventes",
    "summary": "Credit hold on sales orders: no confirmation for a customer on hold, the hold shown on the quotation",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "relance_impayes",
    "website": "https://github.com/relance-impayes/relance_impayes",
    "depends": ["sale", "relance_impayes"],
    "data": [
        "views/sale_order_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
