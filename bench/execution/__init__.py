"""The execution benchmark: one product-detail query of about 160 fields, served warm by
productgraph, by productgraph's schema under strawberry's default settings, by raw
graphql-core over the same data as plain dicts, and by a bare HTTP endpoint (the floor)."""
