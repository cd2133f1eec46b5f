"""The demo network's static data: a network east of Paris, its points, tiers, products and people's names.

Places are real towns of Paris-Vallée de la Marne with plausible venues; producers and people are invented.
E-mail addresses use ``example.org`` (reserved, RFC 2606) and phone numbers the ARCEP range kept for fiction
(06 39 98 xx xx), so no demo reminder can ever reach a real person.
"""

from dataclasses import dataclass
from datetime import time


def _names(text: str) -> tuple[str, ...]:
    """A tuple from a comma-separated list (compact to read, and stable under the formatter)."""
    return tuple(name.strip() for name in text.split(","))


NETWORK_NAME = "Comptoirs Coopératifs de Paris-Vallée de la Marne"
TIMEZONE = "Europe/Paris"
PAYMENT_METHODS = ("cash", "cheque", "card", "transfer", "prepaid", "allowance")

EMAIL_DOMAIN = "example.org"
PHONE_PREFIX = "06 39 98"  # ARCEP numbers reserved for fiction

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_FR = _names("janvier, février, mars, avril, mai, juin, juillet, août, septembre, octobre, novembre, décembre")


@dataclass(frozen=True)
class TierSpec:
    name: str
    share_percent: int
    description: str
    households: int  # how many demo households are on this tier (the rest pay tarif plein)


FULL_TIER = "Tarif plein"
TIERS = (
    TierSpec(FULL_TIER, 100, "Le prix juste payé au producteur, sans réduction.", 0),
    TierSpec(
        "Tarif solidaire",
        70,
        "30 % de réduction, pris en charge par le réseau : pour les foyers aux revenus modestes (quotient "
        "familial sous le seuil fixé en assemblée générale).",
        60,
    ),
    TierSpec(
        "Tarif très solidaire",
        40,
        "60 % de réduction, pris en charge par le réseau : pour les foyers orientés par un travailleur social "
        "ou bénéficiaires des minima sociaux.",
        40,
    ),
)


@dataclass(frozen=True)
class PointSpec:
    name: str
    town: str
    address: str
    weekday: int  # 0 = Monday, as ``date.weekday()``
    opens: time  # local time (Europe/Paris)
    closes: time
    households: int  # members whose home point this is
    ephemeral: bool = False


POINTS = (
    PointSpec(
        name="Maison de quartier du Luzard",
        town="Noisiel",
        address="Place du Luzard, 77186 Noisiel",
        weekday=1,  # mardi
        opens=time(17, 30),
        closes=time(19),
        households=84,
    ),
    PointSpec(
        name="Halle de l'Arche Guédon",
        town="Torcy",
        address="Place de l'Arche Guédon, 77200 Torcy",
        weekday=3,  # jeudi
        opens=time(17, 30),
        closes=time(19),
        households=78,
    ),
    PointSpec(
        name="Salle des fêtes du Mandinet",
        town="Lognes",
        address="Boulevard du Mandinet, 77185 Lognes",
        weekday=4,  # vendredi
        opens=time(17, 30),
        closes=time(19, 30),
        households=66,
    ),
    PointSpec(
        name="Maison de quartier des Coudreaux",
        town="Chelles",
        address="Place des Coudreaux, 77500 Chelles",
        weekday=5,  # samedi
        opens=time(10),
        closes=time(12),
        households=72,
    ),
    PointSpec(
        name="Cour de l'école Jean Jaurès",
        town="Émerainville",
        address="Rue Jean Jaurès, 77184 Émerainville",
        weekday=2,  # mercredi
        opens=time(16, 30),
        closes=time(18, 30),
        households=60,
    ),
    PointSpec(
        name="Salle des fêtes de Vaires",
        town="Vaires-sur-Marne",
        address="Place de la République, 77360 Vaires-sur-Marne",
        weekday=0,  # lundi
        opens=time(18),
        closes=time(19, 30),
        households=72,
    ),
    PointSpec(
        name="Parvis de l'hôtel de ville",
        town="Pontault-Combault",
        address="107 avenue de la République, 77340 Pontault-Combault",
        weekday=2,  # mercredi
        opens=time(18),
        closes=time(19, 30),
        households=36,
        ephemeral=True,
    ),
    PointSpec(
        name="Hall du bâtiment Bienvenüe (Cité Descartes)",
        town="Champs-sur-Marne",
        address="14-20 boulevard Newton, 77420 Champs-sur-Marne",
        weekday=3,  # jeudi
        opens=time(12),
        closes=time(14),
        households=36,
        ephemeral=True,
    ),
)

