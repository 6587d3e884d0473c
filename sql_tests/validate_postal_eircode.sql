-- is_postal_code for Ireland: Eircodes (since 2015).  The copy of
-- libaddressinput's data the formats come from has none for IE (its own
-- region data names them, "eircode", with the example A65 F4E2, but no
-- format), so every Eircode was refused as "the country has no postal
-- codes".  The format is that of Google's address metadata.
CREATE EXTENSION dataeng;
\pset null '(null)'

SELECT code, dataeng.is_postal_code(code, 'IE') AS valid, dataeng.postal_code_problem(code, 'ie') AS problem
  FROM unnest(ARRAY['A65 F4E2', 'D02 X285', 'T12 E294', 'D6W 1234', 'A65F4E2', 'a65 f4e2',
                    'A65  F4E2', 'A65 F4E', 'A65-F4E2', 'A65 F4E22', ' A65 F4E2', 'D02']) code;

-- in a CHECK constraint
CREATE TABLE eircode_addresses (eircode text CHECK (dataeng.is_postal_code(eircode, 'IE')));
INSERT INTO eircode_addresses VALUES ('A65 F4E2');
INSERT INTO eircode_addresses VALUES ('A65 F4E');
SELECT * FROM eircode_addresses;
DROP TABLE eircode_addresses;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
