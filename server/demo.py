"""Demo data: a believable sales team and customer base in Auvergne-Rhône-Alpes.

:func:`generate` is pure: from a seed, a clock and the packaged La Poste
communes it builds model objects without touching the database, so one seed
gives one base (ids included) and tests can compare outputs. :func:`seed_demo`
checks that the database is empty and inserts them.

Dates are drawn as offsets from the clock, so the base always looks current;
the same seed gives the same people and accounts on any day, only their dates
move (and, for a given day, everything is the same).

The people, companies, SIRETs and phone numbers are invented; the numbers are
valid in form (Luhn, numbering plan) but are not known to be unassigned.
"""

from __future__ import annotations

import itertools
import math
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from stdnum import luhn

from routing.communes import Commune, display_name, load_communes

from .accounts.models import Account, StatusChange
from .auth.models import Role, Team, User
from .auth.passwords import hash_password
from .contacts.models import Consent, Contact
from .dbfuncs import fold
from .dbtypes import utcnow
from .enums import (
    AccountKind,
    Channel,
    Civility,
    ConsentPurpose,
    ConsentState,
    GeocodePrecision,
    HeadcountBand,
    Initiator,
    InteractionKind,
    InteractionStatus,
    LifecycleStatus,
    OpportunityStage,
    Outcome,
)
from .extensions import db
from .followups.models import FollowUp
from .interactions.models import Interaction
from .notes.models import Note
from .opportunities.models import Opportunity
from .orders.models import Order
from .plans.models import DEFAULT_PROFILE, RepProfile
from .records import SyncedRecord

#: Password of every demo user (the demo is public by nature: never reuse it).
DEMO_PASSWORD = "tournee-demo"
DEMO_DOMAIN = "demo.tournee.fr"
REGION = "Auvergne-Rhône-Alpes"
GEOCODE_SOURCE = "laposte-communes"
#: Accounts (with everything under them) inserted per flush.
CHUNK = 150
PARIS = ZoneInfo("Europe/Paris")

T = TypeVar("T")
S = LifecycleStatus


class DemoError(Exception):
    """The demo base cannot be seeded here (the database has users, or no schema)."""


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class DemoUser:
    """One fixed demo login; reps come with the départements they cover."""

    first_name: str
    last_name: str
    role: Role
    territory: str | None = None
    departements: tuple[str, ...] = ()
    #: INSEE code of the commune where the rep's day starts and ends (tour planning).
    home: str | None = None

    @property
    def name(self) -> str:
        """Display name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self) -> str:
        """``prenom.nom@demo.tournee.fr``, accent-free."""
        return f"{_slug(self.first_name)}.{_slug(self.last_name)}@{DEMO_DOMAIN}"


DEMO_USERS = (
    DemoUser("Claire", "Rousseau", Role.ADMIN),
    DemoUser("Laurent", "Girard", Role.MANAGER),
    DemoUser("Camille", "Martin", Role.REP, "Lyon, Ain et Loire", ("69", "01", "42"), "69383"),
    DemoUser(
        "Julien",
        "Fabre",
        Role.REP,
        "Alpes et vallée du Rhône",
        ("38", "73", "74", "26", "07"),
        "38185",
    ),
    DemoUser("Sophie", "Chassagne", Role.REP, "Auvergne", ("03", "15", "43", "63"), "63113"),
)
TEAM_NAME = REGION


def demo_logins() -> list[tuple[str, str]]:
    """The demo e-mails and roles (fixed, so they can be shown without the database)."""
    return [(user.email, user.role.value) for user in DEMO_USERS]


# ------------------------------------------------------------------- vocabulary


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words of ``text`` (compact vocabulary lists)."""
    return tuple(text.split())


def _lines(text: str) -> tuple[str, ...]:
    """Non-blank stripped lines of ``text``, one phrase per line."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


LAST_NAMES = _words("""
    Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent
    Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier
    Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller
    Henry Roussel Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin
    Masson Sanchez Brun Chambon Vialle Bonnefoy Rouchon Ducret Perrier Berthet Jacquet Chapuis
    Fayolle Brunel Teyssier Chabert Gaillard Cartier Besson Vidal Magnin Reynaud Pélissier
    Mounier Dufour Tardy Ferrand Pichon Collomb Dumas Chatelain Rey Guillot Pernet Vernay Bouvier
""")
FIRST_NAMES_F = _words("""
    Marie Nathalie Isabelle Sylvie Catherine Sandrine Valérie Christine Céline Stéphanie Sophie
    Aurélie Julie Émilie Caroline Camille Laure Audrey Élodie Claire Anne Virginie Lucie Manon
    Chloé Pauline Léa Mathilde Agnès Hélène Brigitte Martine Inès Sarah
""")
FIRST_NAMES_M = _words("""
    Jean Philippe Michel Alain Nicolas Christophe Pierre Patrick Laurent Sébastien Frédéric
    Julien Olivier Stéphane David Thierry Éric Guillaume Jérôme Vincent François Antoine Romain
    Thomas Maxime Hugo Bruno Pascal Didier Benoît Yannick Mathieu Karim
""")
QUARTERS = _words("Centre Marché Parc Pont Château Lac Théâtre Port Moulin")
PLACES = _words("Prés Sapins Hauts Bruyères Combes Fontaines Chênes Tilleuls")
RESTAURANTS = ("Relais", "Vieux Moulin", "Cellier", "Comptoir", "Tilleul", "Panorama", "Fournil")
PROVIDERS = _words("orange.fr wanadoo.fr gmail.com free.fr sfr.fr laposte.net")
#: Legal forms (with weights) by company size: SA only for the large ones.
SMALL_FORMS = (("SARL", 45), ("EURL", 20), ("SAS", 20), ("SASU", 15))
MID_FORMS = (("SARL", 50), ("SAS", 50))
LARGE_FORMS = (("SAS", 70), ("SA", 30))

CENTRE_STREETS = _lines("""
    rue de la République
    rue Victor Hugo
    avenue Jean Jaurès
    place de l'Église
    Grande Rue
    rue du Commerce
    rue Gambetta
    rue Pasteur
    avenue de la Gare
    place du Marché
    rue Nationale
    rue des Écoles
    boulevard Carnot
    rue du 8 Mai 1945
    rue de la Mairie
    rue Émile Zola
    rue Jules Ferry
    cours de la Libération
    rue Voltaire
    place de la Mairie
""")
ZONE_STREETS = _lines("""
    rue de l'Industrie
    avenue des Frères Lumière
    rue Ampère
    rue Denis Papin
    chemin des Carrières
    rue de l'Artisanat
    allée des Forges
    rue du Stade
""")
ZONES = ("ZA des Prés", "ZI de la Plaine", "ZA du Grand Champ", "ZA les Plantées", "ZI Nord")
RURAL_STREETS = _lines("""
    route de la Gare
    chemin des Vignes
    impasse des Tilleuls
    montée du Château
    chemin du Moulin
    route des Crêtes
    rue du Lavoir
    chemin de la Croix
""")
HOME_STREETS = _lines("""
    allée des Tilleuls
    impasse des Lilas
    chemin du Moulin
    rue des Acacias
    rue des Jardins
    avenue des Sports
    rue des Rosiers
    allée des Érables
