"""Which failures are retried, and how long to wait: exponential backoff with full jitter.

Only transient failures are retried (connect errors, timeouts, 5xx, TOP ``isp.*``, the
aggregators' retryable codes: the adapter marks them ``retryable``). Never a rate limit
(that is a ban), never auth, permission, not-found or TOP ``isv.*`` (caller errors):
docs/protocols.md §1.6 "never retry isv.*, 11, 25, 27, 29, 40, 41".
"""

from __future__ import annotations

import random

from channels.errors import (
    ChannelError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)

_NEVER_RETRIED = (RateLimited, Unauthenticated, PermissionDenied, NotFound)


def is_transient(error: BaseException) -> bool:
    """True for a failure that another attempt may not see."""
    return (isinstance(error, ChannelError) and error.retryable
            and not isinstance(error, _NEVER_RETRIED))


def full_jitter_backoff(retry: int, *, base_s: float, cap_s: float,
                        rng: random.Random) -> float:
    """Seconds before retry number ``retry`` (0-based): uniform(0, min(cap, base * 2**retry)).

    Full jitter spreads the retries of many callers that failed together (AWS architecture
    blog, "Exponential Backoff And Jitter").
    """
    return rng.uniform(0.0, min(cap_s, base_s * (2 ** retry)))
