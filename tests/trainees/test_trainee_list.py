"""The trainee list pages by seeking (newest first) and counts with a cap."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from regsupport import admin_lists
from tests.factories import ProviderFactory, TraineeFactory
from trainees.admin import TraineeAdmin
from trainees.models import Trainee

pytestmark = pytest.mark.django_db

LIST = "/admin/trainees/trainee/"


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(TraineeAdmin, "list_per_page", 4)


@pytest.fixture
def trainees():
    """23 trainees; most share their created_at with others (a bulk import does that), so
    the id has to break the ties for no row to be skipped or shown twice."""
    provider = ProviderFactory()
    made = TraineeFactory.create_batch(23, provider=provider)
    base = timezone.now() - timedelta(days=1)
    for index, trainee in enumerate(made):
        Trainee.objects.filter(pk=trainee.pk).update(
            created_at=base + timedelta(seconds=index // 5)
        )
    return list(Trainee.objects.order_by("-created_at", "-id").values_list("pk", flat=True))


def _page(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    changelist = response.context["cl"]
    return [t.pk for t in changelist.result_list], changelist


def _walk(client, start_params, link):
    """Every page from the first, following ``link`` (older_url) until there is none."""
    ids, changelist = _page(client, LIST, start_params)
    pages = [ids]
    while getattr(changelist, link):
        ids, changelist = _page(client, LIST + getattr(changelist, link))
        pages.append(ids)
        assert len(pages) < 50
    return pages, changelist


def test_older_pages_show_every_trainee_once_in_order(agent_client, small_pages, trainees):
    pages, _ = _walk(agent_client, {}, "older_url")
    assert [len(p) for p in pages] == [4, 4, 4, 4, 4, 3]
    assert [pk for page in pages for pk in page] == trainees


def test_newer_pages_lead_back_through_the_same_pages(agent_client, small_pages, trainees):
    older_pages, last = _walk(agent_client, {}, "older_url")
    back = []
    changelist = last
    while changelist.newer_url:
        ids, changelist = _page(agent_client, LIST + changelist.newer_url)
        back.append(ids)
    assert back == older_pages[-2::-1]
    assert changelist.newest_url == ""  # back on the first page


def test_paging_keeps_the_filter_and_search(agent_client, small_pages, trainees):
    other = ProviderFactory()
    TraineeFactory.create_batch(6, provider=other, last_name="Quixote")
    pages, _ = _walk(agent_client, {"provider__id__exact": other.pk}, "older_url")
    assert [len(p) for p in pages] == [4, 2]
    pages, _ = _walk(agent_client, {"q": "quixote"}, "older_url")
    assert sum(len(p) for p in pages) == 6


def test_the_cursor_is_not_taken_for_a_filter(agent_client, small_pages, trainees):
    _, changelist = _page(agent_client, LIST)
    older = parse_qs(urlsplit(changelist.older_url).query)
    assert set(older) == {admin_lists.AFTER_VAR}
    # Filter links start again from the newest trainee.
    assert admin_lists.AFTER_VAR not in changelist.get_query_string({"state__exact": 2})


def test_a_broken_or_stale_cursor_shows_the_newest_page(agent_client, small_pages, trainees):
    assert _page(agent_client, LIST, {"after": "nonsense"})[0] == trainees[:4]
    assert _page(agent_client, LIST, {"after": "1.1"})[0] == trainees[:4]  # before any row
    assert _page(agent_client, LIST, {"before": "99999999999999999.1"})[0] == trainees[:4]


def test_count_is_exact_up_to_the_cap(agent_client, small_pages, trainees):
    response = agent_client.get(LIST)
    assert "23 trainees" in response.text
    assert "estimate" not in response.text
    response = agent_client.get(LIST, {"q": trainees_last_name(trainees[0])})
    assert response.context["cl"].count.exact >= 1


def test_count_past_the_cap_says_it_is_an_estimate(
    agent_client, small_pages, trainees, monkeypatch
):
    monkeypatch.setattr(admin_lists, "COUNT_CAP", 10)
    response = agent_client.get(LIST)
    text = response.text
    assert "more than 10 trainees, about" in text
    assert "by estimate" in text
    assert "counted up to 10; the rest is the database's estimate" in text
    assert response.context["cl"].count.exact is None
    # Select-all does not claim a number it did not count.
    assert "Select every matching trainee (more than 10 trainees" in text


def test_a_one_page_list_is_counted_without_a_count_query(agent_client, trainees):
    with CaptureQueriesContext(connection) as captured:
        response = agent_client.get(LIST)
    assert response.context["cl"].count.exact == 23
    assert "23 trainees" in response.text
    trainee_counts = [
        q["sql"] for q in captured if "COUNT(" in q["sql"] and "trainees_trainee" in q["sql"]
    ]
    assert trainee_counts == []


def test_the_list_and_each_filter_take_at_most_12_queries(
    agent_client, small_pages, trainees, django_assert_max_num_queries
):
    some = Trainee.objects.get(pk=trainees[7])
    cases = [
        {},
        {"state__exact": some.state},
        {"training_route__exact": some.training_route},
        {"provider__id__exact": some.provider_id},
        {"discarded": "yes"},
        {"q": some.email},
        {"q": some.last_name},
        {"after": admin_lists.seek_cursor(some.created_at, some.pk)},
    ]
    agent_client.get(LIST)  # a running console has its content types and flags cached
    for params in cases:
        with django_assert_max_num_queries(12):
            assert agent_client.get(LIST, params).status_code == 200


def trainees_last_name(pk):
    return Trainee.objects.get(pk=pk).last_name


def test_provider_filter_is_one_select_that_keeps_the_other_filters(agent_client, trainees):
    chosen = ProviderFactory(name="Northfield <University>")
    TraineeFactory(provider=chosen, last_name="Quixote")
    response = agent_client.get(LIST, {"state__exact": 0, "provider__id__exact": chosen.pk})
    assert [t.last_name for t in response.context["cl"].result_list] == ["Quixote"]
    text = response.text
    assert f'<option value="{chosen.pk}" selected>Northfield &lt;University&gt;</option>' in text
    assert '<input type="hidden" name="state__exact" value="0">' in text
    # A provider id that is not a number matches nothing (not a server error).
    response = agent_client.get(LIST, {"provider__id__exact": "٣"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_rows_link_to_each_trainee_and_escape_their_text(agent_client, trainees):
    odd = TraineeFactory(first_names="<b>Bold</b>", last_name="O'Neil")
    text = agent_client.get(LIST).text
    assert (
        f'<a href="/admin/trainees/trainee/{odd.pk}/change/">&lt;b&gt;Bold&lt;/b&gt; O&#x27;Neil</a>'
        in text
    )
    assert "<b>Bold</b>" not in text
    assert f'name="_selected_action" value="{odd.pk}"' in text


def test_a_lookup_popup_keeps_djangos_rows_that_hand_the_choice_back(agent_client, trainees):
    response = agent_client.get(LIST, {"_popup": "1", "_to_field": "id"})
    assert response.status_code == 200
    assert "data-popup-opener" in response.text
