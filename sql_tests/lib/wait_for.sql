CREATE FUNCTION wait_for(cond text, secs float8 DEFAULT 180) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  ok boolean;
  deadline timestamptz := clock_timestamp() + make_interval(secs => secs);
BEGIN
  LOOP
    EXECUTE cond INTO ok;
    IF ok THEN RETURN true; END IF;
    IF clock_timestamp() > deadline THEN RETURN false; END IF;
    PERFORM pg_sleep(0.05);
    PERFORM pg_stat_clear_snapshot();   -- (conditions on pg_stat_activity see it anew)
  END LOOP;
END;
$$;