""")

# The tables below read best packed one entry per line; keep the formatter off them.
# fmt: off

# Big towns get extra weight in the draw of account positions (INSEE -> weight;
# every other commune of the region weighs RURAL_WEIGHT): reps' bases concentrate
# where people and shops do, with a rural long tail.
TOWN_WEIGHTS: dict[str, float] = {
    **{f"6938{i}": 40.0 for i in range(1, 10)},  # Lyon arrondissements
    "69266": 60, "69259": 22, "69034": 15, "69029": 15, "69256": 18, "69290": 15,  # Lyon area
    "69282": 10, "69286": 10, "69275": 10, "69149": 10, "69081": 8, "69244": 8, "69091": 8,
    "69264": 22, "01053": 30, "01283": 16, "01004": 10,  # Villefranche, Bourg, Oyonnax...
    "42218": 100, "42187": 30, "42207": 14, "42095": 10, "42147": 12,  # Saint-Étienne, Roanne
    "38185": 120, "38151": 25, "38421": 20, "38229": 12, "38544": 22, "38563": 15,  # Grenoble
    "38053": 20, "74010": 55, "74281": 20, "74012": 20, "74056": 10, "74081": 10,  # Annecy...
    "73065": 50, "73008": 20, "73011": 15, "73248": 8, "73227": 6,  # Chambéry, Savoie
    "26362": 50, "26058": 10, "26198": 25, "26281": 20,  # Valence, Montélimar, Romans
    "07186": 10, "07019": 15, "07010": 15,  # Privas, Aubenas, Annonay
    "63113": 120, "63124": 12, "63075": 12, "63014": 10, "63300": 15, "63178": 10,  # Clermont
    "63430": 10, "03310": 25, "03095": 10, "03185": 25, "03190": 20, "03321": 8,  # Allier
    "15014": 25, "15187": 8, "43157": 25,  # Aurillac, Saint-Flour, Le Puy-en-Velay
}
RURAL_WEIGHT = 0.5

#: Local 04 prefixes (after +33) of each département's landlines.
LANDLINE_PREFIXES = {
    "01": ("474",), "03": ("470",), "07": ("475",), "15": ("471",), "26": ("475",),
    "38": ("476", "474"), "42": ("477",), "43": ("471",), "63": ("473",),
    "69": ("472", "478"), "73": ("479",), "74": ("450",),
}

# Headcount bands (with draw weights) of small, medium and large customers.
SMALL = ((HeadcountBand.NONE, 5), (HeadcountBand.B1_2, 30), (HeadcountBand.B3_5, 35),
         (HeadcountBand.B6_9, 20), (HeadcountBand.B10_19, 10))
MEDIUM = ((HeadcountBand.B6_9, 20), (HeadcountBand.B10_19, 35), (HeadcountBand.B20_49, 30),
          (HeadcountBand.B50_99, 10), (HeadcountBand.B100_199, 5))
LARGE = ((HeadcountBand.B20_49, 30), (HeadcountBand.B50_99, 35), (HeadcountBand.B100_199, 20),
         (HeadcountBand.B200_249, 8), (HeadcountBand.B250_499, 7))
#: A typical headcount within each band, to size revenue, orders and deals.
BAND_HEADCOUNT = {
    HeadcountBand.NONE: 1, HeadcountBand.B1_2: 2, HeadcountBand.B3_5: 4, HeadcountBand.B6_9: 8,
    HeadcountBand.B10_19: 14, HeadcountBand.B20_49: 32, HeadcountBand.B50_99: 70,
    HeadcountBand.B100_199: 140, HeadcountBand.B200_249: 225, HeadcountBand.B250_499: 350,
}

# Job titles (masculine, feminine); the first one is the primary contact's.
SHOP_TITLES = (("Gérant", "Gérante"), ("Co-gérant", "Co-gérante"),
               ("Responsable de magasin", "Responsable de magasin"), ("Vendeur", "Vendeuse"))
TRADE_TITLES = (("Gérant", "Gérante"), ("Chef d'équipe", "Cheffe d'équipe"),
                ("Secrétaire", "Secrétaire"), ("Conducteur de travaux", "Conductrice de travaux"))
OFFICE_TITLES = (("Directeur", "Directrice"), ("Responsable achats", "Responsable achats"),
                 ("Assistant de direction", "Assistante de direction"),
                 ("Services généraux", "Services généraux"))
INDUSTRY_TITLES = (("Directeur général", "Directrice générale"),
                   ("Responsable achats", "Responsable achats"), ("Acheteur", "Acheteuse"),
                   ("Responsable maintenance", "Responsable maintenance"),
                   ("Directeur de production", "Directrice de production"))
FARM_TITLES = (("Exploitant", "Exploitante"), ("Associé", "Associée"))
CARE_TITLES = (("Directeur", "Directrice"),
               ("Infirmier coordinateur", "Infirmière coordinatrice"),
               ("Responsable hôtellerie", "Responsable hôtellerie"), ("Économe", "Économe"))
# fmt: on


@dataclass(frozen=True)
class Sector:
    """A kind of customer: how it is named, coded, sized, opened, staffed and where it is."""

    naf: str
    #: Name templates separated by "|": {last}, {town}, {quarter}, {place}, {restaurant},
    #: {first_f}, {first_m}.
    names: str
    share: float
    hours: str
    sizes: tuple[tuple[HeadcountBand, int], ...]
    titles: tuple[tuple[str, str], ...]
    #: centre, zone or rural: which street list the address comes from.
    premises: str
    departements: tuple[str, ...] | None = None
    legal_form_rate: float = 0.35

    @property
    def templates(self) -> tuple[str, ...]:
        """The name templates."""
        return tuple(t.strip() for t in self.names.split("|"))


# fmt: off
SECTORS = (
    Sector("10.71C", "Boulangerie {last} | Boulangerie-Pâtisserie {last} | Maison {last} | "
           "Boulangerie du {quarter} | Au Fournil de {town}",
           10, "bakery", SMALL, SHOP_TITLES, "centre"),
    Sector("47.22Z", "Boucherie {last} | Boucherie-Charcuterie du {quarter} | "
           "Maison {last} Traiteur", 5, "shop", SMALL, SHOP_TITLES, "centre"),
    Sector("47.29Z", "Fromagerie {last} | Crèmerie du {quarter} | La Cave à Fromages",
           3, "shop", SMALL, SHOP_TITLES, "centre"),
    Sector("47.11C", "Épicerie {last} | Épicerie du {quarter} | Le Panier de {town} | "
           "Alimentation {last}", 5, "shop", SMALL, SHOP_TITLES, "centre"),
    Sector("47.25Z", "Cave {last} | La Cave de {town} | Les Vins du {quarter}",
           3, "shop", SMALL, SHOP_TITLES, "centre"),
    Sector("47.73Z", "Pharmacie du {quarter} | Pharmacie {last} | Pharmacie de la Gare | "
           "Grande Pharmacie de {town}", 8, "pharmacy", SMALL, SHOP_TITLES, "centre",
           legal_form_rate=0.0),  # pharmacies are SELARL or SNC, none of our forms
    Sector("47.76Z", "Fleurs {last} | L'Atelier Floral | Au Jardin de {first_f}",
           3, "shop", SMALL, SHOP_TITLES, "centre"),
    Sector("96.02A", "Coiffure {first_f} | Salon {last} | L'Atelier Coiffure | "
           "Studio {first_f} Coiffure", 4, "shop", SMALL, SHOP_TITLES, "centre"),
    Sector("56.10A", "Restaurant Le {restaurant} | Bistrot {last} | Auberge de {town} | "
           "La Table de {first_m} | Brasserie du {quarter}",
           9, "restaurant", SMALL, SHOP_TITLES, "centre"),
    Sector("55.10Z", "Hôtel de la Poste | Hôtel du {quarter} | Hôtel {last} | "
           "Le Relais de {town}", 4, "hotel", MEDIUM, OFFICE_TITLES, "centre"),
    Sector("45.20A", "Garage {last} | Garage du {quarter} | Auto Services {town} | "
           "Carrosserie {last}", 7, "garage", SMALL, TRADE_TITLES, "zone"),
    Sector("45.20A", "Garage des Alpes | Garage du Mont-Blanc | Alpes Auto Services",
           1, "garage", SMALL, TRADE_TITLES, "zone", ("38", "73", "74")),
    Sector("43.22A", "{last} Plomberie Chauffage | {last} et Fils | Chauffage Sanitaire {town}",
           5, "trade", SMALL, TRADE_TITLES, "zone"),
    Sector("43.21A", "{last} Électricité | Élec {town} | {last} Électricité Générale",
           4, "trade", SMALL, TRADE_TITLES, "zone"),
    Sector("43.32A", "Menuiserie {last} | Atelier Bois {town} | {last} Menuiserie Agencement",
           3, "trade", SMALL, TRADE_TITLES, "zone"),
    Sector("43.99C", "Maçonnerie {last} | {last} Bâtiment | Entreprise {last} Frères",
           3, "trade", MEDIUM, TRADE_TITLES, "zone"),
    Sector("69.20Z", "Cabinet {last} | {last} & Associés | Fiduciaire de {town}",
           3, "office", MEDIUM, OFFICE_TITLES, "centre", legal_form_rate=0.5),
    Sector("62.02A", "{last} Informatique | {town} Informatique Services | Numérique {town}",
           2, "office", SMALL, OFFICE_TITLES, "zone", legal_form_rate=0.6),
    Sector("25.62B", "{last} Mécanique | Mécanique de Précision {town} | Usinage {last} | "
           "Ateliers {last}", 4, "industry", LARGE, INDUSTRY_TITLES, "zone",
           legal_form_rate=0.8),
    Sector("22.29A", "Plastiques {last} | {town} Plasturgie | Injection {last}",
           2, "industry", LARGE, INDUSTRY_TITLES, "zone", ("01", "69", "42", "38"), 0.8),
    Sector("49.41A", "Transports {last} | {last} Logistique | Transports {last} et Fils",
           3, "industry", MEDIUM, INDUSTRY_TITLES, "zone", legal_form_rate=0.7),
    Sector("87.10A", "EHPAD Les {place} | Résidence Les {place} | EHPAD de {town}",
           2, "care", LARGE, CARE_TITLES, "centre", legal_form_rate=0.0),
    Sector("01.41Z", "GAEC {last} | GAEC des {place} | EARL {last}",
           4, "farm", SMALL, FARM_TITLES, "rural",
           ("01", "03", "15", "43", "63", "73", "74", "42", "38"), 0.0),
    Sector("01.21Z", "Domaine {last} | Domaine des {place} | Vignobles {last}",
           3, "farm", SMALL, FARM_TITLES, "rural", ("69", "26", "07", "01", "73"), 0.2),
    Sector("47.64Z", "{town} Sports | Glisse {last} | Altitude Sports",
           2, "shop", SMALL, SHOP_TITLES, "centre", ("73", "74", "38")),
)
# fmt: on

# What the demo distributor sells: consumables, packaging, hygiene and small equipment.
PRODUCTS = _lines("""
    emballages alimentaires
    produits d'entretien
    consommables d'hygiène
    sacs kraft
    gants nitrile
    essuie-mains
    lessives professionnelles
    petits équipements de nettoyage
    vêtements de travail
    barquettes compostables
    rouleaux de papier thermique
    désinfectants
""")
# Invented names: the demo should not say anything about real companies.
COMPETITORS = _lines("""
    Rhône Fournitures
    Alpes Hygiène Pro
    Groupe Dauphin Distribution
    ProNégoce
    Central'Emballage
    Hygiène Services Auvergne
    Sud-Est Consommables
""")
VISIT_SUBJECTS = _lines("""
    Visite de suivi
    Présentation nouvelle gamme
    Point réassort
    Bilan annuel
    Démonstration produit
    Relance devis
    Point tarifs