# Coordinators: an e-mail slug and the points (indexes into POINTS) each one looks after.
COORDINATORS = (
    ("noisiel", (0,)),
    ("torcy", (1,)),
    ("lognes", (2,)),
    ("chelles", (3, 5)),  # Chelles and neighbouring Vaires-sur-Marne
    ("emerainville", (4, 6)),  # Émerainville and neighbouring Pontault-Combault
    ("champs", (7,)),
)
VOLUNTEERS_PER_POINT = (2, 3)


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    unit: str
    producer: str
    price_cents: int  # per kg for a product sold by weight
    sold_by: str = "piece"  # "kg": ordered and weighed in grams (docs/point-adjustments.md)
    allowance_eligible: bool = True  # False: the solidarity allowance may not pay it (docs/extras.md)


@dataclass(frozen=True)
class ProducerSpec:
    name: str
    contact: str
    cheque_payee: str


_VEGETABLES = "Les Jardins du Morbras (Roissy-en-Brie)"
_EGGS = "Ferme de la Brosse (Ferrières-en-Brie)"
_BAKER = "Fournil de la Marne (Lagny-sur-Marne)"
_DAIRY = "Ferme laitière du Petit Morin (Coulommiers)"
_MEAT = "Élevage des Prés de Brie (Tournan-en-Brie)"
_ORCHARD = "Vergers de la Brie (Doue)"
_HONEY = "Rucher du Val Maubuée (Lognes)"

PRODUCERS = (
    ProducerSpec(_VEGETABLES, "Camille Roussel", "EARL Les Jardins du Morbras"),
    ProducerSpec(_EGGS, "Julien Brossard", "GAEC de la Brosse"),
    ProducerSpec(_BAKER, "Inès Marchand", "Fournil de la Marne"),
    ProducerSpec(_DAIRY, "Paul et Odile Vasseur", "GAEC du Petit Morin"),
    ProducerSpec(_MEAT, "Thierry Lambert", "EARL des Prés de Brie"),
    ProducerSpec(_ORCHARD, "Hélène Caron", "Vergers de la Brie"),
    ProducerSpec(_HONEY, "Nadia Benali", "Nadia Benali"),
)

PRODUCTS = (
    ProductSpec("PANIER-S", "Panier de légumes S", "panier d'environ 3 kg", _VEGETABLES, 1000),
    ProductSpec("PANIER-M", "Panier de légumes M", "panier d'environ 5 kg", _VEGETABLES, 1500),
    ProductSpec("PANIER-L", "Panier de légumes L", "panier d'environ 7 kg", _VEGETABLES, 2000),
    ProductSpec("OEUFS-6", "Œufs plein air", "boîte de 6", _EGGS, 270),
    ProductSpec("OEUFS-12", "Œufs plein air", "boîte de 12", _EGGS, 500),
    ProductSpec("PAIN-500", "Pain de campagne au levain", "500 g", _BAKER, 350),
    ProductSpec("PAIN-1000", "Pain de campagne au levain", "1 kg", _BAKER, 620),
    ProductSpec("YAOURTS", "Yaourts nature au lait entier", "pack de 4 × 125 g", _DAIRY, 340),
    ProductSpec("BRIE", "Brie de Meaux fermier", "part de 300 g", _DAIRY, 720),
    ProductSpec("TOMME", "Tomme de Brie", "au poids, prix au kg", _DAIRY, 2450, sold_by="kg"),
    ProductSpec("COLIS-BOEUF", "Colis de bœuf et veau", "colis de 5 kg", _MEAT, 8900),
    ProductSpec("POMMES", "Pommes de saison", "sac de 2 kg", _ORCHARD, 560),
    ProductSpec("JUS-POMME", "Jus de pomme", "bouteille de 1 L", _ORCHARD, 380, allowance_eligible=False),
    ProductSpec("MIEL", "Miel de fleurs", "pot de 500 g", _HONEY, 1050, allowance_eligible=False),
)

