// Loads the committed schema.graphql two ways and prints what each said, as JSON:
// graphql-js's buildSchema (a tool that knows nothing of federation, as codegen and
// graphql-inspector use it) and Apollo's composition (the file as a router's subgraph).
// Usage: node schema_file.mjs ../../schema.graphql
import { readFileSync } from 'node:fs';
import { buildSchema, parse } from 'graphql';
import { composeServices } from '@apollo/composition';

const text = readFileSync(process.argv[2], 'utf8');
const report = {};
try {
  const schema = buildSchema(text);
  report.buildSchema = {
    ok: true,
    dateTimeSpecifiedBy: schema.getType('DateTime').specifiedByURL ?? null,
    decimalSpecifiedBy: schema.getType('Decimal').specifiedByURL ?? null,
  };
} catch (error) {
  report.buildSchema = { ok: false, error: String(error) };
}
const composed = composeServices([
  { name: 'productgraph', url: 'http://productgraph.invalid/graphql', typeDefs: parse(text) },
]);
report.composition = composed.errors
  ? { ok: false, errors: composed.errors.map((e) => e.message) }
  : { ok: true, hints: composed.hints.map((h) => h.toString()) };
console.log(JSON.stringify(report));
