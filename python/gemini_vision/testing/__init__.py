"""Test helpers for code that uses gemini-vision: a local Gemini API emulator.

``Emulator`` is a real HTTP server on a loopback port (standard library only,
threaded) that speaks the API surface this library uses, with scripted model
answers and fault injection, so your own tests can run every flow (generate,
stream, upload, tuning) end to end without a network or a key.

>>> from gemini_vision.testing import CutPoint, Emulator
>>> CutPoint.MID_STREAM.value
'mid_stream'
"""

from __future__ import annotations

from gemini_vision.testing._faults import CutPoint, Faults
from gemini_vision.testing._generate import CANNED_SEGMENTATION, DEFAULT_ANSWER
from gemini_vision.testing.emulator import Emulator, RecordedRequest

__all__ = [
    "CANNED_SEGMENTATION",
    "DEFAULT_ANSWER",
    "CutPoint",
    "Emulator",
    "Faults",
    "RecordedRequest",
]