BASKETS = ("PANIER-S", "PANIER-M", "PANIER-L")
BASKET_WEIGHTS = (30, 50, 20)  # how often households choose each size
BASKET_RATE = 0.95  # share of orders with a vegetable basket


@dataclass(frozen=True)
class Extra:
    """What members add to their basket: one of ``codes`` (each household has its favourite), how often."""

    codes: tuple[str, ...]
    rate: float  # probability an order includes it, when on offer
    max_quantity: int = 1
    every_weeks: int = 1  # 2 = dairy every two weeks, 4 = the monthly meat parcel


EXTRAS = (
    Extra(("OEUFS-6", "OEUFS-12"), 0.40),
    Extra(("PAIN-500", "PAIN-1000"), 0.35),
    Extra(("POMMES",), 0.25, max_quantity=2),
    Extra(("JUS-POMME",), 0.15, max_quantity=3),
    Extra(("MIEL",), 0.04),
    Extra(("YAOURTS",), 0.35, max_quantity=2, every_weeks=2),
    Extra(("BRIE", "TOMME"), 0.25, every_weeks=2),
    Extra(("COLIS-BOEUF",), 0.08, every_weeks=4),
)

WEIGHED_ESTIMATE_GRAMS = 500  # what an order of a product sold by weight asks for, per unit
WEIGHED_SPREAD_GRAMS = 60  # the scale at the point gives the estimate, give or take this


@dataclass(frozen=True)
class ContractSpec:
    """A season contract offered at some points: its products (codes) at their catalogue price per delivery."""

    name: str
    producer: str
    points: tuple[int, ...]  # indexes into ``POINTS``
    codes: tuple[str, ...]
    frequency: str  # sync.vocabulary.CONTRACT_FREQUENCIES
    payment: str  # sync.vocabulary.CONTRACT_PAYMENTS
    cheque_count: int
    absence_cap: int
    share: float  # the share of the point's active households that subscribe
    subscriptions_open: bool = False  # members may subscribe from their page


CONTRACTS = (
    ContractSpec(
        "Panier de légumes — saison d'hiver", _VEGETABLES, (0, 1, 2, 3, 5), BASKETS, "every", "per_delivery", 0, 4, 0.6
    ),
    ContractSpec(
        "Œufs — une semaine sur deux", _EGGS, (0, 1), ("OEUFS-6", "OEUFS-12"), "fortnightly", "cheques", 4, 2, 0.3
    ),
    ContractSpec(
        "Pain du Fournil — chaque semaine",
        _BAKER,
        (0,),
        ("PAIN-500", "PAIN-1000"),
        "every",
        "prepaid",
        0,
        3,
        0.25,
        True,
    ),
)
CONTRACT_WEEKS = (-6, 11)  # the season: from six weeks before this week's distribution to eleven after
CONTRACT_WAITING = 2  # households on the waiting list of the first contract at its first point
CONTRACT_NOTES = "Contrat de saison signé à l'adhésion ; panier à retirer pendant la distribution."

