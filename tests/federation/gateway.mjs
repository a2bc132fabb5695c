// @apollo/gateway over a static supergraph (the output of compose.mjs).
//
//   PORT=4000 SUPERGRAPH=/tmp/supergraph.graphql node gateway.mjs
import { readFileSync } from "node:fs";

import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(process.env.SUPERGRAPH, "utf8") });
// Subgraph errors pass through with their extensions (code, serviceName), without Node stacks.
const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
const port = Number(process.env.PORT || 4000);
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port } });
console.log(`gateway at ${url}`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
