-- is_email's practical mode and labels written "xn--...": as
-- python-email-validator does (idna.decode of the domain), such a label
-- must be an IDNA A-label.  Only those of fewer than two characters after
-- "xn--" were refused (me@xn--0.tld): Punycode that is none, or that
-- decodes to controls, full-width forms, a label not in NFC... passed.
CREATE EXTENSION dataeng;
SELECT v, dataeng.is_email(v) AS practical, dataeng.email_problem(v) AS problem,
       dataeng.is_email(v, 'rfc5321') AS rfc5321, dataeng.is_email(v, 'html5') AS html5
  FROM (VALUES
    -- A-labels: München, the IANA test domains of isemail's suite
    ('me@xn--mnchen-3ya.de'),
    ('me@XN--MNCHEN-3YA.DE'),
    ('test@xn--hxajbheg2az3al.xn--jxalpdlp'),
    ('me@xn--80ak6aa92e.com'),
    -- not Punycode (a number cut short)
    ('me@example.xn--zz'),
    ('me@xn--0.tld'),
    -- two C1 controls, U+0081 U+0080
    ('me@xn--ab.com'),
    -- a full-width a (which a label written in Unicode maps to ASCII)
    ('me@xn--tda9921k.com'),
    -- u and a combining diaeresis: not in NFC
    ('me@xn--ux-uub.com'),
    -- a combining diaeresis first
    ('me@xn--ab-tub.com'),
    -- a zero-width space
    ('me@xn--a-eha669u.com'),
    -- a hyphen first, a hyphen last
    ('me@xn----eha.com'),
    ('me@xn----dha.com')) t(v);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
