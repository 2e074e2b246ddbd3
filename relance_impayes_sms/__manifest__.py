{
    "name": "Relance des impayés - SMS",
    "summary": "SMS reminders: a reminder level can text the customer, the SMS kept in the reminder history",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "relance_impayes",
    "website": "https://github.com/relance-impayes/relance_impayes",
    "depends": ["sms", "relance_impayes"],
    "data": [
        "data/sms_template_data.xml",
        "views/relance_level_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
