"""RFC 3339 timestamps as the API writes them, exact to the nanosecond.

The API's ``Timestamp`` fields (``createTime``, ``computeTime``, ...) are RFC 3339
strings with 0, 3, 6 or 9 fractional digits, normalized to ``Z`` on output but
accepted with any offset. ``datetime`` keeps microseconds only, so a
``Timestamp`` stores the instant as whole seconds since the Unix epoch plus
nanoseconds, and remembers the offset it was written with so that
``str(Timestamp.parse(text))`` gives the same instant in the same offset.

Two timestamps are equal when they name the same instant, whatever their
offsets.

>>> t = Timestamp.parse("2014-10-02T15:01:23.045123456+05:30")
>>> t.to_json()
'2014-10-02T09:31:23.045123456Z'
>>> str(t)
'2014-10-02T15:01:23.045123456+05:30'
>>> t == Timestamp.parse("2014-10-02T09:31:23.045123456Z")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from gemini_vision.errors import LocalError

__all__ = ["Timestamp"]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
_NANOS_PER_SECOND = 1_000_000_000
# google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
_MIN_SECONDS = (date(1, 1, 1).toordinal() - _EPOCH_ORDINAL) * _SECONDS_PER_DAY
_MAX_SECONDS = (date(9999, 12, 31).toordinal() - _EPOCH_ORDINAL + 1) * _SECONDS_PER_DAY - 1

_RFC3339 = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
    r"(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


@dataclass(frozen=True, slots=True)
class Timestamp:
    """An instant with nanosecond precision, and the UTC offset it is shown in.

    Attributes:
        seconds: whole seconds since 1970-01-01T00:00:00Z (negative before it).
        nanos: 0..999,999,999 nanoseconds after ``seconds``.
        offset_minutes: the offset used by ``str()``; not part of equality.

    >>> Timestamp(seconds=0, nanos=5_000_000).to_json()
    '1970-01-01T00:00:00.005Z'
    """

    seconds: int
    nanos: int = 0
    offset_minutes: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.nanos < _NANOS_PER_SECOND:
            raise LocalError(f"Timestamp.nanos: must be in [0, 999999999], got {self.nanos}")
        if not _MIN_SECONDS <= self.seconds <= _MAX_SECONDS:
            raise LocalError(f"Timestamp.seconds: {self.seconds} is outside years 0001..9999 (UTC)")
        if not -24 * 60 < self.offset_minutes < 24 * 60:
            raise LocalError(
                f"Timestamp.offset_minutes: must be within ±23:59, got {self.offset_minutes}"
            )
        if not _MIN_SECONDS <= self.seconds + self.offset_minutes * 60 <= _MAX_SECONDS:
            raise LocalError("Timestamp: the local time in this offset is outside years 0001..9999")

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Parse an RFC 3339 timestamp (any offset, up to 9 fractional digits).

        Raises:
            LocalError: the text is not an RFC 3339 date-time in range.

        >>> Timestamp.parse("1970-01-01T00:00:01.5Z")
        Timestamp('1970-01-01T00:00:01.500Z')
        >>> Timestamp.parse("yesterday")
        Traceback (most recent call last):
        ...
        gemini_vision.errors.LocalError: Timestamp: 'yesterday' is not an RFC 3339 date-time
        """
        match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise LocalError(f"Timestamp: {text!r} is not an RFC 3339 date-time")
        parts = {k: v for k, v in match.groupdict().items() if v is not None}
        try:
            day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError as exc:
            raise LocalError(f"Timestamp: {text!r} has an invalid date ({exc})") from None
        hour, minute, second = int(parts["hour"]), int(parts["minute"]), int(parts["second"])
        if hour > 23 or minute > 59 or second > 59:
            # Leap seconds (":60") are not representable in google.protobuf.Timestamp.
            raise LocalError(f"Timestamp: {text!r} has an invalid time of day")
        offset = parts["offset"]
        offset_minutes = 0
        if offset not in ("Z", "z"):
            off_hours, off_minutes = int(offset[1:3]), int(offset[4:6])
            if off_hours > 23 or off_minutes > 59:
                raise LocalError(f"Timestamp: {text!r} has an invalid UTC offset")
            offset_minutes = (off_hours * 60 + off_minutes) * (-1 if offset[0] == "-" else 1)
        local = (day.toordinal() - _EPOCH_ORDINAL) * _SECONDS_PER_DAY
        local += hour * 3600 + minute * 60 + second
        nanos = int(parts.get("fraction", "0").ljust(9, "0"))
        seconds = local - offset_minutes * 60
        if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
            raise LocalError(f"Timestamp: {text!r} is outside years 0001..9999 (UTC)")
        return cls(seconds, nanos, offset_minutes)

    @classmethod
    def from_datetime(cls, value: datetime) -> Timestamp:
        """The instant of an aware ``datetime`` (naive ones are refused).

        >>> from datetime import datetime, timezone
        >>> Timestamp.from_datetime(datetime(2024, 1, 2, tzinfo=timezone.utc))
        Timestamp('2024-01-02T00:00:00Z')
        """
        utc_offset = value.utcoffset()
        if utc_offset is None:
            raise LocalError("Timestamp: a naive datetime has no offset; attach a tzinfo")
        local = (value.date().toordinal() - _EPOCH_ORDINAL) * _SECONDS_PER_DAY
        local += value.hour * 3600 + value.minute * 60 + value.second
        offset_seconds = int(utc_offset.total_seconds())
        return cls(local - offset_seconds, value.microsecond * 1000, offset_seconds // 60)

    def to_datetime(self) -> datetime:
        """An aware ``datetime`` in this timestamp's offset (nanoseconds truncated to µs).

        >>> Timestamp.parse("2024-05-06T07:08:09.123456789Z").to_datetime().isoformat()
        '2024-05-06T07:08:09.123456+00:00'
        """
        tz = timezone(timedelta(minutes=self.offset_minutes))
        base = datetime(1970, 1, 1, tzinfo=timezone.utc)
        moment = base + timedelta(seconds=self.seconds, microseconds=self.nanos // 1000)
        return moment.astimezone(tz)

    def to_json(self) -> str:
        """The canonical wire form: UTC, ``Z``, and 0, 3, 6 or 9 fractional digits.

        >>> Timestamp.parse("2014-10-02T15:01:23+05:30").to_json()
        '2014-10-02T09:31:23Z'
        """
        return self._format(0)

    def isoformat(self) -> str:
        """RFC 3339 in the offset the timestamp was written with (``str()`` gives the same).

        >>> Timestamp.parse("2000-02-29T23:59:59.100-01:00").isoformat()
        '2000-02-29T23:59:59.100-01:00'
        """
        return self._format(self.offset_minutes)

    def _format(self, offset_minutes: int) -> str:
        local = self.seconds + offset_minutes * 60
        days, second_of_day = divmod(local, _SECONDS_PER_DAY)
        day = date.fromordinal(days + _EPOCH_ORDINAL)
        hour, rest = divmod(second_of_day, 3600)
        minute, second = divmod(rest, 60)
        text = f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}"
        if self.nanos:
            digits = f"{self.nanos:09d}"
            # The shortest of 3, 6 or 9 digits that is exact, as proto3 JSON does.
            for width in (3, 6, 9):
                if digits[width:].strip("0") == "":
                    text += "." + digits[:width]
                    break
        if offset_minutes == 0:
            return text + "Z"
        sign = "+" if offset_minutes > 0 else "-"
        hours, minutes = divmod(abs(offset_minutes), 60)
        return f"{text}{sign}{hours:02d}:{minutes:02d}"

    def __str__(self) -> str:
        return self.isoformat()

    def __repr__(self) -> str:
        return f"Timestamp({self.isoformat()!r})"
