"""The fake DQT finds ITT rows by slug through an index, as DQT's query does; it must find
exactly what a scan of every teacher would."""

from dqt.fake.state import FakeDqtState


def _slugs(state: FakeDqtState, slug: str) -> list[tuple[str, str]]:
    return [(row["providerUkprn"], row["slugId"]) for row in state._rows_with_slug(slug)]


def _row(slug: str, ukprn: str = "10000001", **extra) -> dict:
    return {"slugId": slug, "providerUkprn": ukprn, "programmeType": "HEI", **extra}


def test_rows_made_before_and_after_the_index_are_found_and_replaced_rows_are_not():
    state = FakeDqtState()
    state.put_teacher({"trn": "1000001", "initialTeacherTraining": [_row("a")]})
    assert _slugs(state, "a") == [("10000001", "a")]  # the index is built here
    state.put_teacher({"trn": "1000002", "initialTeacherTraining": [_row("b", "10000002")]})
    assert _slugs(state, "b") == [("10000002", "b")]
    # The teacher's rows replaced: the old slug is no longer on any record.
    state.put_teacher({"trn": "1000001", "initialTeacherTraining": [_row("c")]})
    assert _slugs(state, "a") == []
    assert _slugs(state, "c") == [("10000001", "c")]
    assert _slugs(state, "missing") == []


def test_inactive_rows_are_left_out_and_a_slug_on_two_records_is_found_in_their_order():
    state = FakeDqtState()
    state.put_teacher({"trn": "1000001", "initialTeacherTraining": [_row("s", "10000001")]})
    state.put_teacher(
        {"trn": "1000002", "initialTeacherTraining": [_row("s", "10000002", active=False)]}
    )
    assert _slugs(state, "s") == [("10000001", "s")]
    state.put_teacher({"trn": "1000003", "initialTeacherTraining": [_row("s", "10000003")]})
    assert _slugs(state, "s") == [("10000001", "s"), ("10000003", "s")]


def test_a_restored_state_finds_its_rows():
    state = FakeDqtState()
    state.put_teacher({"trn": "1000001", "initialTeacherTraining": [_row("a")]})
    assert _slugs(state, "a") == [("10000001", "a")]
    other = FakeDqtState()
    other.restore(state.dump())
    assert _slugs(other, "a") == [("10000001", "a")]
    state.reset()
    assert _slugs(state, "a") == []
