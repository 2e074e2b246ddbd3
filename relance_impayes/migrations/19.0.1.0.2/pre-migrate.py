def migrate(cr, version):
    """Keep the customers ticked "private individual" by hand as consumers: the box becomes a
    computed field, the choice moves to ``relance_debtor_type``."""
    cr.execute("ALTER TABLE res_partner ADD COLUMN IF NOT EXISTS relance_debtor_type varchar")
    cr.execute(
        """
        UPDATE res_partner
           SET relance_debtor_type = CASE WHEN relance_is_consumer THEN 'consumer' ELSE 'auto' END
         WHERE relance_debtor_type IS NULL
        """
    )
