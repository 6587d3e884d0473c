-- Units and quantities.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

SELECT v, f, t, dataeng.convert_unit(v, f, t) AS converted
  FROM (VALUES (1::numeric, 'lb', 'kg'), (2.5, 'lbs', 'g'), (16, 'oz', 'lb'), (1, 'kg', 'lb'),
               (1200, 'g', 'kg'), (1, 'mile', 'km'), (12, 'in', 'ft'), (1, 'gallon', 'l'),
               (1, 'ha', 'acre'), (1, 'acre', 'm2'), (100, 'C', 'F'), (212, '°F', '°C'),
               (-40, 'F', 'C'), (0, 'K', 'C'), (98.6, 'F', 'K'), (90, 'min', 'h'), (1, 'week', 'hours'),
               (5, 'KG', 'Kilograms'), (3, 'm', 'm')) x(v, f, t);

-- a round trip gives the value back
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE round(dataeng.convert_unit(dataeng.convert_unit(7.25, a, b), b, a), 10) = 7.25) AS round_trips
  FROM unnest(ARRAY['kg', 'g', 'lb', 'oz', 'st']) a, unnest(ARRAY['kg', 'g', 'lb', 'oz', 'st']) b;

SELECT q, (dataeng.parse_quantity(q)).*
  FROM unnest(ARRAY['2.5 lbs', '1200 g', '1.2kg', '16 oz', '1,5 kg', '6 ft', '3.5 KG', '10 lbs.',
                    '-3 C', 'about 2 kg', '2 bananas', 'kg', '1.2.3 kg', '']) q;

-- between dimensions: an error, not a number
SELECT dataeng.convert_unit(1, 'kg', 'm');
SELECT dataeng.convert_unit(1, 'kg', 'furlong');

DROP EXTENSION dataeng;
