"""DfE reference data the DQT integration needs: degree-awarding institutions and UKPRNs.

The list is a copy of the DfE Reference Data gem's degree institutions (see
``dqt/data/README.md`` for the source and commit).
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DEGREE_INSTITUTIONS_CSV = DATA_DIR / "degree_institutions.csv"


@dataclass(frozen=True)
class Institution:
    uuid: str
    name: str
    ukprn: str | None
    hesa_itt_code: str | None
    closed: str | None

    @property
    def is_closed(self) -> bool:
        return bool(self.closed)


@cache
def degree_institutions() -> dict[str, Institution]:
    """Every institution by its lower-case uuid, read once per process."""
    institutions: dict[str, Institution] = {}
    with DEGREE_INSTITUTIONS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            institution = Institution(
                uuid=row["institution_uuid"].strip().lower(),
                name=row["name"].strip(),
                ukprn=row["ukprn"].strip() or None,
                hesa_itt_code=row["hesa_itt_code"].strip() or None,
                closed=row["closed"].strip() or None,
            )
            institutions[institution.uuid] = institution
    return institutions


def degree_institution(institution_uuid: uuid.UUID | str | None) -> Institution | None:
    """The institution a trainee's ``degree_institution_uuid`` names, or None if unknown."""
    if not institution_uuid:
        return None
    return degree_institutions().get(str(institution_uuid).strip().lower())


def degree_institution_ukprns() -> frozenset[str]:
    return frozenset(i.ukprn for i in degree_institutions().values() if i.ukprn)