# The network's week at the point: extras with stock, sales, shortages (docs/demo.md)
EXTRA_POINTS = (0, 1, 3)  # the points that sell extras without a pre-order
EXTRA_STOCK = (("MIEL", 12), ("JUS-POMME", 24))
SALES_PER_DAY = (1, 3)  # sales of extras at a past distribution of an extras point
SEASON_CHEQUES_GIVEN = 0.8  # the subscribers of a contract paid by cheques who gave them all at the signing
BANKS = ("La Banque Postale", "Crédit Agricole Brie Picardie", "Crédit Mutuel", "Société Générale", "Crédit Coopératif")
CHEQUES_HANDED_WEEKS = (-4, -3)  # the coordinators handed these weeks' cheques to the producers a week later
SHORTAGES = (  # (week, point, product code, share delivered): one not delivered at all, one delivered short
    (-2, 1, "POMMES", 0.0),
    (-1, 0, "PAIN-1000", 0.6),
)
# (week, point, product code, substitute's code): the farm short of medium baskets gives small ones at their price
SUBSTITUTIONS = ((-1, 2, "PANIER-M", "PANIER-S"),)

ORDER_RATE = (0.78, 0.96)  # each active household orders most weeks, at its own steady rate
STATUS_WEIGHTS = (("active", 94), ("suspended", 3), ("left", 3))
NO_EMAIL_RATE = 0.04  # members without e-mail: they get a printed card
HOUSEHOLD_NOTES = (
    "Pas d'adresse e-mail : carte imprimée remise à l'adhésion.",
    "Récupère aussi le panier de sa voisine.",
    "Vient à vélo : préfère un sac plutôt qu'une caisse.",
    "Règle habituellement par chèque, un par producteur.",
    "Souvent en retard le mardi, prévenir la permanence.",
)

PREPAID_SHARE = 0.30  # households with a prepaid account
PREPAID_TOP_UPS = (2000, 3000, 5000, 10000)
# A subscriber of a contract paid from the prepaid account (the bread) puts the season on it when signing: 18
# weekly loaves of 1 kg at 6,20 € are 111,60 €.
CONTRACT_PREPAID_CENTS = 12000
CONTRACT_PREPAID_REASON = "Versement à la signature du contrat « Pain du Fournil » (payé sur le compte prépayé)"
PREPAID_REASONS = (
    "Versement par chèque",
    "Versement par virement",
    "Versement en espèces à la permanence",
    "Versement par carte bancaire",
)
ALLOWANCE_MONTHLY_CENTS = 5000
ALLOWANCE_MONTHS = 3  # the current month and the two before


@dataclass(frozen=True)
class NameGroup:
    """First and last names that often go together; ``weight`` is the group's share of households."""

    weight: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


MIXED_NAME_RATE = 0.08  # first and last names drawn from different groups


