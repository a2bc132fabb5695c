"""TOP property strings (docs/protocols.md §1.8), parsed: pure functions, no I/O.

``props_name`` / ``properties_name`` (``pid:vid:pid_name:vid_name;…``), a SKU's
``properties`` (``pid:vid;…``), ``property_alias`` (``pid:vid:alias;…``) and a Product's
``props_str``-style ``name:value;…``; ``#cln#`` / ``#scln#`` escapes undone.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PropValue", "parse_name_values", "parse_properties", "parse_property_alias",
           "parse_props_name", "unescape_prop"]


class PropValue(NamedTuple):
    """One ``pid:vid:pid_name:vid_name`` entry; ids stay strings (custom ones are negative)."""

    pid: str
    vid: str
    name: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.pid}:{self.vid}"


def unescape_prop(text: str) -> str:
    """TOP escapes ``:`` as ``#cln#`` and ``;`` as ``#scln#`` inside property names (§1.8)."""
    return text.replace("#scln#", ";").replace("#cln#", ":")


def parse_props_name(text: str | None) -> list[PropValue]:
    """``props_name`` / ``properties_name``: ``pid:vid:pid_name:vid_name;…``.

    Each entry splits into exactly four parts (names cannot hold a raw ``:``); entries that
    are not in that shape are skipped.
    """
    out: list[PropValue] = []
    for entry in (text or "").split(";"):
        parts = entry.split(":", 3)
        if len(parts) != 4 or not _is_int(parts[0]) or not _is_int(parts[1]):
            continue
        pid, vid, name, value = parts
        out.append(PropValue(pid, vid, unescape_prop(name), unescape_prop(value)))
    return out


def parse_properties(text: str | None) -> list[tuple[str, str]]:
    """A SKU's ``properties`` (``p1:v1;p2:v2``) as ``(pid, vid)`` pairs."""
    out: list[tuple[str, str]] = []
    for entry in (text or "").split(";"):
        parts = entry.split(":")
        if len(parts) >= 2 and _is_int(parts[0]) and _is_int(parts[1]):
            out.append((parts[0], parts[1]))
    return out


def parse_property_alias(text: str | None) -> dict[str, str]:
    """``property_alias`` (``pid:vid:alias;…``) as ``{"pid:vid": alias}``."""
    out: dict[str, str] = {}
    for entry in (text or "").split(";"):
        parts = entry.split(":", 2)
        if len(parts) == 3 and _is_int(parts[0]) and _is_int(parts[1]) and parts[2]:
            out[f"{parts[0]}:{parts[1]}"] = unescape_prop(parts[2])
    return out


def parse_name_values(text: str | None) -> list[tuple[str, str]]:
    """A Product ``props_str`` / ``binds_str`` / ``sale_props_str``: ``name:value;…``
    (or the four-part ``pid:vid:name:value`` form), escapes undone."""
    out: list[tuple[str, str]] = []
    for entry in (text or "").split(";"):
        parts = entry.split(":")
        if len(parts) == 4 and _is_int(parts[0]) and _is_int(parts[1]):
            out.append((unescape_prop(parts[2]), unescape_prop(parts[3])))
        elif len(parts) >= 2:
            name, value = entry.split(":", 1)
            out.append((unescape_prop(name), unescape_prop(value)))
    return out


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()
