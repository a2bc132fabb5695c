// Runs the GraphQL-over-HTTP spec's audit suite (graphql-http's serverAudits) against a
// running server and prints one JSON line per audit: {id, name, status, reason}.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url>');
  process.exit(2);
}
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const line = { id: audit.id, name: audit.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    if (result.response) {
      line.responseStatus = result.response.status;
      line.responseBody = (await result.response.text()).slice(0, 500);
    }
  }
  console.log(JSON.stringify(line));
}
