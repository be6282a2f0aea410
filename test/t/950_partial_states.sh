#!/usr/bin/env bash
# Partial aggregate states the way Citus runs them, without Citus: one
# partial state per partition of a hash-partitioned table (one per shard),
# moved through the text form (Citus 13) and through COPY's binary form
# (send/receive, Citus 14), merged and finished: equal to the single pass
# over the whole table, for every aggregate with a partial form.  Then an
# arbitrary split (seven groups, folded pairwise in reverse order), the
# transition functions checked for fn_extra / fn_expr / AggGetAggref (which
# Citus's wrapper does not provide), mutated states through both inputs
# (a clean ERROR or a valid state, never a crash), and the cost of the
# partial form against its aggregate (the state is changed in place: no
# copy per row).
set -uo pipefail
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
d=$TEST_TMPDIR
fail=0

q <<'SQL' || exit 1
SET extra_float_digits = 0;
CREATE TABLE facts (id int, point float8[], blob float8[], item int, weight float8, frequency float8,
					recency float8, t float8, spend float8, day timestamptz, flag boolean, treated boolean,
					variant text) PARTITION BY HASH (id);
CREATE TABLE facts_0 PARTITION OF facts FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE facts_1 PARTITION OF facts FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE facts_2 PARTITION OF facts FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE facts_3 PARTITION OF facts FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO facts
SELECT i, ARRAY[(i * 37 % 19) + (i % 7) / 10.0, (i * 11 % 7)::float8],
	   ARRAY[(i % 3) * 100 + (i * 37 % 19) / 10.0, (i % 3) * -50 + (i * 11 % 7) / 10.0],
	   (i * 13 % 97) + 1, (i % 5) + 0.5, (i * 7 % 6)::float8,
	   (CASE WHEN i * 7 % 6 = 0 THEN 0 ELSE 20 + (i * 7 % 6) + i % 5 END)::float8, (30 + i % 4)::float8,
	   (10 + (i * 17 % 23) + (i % 3) * 0.25)::float8,
	   '2000-01-01'::timestamptz + ((i - 1) % 4000) * interval '1 day', i % 4 = 0, i % 3 = 0, (i % 5)::text
FROM generate_series(1, 40000) i;
ANALYZE facts;
-- the series of Holt-Winters: one point per day, spread over the partitions
CREATE TABLE series (id int, day timestamptz, spend float8) PARTITION BY HASH (id);
CREATE TABLE series_0 PARTITION OF series FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE series_1 PARTITION OF series FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE series_2 PARTITION OF series FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO series SELECT i, '2020-01-01'::timestamptz + i * interval '1 day',
	   100 + 10 * sin(i * 2 * pi() / 7) + i / 10.0 + (i * 37 % 11) FROM generate_series(1, 730) i;
-- a target profile and the posting lists of its items, partitioned by item
CREATE TABLE profiles AS SELECT id % 500 AS id, crm.purchase_profile(item, weight) AS p FROM facts GROUP BY 1;
CREATE TABLE postings (id bigint, item int, postings crm.profile, jpostings crm.profile) PARTITION BY HASH (item);
CREATE TABLE postings_0 PARTITION OF postings FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE postings_1 PARTITION OF postings FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO postings
SELECT row_number() OVER (), e.item, crm.profile(ARRAY[s.id::int], ARRAY[e.w]),
	   crm.profile(ARRAY[s.id::int], ARRAY[crm.profile_size(s.p)::real])
FROM profiles s, unnest(crm.profile_items(crm.profile_unit(s.p)), crm.profile_weights(crm.profile_unit(s.p))) AS e(item, w);

