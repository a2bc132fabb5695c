"""The GraphQL-over-HTTP spec's own audit suite (npm ``graphql-http``, ``serverAudits``)
against ``productgraph serve``, a real process on loopback: no error, no warning.

Needs Node 20 and ``npm ci`` in tests/http_audit (``.ci/test`` runs it).

Production mode is audited with introspection on: the audits query ``__type``, which
production refuses by default (that refusal is tested in tests/graph/test_access.py's
mode tests); everything else is production's own behaviour. GET is off in production,
so its MAY-level GET audits are ``notice``s there, never warnings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.processes import free_port, productgraph, running

HERE = Path(__file__).resolve().parent
MODES = {
    "development": {},
    "production": {"PRODUCTGRAPH_ENV": "production", "PRODUCTGRAPH_INTROSPECTION": "true"},
}


@pytest.mark.parametrize("mode", list(MODES))
def test_graphql_http_server_audits_report_no_error_and_no_warning(mode: str) -> None:
    node = shutil.which("node")
    assert node, "Node 20 is needed (the federation tests need it too)"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(productgraph("serve", "--port", str(port)), ready_url=url + "/healthz",
                 env=MODES[mode]):
        audit = subprocess.run([node, "audit.mjs", url + "/graphql"], cwd=HERE,
                               capture_output=True, text=True, timeout=120, check=True)
    results = [json.loads(line) for line in audit.stdout.splitlines()]
    assert len(results) > 50, audit.stderr
    failed = [f"{r['id']} {r['name']}: {r['reason']} (HTTP {r.get('responseStatus')}: "
              f"{r.get('responseBody')})"
              for r in results if r["status"] in ("error", "warn")]
    assert not failed, "\n".join(failed)
    if mode == "development":
        assert {r["status"] for r in results} == {"ok"}
