-- Email normal form.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

SELECT v, dataeng.normalize_email(v) AS normal, dataeng.normalize_email(v, true) AS provider
  FROM unnest(ARRAY['  Ada.Lovelace@Example.COM ', 'ada.lovelace+news@Gmail.com', 'A.d.A@googlemail.com',
                    'Ada+x@Outlook.com', 'ada+x@example.com', 'user@Bücher.Example', 'ユーザー@例え.テスト',
                    'user@ＥＸＡＭＰＬＥ．com', 'no-at-sign', 'bad..dots@example.com', '', '+tag@gmail.com']) v;

-- the normal form is a valid address, and normalizing it again changes nothing
SELECT count(*) AS addresses,
       count(*) FILTER (WHERE dataeng.is_email(dataeng.normalize_email(a))) AS still_valid,
       count(*) FILTER (WHERE dataeng.normalize_email(dataeng.normalize_email(a)) = dataeng.normalize_email(a)) AS idempotent
  FROM unnest(ARRAY['Ada@Example.COM', 'user@Bücher.Example', 'x.y+z@Gmail.COM', 'me@ΕΛΛΗΝΙΚΑ.gr']) a;

-- the strict variant says why
SELECT dataeng.normalize_email_strict('Ada@Example.COM');
SELECT dataeng.normalize_email_strict('bad..dots@example.com');

DROP EXTENSION dataeng;