NAME_GROUPS = (
    NameGroup(
        54,
        _names(
            "Marie, Sophie, Camille, Julie, Claire, Isabelle, Nathalie, Céline, Aurélie, Émilie, Élodie, "
            "Sandrine, Laure, Hélène, Anne, Catherine, Valérie, Chloé, Léa, Manon, Lucie, Pauline, Mathilde, "
            "Margaux, Juliette, Agathe, Océane, Morgane, Gaëlle, Brigitte, Monique, Françoise, Martine, "
            "Sylvie, Véronique, Christine, Anne-Sophie, Marie-Claire, Jean, Pierre, Nicolas, Julien, Thomas, "
            "Sébastien, Mathieu, Antoine, François, Laurent, Stéphane, Olivier, Philippe, David, Christophe, "
            "Frédéric, Benoît, Vincent, Guillaume, Romain, Maxime, Hugo, Lucas, Théo, Louis, Paul, Arthur, "
            "Jérôme, Thierry, Patrick, Gérard, Alain, Michel, Yves, Didier, Cédric, Damien, Kévin, Loïc, "
            "Yannick, Jean-Luc, Jean-Marc"
        ),
        _names(
            "Martin, Bernard, Thomas, Petit, Robert, Richard, Durand, Dubois, Moreau, Laurent, Simon, Michel, "
            "Lefebvre, Leroy, Roux, David, Bertrand, Morel, Fournier, Girard, Bonnet, Dupont, Lambert, "
            "Fontaine, Rousseau, Vincent, Muller, Lefèvre, Faure, André, Mercier, Blanc, Guérin, Boyer, "
            "Garnier, Chevalier, François, Legrand, Gauthier, Perrin, Robin, Clément, Morin, Nicolas, Henry, "
            "Roussel, Mathieu, Masson, Marchand, Duval, Denis, Dumont, Lemaire, Noël, Meyer, Dufour, Meunier, "
            "Brun, Blanchard, Giraud, Joly, Rivière, Lucas, Brunet, Gaillard, Barbier, Arnaud, Roche, Renard, "
            "Schmitt, Roy, Leroux, Colin, Vidal, Caron, Picard, Fabre, Aubert, Lemoine, Renaud, Dumas, "
            "Lacroix, Bourgeois, Rolland, Leclerc, Lecomte, Dupuy, Guillot, Hubert, Berger, Carpentier, "
            "Dupuis, Moulin, Deschamps, Huet, Vasseur, Boucher, Fleury, Royer, Klein, Jacquet, Poirier, Marty, "
            "Aubry, Carré, Charpentier, Ménard, Maillard, Baron, Bailly, Hervé, Le Gall, Prévost, Le Roux, "
            "Le Goff, Pelletier, Lévêque, Lebrun, Weber, Hamon, Boulanger, Tessier, Delaunay"
        ),
    ),
    NameGroup(
        15,
        _names(
            "Karim, Mohamed, Mehdi, Nadia, Samira, Fatima, Yasmina, Rachid, Sofiane, Amina, Leïla, Nabil, "
            "Yacine, Malika, Hakim, Djamila, Farid, Samir, Naïma, Zineb, Youssef, Ilyes, Sarah, Inès, Rayan, "
            "Kenza"
        ),
        _names(
            "Benali, Haddad, Belkacem, Bouzid, Mansouri, Cherif, Amrani, Saïdi, Khelifi, Benmoussa, "
            "El Idrissi, Ouali, Hamidi, Brahimi, Mebarki, Ziani, Bensaïd, Taleb, Boukhari, Lahlou"
        ),
    ),
    NameGroup(
        11,
        _names(
            "Fatou, Aminata, Mariama, Awa, Moussa, Mamadou, Ibrahima, Oumar, Seydou, Aïssatou, Kadiatou, "
            "Boubacar, Adama, Binta, Grâce, Christelle, Espérance, Jean-Baptiste, Armel, Prisca"
        ),
        _names(
            "Diallo, Traoré, Diop, Ndiaye, Sow, Konaté, Cissé, Keïta, Camara, Coulibaly, Touré, Sylla, Mendy, "
            "Fofana, Bamba, Kouassi, Mbemba, Kabongo, Nguema, N'Diaye"
        ),
    ),
    NameGroup(
        7,
        _names("João, Ana, Manuel, Rui, Catarina, Tiago, Carlos, Inês, Paulo, Sofia, José, Lucia"),
        _names(
            "Ferreira, Pereira, Rodrigues, Lopes, Gonçalves, Fernandes, Santos, Oliveira, Costa, Carvalho, "
            "Da Silva, Martins, Garcia, Martinez, Lopez"
        ),
    ),
    NameGroup(
        5,
        _names("Linh, Minh, Thanh, Mei, Wei, Li, Sophea, Vanna, Hoa, Jun, Kim, Thi Lan"),
        _names("Nguyen, Tran, Le, Pham, Chen, Wang, Lin, Zhang, Sok, Hoang, Vo, Liu"),
    ),
    NameGroup(
        4,
        _names("Ludovic, Murielle, Jocelyne, Rose-Marie, Fabrice, Sully, Marie-Line, Teddy, Nadège, Wilfried"),
        _names("Payet, Hoarau, Grondin, Pierre-Louis, Saint-Fleur, Joseph, Jean-Baptiste, Calixte"),
    ),
    NameGroup(
        2, _names("Ayşe, Mehmet, Elif, Emre, Zeynep, Murat"), _names("Yilmaz, Kaya, Demir, Öztürk, Şahin, Çelik")
    ),
    NameGroup(
        2,
        _names("Ioana, Andrei, Mihai, Natalia, Piotr, Katarzyna, Elena, Bogdan"),
        _names("Popescu, Ionescu, Dumitru, Kowalski, Nowak, Wiśniewski, Popa"),
    ),
    NameGroup(
        2,
        _names("Priya, Rajesh, Kavitha, Arun, Lakshmi, Suresh"),
        _names("Selvam, Rajendran, Krishnan, Murugan, Sivakumar"),
    ),
)


