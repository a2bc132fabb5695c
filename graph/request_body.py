"""Reading a request's JSON safely: every malformed body is a coded 400, never a crash.

``decode_request_json(raw)`` is what the ``/graphql`` view parses JSON with (the POST
body, a multipart request's ``operations`` and ``map``, GET's ``variables`` and
``extensions``), in this order:

- numbers: before parsing, one C-speed scan of the raw bytes with the string literals
  blanked out; a run of more than ``MAX_JSON_NUMBER_DIGITS`` digits → NUMBER_TOO_LONG.
  Python refuses to convert an integer of 4,300 digits or more (``ValueError``), and a
  long one costs quadratic time below that;
- the text must be strict UTF-8 (INVALID_ENCODING) and valid JSON (INVALID_JSON);
- nesting: containers deeper than ``MAX_JSON_DEPTH`` → REQUEST_TOO_DEEP. ``json.loads``'s
  C scanner stops at the interpreter's recursion limit (100,000 levels cost it about a
  millisecond, a ``RecursionError`` refused the same way); below that, an iterative walk
  of the value measures it, so nothing that recurses afterwards (variable coercion, the
  cost walker, the encoder) ever sees a deep value;
- no string that UTF-8 cannot encode: a ``\\ud800`` escape decodes to a lone surrogate
  that would fail later, wherever the string is hashed, logged or sent upstream
  (INVALID_ENCODING).
"""

from __future__ import annotations

import json
import re
from typing import Any

from graph.refusal import RequestRefused

#: Deeper than any real GraphQL variables (an input object nested in lists a few levels).
MAX_JSON_DEPTH = 64
#: Longer than any 64-bit integer or decimal a client needs (Decimal travels as a string).
MAX_JSON_NUMBER_DIGITS = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_JSON_NUMBER_DIGITS + 1))
# A UTF-16 surrogate escape; a valid pair decodes to one code point, a lone one does not.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def bad_json(code: str, message: str) -> RequestRefused:
    return RequestRefused(400, code, message)


def _too_deep() -> RequestRefused:
    return bad_json("REQUEST_TOO_DEEP",
                    f"The request's JSON nests more than {MAX_JSON_DEPTH} levels deep.")


def decode_request_json(raw: str | bytes) -> Any:
    """The JSON value of ``raw``, or ``RequestRefused`` (400) saying what is wrong."""
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_json("INVALID_ENCODING", "The request is not valid UTF-8.") from None
    if not raw.strip():
        raise bad_json("INVALID_JSON", "The request body is empty: send a JSON object "
                                       "with a `query`.")
    if _LONG_NUMBER.search(_STRING.sub(b'""', raw)):
        raise bad_json("NUMBER_TOO_LONG",
                       f"The request holds a number of more than {MAX_JSON_NUMBER_DIGITS} "
                       "digits.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_json("INVALID_ENCODING", "The request body is not valid UTF-8.") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        raise bad_json("INVALID_JSON", "The request body is not valid JSON.") from None
    _check_depth(value)
    if _SURROGATE_ESCAPE.search(raw) and not _encodable(value):
        raise bad_json("INVALID_ENCODING", "The request holds a string that is not valid "
                                           "Unicode (a lone UTF-16 surrogate escape).")
    return value


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))


def _encodable(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def check_request_shape(value: Any) -> None:
    """A request is a JSON object, or (a batch) an array of objects."""
    items = value if isinstance(value, list) else [value]
    if not isinstance(value, (dict, list)) or not all(isinstance(i, dict) for i in items):
        raise bad_json("BAD_REQUEST", "The request must be a JSON object with a `query` "
                                      "(or, where batching is on, an array of them).")
