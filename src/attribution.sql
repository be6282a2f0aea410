------------------------------------------------------------------------------
-- Multi-touch attribution
------------------------------------------------------------------------------

CREATE FUNCTION crm.attribution(query text, model text DEFAULT 'linear',
								half_life interval DEFAULT '7 days')
RETURNS TABLE (channel text, conversions float8, value float8, share float8, removal_effect float8)
AS 'MODULE_PATHNAME', 'attribution'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 20;
COMMENT ON FUNCTION crm.attribution(text, text, interval) IS
'conversions and value attributed to channels from a query returning (journey, touched_at, channel, conversion_value): first_touch, last_touch, linear, time_decay, position_based or markov (removal effects, Anderl et al. 2016)';
