import re

import pytest

from tests.factories import TraineeFactory
from trainees.errors import TraineeStateError
from trainees.models import BASE58_ALPHABET, Trainee, generate_slug


def test_slug_is_24_base58_characters():
    slug = generate_slug()
    assert len(slug) == 24
    assert set(slug) <= set(BASE58_ALPHABET)
    assert not re.search(r"[0OIl]", slug)


def test_slugs_do_not_repeat():
    assert len({generate_slug() for _ in range(5000)}) == 5000


@pytest.mark.django_db
def test_a_new_trainee_gets_a_slug_and_keeps_it_on_save():
    trainee = TraineeFactory()
    slug = trainee.slug
    assert len(slug) == 24
    trainee.last_name = "Changed"
    trainee.save()
    assert Trainee.objects.get(pk=trainee.pk).slug == slug


@pytest.mark.django_db
def test_changing_a_slug_is_refused():
    trainee = Trainee.objects.get(pk=TraineeFactory().pk)
    original = trainee.slug
    trainee.slug = generate_slug()
    with pytest.raises(TraineeStateError, match="slug never changes"):
        trainee.save()
    assert Trainee.objects.get(pk=trainee.pk).slug == original


@pytest.mark.django_db
def test_slug_is_read_only_in_the_admin(client, superuser):
    trainee = TraineeFactory()
    client.force_login(superuser)
    page = client.get(f"/admin/trainees/trainee/{trainee.pk}/change/")
    assert page.status_code == 200
    assert 'name="slug"' not in page.content.decode()
    assert trainee.slug in page.content.decode()
