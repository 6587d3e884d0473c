-- dataeng.cdc_consumers of a consumer one of whose listed tables was
-- dropped: tables lists the tables that exist, and dropped_tables the
-- dropped ones by the name they had at the DROP.  Before, tables showed
-- the dropped one as a bare number (a regclass of an oid no table has).
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE cdn_gone (id int PRIMARY KEY);
CREATE TABLE cdn_kept (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('cdn_gone');
SELECT dataeng.cdc_enable('cdn_kept');
SELECT dataeng.cdc_consumer_create('cdn_list', '{cdn_gone,cdn_kept}');
SELECT dataeng.cdc_consumer_create('cdn_all');
RESET client_min_messages;
INSERT INTO cdn_gone VALUES (1);
SELECT name, tables, dropped_tables FROM dataeng.cdc_consumers ORDER BY name;
SET client_min_messages = warning;
DROP TABLE cdn_gone;
RESET client_min_messages;
SELECT name, tables, dropped_tables FROM dataeng.cdc_consumers ORDER BY name;
-- no bare number anywhere in the view's tables
SELECT count(*) AS bare_oids
  FROM dataeng.cdc_consumers c, unnest(c.tables) t
 WHERE t::text ~ '^[0-9]+$';
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE cdn_kept;
