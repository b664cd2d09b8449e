"""RFC 3339 ``Timestamp``: parsing against ``datetime`` arithmetic, and exact round trips."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gemini_vision.errors import LocalError
from gemini_vision.wire.timestamp import Timestamp

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)
# Keep clear of the year 1 / 9999 edges so that any offset keeps the local date in range.
moments = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))
nanos_st = st.integers(min_value=0, max_value=999_999_999)


def _offset_text(minutes: int) -> str:
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _date_time_text(local: datetime) -> str:
    # strftime's %Y does not zero-pad years below 1000 on every platform.
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
        f"T{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )


def _reference_seconds(local: datetime, offset_minutes: int) -> int:
    """Seconds since the epoch by ``datetime``'s own arithmetic (an independent reference)."""
    aware = local.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    return (aware - EPOCH) // timedelta(seconds=1)


@given(moments, nanos_st, offsets, st.integers(min_value=1, max_value=9))
def test_parse_matches_datetime_arithmetic(
    local: datetime, nanos: int, offset: int, digits: int
) -> None:
    """Any fraction length 1-9 and any offset give the instant datetime computes."""
    fraction = f"{nanos:09d}"[:digits]
    text = f"{_date_time_text(local)}.{fraction}{_offset_text(offset)}"
    parsed = Timestamp.parse(text)
    assert parsed.seconds == _reference_seconds(local, offset)
    assert parsed.nanos == int(fraction.ljust(9, "0"))
    assert parsed.offset_minutes == offset


@given(moments, nanos_st, offsets)
def test_round_trip_keeps_nanoseconds_and_offset(local: datetime, nanos: int, offset: int) -> None:
    """Timestamp -> text -> Timestamp is exact, in the original offset and in Z form."""
    original = Timestamp(_reference_seconds(local, offset), nanos, offset)
    again = Timestamp.parse(str(original))
    assert (again.seconds, again.nanos, again.offset_minutes) == (
        original.seconds,
        original.nanos,
        original.offset_minutes,
    )
    canonical = Timestamp.parse(original.to_json())
    assert canonical == original
    assert canonical.offset_minutes == 0


@given(moments, st.sampled_from([0, 3, 6, 9]), nanos_st, offsets)
def test_canonical_text_round_trips_verbatim(
    local: datetime, digits: int, nanos: int, offset: int
) -> None:
    """Text with 0, 3, 6 or 9 digits (the shortest exact) comes back character for character."""
    fraction = f"{nanos:09d}"[:digits]
    # Only the shortest exact width is canonical: skip fractions with a trailing zero group.
    widths = [w for w in (3, 6, 9) if w <= digits and fraction[w - 3 : w] != "000"]
    assume(not digits or (widths and widths[-1] == digits))
    text = _date_time_text(local) + (f".{fraction}" if digits else "")
    text += _offset_text(offset)
    assert str(Timestamp.parse(text)) == text


def test_output_uses_shortest_of_3_6_9_digits() -> None:
    """The wire form pads to 3, 6 or 9 fractional digits, never another count."""
    assert Timestamp(0, 100_000_000).to_json() == "1970-01-01T00:00:00.100Z"
    assert Timestamp(0, 120_000).to_json() == "1970-01-01T00:00:00.000120Z"
    assert Timestamp(0, 1).to_json() == "1970-01-01T00:00:00.000000001Z"
    assert Timestamp(-1, 999_999_999).to_json() == "1969-12-31T23:59:59.999999999Z"


def test_seed_examples() -> None:
    """The three examples of the reference parse to the instants they name."""
    a = Timestamp.parse("2014-10-02T15:01:23Z")
    b = Timestamp.parse("2014-10-02T15:01:23.045123456Z")
    c = Timestamp.parse("2014-10-02T15:01:23+05:30")
    assert b.seconds == a.seconds and b.nanos == 45_123_456
    assert a.seconds - c.seconds == 5 * 3600 + 30 * 60


def test_datetime_conversion_truncates_to_microseconds() -> None:
    """to_datetime keeps the offset and truncates nanoseconds; from_datetime is exact."""
    t = Timestamp.parse("2024-02-29T12:00:00.123456789-03:00")
    dt = t.to_datetime()
    assert dt.isoformat() == "2024-02-29T12:00:00.123456-03:00"
    assert Timestamp.from_datetime(dt) == Timestamp(t.seconds, 123_456_000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2014-10-02 15:01:23Z", "is not an RFC 3339 date-time"),
        ("2014-10-02T15:01:23", "is not an RFC 3339 date-time"),
        ("2014-10-02T15:01:23.1234567891Z", "is not an RFC 3339 date-time"),
        ("2014-02-30T15:01:23Z", "has an invalid date"),
        ("2014-10-02T24:00:00Z", "has an invalid time of day"),
        ("2014-10-02T23:59:60Z", "has an invalid time of day"),
        ("2014-10-02T15:01:23+24:00", "has an invalid UTC offset"),
        ("0001-01-01T00:00:00+01:00", "outside years 0001..9999"),
    ],
)
def test_invalid_text_is_refused_with_the_reason(text: str, message: str) -> None:
    """Malformed timestamps raise LocalError saying what is wrong."""
    with pytest.raises(LocalError, match=message):
        Timestamp.parse(text)


def test_naive_datetime_is_refused() -> None:
    """A datetime without a tzinfo has no instant; it is refused."""
    with pytest.raises(LocalError, match="naive datetime"):
        Timestamp.from_datetime(datetime(2020, 1, 1))
