-- Multi-touch attribution: hand-computed journeys for every rule-based model,
-- the markov model on a chain small enough to solve by hand, input types,
-- order independence and bad input.
SET extra_float_digits = 0;
SET timezone = 'UTC';

-- journey 1: email (1 Jan), search (2 Jan), conversion worth 100 (3 Jan)
-- journey 2: social (1 Jan), email (5 Jan), search (6 Jan), email with a conversion
--            worth 60 on the same row (8 Jan: a touch just before its conversion)
-- journey 3: social only, no conversion; journey 4: display, search, no conversion
CREATE TABLE tj (j int, ts timestamptz, ch text, v float8);
INSERT INTO tj VALUES
 (1, '2024-01-01', 'email', NULL), (1, '2024-01-02', 'search', NULL), (1, '2024-01-03', NULL, 100),
 (2, '2024-01-01', 'social', NULL), (2, '2024-01-05', 'email', NULL), (2, '2024-01-06', 'search', NULL),
 (2, '2024-01-08', 'email', 60),
 (3, '2024-01-01', 'social', NULL),
 (4, '2024-01-01', 'display', NULL), (4, '2024-01-02', 'search', NULL);

-- by hand:
-- first_touch: email 1 (100), social 1 (60)             last_touch: search 1 (100), email 1 (60)
-- linear: j1 email 1/2, search 1/2; j2 social 1/4, email 2/4, search 1/4
--         -> email 1 (50 + 30 = 80), search 0.75 (50 + 15 = 65), social 0.25 (15)
-- position_based: j1 two touches 50/50; j2 40 % social, 10 % email, 10 % search, 40 % email
--         -> email 1 (50 + 30 = 80), search 0.6 (50 + 6 = 56), social 0.4 (24)
-- time_decay, half-life 1 day: j1 weights 2^-2, 2^-1 -> email 1/3, search 2/3;
--         j2 2^-7, 2^-3, 2^-2, 1 over 1.3828125 -> social 0.0056497, email 0.8135593, search 0.1807910
--         -> email 1.1468927, search 0.8474576, social 0.0056497; display never converts: not listed
SELECT m.model, a.channel, round(a.conversions::numeric, 7) AS conversions, round(a.value::numeric, 5) AS value,
	   round(a.share::numeric, 7) AS share, a.removal_effect
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay']) m(model),
	 crm.attribution('SELECT j, ts, ch, v FROM tj', m.model, '1 day') a
ORDER BY m.model, a.channel;
-- shares of every model sum to 1, conversions to 2 and value to 160
SELECT m.model, round(sum(share)::numeric, 12) AS shares, round(sum(conversions)::numeric, 12) AS conversions,
	   round(sum(value)::numeric, 9) AS value
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov']) m(model),
	 crm.attribution('SELECT j, ts, ch, v FROM tj', m.model) a
GROUP BY m.model ORDER BY m.model;

-- markov by hand: a chain where only search converts.
--   paths: search > conversion, display > search > conversion, display > null, email > null
--   start: search 1/4, display 2/4, email 1/4; display: search 1/2, null 1/2; search: conversion 1
--   P(conversion) = 1/4 + 2/4 * 1/2 = 1/2
--   without search: 0                           -> removal effect 1
--   without display: 1/4                        -> removal effect 1/2
--   without email: 1/2                          -> removal effect 0
--   shares 2/3, 1/3, 0 of 2 conversions worth 30 + 90
CREATE TABLE tm (j text, ts date, ch varchar, v numeric);
INSERT INTO tm VALUES
 ('a', '2024-01-01', 'search', NULL), ('a', '2024-01-01', NULL, 30),
 ('b', '2024-01-01', 'display', NULL), ('b', '2024-01-02', 'search', NULL), ('b', '2024-01-03', NULL, 90),
 ('c', '2024-01-01', 'display', NULL),
 ('d', '2024-01-01', 'email', NULL);
SELECT channel, round(conversions::numeric, 12) AS conversions, round(value::numeric, 10) AS value,
	   round(share::numeric, 12) AS share, round(removal_effect::numeric, 12) AS removal_effect
FROM crm.attribution('SELECT j, ts, ch, v FROM tm', 'markov') ORDER BY channel;

-- rows in any order give the same result (ties: touch before conversion, channels by name)
SELECT count(*) AS rows_differing FROM (
	(SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj ORDER BY j DESC, ts DESC', 'linear')
	 EXCEPT SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj ORDER BY random()', 'linear'))
	UNION ALL
	(SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj ORDER BY ch NULLS FIRST', 'markov')
	 EXCEPT SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj ORDER BY ts DESC', 'markov'))) x;
-- two conversions in one journey: each ends its own path (a > b > conv, c > conv)
SELECT channel, conversions, value FROM crm.attribution($$
	SELECT 1, t, ch, v FROM (VALUES ('2024-01-01'::timestamptz, 'a', NULL::float8), ('2024-01-02', 'b', NULL),
		('2024-01-03', NULL, 10), ('2024-01-04', 'c', NULL), ('2024-01-05', NULL, 20)) x(t, ch, v)$$, 'last_touch')
ORDER BY channel;
-- a conversion without any touch is reported on a row without channel
SELECT channel, conversions, value, share FROM crm.attribution($$
	SELECT * FROM (VALUES (1::bigint, '2024-01-01'::timestamp, 'a'::text, NULL::float8), (1, '2024-01-02', NULL, 5),
		(2, '2024-01-01', NULL, 7)) x$$, 'first_touch') ORDER BY channel;
-- nothing converts: rule-based models return no row, markov lists the channels without shares
SELECT * FROM crm.attribution('SELECT j, ts, ch, NULL::float8 FROM tj WHERE ch IS NOT NULL', 'linear');
SELECT * FROM crm.attribution('SELECT j, ts, ch, NULL::float8 FROM tj WHERE ch IS NOT NULL', 'markov') ORDER BY channel;
SELECT count(*) FROM crm.attribution('SELECT j, ts, ch, v FROM tj WHERE false');

-- bad input
SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj', 'shapley');
SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj', NULL);
SELECT * FROM crm.attribution(NULL);
SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj', 'time_decay', '0 days');
SELECT * FROM crm.attribution('SELECT j, ts, ch, v FROM tj', 'time_decay', NULL);
SELECT * FROM crm.attribution('SELECT j, ts, ch FROM tj');
SELECT * FROM crm.attribution('SELECT j, ch, ts, v FROM tj');
SELECT * FROM crm.attribution('SELECT j, ts, 1, v FROM tj');
SELECT * FROM crm.attribution('SELECT j, ts, ch, ch FROM tj');
SELECT * FROM crm.attribution('DELETE FROM tj RETURNING j, ts, ch, v');
SELECT * FROM crm.attribution('SELECT 1, now(), ''a'', ''NaN''::float8');
SELECT * FROM crm.attribution('SELECT 1, ''infinity''::timestamptz, ''a'', 1.0::float8');
SELECT count(*) AS rows_left FROM tj;
