------------------------------------------------------------------------------
-- Operations: a caller's query as rows (crm.query_rows), and the customer
-- 360 table rebuilt in one transaction (crm.refresh_customer_360), the job
-- a DBA schedules with pg_cron
------------------------------------------------------------------------------

CREATE FUNCTION crm.query_rows(query text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'query_rows'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION crm.query_rows(text) IS
'the rows of a caller''s query, run read-only with the caller''s rights, as the columns of the column definition list (each converted as value::type does): SELECT * FROM crm.query_rows(''SELECT ...'') AS t(customer text, amount numeric)';

CREATE PROCEDURE crm.refresh_customer_360(
	target text,
	orders_query text,
	items_query text,
	model_query text,
	churn_features regclass,
	rules regclass,
	as_of timestamptz DEFAULT pg_catalog.now(),
	segments integer DEFAULT 4,
	seed bigint DEFAULT 0,
	unit interval DEFAULT '7 days',
	horizon float8 DEFAULT 26,
	clv_months integer DEFAULT 12,
	monthly_discount float8 DEFAULT 0.01,
	deviation_period interval DEFAULT '1 mon',
	deviation_history integer DEFAULT 6,
	deviation_threshold float8 DEFAULT 3.5)
LANGUAGE plpgsql
AS $proc$
DECLARE
	ident text[];
	nsp text;
	rel text;
	building text;
	feature_key name;
	old_table oid;
	old_acl aclitem[];
	churn_model crm.model;
	nmodels bigint;
	g record;
BEGIN
	IF target IS NULL OR orders_query IS NULL OR items_query IS NULL OR model_query IS NULL
	   OR churn_features IS NULL OR rules IS NULL OR as_of IS NULL OR segments IS NULL OR seed IS NULL
	   OR unit IS NULL OR horizon IS NULL OR clv_months IS NULL OR monthly_discount IS NULL
	   OR deviation_period IS NULL OR deviation_history IS NULL OR deviation_threshold IS NULL THEN
		RAISE EXCEPTION 'the arguments of crm.refresh_customer_360 must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the target table, the orders, items and model queries, the features table and the rules table; leave out the settings to take their defaults.';
	END IF;
	IF segments OPERATOR(pg_catalog.<) 1 OR segments OPERATOR(pg_catalog.>) 100 THEN
		RAISE EXCEPTION 'segments must be between 1 and 100'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = pg_catalog.format('Got %s.', segments),
				  HINT = 'Pass the number of k-means segments, for example 4.';
	END IF;

	-- the target: [schema.]table, in the current schema when unqualified
	ident := pg_catalog.parse_ident(target);
	IF pg_catalog.cardinality(ident) OPERATOR(pg_catalog.=) 1 THEN
		nsp := pg_catalog.current_schema();
		rel := ident[1];
	ELSIF pg_catalog.cardinality(ident) OPERATOR(pg_catalog.=) 2 THEN
		nsp := ident[1];
		rel := ident[2];
	END IF;
	IF nsp IS NULL OR pg_catalog.length(rel) OPERATOR(pg_catalog.>) 50 THEN
		RAISE EXCEPTION 'invalid target table "%" for crm.refresh_customer_360', target
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass schema.table (a table name of at most 50 bytes), for example ''public.customer_360''.';
	END IF;
	building := rel OPERATOR(pg_catalog.||) '_building';

	-- one refresh of a table at a time; a concurrent one waits here
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('crm.refresh_customer_360'),
											 pg_catalog.hashtext(nsp OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) rel));
	IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', nsp, building)) IS NOT NULL THEN
		RAISE EXCEPTION 'table %.% is in the way of crm.refresh_customer_360', nsp, building
			USING ERRCODE = 'duplicate_table',
				  HINT = 'The refresh builds the new table under that name: rename or drop the table.';
	END IF;
	-- the churn model: the one row of model_query
	EXECUTE 'SELECT pg_catalog.count(*), (pg_catalog.array_agg(m.model))[1]
			 FROM crm.query_rows($1) AS m(model crm.model)' INTO nmodels, churn_model USING model_query;
	IF nmodels OPERATOR(pg_catalog.<>) 1 OR churn_model IS NULL THEN
		RAISE EXCEPTION 'the model query of crm.refresh_customer_360 must return one model'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = pg_catalog.format('It returned %s rows.', nmodels),
				  HINT = 'Pass a query such as ''SELECT model FROM churn_models WHERE name = ''''current'''''' returning one crm.model.';
	END IF;
	SELECT a.attname INTO feature_key FROM pg_catalog.pg_attribute a
	WHERE a.attrelid OPERATOR(pg_catalog.=) churn_features AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
	ORDER BY a.attnum LIMIT 1;

	-- 1. the new table, built beside the old one: readers see the old one
	EXECUTE pg_catalog.format($ddl$
		CREATE TABLE %I.%I (
			customer text NOT NULL,
			recency_days integer,
			frequency bigint,
			monetary numeric,
			r_score integer,
			f_score integer,
			m_score integer,
			rfm_segment text,
			kmeans_segment integer,
			churn_probability float8,
			churn_reasons text[],
			expected_purchases float8,
			p_alive float8,
			clv float8,
			cross_sell_item text,
			cross_sell_score float8,
			similar_customers text[],
			deviation_z float8,
			deviation_flag boolean,
			as_of timestamptz,
			refreshed_at timestamptz
		)$ddl$, nsp, building);

	EXECUTE pg_catalog.format($fill$
		INSERT INTO %1$I.%2$I
		WITH rfm AS MATERIALIZED (
			SELECT * FROM crm.rfm_scores($1, $5)
		),
		-- k-means on scaled recency, log frequency and log spend
		feat AS MATERIALIZED (
			SELECT r.customer,
				   ARRAY[r.recency_days::pg_catalog.float8, pg_catalog.ln(r.frequency::pg_catalog.float8),
						 pg_catalog.ln(GREATEST(r.monetary, 1)::pg_catalog.float8)] AS f
			FROM rfm r
		),
		scaler AS MATERIALIZED (SELECT crm.scaler_fit(feat.f) AS model FROM feat),
		km AS MATERIALIZED (
			SELECT crm.kmeans(crm.scaler_apply(feat.f, scaler.model), $6, $7) AS centroids FROM feat, scaler
		),
		seg AS MATERIALIZED (
			SELECT feat.customer, crm.closest_centroid(crm.scaler_apply(feat.f, scaler.model), km.centroids) AS segment
			FROM feat, scaler, km
		),
		-- lifetime value: BG/NBD and Gamma-Gamma fitted on every customer
		clv AS MATERIALIZED (
			SELECT x.customer, (x.s).frequency, (x.s).recency, (x.s).t, (x.s).monetary_value
			FROM (SELECT o.customer, crm.clv_summary(o.ordered_at, o.amount, $5, $8) AS s
				  FROM crm.query_rows($1) AS o(customer text, ordered_at timestamptz, amount numeric)
				  GROUP BY o.customer) x
			WHERE x.s IS NOT NULL
		),
		models AS MATERIALIZED (
			SELECT (SELECT crm.bgnbd_fit(clv.frequency, clv.recency, clv.t) FROM clv) AS bg,
				   (SELECT crm.gammagamma_fit(clv.frequency, clv.monetary_value) FROM clv) AS gg
		),
		value AS MATERIALIZED (
			SELECT clv.customer,
				   crm.bgnbd_expected_purchases(m.bg, $9, clv.frequency, clv.recency, clv.t) AS expected_purchases,
				   crm.bgnbd_p_alive(m.bg, clv.frequency, clv.recency, clv.t) AS p_alive,
				   crm.customer_lifetime_value(m.bg, m.gg, clv.frequency, clv.recency, clv.t, clv.monetary_value,
											   $10, $11, $8) AS clv
			FROM clv, models m
		),
		-- churn: the model on the features table, and its three strongest reasons
		churn AS MATERIALIZED (
			SELECT f.%3$I::pg_catalog.text AS customer, crm.predict($3, f) AS p,
				   ARRAY(SELECT x.feature FROM crm.explain($3, f) x
						 WHERE x.feature OPERATOR(pg_catalog.<>) '(base value)'
						   AND x.contribution OPERATOR(pg_catalog.>) 0
						 ORDER BY x.contribution DESC, x.feature LIMIT 3) AS reasons
			FROM %4$s f
		),
		-- the best cross-sell offer for what the customer bought
		baskets AS MATERIALIZED (
			SELECT i.customer, pg_catalog.array_agg(DISTINCT i.item) AS basket
			FROM crm.query_rows($2) AS i(customer text, item text, weight float8)
			GROUP BY i.customer
		),
		offer AS MATERIALIZED (
			SELECT b.customer, c.item, c.score
			FROM baskets b CROSS JOIN LATERAL crm.cross_sell(b.basket, $4, 1) c
		),
		neighbours AS MATERIALIZED (
			SELECT n.customer, pg_catalog.array_agg(n.neighbor ORDER BY n.rank) AS customers
			FROM crm.nearest_neighbors($2, 3) n GROUP BY n.customer
		),
		deviation AS MATERIALIZED (
			SELECT d.customer, d.robust_z, d.active_periods FROM crm.customer_deviation($1, $12, $5, $13) d
		)
		SELECT r.customer, r.recency_days, r.frequency, r.monetary, r.r_score, r.f_score, r.m_score,
			   r.segment, seg.segment, churn.p, churn.reasons,
			   value.expected_purchases, value.p_alive, value.clv,
			   offer.item, offer.score, neighbours.customers,
			   deviation.robust_z,
			   -- off their normal: beyond the threshold, and a normal to be off
			   -- (purchases in most periods of the history)
			   COALESCE(pg_catalog.abs(deviation.robust_z) OPERATOR(pg_catalog.>) $14
						AND deviation.active_periods OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.>) $13, false),
			   $5, pg_catalog.now()
		FROM rfm r
		LEFT JOIN seg ON seg.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN churn ON churn.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN value ON value.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN offer ON offer.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN neighbours ON neighbours.customer OPERATOR(pg_catalog.=) r.customer
		LEFT JOIN deviation ON deviation.customer OPERATOR(pg_catalog.=) r.customer
		$fill$, nsp, building, feature_key, churn_features)
	USING orders_query, items_query, churn_model, rules, as_of, segments, seed, unit, horizon,
		  clv_months, monthly_discount, deviation_period, deviation_history, deviation_threshold;
	EXECUTE pg_catalog.format('ALTER TABLE %I.%I ADD CONSTRAINT %I PRIMARY KEY (customer)',
							  nsp, building, building OPERATOR(pg_catalog.||) '_pkey');

	-- 2. the swap, in this transaction: readers of the old table finish
	--    first, later ones see the new table; on any error above nothing
	--    changed
	old_table := pg_catalog.to_regclass(pg_catalog.format('%I.%I', nsp, rel));
	IF old_table IS NOT NULL THEN
		SELECT c.relacl INTO old_acl FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) old_table;
		EXECUTE pg_catalog.format('DROP TABLE %I.%I', nsp, rel);
	END IF;
	EXECUTE pg_catalog.format('ALTER TABLE %I.%I RENAME TO %I', nsp, building, rel);
	EXECUTE pg_catalog.format('ALTER INDEX %I.%I RENAME TO %I', nsp, building OPERATOR(pg_catalog.||) '_pkey',
							  rel OPERATOR(pg_catalog.||) '_pkey');
	EXECUTE pg_catalog.format('COMMENT ON TABLE %I.%I IS %L', nsp, rel,
							  'customer 360 as of ' OPERATOR(pg_catalog.||) as_of::pg_catalog.text
							  OPERATOR(pg_catalog.||) ', built by crm.refresh_customer_360');
	-- the privileges granted on the old table carry over
	FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable
			 FROM pg_catalog.aclexplode(old_acl) a
			 WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor LOOP
		EXECUTE pg_catalog.format('GRANT %s ON %I.%I TO %s%s', g.privilege_type, nsp, rel,
								  CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
									   ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
								  CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
END
$proc$;
COMMENT ON PROCEDURE crm.refresh_customer_360(text, text, text, text, regclass, regclass, timestamptz, integer,
											  bigint, interval, float8, integer, float8, interval, integer, float8) IS
'rebuilds the customer 360 table (one row per customer: RFM, k-means segment, churn probability and reasons, expected purchases, P(alive), CLV, best cross-sell offer, three most similar customers, deviation flag) beside the old one and swaps it in, in one transaction';
