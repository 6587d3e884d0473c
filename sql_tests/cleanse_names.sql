-- Names in proper case.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

SELECT v, dataeng.name_case(v) AS person
  FROM unnest(ARRAY['o''BRIEN', 'mcdonald', 'van der berg', 'VAN DER BERG', 'ANNE-marie smith-JONES',
                    'john smith iii', 'JOHN SMITH JR.', 'd''angelo', 'o’neill', 'LEONARDO DA VINCI',
                    'josé  MARÍA   garcía', 'élodie lefèvre', 'ludwig van beethoven', 'ABU BAKR AL SIDDIQ',
                    '  ', 'x']) v;

SELECT v, dataeng.name_case(v, company => true) AS company
  FROM unnest(ARRAY['IBM corporation', 'acme widgets llc', 'BMW ag', 'siemens gmbh', 'AT&T inc',
                    'the coca-cola company', 'MCDONALD''S CORP', 'van lanschot nv']) v;

DROP EXTENSION dataeng;
