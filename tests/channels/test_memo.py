"""``remember`` (channels/memo.py): a memo holds at most its limit, the oldest going first."""

from channels.memo import remember


def test_a_memo_keeps_its_newest_entries_and_forgets_the_oldest_first() -> None:
    memo: dict[str, int] = {}
    for number, key in enumerate("abcd"):
        assert remember(memo, key, number, limit=3) == number
    assert memo == {"b": 1, "c": 2, "d": 3}
    remember(memo, "e", 4, limit=3)
    assert list(memo) == ["c", "d", "e"]
