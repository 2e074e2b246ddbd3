from . import relance_integrity_report
