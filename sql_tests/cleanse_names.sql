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

-- a company name written entirely in capitals: its capitals say nothing,
-- so its words get proper case (ACME TRADING CO was ACME Trading Co: a
-- word of up to four capitals was kept), but for legal forms, the listed
-- acronyms and words that cannot be read as words (no vowel, an & or a
-- digit); written in mixed case, short capital words are kept as before
SELECT v, dataeng.name_case(v, company => true) AS company
  FROM unnest(ARRAY['ACME TRADING CO', 'IBM CORP', 'BMW AG', 'AT&T INC', 'PROCTER & GAMBLE CO',
                    'HSBC HOLDINGS PLC', '3M COMPANY', 'ACME UK LTD', 'MCDONALD''S CORP',
                    U&'M\00DCLLER GMBH', 'ACME TRADING Co', 'ACME Trading Co', 'ACME', 'X5 AG',
                    '  ACME   SA  ']) v;

-- Unicode's default case conversion: a digraph beginning a word takes its
-- titlecase form (upper() gave \u01C4emal for \u01C5emal), lowercase
-- elsewhere; a capital sigma lowered at the end of a word is a final sigma
-- (it was \u03C3), before a hyphen too but not before an apostrophe and a letter, a
-- combining accent skipped; a small sigma stays as written
SELECT v, dataeng.name_case(v) AS person, to_hex(ascii(dataeng.name_case(v))) AS first_letter
  FROM unnest(ARRAY[U&'\01C5emal', U&'\01C4EMAL', U&'\01C6emal', U&'\01C7UBI\01C7ANA', U&'\01CAEGO\01CC',
                    U&'\01F1ENAN', U&'\01F3enan', U&'sa\01C4a',
                    U&'\039F\0394\03A5\03A3\03A3\0395\0391\03A3',              -- ODYSSEAS
                    U&'\03A3\03A9\039A\03A1\0391\03A4\0397\03A3 \03A0\0391\03A0\0391\03A3',   -- SOKRATIS PAPAS
                    U&'\0393\0399\0391\039D\039D\0397\03A3-\039A\03A9\03A3\03A4\0391\03A3', -- GIANNIS-KOSTAS
                    U&'\0391\03A3''\0391',                                      -- AS'A
                    U&'\0391\0301\03A3\0301',                                  -- A, accent, S, accent
                    U&'\03A3', U&'\03BF\03B4\03C3'
                   ]) v;

DROP EXTENSION dataeng;
