"""Vocabulary the demo company is drawn from: names, places, products, dispute reasons.

Everything here is cp1252-encodable on purpose: invoices.csv is written in cp1252 like a French ERP would.
"""

from __future__ import annotations

# The issuer: the demo company whose receivables Relance manages.
ISSUER_NAME = "Atelier Relance Industrie SAS"
ISSUER_SIREN = "732829320"  # valid Luhn key; the FEC file is named after it

SURNAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noël",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Pérez",
    "Marchand",
)

# (sector, activity words used in company names, goods or services, main VAT rate in basis points)
SECTORS = (
    ("Industrie", ("Mécanique", "Usinage", "Plasturgie", "Chaudronnerie", "Fonderie"), "goods", 2000),
    ("Distribution", ("Distribution", "Négoce", "Fournitures", "Équipements", "Import"), "goods", 2000),
    ("BTP", ("Bâtiment", "Travaux", "Menuiserie", "Charpente", "Électricité"), "services", 2000),
    ("Services", ("Conseil", "Informatique", "Ingénierie", "Formation", "Logistique"), "services", 2000),
    ("Santé", ("Laboratoires", "Pharmacie", "Clinique", "Cabinet médical", "Biologie"), "goods", 550),
    ("Hôtellerie-restauration", ("Restaurant", "Hôtel", "Brasserie", "Traiteur", "Café"), "goods", 1000),
)
PUBLIC_SECTOR = "Secteur public"
PUBLIC_BODIES = ("Mairie de", "Centre hospitalier de", "Communauté de communes de", "Lycée de", "Syndicat des eaux de")
LEGAL_FORMS = ("SARL", "SAS", "SA", "EURL", "SASU", "SCOP")

# Sizes: share of customers and relative invoice volume (an ETI is invoiced ten times more than a TPE).
SIZES = ("TPE", "PME", "ETI", "GE")
SIZE_SHARES = (0.38, 0.40, 0.16, 0.06)
SIZE_VOLUME = (1.0, 3.0, 10.0, 30.0)
SIZE_TICKET_EUR = (180.0, 650.0, 2400.0, 7800.0)  # median line value excl. tax

