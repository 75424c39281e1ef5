"""The curated occupations of the demo world, with weights for job seekers and for vacancies.

Weights are relative. Job seekers follow what is typical for SGB II customers: many Helfer and
Fachkraft in logistics, cleaning, retail, kitchen and service, care, production and driving, few
experts. Vacancies follow the region's stock: temporary agency work (mostly Helfer in logistics and
production), trade, health and social care, manufacturing, logistics, construction. Titles are
BA job titles (Berufsbenennungen) of the code; codes and titles are checked against the reference
data when the catalogue is built.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OccupationSpec:
    """One curated KldB 5-digit code."""

    code: str
    seekers: float
    vacancies: float
    sector: str
    titles: tuple[str, ...]


def _o(code: str, seekers: float, vacancies: float, sector: str, *titles: str) -> OccupationSpec:
    return OccupationSpec(code, seekers, vacancies, sector, titles)


OCCUPATIONS: tuple[OccupationSpec, ...] = (
    # Logistics
    _o(
        "51311",
        14.0,
        8.0,
        "logistik",
        "Lagerhelfer/in",
        "Lagerarbeiter/in",
        "Packer/in",
        "Verpacker/in",
        "Versandmitarbeiter/in",
        "Lager- und Transportarbeiter/in",
    ),
    _o(
        "51312",
        4.0,
        5.0,
        "logistik",
        "Fachlagerist/in",
        "Lagerist/in",
        "Kommissionierer/in",
        "Lagerfachkraft",
        "Warenannehmer/in",
        "Fachkraft - Lagerlogistik",
    ),
    _o(
        "51321",
        2.0,
        1.5,
        "logistik",
        "Paketsortierer/in",
        "Zeitungszusteller/in",
        "Prospektverteiler/in",
        "Posthelfer/in",
    ),
    _o("51322", 1.0, 1.2, "logistik", "Paketbote/-botin", "Postzusteller/in", "Briefzusteller/in"),
    _o("52531", 1.5, 2.0, "logistik", "Staplerfahrer/in", "Gabelstaplerfahrer/in"),
    _o("51393", 0.2, 0.4, "logistik", "Lagermeister/in", "Logistikmeister/in"),
    # Cleaning
    _o(
        "54101",
        11.0,
        6.0,
        "reinigung",
        "Reinigungskraft",
        "Helfer/in - Reinigung",
        "Fensterreiniger/in",
        "Fahrzeugreiniger/in",
    ),
    _o(
        "54112",
        1.5,
        1.5,
        "reinigung",
        "Gebäudereiniger/in",
        "Unterhaltsreiniger/in",
        "Reinigungsfachkraft",
        "Vorarbeiter/in - Reinigung",
    ),
    # Retail
    _o("62101", 4.0, 2.0, "handel", "Regalauffüller/in", "Helfer/in - Verkauf", "Tankstellenhelfer/in"),
    _o(
        "62102",
        5.0,
        4.5,
        "handel",
        "Verkäufer/in",
        "Einzelhandelskaufmann/-frau",
        "Verkaufsberater/in",
        "Fachverkäufer/in",
    ),
    _o("62112", 2.0, 1.5, "handel", "Kassierer/in", "Verkaufskassierer/in"),
    _o("62312", 1.0, 1.5, "handel", "Bäckereifachverkäufer/in", "Backwarenverkäufer/in"),
    _o("62302", 1.0, 1.0, "handel", "Lebensmittelfachverkäufer/in", "Fachverkäufer/in - Nahrungsmittel"),
    _o("62262", 0.5, 0.6, "handel", "Baumarktverkäufer/in", "Baumarktfachberater/in"),
    _o("62194", 0.2, 0.4, "handel", "Filialleiter/in", "Marktleiter/in", "Store-Manager/in"),
    # Kitchen and hospitality
    _o("29301", 6.0, 3.0, "gastro", "Küchenhelfer/in", "Küchenhilfe", "Kochassistent/in"),
    _o("29302", 2.0, 2.5, "gastro", "Koch/Köchin", "Beikoch/-köchin", "Kantinenkoch/-köchin", "Jungkoch/-köchin"),
    _o(
        "63301",
        3.0,
        2.0,
        "gastro",
        "Servicekraft - Gastronomie und Gastgewerbe",
        "Kantinenhilfe",
        "Geschirrspüler/in",
        "Büfettgehilfe/-gehilfin",
    ),
    _o(
        "63302", 1.0, 1.5, "gastro", "Restaurantfachmann/-frau", "Kellner/in", "Restaurantfachkraft", "Servierfachkraft"
    ),
    _o("63221", 0.8, 0.8, "gastro", "Hotelgehilfe/-gehilfin", "Helfer/in - Hotel", "Empfangskraft"),
    # Care and social
    _o("82101", 4.0, 5.0, "pflege", "Altenpflegehelfer/in", "Pflegehelfer/in - Altenpflege", "Altenpflegeassistent/in"),
    _o("82102", 1.0, 4.0, "pflege", "Altenpfleger/in", "Fachkraft - Altenpflege"),
    _o(
        "81301",
        1.5,
        2.0,
        "pflege",
        "Krankenpflegehelfer/in",
        "Pflegeassistent/in",
        "Gesundheits- und Krankenpflegehelfer/in",
    ),
    _o(
        "81302",
        0.7,
        3.5,
        "pflege",
        "Gesundheits- und Krankenpfleger/in",
        "Nachtwache - Pflege",
        "Pflegefachkraft - Gesundheits- und Krankenpfleger",
    ),
    _o("81102", 0.6, 1.5, "pflege", "Medizinische/r Fachangestellte/r", "Arzthelfer/in"),
    _o(
        "83141",
        2.0,
        2.0,
        "soziales",
        "Betreuungskraft / Alltagsbegleiter/in",
        "Senioren-Assistent/in",
        "Fachkraft - Betreuung",
    ),
    _o("83211", 2.0, 1.0, "soziales", "Haushaltshilfe", "Helfer/in - Hauswirtschaft"),
    _o("83111", 1.0, 0.7, "soziales", "Kinderbetreuer/in", "Kindergartenhelfer/in"),
    _o("83112", 0.5, 1.0, "soziales", "Kinderpfleger/in", "Sozialpädagogische/r Assistent/in"),
    _o("83113", 0.4, 2.0, "soziales", "Erzieher/in", "Horterzieher/in"),
    _o("83124", 0.1, 0.5, "soziales", "Sozialarbeiter/in", "Sozialpädagoge/-pädagogin", "Schulsozialarbeiter/in"),
    # Production, metal, food
    _o("24201", 2.0, 1.5, "produktion", "Helfer/in - Metallbearbeitung", "Entgrater/in", "Helfer/in - Metall"),
    _o(
        "24202",
        1.0,
        1.5,
        "produktion",
        "Maschinen- und Anlagenführer/in - Metall-, Kunststofftechnik",
        "Metallbearbeiter/in",
        "Produktionsfacharbeiter/in - Metall",
    ),
    _o("24232", 0.6, 1.2, "produktion", "CNC-Fräser/in", "CNC-Dreher/in", "Dreher/in"),
    _o("24412", 0.6, 1.0, "produktion", "Konstruktionsmechaniker/in", "Bauschlosser/in"),
    _o("24422", 0.6, 1.0, "produktion", "Schweißer/in", "Blechschweißer/in", "Anlagenschweißer/in"),
    _o("25101", 1.0, 1.0, "produktion", "Helfer/in - Maschinenbau, Betriebstechnik"),
    _o("25102", 0.6, 1.2, "produktion", "Anlagenmonteur/in", "Betriebshandwerker/in"),
    _o(
        "25122",
        1.2,
        1.5,
        "produktion",
        "Maschinen- und Anlagenführer/in (o. Angabe des Schwerpunkts)",
        "Roboterführer/in",
    ),
    _o("25212", 0.6, 1.3, "handwerk", "Kfz-Mechatroniker/in", "Kraftfahrzeugmechaniker/in"),
    _o("25201", 0.6, 0.5, "handwerk", "Automechanikerhelfer/in", "Fahrzeugbauerhelfer/in"),
    _o("22101", 0.5, 0.5, "produktion", "Produktionshelfer/in - Kunststoff und Kautschuk"),
    _o(
        "29201",
        1.5,
        1.0,
        "produktion",
        "Helfer/in - Lebensmittelherstellung",
        "Bäckerhelfer/in",
        "Helfer/in - Fleischverarbeitung",
    ),
    # Driving
    _o(
        "52122",
        1.5,
        2.5,
        "verkehr",
        "Berufskraftfahrer/in",
        "Lastkraftwagenfahrer/in",
        "Berufskraftfahrer/in - Güterverkehr",
    ),
    _o(
        "52182",
        2.0,
        1.5,
        "verkehr",
        "Kurierfahrer/in",
        "Auslieferungsfahrer/in (nicht Verkaufsfahrer/in)",
        "Lieferwagenfahrer/in",
        "Getränkefahrer/in",
    ),
    _o("52132", 0.3, 0.8, "verkehr", "Busfahrer/in", "Omnibusfahrer/in", "Schulbusfahrer/in"),
    # Office and services
    _o("71401", 2.0, 0.7, "buero", "Bürohilfskraft", "Telefonist/in", "Datenerfasser/in"),
    _o(
        "71402",
        2.5,
        2.5,
        "buero",
        "Bürokaufmann/-frau",
        "Kaufmann/-frau - Büromanagement",
        "Bürofachkraft",
        "Kaufmännische Fachkraft",
    ),
    _o("71403", 0.4, 0.8, "buero", "Managementassistent/in", "Direktionsassistent/in"),
    _o("72213", 0.3, 0.8, "buero", "Buchhalter/in", "Finanzbuchhalter/in", "Debitorenbuchhalter/in"),
    _o("92122", 1.0, 0.8, "buero", "Callcenteragent/in", "Telefonagent/in", "Hotline-Mitarbeiter/in"),
    _o(
        "53111", 1.5, 1.2, "sicherheit", "Sicherheitsmitarbeiter/in", "Nachtwächter/in", "Ordner/in bei Veranstaltungen"
    ),
    _o("53112", 0.5, 0.8, "sicherheit", "Fachkraft - Schutz und Sicherheit", "Werkschutzkraft"),
    _o("34102", 0.8, 0.8, "handwerk", "Hausmeister/in", "Haustechniker/in"),
    _o("34301", 0.6, 0.3, "handwerk", "Wertstoffhofarbeiter/in", "Straßenreiniger/in", "Müllwerker/in"),
    # Construction and gardening
    _o("32101", 1.5, 1.0, "bau", "Bauhelfer/in - Hochbau", "Maurerhelfer/in", "Helfer/in - Bau"),
    _o("32122", 0.4, 0.8, "bau", "Maurer/in"),
    _o("33301", 0.8, 0.5, "bau", "Trockenbauhelfer/in", "Ausbauhelfer/in"),
    _o(
        "33212",
        0.5,
        0.8,
        "bau",
        "Maler/in und Lackierer/in - Gestaltung und Instandhaltung",
        "Maler/in",
        "Anstreicher/in",
    ),
    _o(
        "34212",
        0.3,
        1.2,
        "bau",
        "Anlagenmechaniker/in - Sanitär-, Heizungs- und Klimatechnik",
        "Heizungsinstallateur/in",
    ),
    _o("26212", 0.3, 1.2, "bau", "Elektroinstallateur/in", "Elektriker/in"),
    _o(
        "12101",
        1.2,
        0.6,
        "garten",
        "Gartenbauhelfer/in",
        "Helfer/in - Gartenbau",
        "Landschaftsarbeiter/in",
        "Gartenarbeiter/in",
    ),
    _o("12142", 0.4, 0.7, "garten", "Landschaftsgärtner/in", "Gärtner/in - Garten- und Landschaftsbau"),
    # IT and experts (few)
    _o("43412", 0.3, 0.5, "it", "Fachinformatiker/in - Anwendungsentwicklung"),
    _o("43413", 0.15, 0.4, "it", "Anwendungsentwickler/in", "Softwarespezialist/in"),
    _o("25104", 0.05, 0.3, "produktion", "Maschinenbauingenieur/in", "Ingenieur/in - Maschinenbau"),
    _o("72112", 0.2, 0.3, "buero", "Bankkaufmann/-frau", "Bankangestellte/r"),
)

# Helfer jobs that agencies fill (Arbeitnehmerüberlassung) far more often than others.
AGENCY_SECTORS: frozenset[str] = frozenset({"logistik", "produktion", "reinigung", "bau"})
