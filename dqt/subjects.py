"""Course subject names → the subject codes DQT takes, as Register's
``Dqt::Params::TrnRequest#course_subject_code`` did.

Register matched the name exactly (case and spaces included) against its HESA course-subject
code set (``app/lib/hesa/code_sets/course_subjects.rb``, names from
``config/initializers/subjects/course_subjects.rb``, register-trainee-teachers @ 3d64776),
after the three pseudo-codes it agreed with DQT for subjects HECoS lacks. A name it could
not map (``science`` is the one Register subject without a code) went to DQT as null.
"""

from __future__ import annotations

# "these three subjects are not coded by HESA so we've agreed these encodings with the DQT team"
PSEUDO_CODES: dict[str, str] = {
    "Citizenship": "999001",
    "Physical education": "999002",
    "Design and technology": "999003",
}

# Hesa::CodeSets::CourseSubjects::MAPPING, inverted: Register's subject name → HECoS code.
HECOS_CODES: dict[str, str] = {
    "Ancient Hebrew": "101117",
    "applied biology": "100343",
    "applied chemistry": "101038",
    "applied computing": "100358",
    "applied physics": "101060",
    "Arabic languages": "101192",
    "biology": "100346",
    "business and management": "100078",
    "business studies": "100079",
    "chemistry": "100417",
    "child development": "100456",
    "Chinese languages": "101165",
    "classical Greek studies": "101126",
    "classical studies": "100300",
    "computer science": "100366",
    "construction and the built environment": "100150",
    "art and design": "101361",
    "dance": "100068",
    "design": "100048",
    "drama": "100069",
    "early years teaching": "100510",
    "economics": "100450",
    "English as a second or other language": "101109",
    "English studies": "100320",
    "environmental sciences": "100381",
    "food and beverage studies": "101017",
    "French language": "100321",
    "general or integrated engineering": "100184",
    "general science": "100390",
    "geography": "100409",
    "German language": "100323",
    "graphic design": "100061",
    "hair and beauty sciences": "101373",
    "health and social care": "100476",
    "health studies": "100473",
    "historical linguistics": "101410",
    "history": "100302",
    "hospitality": "100891",
    "information technology": "100372",
    "Italian language": "100326",
    "Latin language": "101420",
    "law": "100485",
    "manufacturing engineering": "100202",
    "materials science": "100225",
    "mathematics": "100403",
    "media and communication studies": "100444",
    "modern languages": "100329",
    "music education and teaching": "100642",
    "performing arts": "100071",
    "philosophy": "100337",
    "physics": "100425",
    "Portuguese language": "101142",
    "primary teaching": "100511",
    "product design": "100050",
    "production and manufacturing engineering": "100209",
    "psychology": "100497",
    "public services": "100091",
    "recreation and leisure studies": "100893",
    "religious studies": "100339",
    "retail management": "100092",
    "Russian languages": "100330",
    "social sciences": "100471",
    "Spanish language": "100332",
    "sport and exercise sciences": "100433",
    "sports management": "100097",
    "statistics": "100406",
    "textiles technology": "100214",
    "travel and tourism": "100101",
    "UK government/parliamentary studies": "100610",
    "Welsh language": "100333",
    "Japanese language": "101169",
    "teaching English as a foreign language": "100513",
}

# Every code DQT knows as a course subject (the fake DQT rejects anything else).
KNOWN_CODES: frozenset[str] = frozenset({*HECOS_CODES.values(), *PSEUDO_CODES.values()})


def hecos_code(subject: str | None) -> str | None:
    """The code to send for a course subject name; None when Register had none for it."""
    if subject is None:
        return None
    return PSEUDO_CODES.get(subject) or HECOS_CODES.get(subject)
