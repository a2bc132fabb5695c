// productgraph's GraphiQL page: GraphiQL with the explorer plugin, no subscriptions.
// A file of its own, not an inline script, so the page's Content-Security-Policy allows
// scripts from 'self' only.

// The page opens on a query that runs against the bundled sandbox: the seed-000 Taobao
// item (shared/seeds/000) with its variants.
const EXAMPLE_QUERY = `# productgraph: one GraphQL API over Taobao, Tmall, 1688 and Weidian.
# Run this with Ctrl-Enter (or the play button). The explorer on the left
# builds queries by clicking; the docs (book icon) describe every field.
query ProductWithVariants($id: ID!) {
  product(id: $id) {
    id
    title { original translated }
    price { display { amount currencyCode } original { amount currencyCode } }
    variants {
      id
      selectedOptions { name value }
      price { display { amount currencyCode } }
      stock
      availableForSale
    }
  }
}
`;
const EXAMPLE_VARIABLES = JSON.stringify({ id: "taobao_680123456789" }, null, 2);

// Parse URL parameters for sharing queries
const parameters = {};

for (const entry of window.location.search.slice(1).split("&")) {
  const eq = entry.indexOf("=");
  if (eq >= 0) {
    parameters[decodeURIComponent(entry.slice(0, eq))] =
      decodeURIComponent(entry.slice(eq + 1));
  }
}

function updateURL(data) {
  Object.assign(parameters, data);

  const newSearch =
    "?" +
    Object.keys(parameters)
      .filter(function (key) {
        return Boolean(parameters[key]);
      })
      .map(function (key) {
        return encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]);
      })
      .join("&");
  history.replaceState(null, null, newSearch);
}

const fetchURL = window.location.href.split("?")[0];

const defaultHeaders = {};
const csrfToken = Cookies.get("csrftoken");

if (csrfToken) {
  defaultHeaders["x-csrftoken"] = csrfToken;
}

// productgraph has no subscriptions: no WebSocket URL.
const fetcher = GraphiQL.createFetcher({
  url: fetchURL,
  headers: defaultHeaders,
});

const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();

function GraphiQLWithExplorer() {
  const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
  // A shared link (?q=) brings its own variables; the example brings its own.
  const [variables, setVariables] = React.useState(
    parameters.variables || (parameters.q ? undefined : EXAMPLE_VARIABLES),
  );
  const [headers, setHeaders] = React.useState(parameters.headers);

  function onEditQuery(newQuery) {
    setQuery(newQuery);
    updateURL({ q: newQuery });
  }

  function onEditVariables(newVariables) {
    setVariables(newVariables);
    updateURL({ variables: newVariables });
  }

  function onEditHeaders(newHeaders) {
    setHeaders(newHeaders);
  }

  return React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    plugins: [explorerPlugin],
    visiblePlugin: explorerPlugin,
    query: query,
    variables: variables,
    headers: headers,
    onEditQuery: onEditQuery,
    onEditVariables: onEditVariables,
    onEditHeaders: onEditHeaders,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  });
}

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(React.createElement(GraphiQLWithExplorer));
