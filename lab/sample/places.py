"""Real places of Seine-Saint-Denis used by the sample generator: communes, parks, PoPs, namesakes.

Communes carry their INSEE code, an approximate centre and a weight (roughly their share of schools
and departmental buildings) so that Saint-Denis or Montreuil get more sites than Coubron.
"""

from __future__ import annotations

from typing import NamedTuple


class Commune(NamedTuple):
    insee: str
    name: str
    lat: float
    lon: float
    weight: int


COMMUNES: tuple[Commune, ...] = (
    Commune("93001", "Aubervilliers", 48.9146, 2.3821, 8),
    Commune("93005", "Aulnay-sous-Bois", 48.9386, 2.4975, 8),
    Commune("93006", "Bagnolet", 48.8692, 2.4181, 4),
    Commune("93007", "Le Blanc-Mesnil", 48.9387, 2.4614, 5),
    Commune("93008", "Bobigny", 48.9086, 2.4397, 7),
    Commune("93010", "Bondy", 48.9022, 2.4828, 5),
    Commune("93013", "Le Bourget", 48.9346, 2.4264, 2),
    Commune("93014", "Clichy-sous-Bois", 48.9100, 2.5464, 3),
    Commune("93015", "Coubron", 48.9158, 2.5772, 1),
    Commune("93027", "La Courneuve", 48.9278, 2.3961, 4),
    Commune("93029", "Drancy", 48.9230, 2.4455, 6),
    Commune("93030", "Dugny", 48.9536, 2.4166, 1),
    Commune("93031", "Épinay-sur-Seine", 48.9553, 2.3092, 5),
    Commune("93032", "Gagny", 48.8833, 2.5342, 4),
    Commune("93033", "Gournay-sur-Marne", 48.8617, 2.5758, 1),
    Commune("93039", "L'Île-Saint-Denis", 48.9369, 2.3375, 1),
    Commune("93045", "Les Lilas", 48.8799, 2.4197, 2),
    Commune("93046", "Livry-Gargan", 48.9197, 2.5353, 4),
    Commune("93047", "Montfermeil", 48.8983, 2.5667, 3),
    Commune("93048", "Montreuil", 48.8638, 2.4485, 10),
    Commune("93049", "Neuilly-Plaisance", 48.8636, 2.5092, 2),
    Commune("93050", "Neuilly-sur-Marne", 48.8537, 2.5307, 3),
    Commune("93051", "Noisy-le-Grand", 48.8486, 2.5528, 6),
    Commune("93053", "Noisy-le-Sec", 48.8914, 2.4594, 4),
    Commune("93055", "Pantin", 48.8944, 2.4092, 5),
    Commune("93057", "Les Pavillons-sous-Bois", 48.9064, 2.5036, 2),
    Commune("93059", "Pierrefitte-sur-Seine", 48.9653, 2.3611, 3),
    Commune("93061", "Le Pré-Saint-Gervais", 48.8853, 2.4053, 2),
    Commune("93062", "Le Raincy", 48.8990, 2.5178, 2),
    Commune("93063", "Romainville", 48.8842, 2.4347, 3),
    Commune("93064", "Rosny-sous-Bois", 48.8747, 2.4861, 4),
    Commune("93066", "Saint-Denis", 48.9356, 2.3539, 12),
    Commune("93070", "Saint-Ouen-sur-Seine", 48.9119, 2.3339, 5),
    Commune("93071", "Sevran", 48.9386, 2.5275, 5),
    Commune("93072", "Stains", 48.9567, 2.3850, 4),
    Commune("93073", "Tremblay-en-France", 48.9497, 2.5683, 4),
    Commune("93074", "Vaujours", 48.9311, 2.5706, 1),
    Commune("93077", "Villemomble", 48.8833, 2.5083, 3),
    Commune("93078", "Villepinte", 48.9622, 2.5328, 4),
    Commune("93079", "Villetaneuse", 48.9575, 2.3453, 2),
)


class Place(NamedTuple):
    slug: str
    name: str
    insee: str
    lat: float
    lon: float


# The two data centres: the hôtel du département at Bobigny and a second room at Saint-Denis Pleyel.
DATACENTRES: tuple[Place, ...] = (
    Place("dc-bobigny", "Datacentre hôtel du département (Bobigny)", "93008", 48.9075, 2.4432),
    Place("dc-pleyel", "Datacentre Saint-Denis Pleyel", "93066", 48.9190, 2.3434),
)