CREATE TABLE cases (id int, aggregate text, args text, src text);
INSERT INTO cases VALUES
 (1, 'scaler_fit', 'point', 'facts'),
 (2, 'kmeans', 'blob, 3, 7', 'facts'),
 (3, 'kmeans', 'blob, 3, 1, 3', 'facts'),
 (4, 'bgnbd_fit', 'frequency, recency, t', 'facts'),
 (5, 'bgnbd_fit', 'frequency, recency, t, 0.1', 'facts'),
 (6, 'paretonbd_fit', 'frequency, recency, t', 'facts'),
 (7, 'gammagamma_fit', 'frequency, spend', 'facts'),
 (8, 'gammagamma_fit', 'frequency, spend, 0.1', 'facts'),
 (9, 'purchase_profile', 'item, weight', 'facts'),
 (10, 'auc', 'spend, flag', 'facts'),
 (11, 'classification_metrics', 'spend / 40, flag', 'facts'),
 (12, 'classification_metrics', 'spend / 40, flag, 0.6', 'facts'),
 (13, 'regression_metrics', 'spend, frequency * 5', 'facts'),
 (14, 'ab_test', 'flag, treated', 'facts'),
 (15, 'ab_test', 'flag, treated, 0.9', 'facts'),
 (16, 'welch_ttest', 'spend, treated', 'facts'),
 (17, 'welch_ttest', 'spend, treated, 0.9', 'facts'),
 (18, 'cuped_test', 'spend, frequency, treated', 'facts'),
 (19, 'cuped_test', 'spend, frequency, treated, 0.9', 'facts'),
 (20, 'mann_whitney', 'spend, treated', 'facts'),
 (21, 'chi2_test', 'variant, flag', 'facts'),
 (22, 'chi2_test', 'variant, flag, false', 'facts'),
 (23, 'gini', 'spend', 'facts'),
 (24, 'gini', 'spend, true', 'facts'),
 (25, 'top_share', 'spend, 0.2', 'facts'),
 (26, 'median_abs_deviation', 'spend', 'facts'),
 (27, 'holt_winters', 'day, spend, 7', 'series'),
 (28, 'holt_winters', 'day, spend, 7, ''multiplicative''', 'series'),
 (29, 'holt_winters', 'day, spend, 7, ''additive'', 0.3, 0.1, 0.2', 'series'),
 (30, 'profile_candidates', '(SELECT p FROM profiles WHERE id = 1), item, postings, 10', 'postings'),
 (31, 'profile_candidates_jaccard', '(SELECT p FROM profiles WHERE id = 1), item, jpostings, 10', 'postings');

-- results compared number by number (merged states sum in another order)
CREATE FUNCTION close_enough(a text, b text, tol float8 DEFAULT 1e-9) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	WITH x AS (SELECT array_agg(m[1]::float8 ORDER BY i) AS v,
					  regexp_replace(a, '-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?', '#', 'g') AS shape
			   FROM regexp_matches(a, '(-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)', 'g') WITH ORDINALITY r(m, i)),
		 y AS (SELECT array_agg(m[1]::float8 ORDER BY i) AS v,
					  regexp_replace(b, '-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?', '#', 'g') AS shape
			   FROM regexp_matches(b, '(-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)', 'g') WITH ORDINALITY r(m, i))
	SELECT a IS NOT DISTINCT FROM b OR (
		   x.shape = y.shape AND cardinality(x.v) = cardinality(y.v)
		   AND (SELECT bool_and(abs(p - q) <= tol * greatest(1, abs(p), abs(q))) FROM unnest(x.v, y.v) u(p, q)))
	FROM x, y
$$;

CREATE TABLE single (id int, result text);
CREATE TABLE shard_states (id int, shard text, s crm.agg_state);
CREATE TABLE split_results (id int, merged text, folded text);
SET client_min_messages = error;
DO $$
DECLARE
	c cases;
	r text;
	folded text;
