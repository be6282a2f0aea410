\echo ================================================================
\echo Promotion analysis: campaign uplift, CUPED and multi-touch attribution
\echo ================================================================
SET timezone = 'UTC';
\echo
\echo -- 1. Did each campaign work? Conversion, treated minus control, Newcombe 95 % interval,
\echo --    pooled z-test, next to the uplift the generator planted:
SELECT k.campaign_id, k.name, (r).n_control, (r).n_treated,
       round((r).rate_control::numeric, 4) AS rate_control, round((r).rate_treated::numeric, 4) AS rate_treated,
       round((r).uplift::numeric, 4) AS uplift, round((r).ci_low::numeric, 4) AS ci_low,
       round((r).ci_high::numeric, 4) AS ci_high, round((r).p_value::numeric, 6) AS p_value,
       round((t.treatment_rate - t.control_rate)::numeric, 4) AS planted
FROM (SELECT campaign_id, crm.ab_test(converted, grp = 'treatment') AS r
      FROM crm_demo.campaign_members GROUP BY campaign_id) a
JOIN crm_demo.campaigns k USING (campaign_id) JOIN crm_demo.campaign_truth t USING (campaign_id)
ORDER BY campaign_id;

\echo -- 2. Spend per member in the campaign window: the Welch t-test, then CUPED with the
\echo --    spend of the member in the 90 days before the campaign as covariate:
SELECT campaign_id, round((w).difference::numeric, 2) AS welch_diff,
       format('[%s, %s]', round((w).ci_low::numeric, 2), round((w).ci_high::numeric, 2)) AS welch_ci,
       round((w).p_value::numeric, 4) AS welch_p,
       round((c).difference::numeric, 2) AS cuped_diff,
       format('[%s, %s]', round((c).ci_low::numeric, 2), round((c).ci_high::numeric, 2)) AS cuped_ci,
       round((c).p_value::numeric, 4) AS cuped_p, round((c).theta::numeric, 4) AS theta,
       round((100 * (c).variance_reduction)::numeric, 1) AS "variance -%",
       round(t.spend_uplift::numeric, 2) AS planted
FROM (SELECT campaign_id, crm.welch_ttest(s.spend::float8, m.grp = 'treatment') AS w,
             crm.cuped_test(s.spend::float8, s.pre_spend::float8, m.grp = 'treatment') AS c
      FROM crm_demo.campaign_members m JOIN crm_demo.campaign_spend s USING (campaign_id, customer_id)
      GROUP BY campaign_id) x
JOIN crm_demo.campaign_spend_truth t USING (campaign_id)
ORDER BY campaign_id;

\echo -- 3. Spend is skewed (a few big spenders): the Mann-Whitney test compares the ranks instead
SELECT campaign_id, (m).n_control, (m).n_treated, round((m).prob_superiority::numeric, 4) AS prob_superiority,
       round((m).p_value::numeric, 4) AS p_value
FROM (SELECT campaign_id, crm.mann_whitney(s.spend::float8, m.grp = 'treatment') AS m
      FROM crm_demo.campaign_members m JOIN crm_demo.campaign_spend s USING (campaign_id, customer_id)
      GROUP BY campaign_id) x
ORDER BY campaign_id;

\echo -- 4. Do the four campaigns convert differently? (chi-square over the treated members)
SELECT (crm.chi2_test(campaign_id::text, converted)).*
FROM crm_demo.campaign_members WHERE grp = 'treatment';

\echo -- 5. Planning the next one: customers per group to detect +1 point on a 5 % rate,
\echo --    and the z-test of a finished test from its counts alone
SELECT crm.sample_size(0.05, 0.01) AS per_group_80_power, crm.sample_size(0.05, 0.01, 0.05, 0.9) AS per_group_90_power;
SELECT round(z::numeric, 3) AS z, round(p_value::numeric, 5) AS p_value,
       round(ci_low::numeric, 4) AS ci_low, round(ci_high::numeric, 4) AS ci_high
FROM crm.proportions_ztest(460, 8200, 410, 8150);

\echo -- 6. Which channel earned the 2024 orders? Six attribution models side by side (share of
\echo --    conversions), and the share the planted Markov chain gives each channel:
CREATE TEMP VIEW demo_touches AS
SELECT t.journey_id, t.touched_at, t.channel, NULL::float8 AS value FROM crm_demo.touches t
UNION ALL
SELECT j.journey_id, o.ordered_at, NULL, o.amount::float8
FROM crm_demo.journeys j JOIN crm_demo.orders o USING (order_id);
SELECT a.channel,
       round(max(a.share) FILTER (WHERE m = 'first_touch')::numeric, 3) AS first_touch,
       round(max(a.share) FILTER (WHERE m = 'last_touch')::numeric, 3) AS last_touch,
       round(max(a.share) FILTER (WHERE m = 'linear')::numeric, 3) AS linear,
       round(max(a.share) FILTER (WHERE m = 'time_decay')::numeric, 3) AS time_decay,
       round(max(a.share) FILTER (WHERE m = 'position_based')::numeric, 3) AS position_based,
       round(max(a.share) FILTER (WHERE m = 'markov')::numeric, 3) AS markov,
       round(max(c.markov_share)::numeric, 3) AS planted_markov
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov']) m,
     crm.attribution('SELECT journey_id, touched_at, channel, value FROM demo_touches', m, '3 days') a
JOIN crm_demo.channel_truth c USING (channel)
GROUP BY a.channel ORDER BY markov DESC;

\echo -- 7. The same in revenue, with the markov removal effects:
SELECT channel, round(conversions::numeric, 1) AS conversions, round(value::numeric, 2) AS revenue,
       round(removal_effect::numeric, 4) AS removal_effect
FROM crm.attribution('SELECT journey_id, touched_at, channel, value FROM demo_touches', 'markov')
ORDER BY revenue DESC;
