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

-- pipeline_status: a consumer whose owner could read the dropped table
-- gets the changes captured before the DROP (its polls work): a warning
-- naming the table; one whose owner could not (SELECT revoked before the
-- DROP) fails to poll: failing, the table named.  Both said "the table
-- with OID n it reads was dropped: polling it fails", failing.
CREATE ROLE regress_cdn_reader;
CREATE TABLE cdn_gone2 (id int PRIMARY KEY);
GRANT SELECT ON cdn_gone2, cdn_kept TO regress_cdn_reader;
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('cdn_gone2');
SET ROLE regress_cdn_reader;
SELECT dataeng.cdc_consumer_create('cdn_revoked', '{cdn_gone2,cdn_kept}');
RESET ROLE;
RESET client_min_messages;
INSERT INTO cdn_gone2 VALUES (1);
REVOKE SELECT ON cdn_gone2 FROM regress_cdn_reader;
SET client_min_messages = warning;
DROP TABLE cdn_gone2;
SELECT count(*) > 0 AS maintained FROM (SELECT dataeng.maintain()) m;
RESET client_min_messages;
SELECT name, state, reason !~ 'OID' AS names_table,
       regexp_replace(reason, '\(.*\)$', '(...)') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'consumer' ORDER BY name;
SET ROLE regress_cdn_reader;
\set VERBOSITY terse
SELECT count(*) FROM dataeng.cdc_poll('cdn_revoked');
\set VERBOSITY default
RESET ROLE;
SELECT count(*) AS cdn_list_polls FROM dataeng.cdc_poll('cdn_list');

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE cdn_kept;
DROP ROLE regress_cdn_reader;
