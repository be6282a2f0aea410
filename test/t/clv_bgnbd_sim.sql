-- BG/NBD simulator in SQL (a helper of test/t/6xx_clv*.sh and
-- test/bench/clv.sh, not a test by itself).
--
-- clv_sim.orders(customers, r, alpha, a, b, seed [, gg_p, gg_q, gg_v]): the
-- orders of customers
-- that follow the BG/NBD process of Fader, Hardie & Lee (2005) exactly:
-- lambda ~ Gamma(r, rate alpha) purchases a week, p ~ Beta(a, b); the first
-- purchase on a uniform day of 2023-01-01 .. 2024-11-30; Exponential(lambda)
-- gaps; after every repeat purchase the customer drops out with probability
-- p (the first purchase never ends a customer's life).  Observation ends on
-- 2024-12-31.  Order amounts are uniform on [10, 100], or, when gg_p, gg_q
-- and gg_v are given, follow the Gamma-Gamma model (Fader & Hardie 2013):
-- nu ~ Gamma(q, rate v) per customer, amount ~ Gamma(p, rate nu) per order.
-- Gamma variates by Marsaglia & Tsang (2000).
CREATE SCHEMA clv_sim;

-- Gamma(shape, rate 1) variate.
CREATE FUNCTION clv_sim.rgamma(shape float8) RETURNS float8
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	d float8;
	c float8;
	x float8;
	v float8;
	u float8;
BEGIN
	IF shape < 1 THEN
		RETURN clv_sim.rgamma(shape + 1) * power(random(), 1.0 / shape);
	END IF;
	d := shape - 1.0 / 3;
	c := 1 / sqrt(9 * d);
	LOOP
		LOOP
			x := sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
			v := 1 + c * x;
			EXIT WHEN v > 0;
		END LOOP;
		v := v * v * v;
		u := random();
		IF ln(1 - u) < 0.5 * x * x + d - d * v + d * ln(v) THEN
			RETURN d * v;
		END IF;
	END LOOP;
END
$$;

CREATE FUNCTION clv_sim.orders(customers int, r float8, alpha float8, a float8, b float8, seed float8,
							   gg_p float8 DEFAULT NULL, gg_q float8 DEFAULT NULL, gg_v float8 DEFAULT NULL)
RETURNS TABLE (customer int, ordered_at timestamptz, amount numeric)
LANGUAGE sql VOLATILE AS $$
	WITH seeded AS (SELECT setseed(seed)),
	c AS MATERIALIZED (
		SELECT i AS customer,
			   clv_sim.rgamma(r) / alpha AS lambda,
			   g.g1 / (g.g1 + clv_sim.rgamma(b)) AS p,
			   floor(random() * 700)::int AS first_day,
			   random() AS u_j,
			   CASE WHEN gg_p IS NOT NULL THEN clv_sim.rgamma(gg_q + 0 * i) / gg_v END AS nu
		FROM seeded, generate_series(1, customers) i,
			 LATERAL (SELECT clv_sim.rgamma(a + 0 * i) AS g1 OFFSET 0) g),
	-- J = number of repeat purchases until dropout ~ Geometric(p) on 1, 2, ...;
	-- K = how many gaps to draw: J, capped far above the Poisson count in T
	k AS (
		SELECT c.*, (730 - first_day) / 7.0 AS t_weeks,
			   least(CASE WHEN p >= 1 THEN 1 ELSE ceil(ln(1 - u_j) / ln(1 - p)) END,
					 ceil(lambda * (730 - first_day) / 7.0 + 8 * sqrt(lambda * (730 - first_day) / 7.0) + 20))::int AS kmax
		FROM c),
	gaps AS (
		SELECT k.customer, k.first_day, k.t_weeks, k.nu,
			   sum(-ln(1 - random()) / k.lambda) OVER (PARTITION BY k.customer ORDER BY j) AS at_weeks
		FROM k, generate_series(1, k.kmax) j)
	SELECT customer, timestamptz '2023-01-01 00:00+00' + first_day * interval '1 day' + interval '10 hours',
		   CASE WHEN nu IS NULL THEN round((10 + 90 * random())::numeric, 2)
				ELSE (clv_sim.rgamma(gg_p + 0 * customer) / nu)::numeric END
	FROM k
	UNION ALL
	SELECT customer, timestamptz '2023-01-01 00:00+00' + first_day * interval '1 day' + interval '10 hours'
					 + at_weeks * interval '1 week',
		   CASE WHEN nu IS NULL THEN round((10 + 90 * random())::numeric, 2)
				ELSE (clv_sim.rgamma(gg_p + 0 * customer) / nu)::numeric END
	FROM gaps WHERE at_weeks < t_weeks
$$;
