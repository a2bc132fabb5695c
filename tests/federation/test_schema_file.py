"""The committed ``schema.graphql`` as Node tools see it: graphql-js's ``buildSchema``
loads it with nothing added (as codegen and graphql-inspector do), and Apollo's
composition accepts it as a subgraph (composing from the file is how production, with
introspection off, builds its supergraph). Needs ``npm ci`` in tests/federation."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCHEMA = HERE.parents[1] / "schema.graphql"


def test_schema_file_loads_in_graphql_js_and_composes() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the federation tests need Node 20")
    run = subprocess.run([node, "schema_file.mjs", str(SCHEMA)], cwd=HERE, check=True,
                         capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout)
    assert report["buildSchema"] == {
        "ok": True,
        "dateTimeSpecifiedBy": "https://scalars.graphql.org/andimarek/date-time",
        "decimalSpecifiedBy": "https://speleotrove.com/decimal/daconvs.html#reftostr",
    }
    assert report["composition"]["ok"], report["composition"]