# (city, postcode, country) — French customers mostly, a few in neighbouring EU countries.
CITIES_FR = (
    ("Paris", "75011"),
    ("Paris", "75015"),
    ("Lyon", "69003"),
    ("Marseille", "13008"),
    ("Toulouse", "31000"),
    ("Nice", "06000"),
    ("Nantes", "44000"),
    ("Strasbourg", "67000"),
    ("Montpellier", "34000"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Rennes", "35000"),
    ("Reims", "51100"),
    ("Le Havre", "76600"),
    ("Saint-Étienne", "42000"),
    ("Toulon", "83000"),
    ("Grenoble", "38000"),
    ("Dijon", "21000"),
    ("Angers", "49000"),
    ("Nîmes", "30000"),
    ("Clermont-Ferrand", "63000"),
    ("Le Mans", "72000"),
    ("Aix-en-Provence", "13100"),
    ("Brest", "29200"),
    ("Tours", "37000"),
    ("Amiens", "80000"),
    ("Limoges", "87000"),
    ("Annecy", "74000"),
    ("Perpignan", "66000"),
    ("Metz", "57000"),
    ("Besançon", "25000"),
    ("Orléans", "45000"),
    ("Rouen", "76000"),
    ("Mulhouse", "68100"),
    ("Caen", "14000"),
    ("Nancy", "54000"),
    ("Poitiers", "86000"),
    ("La Rochelle", "17000"),
    ("Pau", "64000"),
    ("Valence", "26000"),
)
FOREIGN = (  # country, city, postcode, language, time zone
    ("BE", "Bruxelles", "1000", "fr", "Europe/Brussels"),
    ("BE", "Antwerpen", "2000", "en", "Europe/Brussels"),
    ("LU", "Luxembourg", "1611", "fr", "Europe/Luxembourg"),
    ("DE", "Köln", "50667", "en", "Europe/Berlin"),
    ("DE", "Frankfurt am Main", "60311", "en", "Europe/Berlin"),
    # outside the EU: exports (VAT category G), the American customers invoiced in US dollars
    ("US", "New York", "10001", "en", "America/New_York"),
    ("US", "Chicago", "60601", "en", "America/Chicago"),
    ("CH", "Genève", "1201", "fr", "Europe/Zurich"),
)
# Invoice currency of customers abroad where it is not the euro, and the ERP's booking rate (euros for one
# unit) around which each month's rate is drawn: what the export's "Taux de change" column carries.
FOREIGN_CURRENCY = {"US": ("USD", 0.92)}
# Peppol participant identifier schemes of the EU customers' VAT numbers (their e-invoicing addresses)
PEPPOL_VAT_SCHEMES = {"BE": "9925", "LU": "9938", "DE": "9930"}
# Where big accounts have goods delivered, when not at the billing address
DELIVERY_SITES = ("Entrepôt central", "Plateforme logistique", "Usine", "Magasin", "Site de production")
FOREIGN_SHARE = 0.12

STREET_TYPES = ("rue", "avenue", "boulevard", "place", "chemin", "allée", "impasse", "quai")
STREET_NAMES = (
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "des Lilas",
    "de la Gare",
    "du Moulin",
    "des Écoles",
    "Voltaire",
    "de Verdun",
    "Gambetta",
    "du Commerce",
    "de l'Industrie",
    "des Artisans",
    "Émile Zola",
    "de la Paix",
    "Foch",
)
ADDRESS_COMPLEMENTS = (
    "",
    "",
    "",
    "Bâtiment B",
    "ZI des Prés",
    "Service comptabilité fournisseurs",
    "BP 42",
    "3e étage",
    "Parc d'activités du Lac",
    "CS 20001",
)

CHANNELS = ("email", "platform", "edi", "ap_portal", "paper")
# What the issuer falls back to when the preferred channel fails, per preferred channel.
FALLBACKS = {
    "email": ("paper",),
    "platform": ("email",),
    "edi": ("platform", "email"),
    "ap_portal": ("email",),
    "paper": ("email",),
}

# Payment behaviours of customers (ground truth): share among private customers.
BEHAVIOURS = ("on_time", "occasionally_late", "chronic_late", "partial_payer", "disputer")
BEHAVIOUR_SHARES = (0.48, 0.22, 0.14, 0.08, 0.08)

PAYMENT_METHODS = ("transfer", "direct_debit", "cheque", "lcr")
PAYMENT_METHOD_SHARES = (0.74, 0.12, 0.09, 0.05)

GOODS = (
    "Roulements à billes",
    "Visserie inox",
    "Profilés aluminium",
    "Cartons d'emballage",
    "Palettes bois",
    "Joints toriques",
    "Câbles électriques",
    "Tubes acier",
    "Consommables d'atelier",
    "Pièces détachées",
    "Lubrifiant industriel",
    "Gants de protection",
    "Tôles galvanisées",
    "Moteurs électriques",
    "Huile “haute température” d’usinage",
)
SERVICES = (
    "Maintenance préventive",
    "Assistance technique",
    "Formation des équipes",
    "Audit qualité",
    "Développement logiciel",
    "Conseil en organisation",
    "Transport et livraison",
    "Installation sur site",
    "Support informatique",
    "Étude de faisabilité",
)

DISPUTE_REASONS_GENERAL = (
    "Prix non conforme au contrat",
    "Marchandise endommagée à la livraison",
    "Quantité livrée inférieure à la quantité facturée",
    "Prestation non conforme au cahier des charges",
    "Remise commerciale non appliquée",
)
DISPUTE_REASON_MISSING_PO = "Bon de commande manquant sur la facture"
DISPUTE_REASON_WRONG_AMOUNT = "Montant facturé erroné (ligne facturée en double)"