# The past distributions, played by simulated phones (server/demo/past.py).
TWO_PHONES_FROM = 70  # points with at least this many households use two phones
DOUBLE_HANDOVER_WEEKS = (-4, -3, -1)  # one double hand-over by two phones in each; only the latest is left open
DOUBLE_HANDOVER_COMMENT = (
    "Vérifié avec l'équipe : le panier n'est parti qu'une fois. La seconde remise et son paiement en espèces sont "
    "annulés, les espèces rendues au membre la semaine suivante."
)
ABSENT_RATE = (0.06, 0.14)  # share of members who do not come, drawn per distribution
OUTCOME_WEIGHTS = (94, 4, 2)  # of those who come: all, partial, refused
SHORTAGE_NOTES = (
    "Un article manquait à la livraison : il sera déduit.",
    "Produit cassé pendant le transport, non remis.",
    "Rupture chez le producteur cette semaine.",
)
# How a rest is paid, when the accounts do not cover it: cheques are common in AMAPs.
METHOD_WEIGHTS = (("cheque", 38), ("cash", 27), ("card", 27), ("transfer", 8))
PREPAID_USE_RATE = 0.85  # a household with a prepaid account pays from it most weeks
UNPAID_RATE = 0.02  # collected and not paid at the point (paid later, or forgotten)
CORRECTED_RATE = 0.03  # a cash payment typed wrong, undone (void) and typed again
CASH_FLOATS = (3000, 5000, 5000, 8000)  # opening float of a phone's cash box
CASH_GAP_RATE = 0.15  # closing counts that do not match what the phone expects
CASH_GAPS = (-500, -200, -100, -50, -20, 20, 100)
# Last week's busiest point had a rough day: a cash box short beyond the dashboard's threshold, and its second phone
# went home with actions it never sent (it holds the pack and says so): the dashboard has something of each kind.
ROUGH_DAY_CASH_GAP = -1250
ROUGH_DAY_UNSENT = 2
LOW_BALANCE_CENTS = 500  # the dashboard lists prepaid and allowance balances under 5,00 €
SCAN_REFUSALS_WEIGHTS = (60, 30, 10)  # 0, 1 or 2 refused scans in a distribution
SCAN_REFUSALS = (("unknown_member", 3), ("revoked", 2), ("not_expected", 3), ("bad_signature", 1), ("malformed", 1))
NOTE_RATE = 0.3
DAY_NOTES = (
    "Plus de sacs kraft, prévoir pour la semaine prochaine.",
    "Livraison des légumes arrivée avec 20 minutes de retard.",
    "Deux paniers M de trop : donnés à l'épicerie solidaire.",
    "La clé de la salle est chez la gardienne, pas dans la boîte.",
    "Penser à rapporter les caisses vides au producteur.",
)
TOP_UP_RATE = 0.35  # a member credits their prepaid account at the point, by cheque
TODAY_CLOSES = time(23, 30)  # today's distributions stay open late, so a newcomer can do the day in the evening
TODAY_NOTE = (
    "Distribution de démonstration : ouverte jusqu'à 23 h 30 pour que vous puissiez la faire vous-même "
    "depuis un téléphone."
)
