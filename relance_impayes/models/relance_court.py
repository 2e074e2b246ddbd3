import re
import unicodedata

from odoo import api, models

# Loi n° 2023-1059 du 20 novembre 2023, art. 26; décret n° 2024-674 du 5 juillet 2024: from
# 1 January 2025 the tribunal de commerce of these twelve places is a tribunal des activités
# économiques (TAE) for four years.
TAE_CITIES = (
    "Avignon",
    "Auxerre",
    "Le Havre",
    "Le Mans",
    "Limoges",
    "Lyon",
    "Marseille",
    "Nancy",
    "Nanterre",
    "Paris",
    "Saint-Étienne",
    "Versailles",
)


def _city_key(city):
    """``"Saint-Étienne Cedex 2"``, ``"Lyon 3e Arrondissement"`` → ``"saint etienne"``, ``"lyon"``."""
    text = unicodedata.normalize("NFKD", city or "").encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[-'’]", " ", text)
    text = re.sub(r"\b(cedex|arrondissement|\d+(er|e|eme)?)\b", " ", text)
    return " ".join(text.split())


TAE_KEYS = {_city_key(city): city for city in TAE_CITIES}


def court_of(prefix, city):
    """French name of a court "de" a city, with the article contracted: "tribunal de commerce
    du Havre", "tribunal judiciaire d'Avignon"."""
    if city.startswith("Le "):
        return f"{prefix} du {city[3:]}"
    if city.startswith("Les "):
        return f"{prefix} des {city[4:]}"
    if unicodedata.normalize("NFKD", city[:1]).encode("ascii", "ignore").decode().lower() in tuple("aeiouyh"):
        return f"{prefix} d'{city}"
    return f"{prefix} de {city}"


class RelanceCourt(models.AbstractModel):
    """Which court receives an injonction de payer against a customer, on which form."""

    _name = "relance.court"
    _description = "Court of an order for payment"

    @api.model
    def _injonction_court(self, partner):
        """Court and cerfa form of a request for an injonction de payer against ``partner``.

        CPC 1405 and 1406: the request goes to the court of the debtor's domicile (the city of the
        customer; a manager corrects it with ``relance_court_name``). C. com. L721-3: the
        tribunal de commerce hears claims against traders and commercial companies (cerfa 12946);
        since 1 January 2025 the tribunal des activités économiques replaces it in the twelve places
        of ``TAE_CITIES`` (loi 2023-1059 art. 26). COJ L211-3 and CPC 1405: any other debtor
        (consumer, non-trading professional, association) goes to the tribunal judiciaire (cerfa 12948).

        Court names are French institution names and stay in French.

        :return: dict ``kind`` (``"tae"``, ``"commerce"`` or ``"judiciaire"``), ``name``, ``cerfa``,
            ``city`` and ``corrected`` (a manager set the court by hand).
        """
        partner = partner.commercial_partner_id
        city = (partner.city or "").strip()
        if partner.relance_debtor_kind == "trader":
            tae = TAE_KEYS.get(_city_key(city))
            kind, cerfa = ("tae" if tae else "commerce"), "12946"
            prefix = "tribunal des activités économiques" if tae else "tribunal de commerce"
            city = tae or city
        else:
            kind, cerfa, prefix = "judiciaire", "12948", "tribunal judiciaire"
        if partner.relance_court_name:
            name = partner.relance_court_name
        elif city:
            name = court_of(prefix, city)
        else:
            name = self.env._("%(court)s of the debtor's domicile (city unknown)", court=prefix)
        return {"kind": kind, "name": name, "cerfa": cerfa, "city": city, "corrected": bool(partner.relance_court_name)}
