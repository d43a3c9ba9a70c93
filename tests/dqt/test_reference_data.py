"""The DfE degree-institution list we ship."""

import uuid

from dqt.reference_data import degree_institution, degree_institutions


def test_all_589_institutions_are_loaded():
    assert len(degree_institutions()) == 589


def test_an_institution_is_found_by_uuid_in_any_case():
    institution = degree_institution(uuid.UUID("5C9E1D2D-3FA2-E811-812B-5065F38BA241"))
    assert (institution.name, institution.ukprn, institution.closed) == (
        "The Open University",
        "10007773",
        None,
    )


def test_a_closed_institution_says_when_it_closed():
    institution = degree_institution("c4db7129-7042-e811-80ff-3863bb3640b8")
    assert institution.closed == "2005"
    assert institution.ukprn is None


def test_an_unknown_uuid_is_none():
    assert degree_institution("00000000-0000-0000-0000-000000000000") is None
    assert degree_institution(None) is None
