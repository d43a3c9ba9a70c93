"""Country names → the country codes DQT takes, as Register's ``find_country_code`` did
(``app/lib/dqt/params/trn_request.rb``).

A trainee's ``iqts_country`` holds a country's *name* from the DfE list of countries and
territories (the list Register's IQTS form offers). DQT wants its code: the DfE id with any
territory part dropped (``GB-WLS`` → ``GB``), and ``XC`` for Cyprus. A name not in the DfE
list is looked up as Register did: the first HESA country whose name starts with it, then
Register's own exceptions (the emirates, Taiwan …). Matching is exact, as in Register.

The lists are copies (see ``dqt/data/README.md``).
"""

from __future__ import annotations

import csv
import re
from functools import cache

from django.core.exceptions import ValidationError

from .reference_data import DATA_DIR

# Register's Dqt::Params::TrnRequest::COUNTRY_EXCEPTIONS and COUNTRY_CODE_EXCEPTIONS.
COUNTRY_EXCEPTIONS = {
    "Ajman": "AE",
    "Abu Dhabi": "AE",
    "Dubai": "AE",
    "Fujairah": "AE",
    "Ras al-Khaimah": "AE",
    "Sharjah": "AE",
    "Umm al-Quwain": "AE",
    "Cyprus (European Union)": "XA",
    "Cyprus (non European Union)": "XB",
    "Taiwan": "CN",
    "French Guiana": "FR",
    "Guadeloupe": "FR",
    "Puerto Rico": "US",
    "Tristan da Cunha": "GB",
}
COUNTRY_CODE_EXCEPTIONS = {"CY": "XC"}
TERRITORY_PART = re.compile(r"-\w+$")


@cache
def _rows(filename: str) -> tuple[tuple[str, str], ...]:
    with (DATA_DIR / filename).open(newline="", encoding="utf-8") as handle:
        return tuple((row[0], row[1]) for row in list(csv.reader(handle))[1:])


@cache
def countries_and_territories() -> dict[str, str]:
    """The DfE list, name → id (the first id where a name repeats, as ``.first`` did)."""
    names: dict[str, str] = {}
    for country_id, name in _rows("countries_and_territories.csv"):
        names.setdefault(name, country_id)
    return names


def country_code(name: str | None) -> str | None:
    """DQT's code for a country name; None for a blank name or one nobody can map."""
    if not name:
        return None
    code = countries_and_territories().get(name)
    if code is None:
        code = next((c for c, hesa in _rows("hesa_countries.csv") if hesa.startswith(name)), None)
    if code is None:
        code = COUNTRY_EXCEPTIONS.get(name)
    if code is None:
        return None
    code = TERRITORY_PART.sub("", code)
    return COUNTRY_CODE_EXCEPTIONS.get(code, code)


def validate_iqts_country(value: str) -> None:
    if value and country_code(value) is None:
        raise ValidationError(
            f"'{value}' is not a country DQT knows. Use its name as the DfE list writes it, "
            "e.g. 'Ireland', 'South Korea', 'United States'."
        )