""")
PROSPECT_SUBJECTS = _lines("""
    Visite découverte
    Présentation de l'entreprise
    Démonstration produit
    Relance devis
    Point sur le besoin
""")
CLIENT_SUMMARIES = _lines("""
    Rencontré {contact}. Stock bas en {product}, réassort à prévoir sous quinze jours.
    Tour du magasin avec {contact} : les {product} partent bien, commande passée sur place.
    Point sur les dernières livraisons, rien à signaler. {contact} satisfait(e) des délais.
    Présentation des nouveautés {product} ; {contact} veut tester avant de commander.
    Bilan de l'année avec {contact} : volumes en hausse, demande un geste sur les {product}.
    Réclamation sur une livraison incomplète ({product}), avoir promis. Relation restée bonne.
    Démonstration avec l'équipe ({product}), bons retours. Commande groupée le mois prochain.
""")
PROSPECT_SUMMARIES = _lines("""
    Premier rendez-vous avec {contact} : présentation de l'entreprise et de nos livraisons.
    {contact} achète ses {product} en grande surface ; intéressé(e) par la livraison sur place.
    Échantillons déposés ({product}). {contact} les fera essayer à l'équipe.
    Discussion ouverte avec {contact} sur les {product}, attend une proposition chiffrée.
    Visite rapide, {contact} très occupé(e) ; catalogue laissé, à revoir dans un mois.
    Comparatif de prix sur les {product} présenté à {contact}, écart jugé raisonnable.
""")
CALL_SUMMARIES = _lines("""
    Appel à {contact} pour caler la prochaine visite.
    {contact} appelle pour une commande urgente : {product}.
    Relance téléphonique du devis {product} ; réponse attendue en fin de semaine.
    Échange avec {contact} sur un retard de livraison, nouvelle date confirmée.
    Appel de courtoisie, pas de besoin immédiat en {product}.
""")
EMAIL_SUMMARIES = _lines("""
    Envoi du catalogue {product} et des tarifs de l'année à {contact}.
    Devis {product} envoyé à {contact}.
    {contact} demande une copie de facture ; envoyée.
    Confirmation écrite de la commande ({product}).
""")
SALON_SUMMARIES = ("Rencontré(e) {contact} sur notre stand, intéressé(e) par les {product}.",)
OBJECTIONS = _lines("""
    Trouve nos prix 8 % plus chers que son fournisseur actuel.
    Délais de livraison jugés trop longs l'hiver dans les zones de montagne.
    Engagé avec un concurrent jusqu'à la fin de son contrat.
    Pas de budget avant le prochain exercice.
    Minimum de commande trop élevé pour sa taille.
    Mauvaise expérience passée avec notre transporteur.
    Préfère commander en ligne, ne voit pas l'intérêt d'un passage régulier.
""")
MOTIVATIONS = _lines("""
    Cherche un fournisseur local et réactif.
    Veut réduire ses emballages plastiques.
    Sensible à la livraison en 48 h.
    Intéressé par un prix ferme sur l'année.
    Souhaite regrouper ses achats chez un seul fournisseur.
    Apprécie le passage régulier du commercial.
    A besoin de produits conformes HACCP pour son prochain contrôle.
""")
NEXT_STEPS = _lines("""
    Envoyer le devis sous huit jours.
    Rappeler début du mois prochain.
    Déposer des échantillons au prochain passage.
    Planifier une démonstration.
    Préparer la commande de réassort.
    Faire valider les tarifs par le responsable.
""")
FOLLOWUP_REASONS = _lines("""
    Rappeler pour la réponse au devis
    Envoyer la plaquette de la nouvelle gamme
    Confirmer le rendez-vous de la semaine prochaine
    Proposer une démonstration
    Relancer après dépôt des échantillons
    Préparer l'offre de fin d'année
    Vérifier la bonne réception de la livraison
    Demander les besoins du prochain trimestre
""")
OPPORTUNITY_TITLES = _lines("""
    Contrat annuel consommables {year}
    Équipement hygiène des locaux
    Renouvellement gamme emballages
    Ouverture d'un second point de vente
    Référencement gamme éco-responsable
    Remplacement de l'autolaveuse
    Dotation vêtements de travail
    Passage en livraison hebdomadaire
""")
NOTES = _lines("""
    Se garer sur la place de la mairie, la rue est en zone piétonne.
    Préfère être appelé le matin avant 10 h.
    Fermeture annuelle les trois premières semaines d'août.
    Le gérant part à la retraite l'an prochain : reprise prévue par sa fille.
    Livraisons uniquement par l'arrière du bâtiment, sonner au quai.
    Ne pas passer le jour du marché, impossible de se garer.
    Très attentif aux prix : toujours venir avec le comparatif.
    Projet d'agrandissement des locaux au printemps.
""")
CONSENT_SOURCES = _lines("""
    formulaire de visite
    appel téléphonique
    formulaire web
    bon de commande
    salon professionnel
""")

LADDER = (S.SUSPECT, S.PROSPECT_COLD, S.PROSPECT_WARM, S.PROSPECT_HOT, S.CLIENT)
#: Start times (minutes after midnight) of a rep's planned visits: six a day at most.
VISIT_SLOTS = (8 * 60 + 30, 9 * 60 + 45, 11 * 60, 14 * 60, 15 * 60 + 15, 16 * 60 + 30)
#: Share of each status in the base (clients the largest).
STATUS_MIX = (
    (S.SUSPECT, 12), (S.PROSPECT_COLD, 12), (S.PROSPECT_WARM, 10), (S.PROSPECT_HOT, 6),
    (S.CLIENT, 42), (S.PARTNER, 6), (S.FORMER_CLIENT, 12),
)  # fmt: skip
ACTIVE = (S.CLIENT, S.PARTNER)
PROSPECTS = (S.PROSPECT_COLD, S.PROSPECT_WARM, S.PROSPECT_HOT)
STAGE_PROBABILITY = {
    OpportunityStage.QUALIFICATION: (10, 20),
    OpportunityStage.PROPOSAL: (30, 40, 50),
    OpportunityStage.NEGOTIATION: (60, 70, 80),
    OpportunityStage.WON: (100,),
    OpportunityStage.LOST: (0,),
}


# ------------------------------------------------------------------- the output


@dataclass
class AccountRows:
    """One account and every row under it, in insertion order."""

    account: Account
    status_changes: list[StatusChange] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def insert_groups(self) -> tuple[list[Any], ...]:
        """Rows in groups that only reference earlier groups (foreign keys)."""
        return (
            [self.account],
            [*self.status_changes, *self.contacts],
            [*self.consents, *self.interactions, *self.orders, *self.opportunities],
            [*self.followups, *self.notes],
        )


@dataclass
class DemoBase:
    """Everything the demo inserts, built without a database."""

    team: Team
    users: list[User]
    accounts: list[AccountRows]
    #: How each rep works, for the tour planner (docs/planning.md).
    profiles: list[RepProfile] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of rows per kind, in a readable order."""
        counts = {"users": len(self.users), "accounts": len(self.accounts)}
        for name in (
            "contacts",
            "consents",
            "interactions",
            "orders",
            "opportunities",
            "followups",
            "notes",
            "status_changes",
        ):
            counts[name] = sum(len(getattr(rows, name)) for rows in self.accounts)
        return counts


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`seed_demo` inserted, and how to log in."""

    counts: dict[str, int]
    logins: list[tuple[str, str]]
    seconds: float

    def describe(self) -> str:
        """Row counts per kind, one per line."""
        width = max(len(f"{n:,}") for n in self.counts.values())
        lines = [f"Demo base seeded in {self.seconds:.1f} s:"]
        lines += [f"  {n:>{width},} {kind.replace('_', ' ')}" for kind, n in self.counts.items()]
        return "\n".join(lines)


# ------------------------------------------------------------------- generation


def _slug(text: str, sep: str = "-") -> str:
    """Accent-free lower-case ASCII words joined by ``sep`` ("Élodie Dupré" -> "elodie-dupre")."""
    folded = fold(text)
    for separator in "'&-":
        folded = folded.replace(separator, " ")
    words = ["".join(c for c in w if c.isalnum()) for w in folded.split()]
    return sep.join(w for w in words if w)


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    """Draw one value of ``(value, weight)`` pairs."""
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _money(value: float) -> Decimal:
    """Euros with cents."""
    return Decimal(f"{value:.2f}")


def _weekday(day: date) -> date:
    """``day``, or the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@dataclass
class _Timeline:
    """The status history of one account, as days before today."""

    created_days: int
    steps: list[tuple[S, int]]  # (status reached, days ago), oldest first, creation included
    client_since: int | None = None
    lost_days: int | None = None

    def status_at(self, days_ago: float) -> S:
        """The account's status ``days_ago`` days ago."""
        status = self.steps[0][0]
        for step, at in self.steps:
            if at >= days_ago:
                status = step
        return status


