-- name_case() after a hyphen of Unicode's own, as word processors, PDFs
-- and web forms write one: U+2010 hyphen, U+2011 non-breaking hyphen,
-- U+2013 en dash.  Only the ASCII hyphen-minus began a piece: the piece
-- after another hyphen kept its case ("JEAN<U+2010>PAUL" was
-- "Jean<U+2010>paul", "anne<U+2013>marie" "Anne<U+2013>marie").  The hyphen
-- itself is kept as written.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;

SELECT v, dataeng.name_case(v) AS name
  FROM unnest(ARRAY[U&'JEAN\2010PAUL', U&'anne\2013marie', U&'SMITH\2011JONES', U&'MARY\2010JANE O\2019NEIL',
                    U&'mccarthy\2010o\2019brien', U&'de la cruz\2010lopez', 'JEAN-PAUL']) v;
-- the same capitals as with the ASCII hyphen
SELECT count(*) AS differ
  FROM unnest(ARRAY[U&'JEAN\2010PAUL', U&'anne\2013marie', U&'SMITH\2011JONES', U&'MARY\2010JANE O\2019NEIL',
                    U&'mccarthy\2010o\2019brien']) v
 WHERE translate(dataeng.name_case(v), U&'\2010\2011\2013', '---')
       <> dataeng.name_case(translate(v, U&'\2010\2011\2013', '---'));

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
