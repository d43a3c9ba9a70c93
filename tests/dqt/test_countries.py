"""Country names → DQT country codes, as Register's find_country_code did."""

import pytest
from django.core.exceptions import ValidationError

from dqt.countries import country_code, validate_iqts_country


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # Register's own spec examples (spec/lib/dqt/params/trn_request_spec.rb).
        ("Ireland", "IE"),
        ("South Korea", "KR"),
        # The DfE list's territory ids lose their territory part.
        ("Wales", "GB"),
        ("England", "GB"),
        # Three-letter DfE ids are sent as they are.
        ("Akrotiri", "XQZ"),
        # COUNTRY_CODE_EXCEPTIONS: Cyprus is XC to DQT.
        ("Cyprus", "XC"),
    ],
)
def test_a_dfe_country_name_gives_registers_code(name, code):
    assert country_code(name) == code


def test_a_name_missing_from_the_dfe_list_is_found_by_the_start_of_a_hesa_name():
    # HESA: "Korea (South) [Korea, Republic of]"; the DfE list has no "Korea (South)".
    assert country_code("Korea (South)") == "KR"
    assert country_code("United Kingdom, not otherwise specified") == "XK"


@pytest.mark.parametrize(
    ("name", "code"), [("Dubai", "AE"), ("Sharjah", "AE"), ("Cyprus (European Union)", "XA")]
)
def test_registers_country_exceptions(name, code):
    assert country_code(name) == code


@pytest.mark.parametrize(("name", "code"), [("Taiwan", "TW"), ("Guadeloupe", "GP")])
def test_a_hesa_name_wins_over_an_exception_as_in_register(name, code):
    # Register looks in HESA's list before its exceptions, so "Taiwan" => "CN" never applied.
    assert country_code(name) == code


@pytest.mark.parametrize("name", [None, "", "Atlantis", "ireland"])
def test_blank_unknown_or_differently_cased_names_give_no_code(name):
    assert country_code(name) is None


def test_the_iqts_country_validator_accepts_blank_and_known_names_only():
    validate_iqts_country("")
    validate_iqts_country("Dubai")
    with pytest.raises(ValidationError, match="'Atlantis' is not a country DQT knows"):
        validate_iqts_country("Atlantis")
