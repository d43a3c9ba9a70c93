"""Course subject names (as Register stores them) → the HECoS codes DQT expects.

Codes from Register's published course-subject reference data (HESA SBJCA list,
register-trainee-teachers ``tech_docs/source/reference-data/v2025.0``), plus the three
pseudo-codes DQT agreed for subjects HECoS lacks (dqt-api.md §3). Names are matched without
regard to case or surrounding spaces. A name not listed here is sent to DQT unchanged, so DQT
(and the fake DQT) rejects it with "Subject not found" rather than us guessing a code.
"""

from __future__ import annotations

HECOS_CODES: dict[str, str] = {
    "design": "100048",
    "product design": "100050",
    "graphic design": "100061",
    "dance": "100068",
    "drama": "100069",
    "performing arts": "100071",
    "business and management": "100078",
    "business studies": "100079",
    "public services": "100091",
    "retail management": "100092",
    "sports management": "100097",
    "travel and tourism": "100101",
    "construction and the built environment": "100150",
    "general or integrated engineering": "100184",
    "manufacturing engineering": "100202",
    "production and manufacturing engineering": "100209",
    "textiles technology": "100214",
    "materials science": "100225",
    "classical studies": "100300",
    "history": "100302",
    "english studies": "100320",
    "french language": "100321",
    "german language": "100323",
    "italian language": "100326",
    "modern languages": "100329",
    "russian languages": "100330",
    "spanish language": "100332",
    "welsh language": "100333",
    "philosophy": "100337",
    "religious studies": "100339",
    "applied biology": "100343",
    "biology": "100346",
    "applied computing": "100358",
    "computer science": "100366",
    "information technology": "100372",
    "environmental sciences": "100381",
    "general science": "100390",
    "mathematics": "100403",
    "statistics": "100406",
    "geography": "100409",
    "chemistry": "100417",
    "physics": "100425",
    "sport and exercise sciences": "100433",
    "media and communication studies": "100444",
    "economics": "100450",
    "childhood studies": "100456",
    "social sciences": "100471",
    "health studies": "100473",
    "health and social care": "100476",
    "law": "100485",
    "psychology": "100497",
    "early years teaching": "100510",
    "primary teaching": "100511",
    "teaching english as a foreign language": "100513",
    "uk government/parliamentary studies": "100610",
    "music education and teaching": "100642",
    "hospitality": "100891",
    "recreation and leisure studies": "100893",
    "food and beverage studies": "101017",
    "applied chemistry": "101038",
    "applied physics": "101060",
    "english as a second or other language": "101109",
    "ancient hebrew language": "101117",
    "classical greek studies": "101126",
    "portuguese language": "101142",
    "chinese languages": "101165",
    "japanese languages": "101169",
    "arabic languages": "101192",
    "creative arts and design": "101361",
    "hair and beauty sciences": "101373",
    "historical linguistics": "101410",
    "latin language": "101420",
    # DQT-agreed pseudo-codes: no HECoS code exists for these.
    "citizenship": "999001",
    "physical education": "999002",
    "design and technology": "999003",
}

# Every code DQT knows as a subject (the fake DQT rejects anything else).
KNOWN_CODES: frozenset[str] = frozenset(HECOS_CODES.values())


def hecos_code(subject: str | None) -> str | None:
    """The code to send for a course subject; unknown names pass through unchanged."""
    if subject is None or not subject.strip():
        return None
    name = subject.strip()
    if name in KNOWN_CODES:
        return name
    return HECOS_CODES.get(name.lower(), name)
