{
    "name": "Relance des impayés - Job Queue",
    "summary": "The daily reminder run as queue jobs (OCA queue_job): one job per company and per batch of letters",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "relance_impayes",
    "website": "https://github.com/relance-impayes/relance_impayes",
    "depends": ["queue_job", "relance_impayes"],
    "data": [
        "data/queue_job_data.xml",
    ],
    "auto_install": True,
    "installable": True,
}
