#!/usr/bin/env bash
# crm.profile binary I/O: a binary COPY round trip keeps every profile, and
# hand-made binary input that breaks the rules (unsorted or repeated items,
# zero, negative or NaN weights, a count larger than the data, flags) is
# refused with an ERROR, never a crash.
set -uo pipefail
command -v python3 >/dev/null 2>&1 || { echo "python3 not found (needed to write binary COPY files)"; exit 77; }
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fail=0
q -c "CREATE TABLE src AS SELECT g AS id, crm.purchase_profile((hashint4(g * 100 + j) & 4095)::int, 1 + (j % 7) * 0.25) AS p
      FROM generate_series(1, 2000) g, generate_series(1, 1 + g % 40) j GROUP BY g" \
  -c "INSERT INTO src VALUES (0, '{}')" -c "CREATE TABLE dst (id int, p crm.profile)" || exit 1
q -c "\\copy src TO '$TEST_TMPDIR/p.bin' WITH (FORMAT binary)" -c "\\copy dst FROM '$TEST_TMPDIR/p.bin' WITH (FORMAT binary)" || exit 1
diff=$(q -At -c "SELECT count(*) FROM src s FULL JOIN dst d USING (id) WHERE s.p::text IS DISTINCT FROM d.p::text")
echo "binary round trip of $(q -At -c 'SELECT count(*) FROM src') profiles: $diff differences"
[ "$diff" = 0 ] || fail=1

# one-row binary COPY file with a single crm.profile field given as hex
bad() {
	local label=$1 hex=$2 out
	python3 - "$TEST_TMPDIR/bad.bin" "$hex" <<'PY'
import struct, sys
data = bytes.fromhex(sys.argv[2])
with open(sys.argv[1], 'wb') as f:
    f.write(b'PGCOPY\n\xff\r\n\x00' + struct.pack('>ii', 0, 0))
    f.write(struct.pack('>hi', 1, len(data)) + data)
    f.write(struct.pack('>h', -1))
PY
	out=$(q -c "CREATE TEMP TABLE one (p crm.profile)" -c "\\copy one FROM '$TEST_TMPDIR/bad.bin' WITH (FORMAT binary)" 2>&1)
	echo "$label: $(echo "$out" | grep -m1 ERROR)"
	grep -q "ERROR" <<<"$out" || fail=1
}
#                 n        flags    item     weight   item     weight
bad "unsorted"   "00000002 00000000 00000005 3f800000 00000001 3f800000"
bad "repeated"   "00000002 00000000 00000005 3f800000 00000005 3f800000"
bad "zero"       "00000001 00000000 00000005 00000000"
bad "negative"   "00000001 00000000 00000005 bf800000"
bad "NaN"        "00000001 00000000 00000005 7fc00000"
bad "too long n" "7fffffff 00000000 00000005 3f800000"
bad "negative n" "ffffffff 00000000"
bad "flags"      "00000001 00000001 00000005 3f800000"
bad "truncated"  "00000002 00000000 00000005 3f800000 00000007"
good=$(python3 - "$TEST_TMPDIR/good.bin" <<'PY'
import struct, sys
data = bytes.fromhex("00000002 00000000 00000001 40200000 00000003 3f800000")
with open(sys.argv[1], 'wb') as f:
    f.write(b'PGCOPY\n\xff\r\n\x00' + struct.pack('>ii', 0, 0))
    f.write(struct.pack('>hi', 1, len(data)) + data + struct.pack('>h', -1))
PY
q -At -c "CREATE TEMP TABLE one (p crm.profile)" -c "\\copy one FROM '$TEST_TMPDIR/good.bin' WITH (FORMAT binary)" -c "SELECT p FROM one")
echo "valid hand-made input: $good (expected {1:2.5,3:1})"
[ "$good" = "{1:2.5,3:1}" ] || fail=1
alive=$(q -At -c "SELECT 1")
echo "server alive afterwards: $alive"
[ "$alive" = 1 ] || fail=1
exit $fail
