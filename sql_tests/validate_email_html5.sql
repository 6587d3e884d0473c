-- is_email(..., 'html5'): the WHATWG rule for <input type=email>, whose
-- only length limit is a label's 63 characters.  A domain longer than 253
-- characters was refused ("the domain is too long"), which browsers accept.
CREATE EXTENSION dataeng;
\pset null '(null)'

SELECT length(a) AS length, dataeng.is_email(a, 'html5') AS html5,
       dataeng.email_problem(a, 'html5') AS html5_problem,
       dataeng.email_problem(a, 'rfc5321') AS rfc5321_problem
  FROM unnest(ARRAY['a@' || repeat('abcdefgh.', 40) || 'com',
                    repeat('l', 100) || '@' || repeat(repeat('x', 63) || '.', 20) || 'com',
                    'a@' || repeat('abcdefgh.', 40) || repeat('y', 64),
                    'a@' || repeat('abcdefgh.', 40) || 'com-',
                    'a@' || repeat('abcdefgh.', 40) || 'com.']) a;

-- the rest of the rule, unchanged
SELECT a, dataeng.is_email(a, 'html5') AS html5, dataeng.email_problem(a, 'html5') AS problem
  FROM unnest(ARRAY['.a..b.@x.com', 'a@b', 'a@1.2.3.4', 'a@b-.com', 'a@-b.com', 'a@x..com',
                    'a@x.com.', 'a@_x.com', 'a"b@x.com', 'a@[1.2.3.4]', 'é@x.com', 'a@é.com']) a;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