class _Generator:
    """Draws the demo base; every draw goes through ``self.rng``.

    The base-wide draws (people, positions) come from the seed's generator, then
    each account gets a generator of its own, seeded from it. The day moves dates
    around weekends and "is it overdue yet" checks, which changes how many draws
    an account takes; with one generator per account, that never reshuffles the
    accounts after it, so a seed keeps its accounts from one day to the next.
    """

    def __init__(self, seed: int, now: datetime, password_hash: str) -> None:
        self.rng = random.Random(seed)
        self.now = now.astimezone(UTC)
        self.today = self.now.astimezone(PARIS).date()
        self.password_hash = password_hash
        self.used_phones: set[str] = set()
        self.used_sirens: set[str] = set()
        self.used_names: set[tuple[str, str]] = set()
        #: Follow-ups whose reason names an invoice, numbered only once all orders exist.
        self.pending_references: list[tuple[FollowUp, Order]] = []
        #: rep id -> département -> the coming working days the rep spends there.
        self.tour_days: dict[uuid.UUID, dict[str, list[date]]] = {}
        #: (rep id, day) -> visit slots already planned.
        self.booked: dict[tuple[uuid.UUID, date], set[int]] = {}
        # One trade show a few months ago, where reps met new prospects.
        self.salon_day = _weekday(self.today - timedelta(days=self.rng.randint(120, 220)))
        self.salon_tag = f"salon-{self.salon_day.year}"

    # -- small draws ------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        """A random (version 4) UUID from the seeded generator, so ids are reproducible."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, day: date, earliest: int = 8 * 60 + 30, latest: int = 17 * 60 + 30) -> datetime:
        """A working-hours moment of ``day`` (Paris time, quarter-hour steps), in UTC."""
        slots = [m for m in range(earliest, latest + 1, 15) if not 12 * 60 <= m < 13 * 60 + 45]
        minute = self.rng.choice(slots)
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=PARIS)
        return local.astimezone(UTC)

    def past(self, moment: datetime) -> datetime:
        """``moment``, but never after now (timestamps of things that happened)."""
        return min(moment, self.now - timedelta(minutes=1))

    def day(self, days_ago: float) -> date:
        """The date ``days_ago`` days before today."""
        return self.today - timedelta(days=math.floor(days_ago))

    def phone(self, prefix: str) -> str:
        """A valid, unused French number in E.164 starting with +33 ``prefix``."""
        while True:
            digits = prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(9 - len(prefix)))
            number = "+33" + digits
            if number in self.used_phones:
                continue
            if phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self.used_phones.add(number)
                return number

    def landline(self, departement: str) -> str:
        """A 04 number with the local prefix of ``departement``."""
        return self.phone(self.rng.choice(LANDLINE_PREFIXES[departement]))

    def mobile(self) -> str:
        """A 06 or 07 mobile number."""
        return self.phone(self.rng.choice(("6", "6", "6", "7")))

    def siret(self) -> str:
        """A SIRET with an unused SIREN, both with valid Luhn keys."""
        while True:
            body = str(self.rng.randint(3, 9)) + f"{self.rng.randrange(10**7):07d}"
            siren = body + luhn.calc_check_digit(body)
            if siren not in self.used_sirens and siren != "356000000":  # La Poste: other rule
                break
        self.used_sirens.add(siren)
        nic = f"{self.rng.randint(1, 12):04d}"
        return siren + nic + luhn.calc_check_digit(siren + nic)

    def person(self) -> tuple[Civility, str, str]:
        """A civility, first name and last name."""
        if self.rng.random() < 0.5:
            return Civility.MRS, self.rng.choice(FIRST_NAMES_F), self.rng.choice(LAST_NAMES)
        return Civility.MR, self.rng.choice(FIRST_NAMES_M), self.rng.choice(LAST_NAMES)

    # -- people -------------------------------------------------------------------

    def people(self) -> tuple[Team, list[User]]:
        """The team and its five users (admin outside the team)."""
        team = Team(id=self.uuid(), name=TEAM_NAME, created_at=self.now - timedelta(days=730))
        users = []
        for index, person in enumerate(DEMO_USERS):
            users.append(
                User(
                    id=self.uuid(),
                    email=person.email,
                    name=person.name,
                    role=person.role,
                    team_id=None if person.role is Role.ADMIN else team.id,
                    password_hash=self.password_hash,
                    active=True,
                    created_at=self.now - timedelta(days=730 - 30 * index),
                )
            )
        return team, users

    # -- accounts ---------------------------------------------------------------

    def territories(self, reps: list[tuple[DemoUser, User]]) -> list[tuple[Commune, float]]:
        """Every commune row of the reps' départements with a position, with its weight."""
        ours = {d for person, _ in reps for d in person.departements}
        by_insee: dict[str, list[Commune]] = {}
        for commune in load_communes():
            if commune.lat is not None and commune.departement in ours:
                by_insee.setdefault(commune.insee, []).append(commune)
        weighted = []
        for insee, rows in by_insee.items():
            # A commune weighs the same whatever its number of postal rows.
            weight = TOWN_WEIGHTS.get(insee, RURAL_WEIGHT) / len(rows)
            weighted += [(row, weight) for row in rows]
        return weighted

    def timeline(self, status: S) -> _Timeline:
        """When the account was created and how it reached ``status``."""
        rng = self.rng
        created = {
            S.SUSPECT: (5, 420),
            S.PROSPECT_COLD: (30, 900),
            S.PROSPECT_WARM: (60, 900),
            S.PROSPECT_HOT: (45, 700),
            S.CLIENT: (200, 2500),
            S.PARTNER: (300, 2500),
            S.FORMER_CLIENT: (500, 2500),
        }[status]
        created_days = rng.randint(*created)
        start = _weighted(rng, ((S.SUSPECT, 45), (S.PROSPECT_COLD, 40), (S.PROSPECT_WARM, 15)))
        target = {
            S.PARTNER: rng.choice((S.PROSPECT_WARM, S.CLIENT)),
            S.FORMER_CLIENT: S.CLIENT,
        }.get(status, status)
        if LADDER.index(start) > LADDER.index(target):
            start = target
        path = list(LADDER[LADDER.index(start) : LADDER.index(target) + 1])
        # Prospects skip steps now and then, and some cool down after warming up.
        if len(path) > 2:
            path = [path[0], *(s for s in path[1:-1] if rng.random() > 0.3), path[-1]]
        if status in (S.PROSPECT_COLD, S.PROSPECT_WARM) and rng.random() < 0.15:
            path[-1:] = [LADDER[LADDER.index(status) + 1], status]
        if status in (S.PARTNER, S.FORMER_CLIENT):
            path.append(status)

        client_since = lost = None
        anchors: dict[int, int] = {}  # index in path -> days ago it is pinned to
        if status is S.FORMER_CLIENT:
            lost = rng.randint(45, 330)
            client_since = rng.randint(lost + 150, created_days - 10)
            anchors = {len(path) - 2: client_since, len(path) - 1: lost}
        elif S.CLIENT in path:
            # Mostly long-standing clients, a fifth of them won within the last year.
            low = 30 if rng.random() < 0.2 else min(540, created_days // 2)
            client_since = rng.randint(low, created_days - 10)
            anchors = {path.index(S.CLIENT): client_since}
        if len(path) > 1 and len(path) - 1 not in anchors:
            # The latest change is recent for hot prospects, older for the others,
            # and always after the pinned step before it.
            before = min([created_days, *anchors.values()])
            last_change = {S.PROSPECT_HOT: 60, S.PROSPECT_WARM: 200}.get(status, before)
            anchors[len(path) - 1] = rng.randint(1, max(1, min(last_change, before - 1)))
        anchors[0] = created_days
        # Unpinned steps fall evenly (with jitter) between the pinned ones around them.
        days = [0] * len(path)
        pinned = sorted(anchors)
        for lo, hi in itertools.pairwise(pinned):
            days[lo], days[hi] = anchors[lo], anchors[hi]
            between = sorted(
                (rng.uniform(anchors[hi], anchors[lo]) for _ in range(hi - lo - 1)), reverse=True
            )
            for offset, value in enumerate(between, start=lo + 1):
                days[offset] = int(value)
        days[0] = anchors[0]
        steps = list(zip(path, days, strict=True))
        return _Timeline(created_days, steps, client_since, lost)

    def opening_hours(self, style: str) -> dict[str, list[list[str]]] | None:
        """Weekly opening hours typical of ``style``, with some variety."""
        rng = self.rng
        week = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

        def split(morning: str, noon: str, afternoon: str, evening: str) -> list[list[str]]:
            """Morning and afternoon opening with a lunch break."""
            return [[morning, noon], [afternoon, evening]]

        hours: dict[str, list[list[str]]] = {}
        if style == "bakery":
            closed = rng.choice(("mon", "wed", "mon"))
            day_hours = split(
                rng.choice(("06:30", "07:00")),
                rng.choice(("12:30", "13:00")),
                rng.choice(("15:30", "16:00")),
                "19:30",
            )
            hours = {d: day_hours for d in week[:6] if d != closed}
            hours["sun"] = [["07:00", rng.choice(("12:30", "13:00"))]]
        elif style == "shop":
            day_hours = (
                [["09:30", "19:00"]]
                if rng.random() < 0.25
                else split(
                    rng.choice(("09:00", "09:30")),
                    rng.choice(("12:00", "12:30")),
                    rng.choice(("14:00", "14:30")),
                    "19:00",
                )
            )
            hours = dict.fromkeys(week[1:6], day_hours)
            monday = rng.random()
            if monday < 0.4:
                hours["mon"] = [["14:00", "19:00"]]
            elif monday < 0.6:
                hours["mon"] = day_hours
            hours["sat"] = [*day_hours[:-1], [day_hours[-1][0], "18:00"]]
        elif style == "pharmacy":
            day_hours = (
                [["08:30", "19:30"]]
                if rng.random() < 0.4
                else split("08:30", "12:30", "14:00", "19:30")
            )
            hours = dict.fromkeys(week[:5], day_hours)
            hours["sat"] = [["08:30", "12:30"]] if rng.random() < 0.5 else [["08:30", "19:00"]]
        elif style == "restaurant":
            service = split("11:30", "14:30", "18:30", rng.choice(("22:00", "22:30")))
            hours = dict.fromkeys(week[1:6], service)
            if rng.random() < 0.5:
                hours["sun"] = [["11:30", "15:00"]]
        elif style == "hotel":
            hours = {d: [["07:00", "22:00"]] for d in week}
        elif style in ("garage", "trade"):
            start = "08:00" if style == "garage" else "07:30"
            day_hours = split(start, "12:00", "13:30", rng.choice(("17:30", "18:00", "18:30")))
            hours = dict.fromkeys(week[:5], day_hours)
            if style == "garage" and rng.random() < 0.6:
                hours["sat"] = [["08:00", "12:00"]]
            if style == "trade" and rng.random() < 0.5:
                hours["fri"] = split(start, "12:00", "13:30", "16:30")
        elif style == "office":
            day_hours = (
                [["09:00", "17:00"]]
                if rng.random() < 0.3
                else split("08:30", "12:00", "13:30", rng.choice(("17:30", "18:00")))
            )
            hours = dict.fromkeys(week[:5], day_hours)
            if rng.random() < 0.3:
                hours["fri"] = split("08:30", "12:00", "13:30", "16:30")
        elif style == "industry":
            day_hours = split("07:30", "12:00", "13:00", rng.choice(("16:30", "17:00")))
            hours = dict.fromkeys(week[:5], day_hours)
            if rng.random() < 0.4:
                hours["fri"] = [["07:30", "12:00"]]
        elif style == "care":
            hours = {d: [["09:00", "17:00"]] for d in week[:5]}
        elif style == "farm":
            hours = {d: split("08:00", "12:00", "14:00", "18:00") for d in week[:6]}
        else:
            return None
        # Weekday order, and fresh lists per day (the days above share theirs).
        return {d: [list(r) for r in hours[d]] for d in week if d in hours}

    def address(self, premises: str, big_town: bool) -> tuple[str, str | None]:
        """A street address line, and a zone name when the premises are in one."""
        rng = self.rng
        if premises == "zone" and big_town and rng.random() < 0.7:
            return f"{rng.randint(1, 140)} {rng.choice(ZONE_STREETS)}", rng.choice(ZONES)
        if premises == "rural" or (not big_town and rng.random() < 0.35):
            if rng.random() < 0.15:
                return "Le Bourg", None
            return f"{rng.randint(1, 900)} {rng.choice(RURAL_STREETS)}", None
        if premises == "home":
            return f"{rng.randint(1, 60)} {rng.choice(HOME_STREETS)}", None
        number = f"{rng.randint(1, 120)}{' bis' if rng.random() < 0.05 else ''}"
        return f"{number} {rng.choice(CENTRE_STREETS)}", None

    def company_name(
        self, sector: Sector, town: str, headcount: int
    ) -> tuple[str, str | None, str | None]:
        """Raison sociale, trade name (when it differs) and the surname it is built on."""
        rng = self.rng
        template = rng.choice(sector.templates)
        last = rng.choice(LAST_NAMES)
        trade = template.format(
            last=last,
            town=town,
            quarter=rng.choice(QUARTERS),
            place=rng.choice(PLACES),
            restaurant=rng.choice(RESTAURANTS),
            first_f=rng.choice(FIRST_NAMES_F),
            first_m=rng.choice(FIRST_NAMES_M),
        )
        trade = re.sub(r"\bde (?=[AEIOUYÉÈÊÎÔ])", "d'", trade)  # "Table d'Alain"
        forms = SMALL_FORMS if headcount < 10 else MID_FORMS if headcount < 50 else LARGE_FORMS
        if rng.random() < sector.legal_form_rate:
            return (
                f"{_weighted(rng, forms)} {trade}",
                trade,
                last if "{last}" in template else None,
            )
        return trade, None, last if "{last}" in template else None

    def account(self, owner: User, territory: str, commune: Commune) -> AccountRows:
        """One account with its history, contacts, interactions, orders and the rest."""
        rng = self.rng
        is_company = rng.random() < 0.85
        status = _weighted(rng, STATUS_MIX)
        if not is_company and status is S.PARTNER:
            status = S.CLIENT  # partners (prescribers) are businesses
        timeline = self.timeline(status)
        created_at = self.at(self.day(timeline.created_days))
        town = display_name(commune.label)
        big_town = commune.insee in TOWN_WEIGHTS
        departement = commune.departement
        account = Account(
            id=self.uuid(),
            status=status,
            owner_id=owner.id,
            territory=territory,
            postal_code=commune.postal_code,
            city=town,
            address_line2=display_name(commune.ligne_5) if commune.ligne_5 else None,
            country="FR",
            region=REGION,
            latitude=commune.lat,
            longitude=commune.lon,
            geocode_precision=GeocodePrecision.MUNICIPALITY,
            geocode_source=GEOCODE_SOURCE,
            geocoded_at=created_at,
            custom={},
            created_at=created_at,
        )
        tags: list[str] = []
        contact_domain: str | None = None
        contact_names: list[tuple[Civility, str, str, str | None]] = []
        size = 1
        if is_company:
            sector = _weighted(
                rng,
                [
                    (s, s.share)
                    for s in SECTORS
                    if s.departements is None or departement in s.departements
                ],
            )
            band = _weighted(rng, sector.sizes)
            size = BAND_HEADCOUNT[band]
            for _ in range(5):  # the same name twice in one town would look like a duplicate
                name, trade_name, surname = self.company_name(sector, town, size)
                if (trade_name or name, town) not in self.used_names:
                    break
            self.used_names.add((trade_name or name, town))
            line1, zone = self.address(sector.premises, big_town)
            domain = f"{_slug(trade_name or name)}.fr"
            has_site = rng.random() < (0.25 if sector.hours == "farm" else 0.6)
            account.kind = AccountKind.COMPANY
            account.name = name
            account.trade_name = trade_name
            account.siret = self.siret()
            account.siren = account.siret[:9]
            account.naf_code = sector.naf
            account.headcount_band = band
            account.annual_revenue = _money(
                round(size * rng.uniform(60_000, 160_000) * rng.uniform(0.8, 1.2), -3)
            )
            account.website = f"https://www.{domain}" if has_site else None
            # Without a website, a shop's mailbox names its town too: two shops of one name
            # elsewhere would not share an address (it would make them likely duplicates).
            account.email = (
                f"contact@{domain}"
                if has_site
                else f"{_slug(name, '.')}.{_slug(town, '.')}@{rng.choice(PROVIDERS)}"
            )
            account.phone = self.landline(departement)
            account.address_line1 = line1
            account.address_line2 = account.address_line2 or zone
            account.opening_hours = self.opening_hours(sector.hours)
            count = _weighted(rng, ((1, 45), (2, 35), (3, 20))) if size < 20 else rng.randint(2, 3)
            for index in range(count):
                civility, first, last = self.person()
                if index == 0 and surname:
                    last = surname  # "Boulangerie Martin" is run by a Martin
                masc, fem = sector.titles[0] if index == 0 else rng.choice(sector.titles[1:])
                title = fem if civility is Civility.MRS else masc
                contact_names.append((civility, first, last, title))
            contact_domain = domain if has_site else None
            if size >= 50 or account.annual_revenue >= 5_000_000:
                tags.append("grand-compte")
            if sector.naf in ("10.71C", "47.29Z", "47.11C", "01.21Z") and rng.random() < 0.15:
                tags.append("bio")
            seasonal = sector.hours in ("hotel", "restaurant", "shop")
            if departement in ("73", "74") and seasonal and rng.random() < 0.5:
                tags.append("saisonnier")
        else:
            civility, first, last = self.person()
            account.kind = AccountKind.PERSON
            account.civility = civility
            account.first_name = first
            account.last_name = last
            account.name = f"{last} {first}"
            account.birth_date = date(
                rng.randint(1942, 2002), rng.randint(1, 12), rng.randint(1, 28)
            )
            account.phone = self.mobile()
            # The département's number, as people add digits to a taken name.
            account.email = (
                f"{_slug(first, '.')}.{_slug(last, '.')}{departement}@{rng.choice(PROVIDERS)}"
            )
            account.address_line1 = self.address("home", big_town)[0]
            contact_names.append((civility, first, last, None))
            tags.append("particulier")

        loyal = status is S.CLIENT and (timeline.client_since or 0) > 3 * 365
        if loyal and rng.random() < 0.6:
            tags.append("fidèle")
        if status is S.PARTNER:
            tags.append("prescripteur")
        if status is S.FORMER_CLIENT and rng.random() < 0.5:
            tags.append("à-reconquérir")
        met_at_salon = (
            timeline.created_days > (self.today - self.salon_day).days and rng.random() < 0.12
        )
        if met_at_salon:
            tags.append(self.salon_tag)
        bad_payer = status in (S.CLIENT, S.FORMER_CLIENT) and rng.random() < 0.08
        if bad_payer:
            tags.append("paiement-difficile")
        account.tags = tags
        account.visit_frequency_days = self.visit_frequency(status, account.kind)

        rows = AccountRows(account)
        rows.status_changes = self.status_changes(account, timeline, owner)
        rows.contacts = self.contacts(account, contact_names, departement, contact_domain)
        rows.consents = self.consents(account, rows.contacts)
        rows.interactions = self.interactions(
            account, timeline, owner, rows.contacts, met_at_salon, departement
        )
        rows.orders = self.orders(account, timeline, size, bad_payer)
        rows.opportunities = self.opportunities(account, timeline, size, rows.contacts)
        rows.followups = self.followups(account, rows, owner)
        rows.notes = self.notes(account, rows, owner)
        account.updated_at = max([account.created_at, *(c.changed_at for c in rows.status_changes)])
        return rows

    def visit_frequency(self, status: S, kind: AccountKind) -> int | None:
        """Days between visits a rep aims for."""
        rng = self.rng
        if kind is AccountKind.PERSON:
            return rng.choice((90, 120, 180)) if status in ACTIVE or status in PROSPECTS else None
        return {
            S.CLIENT: rng.choice((30, 30, 45, 60, 60, 90)),
            S.PARTNER: rng.choice((60, 90)),
            S.PROSPECT_HOT: 60,
            S.PROSPECT_WARM: rng.choice((60, 90, 120)),
            S.PROSPECT_COLD: rng.choice((120, 180)),
            S.FORMER_CLIENT: 180 if rng.random() < 0.3 else None,
        }.get(status)

    # -- rows under an account --------------------------------------------------

    def status_changes(
        self, account: Account, timeline: _Timeline, owner: User
    ) -> list[StatusChange]:
        """One row per status reached, the first one being the account's creation."""
        rows: list[StatusChange] = []
        previous: S | None = None
        for index, (status, days_ago) in enumerate(timeline.steps):
            at = account.created_at if index == 0 else self.at(self.day(days_ago))
            if rows:
                # Two steps drawn on the same day still happen one after the other.
                at = self.past(max(at, rows[-1].changed_at + timedelta(minutes=30)))
            rows.append(
                StatusChange(
                    id=self.uuid(),
                    account_id=account.id,
                    from_status=previous,
                    to_status=status,
                    changed_by_id=owner.id,
                    changed_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
            previous = status
        return rows

    def contacts(
        self,
        account: Account,
        names: list[tuple[Civility, str, str, str | None]],
        departement: str,
        domain: str | None,
    ) -> list[Contact]:
        """Contacts called ``names``, the first one primary; e-mails at ``domain`` if any."""
        rng = self.rng
        rows = []
        for index, (civility, first, last, title) in enumerate(names):
            if account.kind is AccountKind.PERSON:
                email, mobile = account.email, account.phone
            else:
                email = (
                    f"{_slug(first, '.')}.{_slug(last, '.')}@{domain}"
                    if domain
                    else f"{_slug(first, '.')}.{_slug(last, '.')}@{rng.choice(PROVIDERS)}"
                    if rng.random() < 0.5
                    else None
                )
                mobile = self.mobile() if rng.random() < 0.85 else None
            phone = self.landline(departement) if rng.random() < 0.25 else None
            channels = [(Channel.IN_PERSON, 3), (Channel.PHONE, 1)]
            channels += [(Channel.MOBILE, 4), (Channel.SMS, 1)] if mobile else []
            channels += [(Channel.EMAIL, 3)] if email else []
            at = account.created_at + timedelta(minutes=5 + index)
            rows.append(
                Contact(
                    id=self.uuid(),
                    account_id=account.id,
                    civility=civility,
                    first_name=first,
                    last_name=last,
                    job_title=title,
                    email=email,
                    mobile=mobile,
                    phone=phone,
                    social_links={},
                    custom={},
                    preferred_channel=_weighted(rng, channels) if rng.random() < 0.8 else None,
                    birthday=(
                        date(rng.randint(1958, 1999), rng.randint(1, 12), rng.randint(1, 28))
                        if rng.random() < 0.15
                        else None
                    ),
                    is_primary=index == 0,
                    created_at=at,
                    updated_at=at,
                )
            )
        return rows

    def consents(self, account: Account, contacts: list[Contact]) -> list[Consent]:
        """GDPR consents for about half the contacts; a few later withdrawn."""
        rng = self.rng
        rows = []
        for contact in contacts:
            if rng.random() > 0.45:
                continue
            span = max(1, (self.now - contact.created_at).days)
            at = self.past(contact.created_at + timedelta(days=rng.uniform(0, min(span, 200))))
            purposes = [ConsentPurpose.EMAIL_MARKETING] if contact.email else []
            purposes += rng.sample(
                [
                    ConsentPurpose.SMS_MARKETING,
                    ConsentPurpose.PHONE_MARKETING,
                    ConsentPurpose.POSTAL_MARKETING,
                ],
                rng.randint(0, 2),
            )
            source = rng.choice(CONSENT_SOURCES)
            for purpose in purposes:
                rows.append(self.consent(account, contact, purpose, ConsentState.GIVEN, at, source))
            if ConsentPurpose.EMAIL_MARKETING in purposes and rng.random() < 0.1:
                later = self.past(at + timedelta(days=rng.uniform(10, 300)))
                rows.append(
                    self.consent(
                        account,
                        contact,
                        ConsentPurpose.EMAIL_MARKETING,
                        ConsentState.WITHDRAWN,
                        later,
                        "lien de désinscription",
                    )
                )
        return rows

    def consent(
        self,
        account: Account,
        contact: Contact,
        purpose: ConsentPurpose,
        state: ConsentState,
        at: datetime,
        source: str,
    ) -> Consent:
        """One consent record."""
        return Consent(
            id=self.uuid(),
            account_id=account.id,
            contact_id=contact.id,
            purpose=purpose,
            state=state,
            recorded_at=at,
            source=source,
            created_at=at,
            updated_at=at,
        )

    def interactions(
        self,
        account: Account,
        timeline: _Timeline,
        owner: User,
        contacts: list[Contact],
        met_at_salon: bool,
        departement: str,
    ) -> list[Interaction]:
        """The last twelve months of contact with the account, and what is planned next."""
        rng = self.rng
        status = account.status
        horizon = min(365, timeline.created_days)
        if status is S.SUSPECT:
            cadence = None
        elif status in ACTIVE or status is S.FORMER_CLIENT:
            cadence = (account.visit_frequency_days or 60) * rng.uniform(0.7, 1.3)
            if rng.random() < 0.15:
                cadence *= 1.8  # neglected accounts: their visit is overdue
        else:
            cadence = {S.PROSPECT_HOT: 25, S.PROSPECT_WARM: 55, S.PROSPECT_COLD: 150}[status]
            cadence *= rng.uniform(0.7, 1.4)
        rows: list[Interaction] = []
        if cadence is None:
            if rng.random() < 0.4:
                rows.append(
                    self.interaction(
                        account,
                        owner,
                        contacts,
                        timeline,
                        rng.uniform(1, horizon),
                        InteractionKind.CALL,
                    )
                )
        else:
            days_ago = horizon - rng.uniform(0, cadence)
            stop = timeline.lost_days or 0
            while days_ago > max(stop, 1):
                kind = _weighted(
                    rng,
                    (
                        (InteractionKind.VISIT, 68),
                        (InteractionKind.APPOINTMENT, 8),
                        (InteractionKind.CALL, 16),
                        (InteractionKind.EMAIL, 8),
                    ),
                )
                rows.append(self.interaction(account, owner, contacts, timeline, days_ago, kind))
                days_ago -= cadence * rng.uniform(0.75, 1.25)
            if timeline.lost_days and rng.random() < 0.5:
                rows.append(
                    self.interaction(
                        account,
                        owner,
                        contacts,
                        timeline,
                        rng.uniform(1, timeline.lost_days),
                        InteractionKind.CALL,
                    )
                )
        if met_at_salon:
            rows.append(
                self.interaction(
                    account,
                    owner,
                    contacts,
                    timeline,
                    (self.today - self.salon_day).days,
                    InteractionKind.TRADE_SHOW,
                )
            )
        plan_rate = {
            S.CLIENT: 0.45,
            S.PARTNER: 0.3,
            S.PROSPECT_HOT: 0.5,
            S.PROSPECT_WARM: 0.25,
            S.PROSPECT_COLD: 0.05,
        }.get(status, 0.0)
        if rng.random() < plan_rate:
            planned = self.planned(account, owner, contacts, departement)
            rows += [planned] if planned is not None else []
        rows.sort(key=lambda r: r.starts_at)
        return rows

    def interaction(
        self,
        account: Account,
        owner: User,
        contacts: list[Contact],
        timeline: _Timeline,
        days_ago: float,
        kind: InteractionKind,
    ) -> Interaction:
        """One past interaction of ``kind`` about ``days_ago`` days ago, with its report."""
        rng = self.rng
        day = (
            self.day(days_ago)
            if kind is InteractionKind.TRADE_SHOW
            else _weekday(self.day(days_ago))
        )
        if day >= self.today:
            day = self.today - timedelta(days=1)
        starts_at = max(self.at(day), account.created_at + timedelta(hours=1))
        was_client = timeline.status_at(days_ago) in ACTIVE
        present = [str(c.id) for c in contacts[: rng.choice((1, 1, 1, 2))]]
        contact_name = self.contact_label(contacts)
        product = rng.choice(PRODUCTS)
        fill = {"contact": contact_name, "product": product}
        status = InteractionStatus.DONE
        in_person = kind in (InteractionKind.VISIT, InteractionKind.APPOINTMENT)
        if in_person:
            status = _weighted(
                rng,
                (
                    (InteractionStatus.DONE, 91),
                    (InteractionStatus.CANCELLED, 6),
                    (InteractionStatus.NO_SHOW, 3),
                ),
            )
        row = Interaction(
            id=self.uuid(),
            account_id=account.id,
            user_id=owner.id,
            contact_ids=present,
            kind=kind,
            status=status,
            starts_at=starts_at,
            initiated_by=Initiator.US,
        )
        if in_person:
            row.channel = Channel.IN_PERSON
            row.ends_at = starts_at + timedelta(minutes=rng.choice((20, 30, 45, 60, 90)))
            row.subject = rng.choice(VISIT_SUBJECTS if was_client else PROSPECT_SUBJECTS)
            summaries = CLIENT_SUMMARIES if was_client else PROSPECT_SUMMARIES
        elif kind is InteractionKind.CALL:
            row.channel = rng.choice((Channel.PHONE, Channel.MOBILE))
            row.ends_at = starts_at + timedelta(minutes=rng.choice((5, 10, 15, 20)))
            row.initiated_by = Initiator.CUSTOMER if rng.random() < 0.3 else Initiator.US
            row.subject = "Appel"
            summaries = CALL_SUMMARIES
        elif kind is InteractionKind.EMAIL:
            row.channel = Channel.EMAIL
            row.ends_at = starts_at
            row.initiated_by = Initiator.CUSTOMER if rng.random() < 0.3 else Initiator.US
            row.subject = "E-mail"
            summaries = EMAIL_SUMMARIES
        else:  # the trade show
            row.channel = Channel.IN_PERSON
            row.ends_at = starts_at + timedelta(minutes=20)
            row.subject = f"Rencontre au salon Pro'Alpes {self.salon_day.year}"
            summaries = ("Rencontré(e) {contact} sur notre stand, intéressé(e) par les {product}.",)

        if status is InteractionStatus.CANCELLED:
            row.summary = "Rendez-vous annulé par le client (imprévu), à reprogrammer."
        elif status is InteractionStatus.NO_SHOW:
            row.summary = "Personne sur place à l'heure du rendez-vous."
        else:
            row.summary = rng.choice(summaries).format(**fill)
            if in_person or kind is InteractionKind.TRADE_SHOW:
                if rng.random() < (0.3 if was_client else 0.5):
                    row.objections = rng.choice(OBJECTIONS)
                if rng.random() < 0.4:
                    row.motivations = rng.choice(MOTIVATIONS)
                if rng.random() < 0.5:
                    row.next_step = rng.choice(NEXT_STEPS)
                if was_client:
                    row.outcome = _weighted(
                        rng,
                        (
                            (Outcome.ORDER, 35),
                            (Outcome.POSITIVE, 30),
                            (Outcome.NEUTRAL, 30),
                            (Outcome.NEGATIVE, 5),
                        ),
                    )
                else:
                    row.outcome = _weighted(
                        rng,
                        (
                            (Outcome.POSITIVE, 30),
                            (Outcome.NEUTRAL, 35),
                            (Outcome.NO_DECISION, 25),
                            (Outcome.NEGATIVE, 10),
                        ),
                    )
                # Prospects (and lost clients) tell who supplies them and until when.
                if not was_client and rng.random() < 0.3:
                    row.competitor = rng.choice(COMPETITORS)
                    row.competitor_contract_end = self.today + timedelta(days=rng.randint(20, 420))
            elif kind is InteractionKind.CALL and rng.random() < 0.5:
                row.outcome = rng.choice((Outcome.POSITIVE, Outcome.NEUTRAL, Outcome.NO_DECISION))
        lead = timedelta(days=rng.uniform(0, 12)) if in_person else timedelta(0)
        row.created_at = max(account.created_at, starts_at - lead)
        report = (row.ends_at or starts_at) + timedelta(minutes=rng.randint(5, 2 * 24 * 60))
        row.updated_at = max(row.created_at, self.past(report))
        return row

    def planned(
        self, account: Account, owner: User, contacts: list[Contact], departement: str
    ) -> Interaction | None:
        """A visit in the next two weeks, on a day the rep works that area; None if booked up."""
        rng = self.rng
        areas = self.tour_days.get(owner.id, {})

        def free(day: date) -> list[int]:
            """Visit slots (minutes after midnight) still open on ``day``."""
            return [m for m in VISIT_SLOTS if m not in self.booked.get((owner.id, day), set())]

        days = [d for d in areas.get(departement, []) if free(d)]
        days = days or [d for ds in areas.values() for d in ds if free(d)]
        if not days:
            return None
        day = rng.choice(days)
        minute = rng.choice(free(day))
        self.booked.setdefault((owner.id, day), set()).add(minute)
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=PARIS)
        starts_at = local.astimezone(UTC)
        kind = InteractionKind.APPOINTMENT if rng.random() < 0.4 else InteractionKind.VISIT
        created = max(account.created_at, self.now - timedelta(days=rng.uniform(0.1, 10)))
        return Interaction(
            id=self.uuid(),
            account_id=account.id,
            user_id=owner.id,
            contact_ids=[str(c.id) for c in contacts[:1]],
            kind=kind,
            status=InteractionStatus.PLANNED,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=rng.choice((30, 45, 60))),
            initiated_by=Initiator.US,
            channel=Channel.IN_PERSON,
            subject=rng.choice(VISIT_SUBJECTS if account.status in ACTIVE else PROSPECT_SUBJECTS),
            next_step=rng.choice(NEXT_STEPS) if rng.random() < 0.3 else None,
            created_at=created,
            updated_at=created,
        )

    def contact_label(self, contacts: list[Contact]) -> str:
        """How a report names the main contact ("Mme Dupont")."""
        if not contacts:
            return "le responsable"
        first = contacts[0]
        return f"{first.civility.value if first.civility else ''} {first.last_name}".strip()

    def orders(
        self, account: Account, timeline: _Timeline, size: int, bad_payer: bool
    ) -> list[Order]:
        """Orders of a client over the last 12 to 18 months (up to its loss for a former one)."""
        rng = self.rng
        if timeline.client_since is None or account.status is S.PARTNER:
            return []
        history = rng.randint(365, 540)
        first = min(timeline.client_since, history)
        last = timeline.lost_days or 0
        if account.kind is AccountKind.PERSON:
            interval, mean = rng.uniform(60, 150), 250.0
        elif size < 10:
            interval, mean = rng.uniform(25, 50), 450.0
        elif size < 50:
            interval, mean = rng.uniform(14, 35), 1_600.0
        else:
            interval, mean = rng.uniform(7, 20), 5_500.0
        margin_rate = rng.uniform(0.15, 0.40)
        rows = []
        days_ago = first - rng.uniform(0, interval)
        while days_ago > last:
            order_day = _weekday(self.day(days_ago))
            if order_day >= self.today:
                break
            amount = _money(max(40.0, rng.lognormvariate(math.log(mean), 0.5)))
            rate = min(0.40, max(0.15, margin_rate + rng.uniform(-0.03, 0.03)))
            due = order_day + timedelta(days=rng.choice((30, 30, 45)))
            created = self.at(order_day)
            paid_at = None
            if due < self.today:
                pay_rate = 0.7 if bad_payer else 0.96
                if account.status is S.FORMER_CLIENT and days_ago - last < 60:
                    pay_rate = 0.6  # the last invoices of a lost client often stay open
                if rng.random() < pay_rate:
                    paid_at = self.at(due + timedelta(days=rng.randint(-20, 15)))
            elif rng.random() < 0.25:
                paid_at = self.at(due - timedelta(days=rng.randint(5, 25)))
            if paid_at is not None:
                paid_at = self.past(max(paid_at, created + timedelta(days=1)))
            rows.append(
                Order(
                    id=self.uuid(),
                    account_id=account.id,
                    order_date=order_day,
                    amount_excl_vat=amount,
                    margin=_money(float(amount) * rate),
                    due_date=due,
                    paid=paid_at is not None,
                    paid_at=paid_at,
                    created_at=created,
                    updated_at=paid_at or created,
                )
            )
            days_ago -= interval * rng.uniform(0.6, 1.4)
        return rows

    def opportunities(
        self, account: Account, timeline: _Timeline, size: int, contacts: list[Contact]
    ) -> list[Opportunity]:
        """Deals: open ones for warm prospects and some clients, won and lost ones in the past."""
        rng = self.rng
        status = account.status
        deals: list[tuple[OpportunityStage, date]] = []
        open_rate = {
            S.PROSPECT_HOT: 0.9,
            S.PROSPECT_WARM: 0.7,
            S.PROSPECT_COLD: 0.15,
            S.CLIENT: 0.3,
            S.PARTNER: 0.2,
        }.get(status, 0.0)
        if rng.random() < open_rate:
            stage = {
                S.PROSPECT_HOT: rng.choice(
                    (OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION)
                ),
                S.PROSPECT_WARM: rng.choice(
                    (OpportunityStage.QUALIFICATION, OpportunityStage.PROPOSAL)
                ),
            }.get(status, OpportunityStage.QUALIFICATION)
            deals.append((stage, self.today + timedelta(days=rng.randint(-10, 120))))
        if timeline.client_since is not None and rng.random() < 0.5:
            deals.append((OpportunityStage.WON, self.day(timeline.client_since)))
        if status in PROSPECTS and rng.random() < 0.15:
            deals.append((OpportunityStage.LOST, self.day(rng.randint(1, timeline.created_days))))
        scale = 1 if size < 10 else 4 if size < 50 else 15
        rows = []
        for stage, close in deals:
            amount = _money(round(rng.uniform(1_000, 8_000) * scale, -2))
            if stage in (OpportunityStage.WON, OpportunityStage.LOST):
                created = self.at(close - timedelta(days=rng.randint(20, 90)))
                updated = self.past(self.at(close))
            else:
                created = self.now - timedelta(days=rng.uniform(5, 120))
                updated = self.now - timedelta(days=rng.uniform(0, 5))
            created = max(created, account.created_at)
            title = rng.choice(OPPORTUNITY_TITLES).format(year=close.year)
            rows.append(
                Opportunity(
                    id=self.uuid(),
                    account_id=account.id,
                    contact_id=contacts[0].id if contacts else None,
                    title=title,
                    amount=amount,
                    stage=stage,
                    probability=rng.choice(STAGE_PROBABILITY[stage]),
                    expected_close_date=close,
                    created_at=created,
                    updated_at=max(created, updated),
                )
            )
        return rows

    def followups(self, account: Account, rows: AccountRows, owner: User) -> list[FollowUp]:
        """Relances: for recent overdue invoices, open ones around today, some already done."""
        rng = self.rng
        contact_id = rows.contacts[0].id if rows.contacts else None
        done_interactions = [i for i in rows.interactions if i.status is InteractionStatus.DONE]
        result = []
        # Invoices overdue for months have gone to collection: reps chase the recent ones.
        recent = self.today - timedelta(days=90)
        overdue = [
            o
            for o in rows.orders
            if not o.paid and o.due_date and recent <= o.due_date < self.today
        ]
        for order in overdue[-1:]:
            result.append(
                self.followup(
                    account,
                    owner,
                    contact_id,
                    None,
                    order.due_date + timedelta(days=rng.randint(3, 15)),
                    "Relancer le paiement de la facture {reference}",
                    order,
                )
            )
        if account.status is not S.FORMER_CLIENT and rng.random() < 0.4:
            interaction = (
                done_interactions[-1] if done_interactions and rng.random() < 0.5 else None
            )
            due = self.today + timedelta(days=rng.randint(-12, 21))
            result.append(
                self.followup(
                    account, owner, contact_id, interaction, due, rng.choice(FOLLOWUP_REASONS), None
                )
            )
        for _ in range(rng.choice((0, 0, 1, 2))):
            due = self.today - timedelta(days=rng.randint(10, 300))
            followup = self.followup(
                account, owner, contact_id, None, due, rng.choice(FOLLOWUP_REASONS), None
            )
            followup.done = True
            followup.done_at = self.past(self.at(due + timedelta(days=rng.randint(-3, 4))))
            followup.done_at = max(followup.done_at, followup.created_at)
            followup.updated_at = followup.done_at
            result.append(followup)
        return result

    def followup(
        self,
        account: Account,
        owner: User,
        contact_id: uuid.UUID | None,
        interaction: Interaction | None,
        due: date,
        reason: str,
        order: Order | None,
    ) -> FollowUp:
        """One open follow-up; ``{reference}`` in ``reason`` is filled once orders are numbered."""
        created = self.past(self.at(due - timedelta(days=self.rng.randint(3, 30))))
        created = max(
            created, account.created_at, interaction.updated_at if interaction else created
        )
        row = FollowUp(
            id=self.uuid(),
            account_id=account.id,
            contact_id=contact_id,
            interaction_id=interaction.id if interaction else None,
            assignee_id=owner.id,
            due_date=due,
            reason=reason,
            done=False,
            created_at=created,
            updated_at=created,
        )
        if order is not None:
            self.pending_references.append((row, order))
        return row

    def notes(self, account: Account, rows: AccountRows, owner: User) -> list[Note]:
        """A practical note on about one account in eight."""
        rng = self.rng
        if rng.random() > 0.12:
            return []
        interaction = rng.choice(rows.interactions) if rows.interactions else None
        if interaction is not None and interaction.status is InteractionStatus.PLANNED:
            interaction = None
        link = rng.random()
        age = (self.now - account.created_at).total_seconds() / 86_400
        at = self.past(account.created_at + timedelta(days=rng.uniform(0, min(300.0, age))))
        note = Note(
            id=self.uuid(),
            account_id=account.id,
            author_id=owner.id,
            body=rng.choice(NOTES),
            contact_id=rows.contacts[0].id if rows.contacts and link < 0.3 else None,
            interaction_id=interaction.id if interaction and 0.3 <= link < 0.6 else None,
        )
        if note.interaction_id and interaction is not None:
            at = max(at, interaction.updated_at)
        note.created_at = note.updated_at = max(at, account.created_at)
        return [note]

    # -- the whole base -----------------------------------------------------------

    def plan_tours(self, reps: list[tuple[DemoUser, User]], drawn: list[Commune]) -> None:
        """Give each rep's coming working days an area, in proportion to their accounts there.

        Reps plan a day per area ("Tuesday is Haute-Loire"), so the planned visits of
        a day are close together, as the tour planner expects them.
        """
        days = [self.today + timedelta(days=n) for n in range(1, 15)]
        days = [d for d in days if d.weekday() < 5]
        for person, user in reps:
            counts = {d: sum(1 for c in drawn if c.departement == d) for d in person.departements}
            counts = {d: n for d, n in counts.items() if n} or {person.departements[0]: 1}
            assigned: dict[str, list[date]] = {d: [] for d in counts}
            for day in days:
                # D'Hondt: the area with most accounts per day already given gets the next day.
                area = max(counts, key=lambda d: (counts[d] / (len(assigned[d]) + 1), d))
                assigned[area].append(day)
            self.tour_days[user.id] = assigned

    def base(self, n_accounts: int) -> DemoBase:
        """The team, its users and ``n_accounts`` accounts spread over the reps' territories."""
        team, users = self.people()
        reps = [(p, u) for p, u in zip(DEMO_USERS, users, strict=True) if p.role is Role.REP]
        places = self.territories(reps)
        owner_of = {d: (p, u) for p, u in reps for d in p.departements}
        drawn = self.rng.choices(
            [c for c, _ in places], weights=[w for _, w in places], k=n_accounts
        )
        self.plan_tours(reps, drawn)
        accounts = []
        seeds = [self.rng.getrandbits(64) for _ in drawn]
        for commune, account_seed in zip(drawn, seeds, strict=True):
            person, owner = owner_of[commune.departement]
            self.rng = random.Random(account_seed)
            accounts.append(self.account(owner, person.territory or "", commune))
        # Invoice numbers follow dates across the whole base, like a real ledger.
        orders = sorted(
            (o for rows in accounts for o in rows.orders),
            key=lambda o: (o.order_date, o.created_at, o.id),
        )
        per_year: dict[int, int] = {}
        for order in orders:
            per_year[order.order_date.year] = per_year.get(order.order_date.year, 0) + 1
            order.reference = f"FA-{order.order_date.year}-{per_year[order.order_date.year]:05d}"
        for followup, order in self.pending_references:
            followup.reason = followup.reason.format(reference=order.reference)
        return DemoBase(team, users, accounts, self.profiles(reps))

    def profiles(self, reps: list[tuple[DemoUser, User]]) -> list[RepProfile]:
        """A planning profile per rep: the day starts and ends at home, default hours."""
        homes = {c.insee: c for c in load_communes() if c.lat is not None}
        return [
            RepProfile(
                user_id=user.id,
                start_lat=homes[person.home].lat,
                start_lon=homes[person.home].lon,
                end_lat=None,
                end_lon=None,
                **{**DEFAULT_PROFILE, "workdays": list(DEFAULT_PROFILE["workdays"])},
                updated_at=self.now,
            )
            for person, user in reps
            if person.home in homes
        ]


def generate(
    n_accounts: int = 600,
    *,
    seed: int = 42,
    now: datetime | None = None,
    password_hash: str = "",
) -> DemoBase:
    """Build the demo base in memory (no database): same seed and day, same base."""
    if n_accounts < 0:
        raise ValueError("n_accounts must not be negative")
    return _Generator(seed, now or utcnow(), password_hash).base(n_accounts)


# ------------------------------------------------------------------- insertion


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_empty() -> None:
    """Refuse a database that has users already, or no tables yet."""
    try:
        users = db.session.scalar(select(func.count(User.id)))
    except (OperationalError, ProgrammingError) as exc:
        db.session.rollback()
        raise DemoError(
            "the database has no schema yet: run `flask --app server init-db` first"
        ) from exc
    if users:
        raise DemoError(
            f"the database already has {users} user(s); the demo only seeds an empty database"
        )


def seed_demo(
    n_accounts: int = 600,
    seed: int = 42,
    progress: Callable[[str], None] = print,
) -> DemoSummary:
    """Fill an empty database with the demo team and ``n_accounts`` accounts.

    Runs in one transaction, flushed in chunks of accounts: a failure leaves
    the database empty, so the seed can simply be run again.
    """
    started = time.perf_counter()
    _check_empty()
    progress(f"Generating the demo base: {n_accounts} accounts, seed {seed}")
    # Argon2 is slow on purpose: hash once, every demo user shares the password.
    base = generate(n_accounts, seed=seed, password_hash=hash_password(DEMO_PASSWORD))
    existing = db.session.scalar(select(Team).where(Team.name == base.team.name))
    try:
        if existing is None:
            db.session.add(base.team)
        else:
            for user in base.users:
                user.team_id = existing.id if user.team_id else None
        db.session.add_all(base.users)
        db.session.flush()
        db.session.add_all(base.profiles)
        done = 0
        for chunk in _chunks(base.accounts, CHUNK):
            for group in zip(*(rows.insert_groups() for rows in chunk), strict=True):
                db.session.add_all([row for rows in group for row in rows])
                db.session.flush()
            done += len(chunk)
            progress(f"accounts {done}/{n_accounts}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return DemoSummary(base.counts(), demo_logins(), time.perf_counter() - started)


def all_rows(base: DemoBase) -> Iterator[SyncedRecord]:
    """Every synced row of ``base`` (for checks over the whole generated base)."""
    for rows in base.accounts:
        for group in rows.insert_groups():
            yield from group
