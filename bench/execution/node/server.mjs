// The Node reference of `python -m bench.execution`: graphql-js 16 over productgraph's own
// schema.graphql (federation directive definitions prepended, as the graphql-core reference
// does) with resolvers over productgraph's own answers, parse and validation cached per
// query text, node:http with its defaults, one process.
//
//   node server.mjs PORT ANSWERS_JSON SCHEMA_SDL
//
// ANSWERS_JSON: {"products": {"<id>": <the product's answer, every field any shape asks>}}.
// `product(id:)` returns that object, `products(ids:)` the list of them, and graphql-js's
// default resolver reads every other field from the object.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { buildSchema, execute, parse, validate } from "graphql";

const [port, answersPath, sdlPath] = process.argv.slice(2);
const products = JSON.parse(readFileSync(answersPath, "utf8")).products;
const schema = buildSchema(readFileSync(sdlPath, "utf8"));
const query = schema.getQueryType().getFields();
query.product.resolve = (_root, { id }) => products[id] ?? null;
query.products.resolve = (_root, { ids }) => ids.map((id) => products[id] ?? null);

const documents = new Map();

function documentOf(text) {
  let entry = documents.get(text);
  if (entry === undefined) {
    try {
      const document = parse(text);
      entry = { document, errors: validate(schema, document) };
    } catch (error) {
      entry = { document: null, errors: [error] };
    }
    documents.set(text, entry);
  }
  return entry;
}

function answer(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json",
                          "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    if (req.method !== "POST") return answer(res, 405, '{"errors":[{"message":"POST only"}]}');
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return answer(res, 400, '{"errors":[{"message":"malformed JSON"}]}');
    }
    const { document, errors } = documentOf(body.query);
    if (errors.length) return answer(res, 200, JSON.stringify({ errors }));
    const result = await execute({ schema, document, variableValues: body.variables,
                                   operationName: body.operationName });
    answer(res, 200, JSON.stringify(result));
  });
}).listen(Number(port), "127.0.0.1");
