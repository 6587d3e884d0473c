-- dimension_create() on a partitioned source keyed by a column that is
-- not its partition key (docs/facts.md, dimension_create): the error's
-- hint said "ALTER TABLE public.orders ADD UNIQUE (id);", which fails on a
-- partitioned table (a unique constraint must include every partitioning
-- column).  The hint now says why no such key can be added and what to do.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

CREATE TABLE dpk_orders (id bigint NOT NULL, ordered_at timestamptz NOT NULL, store text,
                         PRIMARY KEY (id, ordered_at)) PARTITION BY RANGE (ordered_at);
CREATE TABLE dpk_orders_2026 PARTITION OF dpk_orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
SELECT dataeng.dimension_create('dpk_dim', 'dpk_orders', 'id', '{store}', schedule => NULL);
-- (what the old hint proposed fails)
ALTER TABLE dpk_orders ADD UNIQUE (id);
-- partitioned by the key column alone: the ALTER TABLE of the hint works
CREATE TABLE dpk_items (id bigint NOT NULL, name text) PARTITION BY RANGE (id);
CREATE TABLE dpk_items_1 PARTITION OF dpk_items FOR VALUES FROM (0) TO (1000);
SELECT dataeng.dimension_create('dpk_items_dim', 'dpk_items', 'id', '{name}', schedule => NULL);
ALTER TABLE dpk_items ADD PRIMARY KEY (id);
SELECT dataeng.dimension_create('dpk_items_dim', 'dpk_items', 'id', '{name}', schedule => NULL);
SELECT dataeng.dimension_drop('dpk_items_dim');

DROP TABLE dpk_items;
DROP TABLE dpk_orders;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
