"""The watch tables, as SQLAlchemy Core ``Table`` objects (one dialect layer over SQLite
and PostgreSQL). Times are integer microseconds since the epoch (UTC): exact, ordered and
the same on both databases.

    snapshots   the last observed state of each watched product and its sequence number
    changes     every observed change: one row per (product, seq, field, variant)
    webhooks    registrations: target URL, signing secret, ids and fields watched
    outbox      webhook deliveries, written in the transaction that records the change
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at_us", sa.BigInteger, nullable=False),
)

snapshots = sa.Table(
    "snapshots", metadata,
    sa.Column("product_id", sa.String(128), primary_key=True),
    #: The last sequence number given to this product's events (0: baseline only).
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("observed_at_us", sa.BigInteger, nullable=False),
)

changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("product_id", sa.String(128), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("observed_at_us", sa.BigInteger, nullable=False),
    sa.Column("field", sa.String(32), nullable=False),
    #: The SKU id for per-variant fields; "" for product-level ones.
    sa.Column("variant_id", sa.String(128), nullable=False, server_default=""),
    sa.Column("old_value", sa.Text, nullable=True),
    sa.Column("new_value", sa.Text, nullable=True),
    sa.UniqueConstraint("product_id", "seq", "field", "variant_id", name="changes_one_per_seq"),
    sa.Index("changes_by_product_field_time", "product_id", "field", "observed_at_us"),
)

webhooks = sa.Table(
    "webhooks", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    #: The HMAC key. Stored because every delivery is signed with it; never logged.
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("product_ids", sa.Text, nullable=False),   # JSON list
    sa.Column("fields", sa.Text, nullable=False),        # JSON list of WatchedField names
    sa.Column("min_price_change", sa.String(32), nullable=True),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("webhook_id", sa.String(40), nullable=False),
    sa.Column("product_id", sa.String(128), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    #: The exact body sent (and signed) on every attempt.
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # PENDING, DELIVERED, DEAD_LETTERED
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at_us", sa.BigInteger, nullable=False),
    #: A deliverer holds the row until then (one delivery at a time across instances).
    sa.Column("claimed_until_us", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("delivered_at_us", sa.BigInteger, nullable=True),
    sa.Index("outbox_due", "status", "next_attempt_at_us"),
)