# Points of presence of the fibre ring; each site hangs from the nearest one.
POPS: tuple[Place, ...] = (
    Place("pop-saint-denis", "PoP Saint-Denis Porte de Paris", "93066", 48.9290, 2.3580),
    Place("pop-aubervilliers", "PoP Aubervilliers Quatre-Chemins", "93001", 48.9050, 2.3900),
    Place("pop-epinay", "PoP Épinay-sur-Seine Orgemont", "93031", 48.9600, 2.3200),
    Place("pop-la-courneuve", "PoP La Courneuve Six-Routes", "93027", 48.9250, 2.4050),
    Place("pop-bobigny", "PoP Bobigny Pablo-Picasso", "93008", 48.9060, 2.4450),
    Place("pop-montreuil", "PoP Montreuil Croix-de-Chavaux", "93048", 48.8580, 2.4360),
    Place("pop-rosny", "PoP Rosny-sous-Bois Bois-Perrier", "93064", 48.8790, 2.4800),
    Place("pop-noisy-le-grand", "PoP Noisy-le-Grand Mont-d'Est", "93051", 48.8420, 2.5450),
    Place("pop-aulnay", "PoP Aulnay-sous-Bois Gros-Saule", "93005", 48.9450, 2.5050),
    Place("pop-sevran", "PoP Sevran Beaudottes", "93071", 48.9400, 2.5250),
    Place("pop-tremblay", "PoP Tremblay-en-France Vieux-Pays", "93073", 48.9550, 2.5700),
    Place("pop-clichy-montfermeil", "PoP Clichy-Montfermeil", "93014", 48.9050, 2.5550),
)

# Departmental parks with public Wi-Fi (number of access points in brackets of the tuple).
PARKS: tuple[tuple[Place, int], ...] = (
    (Place("parc-georges-valbon", "Parc départemental Georges-Valbon", "93027", 48.9440, 2.4110), 28),
    (Place("parc-jean-moulin-les-guilands", "Parc départemental Jean-Moulin – Les Guilands", "93006",
           48.8660, 2.4260), 12),
    (Place("parc-du-sausset", "Parc départemental du Sausset", "93078", 48.9570, 2.5150), 20),
    (Place("parc-de-l-ile-saint-denis", "Parc départemental de l'Île-Saint-Denis", "93039",
           48.9440, 2.3380), 10),
    (Place("parc-de-la-poudrerie", "Parc forestier de la Poudrerie", "93071", 48.9300, 2.5450), 14),
    (Place("parc-de-la-haute-ile", "Parc départemental de la Haute-Île", "93050", 48.8590, 2.5470), 10),
    (Place("parc-de-la-bergere", "Parc départemental de la Bergère", "93008", 48.9010, 2.4300), 8),
    (Place("parc-de-la-fosse-maussoin", "Parc départemental de la Fosse-Maussoin", "93014",
           48.9080, 2.5500), 6),
)

# People collèges and lycées of the département are named after (the generator combines them with
# communes; each (namesake, commune) pair is used once).
NAMESAKES: tuple[str, ...] = (
    "Jean-Jaurès", "Pablo-Neruda", "Jean-Moulin", "Louise-Michel", "Paul-Éluard", "Elsa-Triolet",
    "Henri-Wallon", "Gustave-Courbet", "Jules-Ferry", "Victor-Hugo", "Romain-Rolland", "Anatole-France",
    "Pierre-Curie", "Marie-Curie", "Jacques-Prévert", "Georges-Brassens", "Aimé-Césaire", "Lucie-Aubrac",
    "Gabriel-Péri", "Joliot-Curie", "Federico-García-Lorca", "Georges-Politzer", "Françoise-Dolto",
    "Simone-Veil", "Olympe-de-Gouges", "Jean-Vilar", "Albert-Camus", "Stendhal", "Rosa-Parks",
    "Nelson-Mandela", "Paul-Langevin", "Honoré-de-Balzac", "Évariste-Galois", "Jean-Renoir",
    "Césaria-Evora", "Dora-Maar", "Iqbal-Masih", "Lavoisier", "Condorcet", "René-Descartes", "Jean-Zay",
    "Marcelin-Berthelot", "Pierre-de-Geyter", "Miriam-Makeba", "Gisèle-Halimi", "Robert-Doisneau",
    "Jean-Macé", "Léo-Lagrange", "Eugène-Delacroix", "Irène-Joliot-Curie", "Danielle-Casanova",
    "Guy-Môquet", "Pierre-Sémard", "Lucie-et-Raymond-Aubrac", "Maximilien-de-Robespierre", "Suger",
    "Eugène-Hénaff", "Alfred-Nobel", "Charles-de-Gaulle", "Jean-Lurçat", "Fernand-Léger", "Marc-Bloch",
    "Germaine-Tillion", "Madeleine-Vionnet", "Voltaire", "Molière", "Jean-de-La-Fontaine",
    "Claude-Debussy", "Berlioz", "Frédéric-Chopin", "Colette-Besson", "Angela-Davis", "Jean-Baptiste-Clément",
)

# Kinds of departmental buildings (name prefix, share of the 215 sites).
DEPARTMENTAL_KINDS: tuple[tuple[str, str, int], ...] = (
    ("cs", "Circonscription de service social", 40),
    ("pmi", "Centre de PMI", 50),
    ("creche", "Crèche départementale", 50),
    ("cdd", "Centre départemental de dépistage et de soins", 15),
    ("ase", "Service de l'aide sociale à l'enfance", 20),
    ("ctr", "Centre technique routier", 15),
    ("ems", "Espace des solidarités", 25),
)
