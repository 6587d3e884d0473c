-- to_e164, is_phone, phone_problem: a range of numbers whose second end is
-- written in full ('030 1234560 - 030 1234599') is no number, as one whose
-- second end gives only the last digits ('030 1234560 - 99',
-- valclean_gaps2.sql).  It was not taken for a range: libphonenumber ran
-- both ends together, a short pair into a valid number ('089 123 - 089
-- 456' with 'DE' was +4989123089456), a long one into one too long (its
-- problem 'too long', or 'not a phone number' for two + signs).  An en or
-- em dash, or a hyphen with a blank on each side, followed by a number
-- of as many digits, greater, and beginning with the same group of digits
-- (the area or country code), makes a range.
CREATE EXTENSION dataeng;
SELECT v, r, dataeng.to_e164(v, r) AS e164, dataeng.is_phone(v, r) AS ok,
       dataeng.phone_possible(v, r) AS possible, dataeng.phone_problem(v, r) AS problem
  FROM (VALUES ('089 123 ' || U&'\2013' || ' 089 456', 'DE'),
               ('089 123 - 089 456', 'DE'),
               ('030 1234560 ' || U&'\2013' || ' 030 1234599', 'DE'),
               ('030 1234560' || U&'\2014' || '030 1234599', 'DE'),
               ('030 1234560 - 030 1234599', 'DE'),
               ('Tel. 030 1234560 - 030 1234599', 'DE'),
               ('+49 30 1234560 ' || U&'\2013' || ' +49 30 1234599', NULL),
               ('202-555-0100 ' || U&'\2013' || ' 202-555-0199', 'US'),
               ('(202) 555-0100 - (202) 555-0199', 'US'),
               ('202' || U&'\2013' || '555' || U&'\2013' || '0100 ' || U&'\2013' || ' 202' || U&'\2013' || '555' || U&'\2013' || '0199', 'US')) t(v, r);
-- as before (one number, or none): a hyphen without blanks, a dash
-- between numbers of other lengths or other first groups, a second number
-- not greater, text after it (two numbers of other area codes, or not in
-- order, are not told from one number whose parts a dash sets apart, as
-- '0891 - 2345')
SELECT v, r, dataeng.to_e164(v, r) AS e164, dataeng.phone_problem(v, r) AS problem
  FROM (VALUES ('089 123-089 456', 'DE'),
               ('030 ' || U&'\2013' || ' 1234560', 'DE'),
               ('089 123 ' || U&'\2013' || ' 040 456', 'DE'),
               ('089 456 ' || U&'\2013' || ' 089 123', 'DE'),
               ('089 123 ' || U&'\2013' || ' 089 123', 'DE'),
               ('089 123 ' || U&'\2013' || ' 089 456 (office)', 'DE'),
               ('+1 202-555-0100', NULL),
               ('030 1234560-99', 'DE')) t(v, r);
DROP EXTENSION dataeng;
