"""Type aliases for the time sources the resilience layer takes, so tests can inject a fake.

``Clock`` returns monotonic seconds; ``Sleep`` waits that many seconds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
