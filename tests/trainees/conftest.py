import pytest

from trainees.signals import trainee_changed


@pytest.fixture
def trainee_changes():
    """Every trainee_changed signal sent during the test, as dicts of its kwargs, with
    whether the database transaction was still open when it was sent."""
    from django.db import connection

    sent = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal", None)
        sent.append({**kwargs, "in_transaction": connection.in_atomic_block})

    trainee_changed.connect(receiver, weak=False, dispatch_uid="test-trainee-changes")
    yield sent
    trainee_changed.disconnect(dispatch_uid="test-trainee-changes")
