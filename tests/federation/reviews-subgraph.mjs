// A second subgraph for the federation tests: shopper reviews of productgraph's products.
//
// It owns no product data. It extends the Product and Seller entities by their key `id` with
// fields of its own, and its root fields return bare references ({__typename, id}) that the
// gateway sends to productgraph's `_entities` for titles, variants and the rest.
//
//   PORT=4001 PRODUCT_IDS=taobao_680123456789,1688_584240750353,... node reviews-subgraph.mjs
//
// PRODUCT_IDS are the reviewed products, best rated first: topRatedProducts returns them in
// that order, so a test knows which ids a query reaches. An id productgraph does not know
// (a delisted product) may be among them.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import gql from "graphql-tag";

const typeDefs = gql`
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key", "@shareable"])

  type Query {
    """
    Reviewed products, best rated first. Items are nullable: a review may outlive its
    product, and the gateway then nulls that one product, not the whole list.
    """
    topRatedProducts(first: Int = 10, offset: Int = 0): [Product]!
    "One review by id."
    review(id: ID!): Review
  }

  # productgraph's product, with what shoppers said about it.
  type Product @key(fields: "id") {
    id: ID!
    "Reviews, newest first."
    reviews(first: Int = 3): [Review!]!
    "Mean of the ratings; null when nobody rated it."
    averageRating: Float
    reviewCount: Int!
  }

  # productgraph's seller, with its rating from shoppers.
  type Seller @key(fields: "id") {
    id: ID!
    "The shoppers' rating of the shop, 1 to 5."
    rating: Float
  }

  "One shopper's review."
  type Review {
    id: ID!
    rating: Int!
    body: LocalizedText!
    product: Product!
  }

  # The same value type productgraph returns: both subgraphs may resolve it (@shareable).
  type LocalizedText @shareable {
    original: String!
    translated: String
    language: String
  }
`;

const productIds = (process.env.PRODUCT_IDS || "").split(",").map((s) => s.trim()).filter(Boolean);
const rank = new Map(productIds.map((id, index) => [id, index]));

// Three reviews per product; ratings fall slowly with rank so the list order is the rating order.
function reviewsOf(productId) {
  const index = rank.get(productId);
  if (index === undefined) return [];
  const base = 5 - Math.floor(index / 25);
  return [0, 1, 2].map((n) => ({
    id: `review_${productId}_${n}`,
    rating: Math.max(1, base - (n === 2 ? 1 : 0)),
    body: { original: `好评 ${n + 1}`, translated: `Good, review ${n + 1}`, language: "en" },
    productId,
  }));
}

function average(reviews) {
  if (reviews.length === 0) return null;
  return Math.round((reviews.reduce((sum, r) => sum + r.rating, 0) / reviews.length) * 100) / 100;
}

// A seller's rating is a pure function of its id, so a test can ask this subgraph directly
// and compare with what the gateway stitched in.
function sellerRating(id) {
  let sum = 0;
  for (const ch of id) sum = (sum * 31 + ch.codePointAt(0)) % 1000;
  return 3 + (sum % 21) / 10;
}

const resolvers = {
  Query: {
    topRatedProducts: (_, { first, offset }) =>
      productIds.slice(offset, offset + first).map((id) => ({ __typename: "Product", id })),
    review: (_, { id }) => {
      const productId = id.replace(/^review_/, "").replace(/_\d+$/, "");
      return reviewsOf(productId).find((r) => r.id === id) ?? null;
    },
  },
  Product: {
    __resolveReference: ({ id }) => ({ id }),
    reviews: ({ id }, { first }) => reviewsOf(id).slice(0, first),
    averageRating: ({ id }) => average(reviewsOf(id)),
    reviewCount: ({ id }) => reviewsOf(id).length,
  },
  Seller: {
    __resolveReference: ({ id }) => ({ id }),
    rating: ({ id }) => sellerRating(id),
  },
  Review: {
    product: (review) => ({ __typename: "Product", id: review.productId }),
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs, resolvers }) });
const port = Number(process.env.PORT || 4001);
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port } });
console.log(`reviews subgraph at ${url}`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
