-- Every catalog fact of the dataeng extension that an upgrade must get
-- right, one row each, in a stable order: used to compare a database
-- updated from an older version with a fresh install (t/040_upgrade.pl).
WITH members AS (
  SELECT classid, objid FROM pg_depend
   WHERE refclassid = 'pg_extension'::regclass
     AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataeng') AND deptype = 'e'
)
SELECT kind, name, detail FROM (
  SELECT 'function' AS kind, p.oid::regprocedure::text AS name,
         concat_ws(' | ', 'returns ' || pg_get_function_result(p.oid), 'args ' || pg_get_function_arguments(p.oid),
                   p.prokind, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.proconfig::text,
                   md5(p.prosrc), p.probin, p.proacl::text, obj_description(p.oid, 'pg_proc')) AS detail
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
  UNION ALL
  SELECT 'relation', c.oid::regclass::text,
         concat_ws(' | ', c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text,
                   c.reloptions::text, obj_description(c.oid, 'pg_class'),
                   CASE WHEN c.relkind = 'v' THEN md5(pg_get_viewdef(c.oid)) END,
                   CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END)
    FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
  UNION ALL
  SELECT 'column', c.oid::regclass::text || '.' || a.attname,
         concat_ws(' | ', row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attacl::text,
                   col_description(c.oid, a.attnum))
    FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  UNION ALL
  SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(co.oid)
    FROM pg_constraint co JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = co.conrelid
  UNION ALL
  SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = i.indrelid
  UNION ALL
  SELECT 'policy', po.polrelid::regclass::text || '.' || po.polname,
         concat_ws(' | ', po.polcmd, po.polpermissive, po.polroles::regrole[]::text,
                   pg_get_expr(po.polqual, po.polrelid), pg_get_expr(po.polwithcheck, po.polrelid))
    FROM pg_policy po JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = po.polrelid
  UNION ALL
  SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = t.tgrelid
   WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'sequence', s.seqrelid::regclass::text,
         concat_ws(' | ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcycle)
    FROM pg_sequence s JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = s.seqrelid
  UNION ALL
  SELECT 'event trigger', e.evtname, concat_ws(' | ', e.evtevent, e.evtfoid::regproc, e.evttags::text, e.evtenabled)
    FROM pg_event_trigger e JOIN members m ON m.classid = 'pg_event_trigger'::regclass AND m.objid = e.oid
  UNION ALL
  SELECT 'type', t.oid::regtype::text, concat_ws(' | ', t.typtype, t.typacl::text)
    FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
  UNION ALL
  SELECT 'schema', n.nspname, concat_ws(' | ', n.nspacl::text, obj_description(n.oid, 'pg_namespace'))
    FROM pg_namespace n JOIN members m ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
  UNION ALL
  SELECT 'dumped', x.cfg::regclass::text, x.cond
    FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(cfg, cond) WHERE e.extname = 'dataeng'
) s
ORDER BY kind, name, detail;
