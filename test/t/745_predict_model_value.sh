#!/usr/bin/env bash
# The model value: binary send/receive round trip (COPY ... FORMAT binary),
# and a hardened decoder.  Thousands of corrupted values -- random byte
# flips, flips with the checksum recomputed (so that every length, count and
# number is checked on its own), truncations, inflated counts, random bytes
# -- go through the text input, the binary input (COPY FROM ... binary), and
# crm.predict / crm.model_json when a mutation happens to stay a valid
# model.  Each must be a clean ERROR or a valid model, never a crash: the
# server answers afterwards and its log has no crash.
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
UNION ALL SELECT 'linear', crm.linear_regression('SELECT tenure, spend, channel, churned FROM cust');
\\copy models TO '$d/models.bin' WITH (FORMAT binary)
CREATE TABLE models2 (name text, model crm.model);
\\copy models2 FROM '$d/models.bin' WITH (FORMAT binary)
\\copy (SELECT model FROM models WHERE name = 'logistic') TO '$d/model.txt'
SQL
same=$(q -c "SELECT count(*) FROM models a JOIN models2 b USING (name) WHERE a.model::text = b.model::text
	AND (SELECT bool_and(crm.predict(a.model, c) = crm.predict(b.model, c)) FROM cust c)")
echo "binary COPY round trip: $same of 2 models identical, with identical predictions"
[ "$same" = 2 ] || fail=1

$py - "$d" <<'PY'
import sys, base64, random, struct
d = sys.argv[1]
random.seed(11)
text = open(d + "/model.txt").read().strip()
kind, b64 = text.split(":", 1)
raw = bytearray(base64.b64decode(b64))
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
assert seal(raw) == bytes(raw), "our CRC-32C does not match the model's"
muts = []
for _ in range(300):                       # flips: the checksum catches them
    b = bytearray(raw); i = random.randrange(len(b)); b[i] ^= 1 << random.randrange(8); muts.append(bytes(b))
for _ in range(1500):                      # flips with a valid checksum
    b = bytearray(raw[:-4])
    for _ in range(random.choice([1, 1, 2, 5])):
        i = random.randrange(len(b)); b[i] = random.randrange(256)
    muts.append(seal(b + b"\0\0\0\0"))
for _ in range(300):                       # truncated or extended, sealed
    n = random.randrange(len(raw) + 40)
    b = (raw[:-4] + bytes(random.randrange(256) for _ in range(40)))[:n]
    muts.append(seal(bytearray(b) + b"\0\0\0\0"))
for off in range(4, len(raw) - 4):         # every 32-bit field set to a huge or negative count
    for v in (0x7FFFFFFF, 0xFFFFFFFF, 0x00100000):
        b = bytearray(raw[:-4]); b[off:off + 4] = struct.pack(">I", v); muts.append(seal(b + b"\0\0\0\0"))
for _ in range(200):                       # random bytes
    muts.append(seal(bytes(random.randrange(256) for _ in range(random.randrange(0, 400))) + b"\0\0\0\0"))
with open(d + "/fuzz.sql", "w") as f:
    for m in muts:
        t = kind + ":" + base64.b64encode(m).decode()
        f.write(f"SELECT crm.model_json(m) IS NOT NULL, (SELECT count(crm.predict(m, c)) FROM cust c) FROM (SELECT '{t}'::crm.model AS m) x;\n")
# the binary input: a COPY file of corrupted values
with open(d + "/fuzz.bin", "wb") as f:
    f.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    f.write(struct.pack(">hi", 1, len(muts[0])) + muts[0])
    f.write(struct.pack(">h", -1))
print(f"{len(muts)} corrupted values")
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
echo "$out" | grep -q "invalid crm.model value" || fail=1
alive=$(q -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