BEGIN
	FOR c IN SELECT * FROM cases ORDER BY id LOOP
		EXECUTE format('SELECT crm.%I(%s)::text FROM %s', c.aggregate, c.args, c.src) INTO r;
		INSERT INTO single VALUES (c.id, r);
		-- one state per partition, as each shard computes it
		EXECUTE format('INSERT INTO shard_states SELECT %s, tableoid::regclass::text, crm.%I_partial(%s)
						FROM %s GROUP BY tableoid', c.id, c.aggregate, c.args, c.src);
		-- seven arbitrary groups: merged by crm.agg_merge, and folded pairwise in reverse order
		EXECUTE format('SELECT crm.%1$I_finish(crm.agg_merge(s))::text FROM
							(SELECT crm.%1$I_partial(%2$s) AS s FROM %3$s GROUP BY (hashint4(id::int * 31) & 2147483647) %% 7) g',
					   c.aggregate, c.args, c.src) INTO r;
		EXECUTE format('WITH g AS (SELECT (hashint4(id::int * 31) & 2147483647) %% 7 AS g, crm.%1$I_partial(%2$s) AS s FROM %3$s GROUP BY 1)
						SELECT crm.%1$I_finish(crm.agg_state_combine(crm.agg_state_combine(crm.agg_state_combine(
							crm.agg_state_combine(crm.agg_state_combine(crm.agg_state_combine(
							(SELECT s FROM g WHERE g = 6), (SELECT s FROM g WHERE g = 5)), (SELECT s FROM g WHERE g = 4)),
							(SELECT s FROM g WHERE g = 3)), (SELECT s FROM g WHERE g = 2)), (SELECT s FROM g WHERE g = 1)),
							(SELECT s FROM g WHERE g = 0)))::text',
					   c.aggregate, c.args, c.src) INTO folded;
		INSERT INTO split_results VALUES (c.id, r, folded);
	END LOOP;
END $$;
RESET client_min_messages;
SQL

# the shards' states travel to the "coordinator" as text and as binary
q <<SQL || exit 1
\\copy shard_states TO '$d/states.txt'
\\copy shard_states TO '$d/states.bin' WITH (FORMAT binary)
CREATE TABLE from_text (id int, shard text, s crm.agg_state);
CREATE TABLE from_binary (id int, shard text, s crm.agg_state);
\\copy from_text FROM '$d/states.txt'
\\copy from_binary FROM '$d/states.bin' WITH (FORMAT binary)
SQL
echo "states: $(q -c "SELECT count(*) || ' partial states of ' || count(DISTINCT id) || ' cases from ' || count(DISTINCT shard) || ' partitions, ' || pg_size_pretty(sum(pg_column_size(s))) FROM shard_states")"

q <<'SQL' || exit 1
CREATE FUNCTION crm_finish_text(aggregate text, tab text, id int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
	EXECUTE format('SELECT crm.%I_finish(crm.agg_merge(s))::text FROM %I WHERE id = %s', aggregate, tab, id) INTO r;
	RETURN r;
END $$;
SQL
bad=$(q <<'SQL'
SET client_min_messages = error;
SELECT c.id || ' ' || c.aggregate || '(' || c.args || '): ' ||
	   CASE WHEN s.result IS NULL THEN 'no result'
			WHEN NOT close_enough(s.result, t.r) THEN 'text form differs: ' || s.result || ' vs ' || t.r
			WHEN NOT close_enough(s.result, b.r) THEN 'binary form differs: ' || s.result || ' vs ' || b.r
			WHEN NOT close_enough(s.result, x.merged) THEN 'seven groups differ: ' || s.result || ' vs ' || x.merged
			ELSE 'pairwise fold differs: ' || s.result || ' vs ' || x.folded END
FROM cases c JOIN single s USING (id) JOIN split_results x USING (id),
	 LATERAL (SELECT crm_finish_text(c.aggregate, 'from_text', c.id) AS r) t,
	 LATERAL (SELECT crm_finish_text(c.aggregate, 'from_binary', c.id) AS r) b
WHERE s.result IS NULL OR NOT (close_enough(s.result, t.r) AND close_enough(s.result, b.r)
	  AND close_enough(s.result, x.merged) AND close_enough(s.result, x.folded));
SQL
)
n=$(q -c "SELECT count(*) FROM cases")
if [ -n "$bad" ]; then
	echo "FAIL: merged partial states differ from the single pass:"; echo "$bad"; fail=1
else
	echo "ok   $n cases: per-partition states through text and binary, seven groups merged and folded pairwise, all equal to the single pass"
fi
same=$(q -c "SELECT count(*) FROM shard_states a JOIN from_binary b USING (id, shard) WHERE a.s::text = b.s::text")
total=$(q -c "SELECT count(*) FROM shard_states")
[ "$same" = "$total" ] && echo "ok   binary COPY round trip: $same of $total states byte-identical" ||
	{ echo "FAIL: binary COPY round trip changed $((total - same)) of $total states"; fail=1; }

# The transition and combine functions of every aggregate: none may use
# fn_expr or AggGetAggref (Citus calls them through a fresh FmgrInfo, with
# its own aggregate as context), and fn_extra only as a cache that is
# rebuilt when it is empty.  Followed through the static helpers they call.
q -c "SELECT DISTINCT p.prosrc FROM pg_aggregate a JOIN pg_proc f ON f.oid = a.aggfnoid
	  JOIN pg_namespace n ON n.oid = f.pronamespace JOIN pg_proc p ON p.oid IN (a.aggtransfn, a.aggcombinefn)
	  WHERE n.nspname = 'crm' AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')" >"$d/transfns"
python3 - "$CRM_ROOT/src" "$d/transfns" <<'PY' || fail=1
import re, sys, glob
src = {}
for f in glob.glob(sys.argv[1] + "/*.c"):
    text = open(f).read()
    # function definitions: a name at the start of a line followed by "(", then a body in braces
    for m in re.finditer(r"^([A-Za-z_]\w*)\(([^;{]*?)\)\s*\n\{", text, re.M):
        start = m.end() - 1
        depth, i = 0, start
        while i < len(text):
            if text[i] == "{": depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0: break
            i += 1
        src.setdefault(m.group(1), (f, text[start:i + 1]))
    # the partial forms' entry points, made by a macro: x_partial_transfn calls AggStateTransition
    for m in re.finditer(r"^CRM_AGG_FORMS\((\w+), (\w+)\)", text, re.M):
        src.setdefault(m.group(1) + "_partial_transfn", (f, "{ AggStateTransition(fcinfo, %s); }" % m.group(2)))
# fn_extra as a cache keyed on the TOAST pointer, rebuilt when empty: allowed where listed
allowed_cache = {"KmeansCentroidsArg": "detoasted centroids keyed on the on-disk TOAST pointer; rebuilt when fn_extra is NULL"}
forbidden = re.compile(r"\bfn_expr\b|\bAggGetAggref\b|\bget_fn_expr_\w+|\bAggStateIsShared\b|\bfn_extra\b")
entries = [l.strip() for l in open(sys.argv[2]) if l.strip()]
bad, seen, notes = [], set(), []
def walk(name, path):
    if name in seen or name not in src:
        return
    seen.add(name)
    body = src[name][1]
    for hit in set(forbidden.findall(body)):
        if hit == "fn_extra" and name in allowed_cache:
            notes.append(f"{' -> '.join(path)}: fn_extra ({allowed_cache[name]})")
        else:
            bad.append(f"{' -> '.join(path)} uses {hit}")
    for call in set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", body)):
        if call in src and call != name:
            walk(call, path + [call])
for e in entries:
    if e not in src:
        bad.append(f"{e}: no definition found in src/*.c")
        continue
    walk(e, [e])
print(f"checked {len(entries)} transition and combine functions and {len(seen) - len(entries)} helpers they call")
for n in notes: print("note " + n)
for b in bad: print("FAIL " + b)
sys.exit(1 if bad else 0)
PY

# Mutated states (bit flips, truncations, inflated lengths, random bytes)
# through the text input and COPY's binary input: a clean ERROR or a valid
# state; a valid one is then merged and finished (any result or a clean
# ERROR).  The server must answer afterwards.
q -c "SELECT DISTINCT ON (id) id, s FROM shard_states ORDER BY id, shard" >"$d/samples"
python3 - "$d" <<'PY'
import sys, base64, random
d = sys.argv[1]
random.seed(16)
out = open(d + "/mutants.txt", "w")
for line in open(d + "/samples"):
    cid, text = line.rstrip("\n").split("|", 1)
    kind, b64 = text.split(":", 1)
    raw = base64.b64decode(b64)
    for j in range(40):
        b = bytearray(raw)
        r = random.random()
        if r < 0.4 and len(b) > 2:
            i = random.randrange(2, len(b)); b[i] ^= 1 << random.randrange(8)
        elif r < 0.6:
            b = b[:random.randrange(len(b) + 1)]
        elif r < 0.8 and len(b) > 10:
            i = random.randrange(2, len(b) - 8); b[i:i + 8] = bytes([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])
        else:
            b = bytearray(raw[:2]) + bytearray(random.getrandbits(8) for _ in range(random.randrange(64)))
        out.write(f"{cid}\t{kind}\t{kind}:{base64.b64encode(bytes(b)).decode()}\n")
PY
q <<SQL >"$d/mutants.out" 2>&1
CREATE TABLE mutants (id int, kind text, txt text);
\\copy mutants FROM '$d/mutants.txt'
SET client_min_messages = error;
SET statement_timeout = '20s';
CREATE TABLE mutant_results (id int, outcome text);
DO \$\$
DECLARE m record; st crm.agg_state; r text;
BEGIN
	FOR m IN SELECT * FROM mutants LOOP
		BEGIN
			st := m.txt::crm.agg_state;
			EXECUTE format('SELECT crm.%I_finish(crm.agg_state_combine(\$1, \$1))::text', m.kind) INTO r USING st;
			INSERT INTO mutant_results VALUES (m.id, 'valid');
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO mutant_results VALUES (m.id, SQLSTATE);
		END;
	END LOOP;
END \$\$;
-- the same mutants through COPY's binary input, one COPY per value
CREATE TABLE bin_in (s crm.agg_state);
SQL
python3 - "$d" <<'PY'
import sys, base64, struct
d = sys.argv[1]
for n, line in enumerate(open(d + "/mutants.txt")):
    _, kind, text = line.rstrip("\n").split("\t")
    raw = base64.b64decode(text.split(":", 1)[1])
    with open(f"{d}/m{n}.bin", "wb") as f:
        f.write(b"PGCOPY\n\xff\r\n\0" + struct.pack(">ii", 0, 0))
        f.write(struct.pack(">h", 1) + struct.pack(">i", len(raw)) + raw + struct.pack(">h", -1))
PY
nm=$(wc -l <"$d/mutants.txt")
for ((n = 0; n < nm; n++)); do echo "\\copy bin_in FROM '$d/m$n.bin' WITH (FORMAT binary)"; done >"$d/bin.sql"
psql -X -q -f "$d/bin.sql" >"$d/bin.out" 2>&1
codes=$(q -c "SELECT string_agg(outcome || ' ' || n, ', ' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM mutant_results GROUP BY 1) x")
internal=$(q -c "SELECT count(*) FROM mutant_results WHERE outcome LIKE 'XX%'")
binok=$(q -c "SELECT count(*) FROM bin_in")
binerr=$(grep -c "ERROR" "$d/bin.out")
alive=$(q -c "SELECT 1")
echo "mutants: $nm through the text input: $codes; through binary COPY: $binok accepted, $binerr rejected"
if [ "$alive" != 1 ] || [ "$internal" != 0 ] || [ $((binok + binerr)) -ne "$nm" ]; then
	echo "FAIL: a mutant crashed the server or raised an internal error"; grep -v "invalid\|unsupported\|ERROR\|CONTEXT\|^\s*$" "$d/bin.out" | head; fail=1
fi

# In place: the partial form costs about what its aggregate costs (a copy of
# the state per row would be quadratic: thousands of times slower here).
# Best of three runs each, and a wide limit: the check is for a quadratic
# cost, not for speed, and other tests load the machine meanwhile.
exec_ms() {
	local best= t i
	for i in 1 2 3; do
		t=$(q -c "SET max_parallel_workers_per_gather = 0; EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF) $1" |
			python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"])')
		best=$(python3 -c "print(min($t, ${best:-$t}))")
	done
	echo "$best"
}
ratio() {
	local agg=$1 args=$2 t1 t2
	t1=$(exec_ms "SELECT crm.$agg($args) FROM facts")
	t2=$(exec_ms "SELECT crm.${agg}_partial($args) FROM facts")
	python3 -c "
a, b = $t1, $t2
limit = 10.0 * ${CRM_TEST_TIME_FACTOR:-1}
print(f'{\"ok  \" if b / a < limit else \"FAIL\"} $agg: aggregate {a:.1f} ms, partial state {b:.1f} ms ({b / a:.2f}x, limit {limit:g}x)')
raise SystemExit(0 if b / a < limit else 1)"
}
ratio purchase_profile "item, weight" || fail=1
ratio median_abs_deviation "spend" || fail=1
ratio chi2_test "variant, flag" || fail=1

exit $fail
