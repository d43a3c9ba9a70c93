"""The console's trainee search: each kind of term is recognised and found by an index."""

import pytest
from django.db import connection

from tests.factories import TraineeFactory
from trainees.models import Trainee
from trainees.selectors import trainees_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return TraineeFactory(
        first_names="Ada", last_name="Lovelace", trn="1234567", email="Ada.Lovelace@example.com"
    )


@pytest.fixture
def others():
    return [
        TraineeFactory(first_names="Alan", last_name="Turing", trn="7654321"),
        TraineeFactory(first_names="Grace", middle_names="Brewster", last_name="Hopper"),
        TraineeFactory(first_names="Adam", last_name="Smith"),
    ]


def _search(term):
    return trainees_search(trainees=Trainee.objects.all(), term=term)


def _found(term):
    return {t.last_name for t in _search(term).trainees}


@pytest.mark.parametrize(
    ("term", "kind"),
    [
        ("1234567", "TRN or id"),
        ("ada.lovelace@EXAMPLE.com", "email"),
        ("  Ada   Love ", "name"),
    ],
)
def test_each_kind_of_term_finds_only_its_trainee(ada, others, term, kind):
    assert _search(term).looked_up_by == kind
    assert _found(term) == {"Lovelace"}


def test_slug_finds_its_trainee(ada, others):
    assert _search(ada.slug).looked_up_by == "slug or name"
    assert _found(ada.slug) == {"Lovelace"}


def test_id_finds_its_trainee_and_not_a_trn_of_the_same_digits(ada, others):
    assert _search(str(ada.pk)).looked_up_by == "id"
    assert _found(str(ada.pk)) == {"Lovelace"}
    # Seven digits are a TRN or an id: both are found.
    alan = others[0]
    Trainee.objects.filter(pk=alan.pk).update(trn=f"{ada.pk:07d}")
    assert _found(f"{ada.pk:07d}") == {"Lovelace", "Turing"}


def test_name_words_match_any_part_in_any_case_and_all_must_match(ada, others):
    assert _found("ada") == {"Lovelace", "Smith"}
    assert _found("ADA LOVE") == {"Lovelace"}
    assert _found("brewster hop") == {"Hopper"}  # a middle name counts
    assert _found("velac") == {"Lovelace"}  # inside a name
    assert _found("ada turing") == set()


def test_short_words_match_the_start_of_a_first_or_last_name(ada, others):
    assert _found("Tu") == {"Turing"}
    assert _found("al") == {"Turing"}  # Alan, not Lovelace's "la" inside
    assert _found("Gr Ho") == {"Hopper"}


def test_like_wildcards_are_plain_characters(ada, others):
    assert _found("a%a") == set()
    assert _found("A_a") == set()


def test_an_unknown_email_or_number_finds_nothing(ada, others):
    assert _found("nobody@example.com") == set()
    assert _found("9999999") == set()


@pytest.mark.parametrize(
    ("make_term", "index"),
    [
        (lambda t: t.trn, "trainees_trainee_trn"),
        (lambda t: t.email.upper(), "trainees_trainee_email_upper"),
        (lambda t: t.slug, "trainees_trainee_slug"),  # either slug index
        (lambda t: "velace", "trainees_trainee_name_trgm"),
        (lambda t: "lo", "trainees_trainee_last_name"),
    ],
)
def test_each_kind_of_term_is_looked_up_by_its_index(ada, others, make_term, index):
    """With sequential scans priced out, the plan reads the term's index: the query's
    expression is the index's (a table of a million rows would otherwise be read)."""
    queryset = _search(make_term(ada)).trainees.order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert index in plan
    assert "Seq Scan" not in plan


def test_the_admin_list_uses_the_search(agent_client, ada, others):
    response = agent_client.get("/admin/trainees/trainee/", {"q": ada.email})
    assert response.status_code == 200
    assert [t.pk for t in response.context["cl"].result_list] == [ada.pk]
