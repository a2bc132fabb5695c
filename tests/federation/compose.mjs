// Compose subgraphs with Apollo's own composition (what rover and GraphOS run).
//
//   node compose.mjs productgraph=http://127.0.0.1:8000/graphql reviews=http://127.0.0.1:4001/
//
// Each subgraph's SDL is read from its `_service { sdl }`, as IntrospectAndCompose does.
// Prints one JSON object: {"errors": [...], "hints": [...], "supergraphSdl": "..."}; exits 1
// when composition failed.
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

async function sdlOf(url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  if (!response.ok || body.errors) {
    throw new Error(`${url} did not serve its SDL: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.data._service.sdl;
}

const services = [];
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf("=");
  const name = arg.slice(0, at);
  const url = arg.slice(at + 1);
  services.push({ name, url, typeDefs: parse(await sdlOf(url)) });
}

const result = composeServices(services);
const errors = (result.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code }));
const hints = (result.hints ?? []).map((h) => ({ message: h.message, code: h.definition?.code }));
process.stdout.write(JSON.stringify({ errors, hints, supergraphSdl: result.supergraphSdl ?? null }));
process.exit(errors.length ? 1 : 0);
