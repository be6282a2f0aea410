#!/usr/bin/env bash
# The model value: binary send/receive round trip (COPY ... FORMAT binary),
# and a hardened decoder, for a regression and both tree kinds.  Thousands
# of corrupted values -- random byte flips, flips with the checksum
# recomputed (so that every length, count and number is checked on its
# own), truncations, inflated counts, random bytes -- go through the text
# input, the binary input (COPY FROM ... binary), and crm.predict /
# crm.model_json / crm.explain (and crm.tree_rules) when a mutation happens
# to stay a valid model.  Each must be a clean ERROR or a valid model, never
# a crash: the server answers afterwards and its log has no crash.
set -uo pipefail
py=/usr/bin/python3
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
d=$TEST_TMPDIR
fail=0
q <<SQL || exit 1
CREATE TABLE cust AS
SELECT i AS id, (i % 3 = 0) <> (i % 11 = 0) AS churned, (i % 17)::float8 AS tenure,
	   CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 5) * 10 END AS spend,
	   (ARRAY['web', 'app', 'store', NULL])[1 + i % 4] AS channel
FROM generate_series(1, 2000) i;
CREATE TABLE models (name text, model crm.model);
INSERT INTO models
SELECT 'logistic', crm.logistic_regression('SELECT churned, tenure, spend, channel FROM cust')
UNION ALL SELECT 'linear', crm.linear_regression('SELECT tenure, spend, channel, churned FROM cust')
UNION ALL SELECT 'tree', crm.decision_tree('SELECT churned, tenure, spend, channel FROM cust', 3, 50)
UNION ALL SELECT 'boosted', crm.boosted_trees('SELECT churned, tenure, spend, channel FROM cust', 3, 0.1, 2, 50);
\\copy models TO '$d/models.bin' WITH (FORMAT binary)
CREATE TABLE models2 (name text, model crm.model);
\\copy models2 FROM '$d/models.bin' WITH (FORMAT binary)
\\copy (SELECT model FROM models WHERE name = 'logistic') TO '$d/model.txt'
\\copy (SELECT model FROM models WHERE name = 'tree') TO '$d/model_tree.txt'
\\copy (SELECT model FROM models WHERE name = 'boosted') TO '$d/model_boosted.txt'
SQL
same=$(q -c "SELECT count(*) FROM models a JOIN models2 b USING (name) WHERE a.model::text = b.model::text
	AND (SELECT bool_and(crm.predict(a.model, c) = crm.predict(b.model, c)) FROM cust c)")
echo "binary COPY round trip: $same of 4 models identical, with identical predictions"
[ "$same" = 4 ] || fail=1

$py - "$d" <<'PY'
import sys, base64, random, struct
d = sys.argv[1]
random.seed(11)
# CRC-32C (Castagnoli), as PostgreSQL computes it
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
def seal(b):
    b = bytearray(b[:-4]) if len(b) >= 4 else bytearray(b)
    return bytes(b) + struct.pack(">I", crc32c(b))
def mutations(raw, scale, field_step):
    muts = []
    for _ in range(300 // scale):              # flips: the checksum catches them
        b = bytearray(raw); i = random.randrange(len(b)); b[i] ^= 1 << random.randrange(8); muts.append(bytes(b))
    for _ in range(1500 // scale):             # flips with a valid checksum
        b = bytearray(raw[:-4])
        for _ in range(random.choice([1, 1, 2, 5])):
            i = random.randrange(len(b)); b[i] = random.randrange(256)
        muts.append(seal(b + b"\0\0\0\0"))
    for _ in range(300 // scale):              # truncated or extended, sealed
        n = random.randrange(len(raw) + 40)
        b = (raw[:-4] + bytes(random.randrange(256) for _ in range(40)))[:n]
        muts.append(seal(bytearray(b) + b"\0\0\0\0"))
    for off in range(4, len(raw) - 4, field_step):  # 32-bit fields set to a huge or negative count
        for v in (0x7FFFFFFF, 0xFFFFFFFF, 0x00100000):
            b = bytearray(raw[:-4]); b[off:off + 4] = struct.pack(">I", v); muts.append(seal(b + b"\0\0\0\0"))
    for _ in range(200 // scale):              # random bytes
        muts.append(seal(bytes(random.randrange(256) for _ in range(random.randrange(0, 400))) + b"\0\0\0\0"))
    return muts
f = open(d + "/fuzz.sql", "w")
total = 0
# the regression model in full; the tree kinds (their payloads: nodes,
# thresholds, level bitsets, class counts) with fewer mutations each
for name, scale, step in (("model", 1, 1), ("model_tree", 3, 3), ("model_boosted", 3, 7)):
    text = open(d + f"/{name}.txt").read().strip()
    kind, b64 = text.split(":", 1)
    raw = bytearray(base64.b64decode(b64))
    assert seal(raw) == bytes(raw), "our CRC-32C does not match the model's"
    muts = mutations(raw, scale, step)
    total += len(muts)
    if name == "model":
        first = muts[0]
    for m in muts:
        t = kind + ":" + base64.b64encode(m).decode()
        f.write(f"SELECT crm.model_json(m) IS NOT NULL, (SELECT count(crm.predict(m, c)) FROM cust c), "
                f"(SELECT count(*) FROM crm.explain(m, (SELECT c FROM cust c LIMIT 1))) FROM (SELECT '{t}'::crm.model AS m) x;\n")
        if kind != "logistic_regression" and kind != "linear_regression":
            f.write(f"SELECT count(*) FROM crm.tree_rules('{t}'::crm.model);\n")
f.close()
muts = [first]
# the binary input: a COPY file of corrupted values
with open(d + "/fuzz.bin", "wb") as f:
    f.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    f.write(struct.pack(">hi", 1, len(muts[0])) + muts[0])
    f.write(struct.pack(">h", -1))
print(f"{total} corrupted values (logistic regression, decision tree, boosted trees)")
PY
psql -X -q -At -f "$d/fuzz.sql" >"$d/fuzz.out" 2>"$d/fuzz.err"
ok=$(grep -c '^t|' "$d/fuzz.out")
errors=$(grep -c '^psql:.*ERROR' "$d/fuzz.err")
other=$(grep -v '^psql:.*ERROR\|^DETAIL\|^HINT\|^LINE\|^ *\^\|^CONTEXT' "$d/fuzz.err" | grep -c .)
echo "text input: $ok mutations still valid models (predict and JSON work), $errors clean errors, $other other messages"
grep '^psql:.*ERROR' "$d/fuzz.err" | sed 's/^psql:[^ ]* //' | sed 's/"[^"]*"/"..."/g' | sort | uniq -c | sort -rn | head -12
grep -v '^psql:.*ERROR\|^DETAIL\|^HINT\|^LINE\|^ *\^\|^CONTEXT' "$d/fuzz.err" | head -5
[ "$other" = 0 ] || fail=1
[ $((ok + errors)) -gt 2000 ] || { echo "  too few statements ran"; fail=1; }
out=$(q -c "CREATE TABLE models3 (model crm.model)" -c "\\copy models3 FROM '$d/fuzz.bin' WITH (FORMAT binary)" 2>&1)
echo "binary input of a corrupted value: $(echo "$out" | grep ERROR)"
grep -q "invalid crm.model value" <<<"$out" || fail=1
alive=$(q -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
