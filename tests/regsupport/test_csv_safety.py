import pytest
from django.db.models import F

from providers.models import Provider
from regsupport.csv_safety import SafeCsvText, safe_cell
from tests.factories import ProviderFactory

CASES = [
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("Ann", "Ann"),
    ("a=b", "a=b"),
    (" =1", " =1"),
    ("", ""),
]


@pytest.mark.parametrize(("value", "written"), CASES)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(value, written):
    assert safe_cell(value) == written


def test_numbers_and_empty_cells_are_left_alone():
    assert safe_cell(-3) == -3
    assert safe_cell(None) is None


@pytest.mark.django_db
def test_the_database_neutralises_exactly_what_python_does():
    for value, _ in CASES:
        ProviderFactory(name=value)
    written = list(
        Provider.objects.order_by("pk").values_list(SafeCsvText(F("name")), SafeCsvText(F("pk")))
    )
    assert [name for name, _ in written] == [safe_cell(value) for value, _ in CASES]
    assert all(isinstance(pk, int) for _, pk in written)
