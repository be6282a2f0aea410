#!/usr/bin/python3
"""
crm_fuzz.py: calls every function and aggregate of schema crm with random and
hostile arguments, on a database prepared by test/fuzz/schema.sql.

The functions are read from the catalog, so a new function is fuzzed without
any change here.  Each statement is drawn from a random generator seeded with
--seed: the same seed (and the same extension) gives the same statements in
the same order, so a finding is reproduced with the seed and its statement
number, or by running the statement printed in the findings file.

Kinds of statements:
  call       a function with random arguments from per-type pools of hostile
             constants (NULLs, empty and multi-dimensional arrays, NaN,
             infinities, extreme integers and dates, huge k, castable types of
             the wrong kind, empty and long strings), SRFs read to the end
  query      a function taking a query text, with a valid query over the
             fuzz tables or a hostile one (several statements, DML in a CTE,
             a volatile function that writes, utility statements, recursion
             into the extension, errors and timeouts inside the query); a
             canary table is checked after each such call
  agg        every aggregate over clean or hostile rows: plain, GROUP BY
             (hashed or sorted), as a running window aggregate whose last row
             must equal the aggregate computed from scratch, and under a
             forced parallel plan
  input      the text input of every crm base type with mutated text, and
             the binary input (COPY FROM ... FORMAT binary) with mutated bytes

The support functions of the aggregates (transition, combine, serial,
deserial and final functions) take or return `internal`; PostgreSQL refuses
any value of that type in SQL, NULL included, so they are reached only through
their aggregates (serial/deserial under the forced parallel plans).

Findings: a lost connection (backend crash), SQLSTATE XX000 or an internal
message ('cache lookup failed', 'unrecognized', 'invalid memory alloc request
size'), a statement running far past statement_timeout, a running window
aggregate that disagrees with the aggregate from scratch, a canary changed by
a caller's query.  Assertion failures and sanitizer reports appear in the
server log, which run.sh checks.  Exit status 1 when there is any finding.
"""
import argparse
import io
import json
import os
import random
import re
import struct
import sys
import threading
import time

import psycopg2
import psycopg2.extensions

INTERNAL_PATTERNS = re.compile(r"cache lookup failed|invalid memory alloc request size", re.I)
# 'unrecognized ...' is internal unless the extension raised it on purpose
# for a bad argument (SQLSTATE class 22, data exception, or 42, syntax or
# access rule violation)
UNRECOGNIZED = re.compile(r"unrecognized", re.I)

# ---------------------------------------------------------------------------
# Constant pools, by type.  Each entry is SQL text.
# ---------------------------------------------------------------------------
F8 = ["1", "2", "0.5", "3", "10", "0.1", "0", "-1", "0.01", "0.99", "1e-300", "5e-324",
      "1e308", "-1e308", "'NaN'::float8", "'Infinity'::float8",
      "'-Infinity'::float8", "-0.0::float8", "1e15", "100", "365", "1::int",
      "2.5::numeric", "'3'", "0.999999999999", "-1e-15", "1e-15", "1.0000001"]
I4 = ["2", "3", "1", "5", "4", "10", "0", "100", "-1", "-2147483648", "2147483647",
      "1000000", "65536", "2::smallint", "'4'", "1", "2", "3"]
I8 = ["1", "42", "0", "7", "3", "100", "-1", "9223372036854775807", "-9223372036854775808",
      "2147483648", "7::int", "'5'"]
NUM = ["1", "123.45", "10", "0.5", "99.99", "3", "0", "1e16", "12345678901234567.123456789", "0.000000001",
       "'NaN'::numeric", "'Infinity'::numeric", "'-Infinity'::numeric", "-5",
       "1e1000", "1e-1000", "1.0/3", "99999999999999999999.99999999999", "7::int",
       "2.5::float8"]
TS = ["'2024-01-01'", "'2024-03-01'", "'2023-06-15 12:00:00+02'", "'2025-01-01'",
      "'2024-06-30'", "'2023-12-31'", "'1970-01-01'", "'infinity'",
      "'-infinity'", "'4713-01-01 00:00:00+00 BC'", "'294276-12-31 23:59:59+00'",
      "'2024-02-29 12:00:00+05'", "pg_catalog.now()", "'2000-01-01'::date",
      "'2024-03-01'", "'2023-01-01'"]
IV = ["'1 day'", "'1 week'", "'1 month'", "'7 days'", "'1 day'", "'1 year'", "'0'", "'-1 day'",
      "'1 microsecond'", "'178000000 years'", "'1 month -30 days'",
      "'2147483647 days'", "'30 days'", "'1 hour'", "'-1 month'"]
TEXT = ["'cosine'", "'jaccard'", "'c1'", "'c2'", "'i1'", "'i3'", "''", "'a'",
        "'euclidean'", "'COSINE'", "repeat('x', 10000)", "E'\\u00e9\\u4e2d'", "' '",
        "'c1 '", "'cosine\\n'", "'NULL'", "1::int", "'i' || 2"]
FA = ["'{1,2}'", "'{{1,2},{3,4}}'", "'{{0,0},{10,10},{20,20}}'", "'{0.5,0.5,1,1}'",
      "'{{2},{11}}'", "'{1,2,0,0}'", "'{}'", "'{NULL}'", "'{1}'", "'{{{1}}}'",
      "'[0:1]={1,2}'", "'{NaN,1}'", "'{Infinity}'", "'{1e308,1e308}'",
      "'{{1,2},{NULL,4}}'", "'{-1e308,1e308}'", "'{{1},{2},{3}}'",
      "'{{0,0},{10,10},{20,20}}'", "'{{2},{11}}'", "'{1,2,3}'", "'{1e-320,0}'",
      "'[2:3][5:5]={{2},{11}}'", "ARRAY[1,2]::int[]", "'{{1,2,3},{4,5,6}}'",
      "ARRAY(SELECT random() FROM generate_series(1, 1000))",
      "ARRAY(SELECT ARRAY[i, i * 2] FROM generate_series(1, 500) i)::float8[]",
      "ARRAY(SELECT 1::float8 FROM generate_series(1, 100000))",
      "'{0.5,0.5,1,1}'", "'{0,0,1,1}'", "'{0,1,0,-1}'", "'{1,2,0,0}'",
      "'{1,2,NaN,1}'"]
IA = ["'{1,2,3}'", "'{4,5}'", "'{1}'", "'{2,7,9}'", "'{}'", "'{NULL}'", "'{3,2,1}'", "'{1,1}'", "'{-1}'",
      "'{2147483647,-2147483648}'", "'{{1,2},{3,4}}'", "'[0:1]={5,6}'",
      "ARRAY(SELECT generate_series(1, 100000))", "'{0}'", "'{1}'"]
RA = ["'{1,2,3}'", "'{0.5,0.25,1}'", "'{1}'", "'{2,2}'", "'{}'", "'{NULL}'", "'{NaN}'", "'{-1}'", "'{0}'", "'{0,0,0}'",
      "'{3e38,3e38,3e38}'", "'{1e-45,1,1}'", "'{Infinity,1,1}'",
      "'{{1,2},{3,4}}'", "'{1}'", "'{0.5,0.25,1}'",
      "ARRAY(SELECT 1::real FROM generate_series(1, 100000))"]
TA = ["'{i1}'", "'{i1,i2}'", "'{i3,i5}'", "'{i2}'", "'{}'", "'{NULL}'", "'{i2,i1,i2}'", "'{\"\"}'",
      "'{{i1,i2},{i3,i4}}'", "'[3:4]={i1,i3}'", "ARRAY['i1', NULL]",
      "ARRAY(SELECT 'i' || g FROM generate_series(1, 2000) g)"]
BYTEA = ["'\\x'", "'\\x00'", "'\\x0100000000'", "'\\xffffffffffffffff'",
         "decode(repeat('ff', 64), 'hex')", "'\\x01000000ffffff7f'"]
PROFILE = ["(SELECT p FROM fz_profiles ORDER BY id LIMIT 1)", "'{1:1,2:2,3:3}'::crm.profile",
           "(SELECT p FROM fz_profiles ORDER BY id OFFSET 3 LIMIT 1)", "'{2:0.5,9:1}'::crm.profile",
           "crm.profile('{1,2}', '{1,2}')", "'{5:1}'::crm.profile",
           "'{}'::crm.profile", "'{1:0.5}'::crm.profile", "'{1:1,2:2,3:3}'::crm.profile",
           "'{2147483647:3e38,-2147483648:1e-45}'::crm.profile",
           "crm.profile('{1,2}', '{1,2}')",
           "crm.profile(ARRAY(SELECT generate_series(1, 20000)), "
           "ARRAY(SELECT 1::real FROM generate_series(1, 20000)))",
           "(SELECT p FROM fz_profiles ORDER BY id LIMIT 1)",
           "(SELECT p FROM fz_profiles ORDER BY id OFFSET 5 LIMIT 1)"]
REGCLASS = ["'fz_rules'::regclass", "'fz_rules'::regclass", "'fz_rules'::regclass",
            "'fz_rules'::regclass", "'fz_rules'::regclass", "'fz_rules'::regclass",
            "'fz_rules_empty'::regclass",
            "'fz_rules_wrong'::regclass", "'pg_class'::regclass",
            "'fz_orders'::regclass", "'crm.rfm_summary'::regclass",
            "'fz_seq'::regclass", "'fz_rows_seq_idx'::regclass",
            "'fz_rules'", "0::oid::regclass", "4294967295::oid::regclass",
            "'fz_rules'::regclass", "'fz_rules'::regclass"]
POOLS = {
    "float8": F8, "float4": F8, "integer": I4, "smallint": I4, "bigint": I8,
    "numeric": NUM, "timestamp with time zone": TS, "interval": IV, "text": TEXT,
    "double precision[]": FA, "integer[]": IA, "real[]": RA, "text[]": TA,
    "bytea": BYTEA, "crm.profile": PROFILE, "regclass": REGCLASS,
    "double precision": F8, "real": F8, "boolean": ["true", "false"],
}

# Queries for functions taking a query text.  {n} columns; valid ones first.
VALID_QUERIES = {
    1: ["SELECT f FROM fz_points", "SELECT f FROM fz_points WHERE seq <= 5",
        "SELECT ARRAY[f[1]] FROM fz_points", "SELECT fa FROM fz_rows",
        "SELECT fa FROM fz_rows WHERE NOT hostile AND seq < 200",
        "SELECT f FROM fz_points WHERE false", "SELECT NULL::float8[]",
        "SELECT '{1,2}'::float8[] FROM generate_series(1, 50)",
        "SELECT ARRAY[i::float8] FROM generate_series(1, 20) i",
        "SELECT ARRAY[i]::int[] FROM generate_series(1, 20) i",
        "SELECT '{{1,2},{3,4}}'::float8[]", "SELECT '{NaN,1}'::float8[]",
        "SELECT ARRAY[1e308, -1e308]::float8[] FROM generate_series(1, 5)"],
    2: ["SELECT basket, item FROM fz_baskets",
        "SELECT basket, item FROM fz_baskets WHERE basket < 'b3'",
        "SELECT basket, item FROM fz_baskets WHERE false",
        "SELECT basket, NULL::text FROM fz_baskets",
        "SELECT NULL::text, item FROM fz_baskets",
        "SELECT substr(basket, 2)::int, substr(item, 2)::int FROM fz_baskets",
        "SELECT basket, item FROM fz_baskets UNION ALL SELECT basket, item FROM fz_baskets",
        "SELECT 'b', 'i' || g FROM generate_series(1, 300) g",
        "SELECT 'b' || g, 'i' FROM generate_series(1, 300) g",
        "SELECT 'b' || (g % 50), 'i' || (g % 40) FROM generate_series(1, 2000) g",
        "SELECT '', '' ", "SELECT t1, t1 FROM fz_rows WHERE hostile",
        "SELECT basket, repeat(item, 500) FROM fz_baskets"],
    3: ["SELECT cust, ts, amt FROM fz_orders", "SELECT cust, ts, amt8 FROM fz_orders",
        "SELECT cust, item, w FROM fz_weights", "SELECT cust, item, 1 FROM fz_weights",
        "SELECT cust, item, w FROM fz_weights WHERE false",
        "SELECT cust, item, NULL::float8 FROM fz_weights",
        "SELECT cust, item, -w FROM fz_weights",
        "SELECT cust, item, w * 1e308 FROM fz_weights",
        "SELECT cust, item, 'NaN'::float8 FROM fz_weights",
        "SELECT cust, ts, amt FROM fz_orders WHERE false",
        "SELECT cust, ts, NULL::numeric FROM fz_orders",
        "SELECT NULL::text, ts, amt FROM fz_orders",
        "SELECT cust, 'infinity'::timestamptz, amt FROM fz_orders",
        "SELECT cust, ts, 'NaN'::numeric FROM fz_orders",
        "SELECT cust, ts, 'Infinity'::numeric FROM fz_orders",
        "SELECT cust, ts, amt * 1e30 FROM fz_orders",
        "SELECT cust, ts, -amt FROM fz_orders",
        "SELECT substr(cust, 2)::int, ts, amt FROM fz_orders",
        "SELECT cust, ts::date, amt::int FROM fz_orders",
        "SELECT 'c', ts, amt FROM fz_orders",
        "SELECT 'c' || g, '2024-01-01'::timestamptz, 1 FROM generate_series(1, 3000) g",
        "SELECT 'c' || (g % 100), 'i' || (g % 77), 1.0 FROM generate_series(1, 5000) g",
        "SELECT t1, ts1, n1 FROM fz_rows WHERE hostile",
        "SELECT t1, t1, f1 FROM fz_rows WHERE hostile",
        "SELECT cust, ts, amt FROM fz_orders ORDER BY random()"],
    4: ["SELECT cust, ts, amt, 1 FROM fz_orders", "SELECT 1, 2, 3, 4"],
}
# hostile queries; {cols} is replaced by a list of the right number of columns
HOSTILE_QUERIES = [
    "", " ", ";", "--", "/* */", "SELECT", "SELECT 1; SELECT 2", "SELECT {cols};",
    "SELECT {cols}; SELECT {cols}",
    "WITH d AS (DELETE FROM fz_canary RETURNING 1) SELECT {cols} FROM d",
    "WITH d AS (UPDATE fz_canary SET v = 'x' RETURNING 1) SELECT {cols} FROM d",
    "WITH d AS (INSERT INTO fz_canary VALUES (-1, 'x') RETURNING 1) SELECT {cols} FROM d",
    "SELECT {cols} FROM fz_write()", "SELECT {cols} WHERE fz_write() = 1",
    "SELECT {cols} FROM (SELECT nextval('fz_seq')) s",
    "DELETE FROM fz_canary RETURNING {cols}",
    "UPDATE fz_canary SET v = v RETURNING {cols}",
    "INSERT INTO fz_canary VALUES (-2, 'y') RETURNING {cols}",
    "SELECT {cols} FROM fz_canary FOR UPDATE", "SELECT {cols} INTO fz_x",
    "CREATE TABLE fz_y AS SELECT {cols}", "TABLE fz_canary", "VALUES ({cols})",
    "EXPLAIN SELECT {cols}", "COPY fz_canary TO STDOUT", "DO $$ BEGIN END $$",
    "SET work_mem = '64kB'", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s",
    "LOCK TABLE fz_canary", "LISTEN fz", "NOTIFY fz", "VACUUM fz_canary",
    "PREPARE p AS SELECT {cols}", "EXECUTE p", "DECLARE c CURSOR FOR SELECT {cols}",
    "SELECT {cols} FROM pg_sleep(60)",
    "SELECT {cols} FROM generate_series(1, 100000000)",
    "SELECT $1", "SELECT {cols} WHERE 1/0 = 1", "SELECT {cols} FROM nonexistent",
    "SELECT {cols} FROM fz_orders WHERE ts > now() - '1 day' AND cust = $$c1$$",
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT {cols} FROM r",
    "SELECT {cols} FROM crm.rfm_scores('SELECT cust, ts, amt FROM fz_orders')",
    "SELECT {cols} FROM crm.frequent_itemsets('SELECT basket, item FROM fz_baskets', 0.1)",
    "SELECT {cols} FROM crm.kmeans_evaluate('SELECT f FROM fz_points', 1, 2)",
    "SELECT {cols} FROM crm.nearest_neighbors('SELECT cust, item, w FROM fz_weights', 2)",
    "select {cols} from fz_orders -- trailing comment",
    "(SELECT {cols})", "SELECT {cols} UNION SELECT {cols}",
    "SELECT {cols} \\gexec", "SELECT {cols} FROM fz_orders LIMIT -1",
    "SELECT {cols} FROM fz_orders OFFSET 1000000",
]
COL_EXPRS = ["cust", "ts", "amt", "1", "NULL", "'x'", "now()", "1.5", "'{1}'::float8[]",
             "ARRAY[1,2]", "'infinity'::timestamptz", "'NaN'::numeric", "true",
             "'c1'", "'i1'", "1e308::float8", "-1", "''"]


def lit(pool, rng):
    return rng.choice(pool)


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.dsn = args.dsn
        self.conn = None
        self.admin = None
        self.counts = {}
        self.errors = {}
        self.findings = []
        self.executed = 0
        self.arity = {}
        self.log = open(args.log, "w") if args.log else None
        self.out = open(args.findings, "w") if args.findings else None
        self.timeout_ms = args.statement_timeout_ms

    # -- connections -------------------------------------------------------
    def connect(self, wait=120):
        deadline = time.time() + wait
        while True:
            try:
                c = psycopg2.connect(self.dsn)
                c.autocommit = True
                with c.cursor() as cur:
                    cur.execute("SET statement_timeout = %s", (self.timeout_ms,))
                    cur.execute("SET extra_float_digits = 3")
                    cur.execute("SET client_min_messages = error")
                return c
            except psycopg2.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(1)

    def discover(self):
        cur = self.conn.cursor()
        cur.execute("""
            SELECT p.oid, p.proname, p.prokind, p.proretset,
                   pg_catalog.pg_get_function_identity_arguments(p.oid),
                   ARRAY(SELECT pg_catalog.format_type(t, NULL)
                         FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, o) ORDER BY o),
                   p.proargnames, p.pronargdefaults, p.proisstrict,
                   pg_catalog.format_type(p.prorettype, NULL)
            FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'crm'::regnamespace
            ORDER BY p.proname, 5""")
        self.funcs, self.aggs, self.direct = [], [], []
        for oid, name, kind, retset, ident, types, names, ndef, strict, rettype in cur.fetchall():
            f = dict(oid=oid, name=name, kind=kind, retset=retset, ident=ident,
                     types=types, names=names or [], ndef=ndef, strict=strict,
                     rettype=rettype)
            if kind == "a":
                self.aggs.append(f)
            elif "internal" in types or rettype == "internal":
                self.direct.append(f)
            else:
                self.funcs.append(f)
        cur.execute("""
            SELECT t.typname, t.typinput::regproc::text
            FROM pg_catalog.pg_type t
            WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'b' AND t.typelem = 0""")
        self.basetypes = cur.fetchall()
        cur.execute("""
            SELECT pg_catalog.format_type(t.oid, NULL),
                   ARRAY(SELECT pg_catalog.format_type(a.atttypid, NULL) FROM pg_catalog.pg_attribute a
                         WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                         ORDER BY a.attnum)
            FROM pg_catalog.pg_type t
            WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype = 'c'""")
        self.composites = dict(cur.fetchall())
        # a real value of each composite type, where an aggregate returns one
        self.real_values = {}
        for a in self.aggs:
            if a["rettype"] in self.composites and a["rettype"] not in self.real_values:
                self.real_values[a["rettype"]] = []
            if a["rettype"] in self.composites:
                self.real_values[a["rettype"]].append(a)
        cur.close()
        print("crm_fuzz: %d functions, %d aggregates (with %d support functions), %d base types, "
              "%d composite types" % (len(self.funcs), len(self.aggs), len(self.direct),
                                      len(self.basetypes), len(self.composites)), flush=True)

    # -- argument generation ----------------------------------------------
    def const(self, typ, depth=0):
        rng = self.rng
        if rng.random() < 0.04:
            return "NULL::%s" % typ
        if typ in self.composites:
            r = rng.random()
            if r < 0.35 and self.real_values.get(typ):
                # a fitted value from an aggregate returning this type
                agg = rng.choice(self.real_values[typ])
                return "(SELECT %s)" % self.agg_expr(agg, clean=True, const_only=False,
                                                     src_alias=True)
            fields = [self.const(t, depth + 1) for t in self.composites[typ]]
            return "ROW(%s)::%s" % (", ".join(fields), typ)
        pool = POOLS.get(typ)
        if pool is None:
            return "NULL::%s" % typ
        # half of the time one of the ordinary values at the head of the pool
        v = rng.choice(pool[:6] if rng.random() < 0.5 else pool)
        if typ in ("double precision[]", "integer[]", "real[]", "text[]") and v.startswith("'"):
            v = "%s::%s" % (v, typ)
        return v

    def query_text(self, f):
        rng = self.rng
        n = self.arity.get(f["name"]) or rng.choice([1, 2, 3, 3, 4])
        if rng.random() < 0.7:
            q = rng.choice(VALID_QUERIES.get(n, VALID_QUERIES[3]))
        else:
            cols = ", ".join(rng.choice(COL_EXPRS) for _ in range(n))
            q = rng.choice(HOSTILE_QUERIES).replace("{cols}", cols)
        return "$q$%s$q$" % q

    def call_args(self, f):
        types = list(f["types"])
        nargs = len(types)
        if f["ndef"] and self.rng.random() < 0.3:
            nargs -= self.rng.randint(1, f["ndef"])
        out = []
        for i in range(nargs):
            name = f["names"][i] if i < len(f["names"]) else ""
            if name == "query" and types[i] == "text" and self.rng.random() < 0.95:
                out.append(self.query_text(f))
            else:
                out.append(self.const(types[i]))
        return out

    # an aggregate call over fz_rows (columns of the argument types) or constants
    COLS = {"double precision": ["f1", "f2", "f3", "f4"], "integer": ["i1", "i2", "g"],
            "bigint": ["b1"], "numeric": ["n1"],
            "timestamp with time zone": ["ts1", "ts3", "ts2"], "interval": ["iv"],
            "double precision[]": ["fa"], "integer[]": ["ia"], "real[]": ["ra"],
            "text": ["t1"], "text[]": ["ta"], "crm.profile": ["p"]}

    def agg_args(self, a, const_only=False):
        out = []
        for i, t in enumerate(a["types"]):
            cols = self.COLS.get(t)
            # the first argument is usually per-row data, later ones usually parameters
            p_col = 0.9 if i == 0 else 0.6
            if cols and not const_only and self.rng.random() < p_col:
                out.append(self.rng.choice(cols))
            else:
                out.append(self.const(t))
        return out

    ROW_VALUES = {
        "timestamp with time zone": ["'2023-01-0%d'" % d for d in range(1, 10)],
        "numeric": ["1.123456789", "10000000000000000.5", "5", "0.1", "2.22222222222",
                    "7.5555555555", "99.99", "12345678901234567890.000000001", "-3.5", "0"],
        "double precision": ["%d" % d for d in range(0, 8)] + ["0.5", "1e-9", "123.456"],
        "integer": ["%d" % d for d in range(1, 8)],
        "double precision[]": ["ARRAY[%d, %d]" % (x, y) for x in range(3) for y in range(3)],
        "integer[]": ["ARRAY[%d, %d]" % (x, x + 3) for x in range(1, 6)],
        "real[]": ["ARRAY[%d, %d]" % (x, x + 1) for x in range(1, 4)],
        "text": ["'c1'", "'c2'", "'c3'", "'i1'", "'i2'"],
    }

    def values_source(self, args):
        """A few literal rows holding the columns the arguments name: few
        distinct values, so that the same key comes back out of order."""
        rng = self.rng
        cols = []
        for t, names in self.COLS.items():
            for n in names:
                if any(re.search(r"\b%s\b" % n, x) for x in args) and n not in ("g",):
                    cols.append((n, t))
        rows = []
        # ts2, iv and i2 hold parameters (as_of, unit, k): one value per source
        fixed = {n: self.const(t) for n, t in cols if n in ("ts2", "iv", "i2")}
        for i in range(rng.randint(1, 30)):
            vals = ["%d" % (i + 1), "%d" % (i % 3)]
            for n, t in cols:
                pool = self.ROW_VALUES.get(t)
                if n in fixed:
                    v = fixed[n]
                else:
                    v = rng.choice(pool) if pool and rng.random() < 0.9 else self.const(t)
                vals.append("CAST(%s AS %s)" % (v, t))
            rows.append("(%s)" % ", ".join(vals))
        return "(VALUES %s) s(seq, g%s)" % (", ".join(rows), "".join(", " + n for n, _ in cols))

    def agg_expr(self, a, clean, const_only, src_alias=False, args=None, order=None):
        args = args or self.agg_args(a, const_only)
        call = "crm.%s(%s%s)" % (a["name"], ", ".join(args),
                                 (" ORDER BY %s" % order) if order else "")
        if src_alias:
            where = "NOT hostile" if clean else "true"
            return "%s FROM (SELECT * FROM fz_rows WHERE %s ORDER BY seq LIMIT %d) s" % (
                call, where, self.rng.choice([5, 50, 500]))
        return call

    def source(self):
        rng = self.rng
        r = rng.random()
        if r < 0.65:
            return "(SELECT * FROM fz_rows WHERE NOT hostile AND seq <= %d) s" % rng.choice(
                [0, 1, 2, 3, 10, 50, 300, 3000])
        if r < 0.8:
            return "(SELECT * FROM fz_rows WHERE hostile AND seq %% %d = 0) s" % rng.choice(
                [1, 2, 3, 7, 13])
        if r < 0.9:
            return "(SELECT * FROM fz_rows WHERE seq %% %d = 0) s" % rng.choice([1, 5, 17, 40])
        return "(SELECT * FROM fz_rows WHERE seq > 2990 AND seq < 3010) s"

    # -- statements --------------------------------------------------------
    def gen_call(self):
        f = self.rng.choice(self.funcs)
        args = self.call_args(f)
        call = "crm.%s(%s)" % (f["name"], ", ".join(args))
        if f["retset"]:
            return "call", f["name"], "SELECT * FROM %s LIMIT %d" % (call, self.rng.choice([1, 10, 1000]))
        if self.rng.random() < 0.15:
            # many calls in one statement, arguments varying per row
            return "call", f["name"], "SELECT %s FROM generate_series(1, 50) LIMIT 50" % call
        return "call", f["name"], "SELECT %s" % call

    def gen_query_call(self):
        qf = [f for f in self.funcs if "query" in f["names"]]
        if not qf:
            return self.gen_call()
        f = self.rng.choice(qf)
        args = self.call_args(f)
        call = "crm.%s(%s)" % (f["name"], ", ".join(args))
        if f["retset"]:
            return "query", f["name"], "SELECT * FROM %s LIMIT 1000" % call
        return "query", f["name"], "SELECT %s" % call

    def gen_agg(self):
        rng = self.rng
        a = rng.choice(self.aggs)
        mode = rng.choice(["plain", "plain", "group", "hashgroup", "window", "window",
                           "window_part", "frame", "parallel", "parallel_group", "twice"])
        args = self.agg_args(a)
        call = "crm.%s(%s)" % (a["name"], ", ".join(args))
        src = self.values_source(args) if rng.random() < 0.3 else self.source()
        pre = []
        if mode == "plain":
            sql = "SELECT %s FROM %s" % (call, src)
        elif mode == "twice":
            # two calls sharing one transition state, different final calls
            sql = "SELECT %s, %s IS NULL FROM %s" % (call, call, src)
        elif mode == "group":
            sql = "SELECT g, %s FROM %s GROUP BY g ORDER BY g" % (call, src)
        elif mode == "hashgroup":
            pre = ["SET LOCAL enable_sort = off", "SET LOCAL work_mem = '64kB'"]
            sql = "SELECT seq %% %d, %s FROM %s GROUP BY 1" % (rng.choice([3, 50, 1000]), call, src)
        elif mode == "window":
            # the last row of a running aggregate equals the aggregate from scratch
            ordered = "crm.%s(%s ORDER BY seq)" % (a["name"], ", ".join(args))
            sql = ("WITH s AS (SELECT * FROM %s), w AS (SELECT seq, %s OVER (ORDER BY seq) AS r FROM s) "
                   "SELECT (SELECT r::text FROM w ORDER BY seq DESC LIMIT 1) IS NOT DISTINCT FROM "
                   "(SELECT (%s)::text FROM s) AS same, (SELECT count(*) FROM w) AS n" % (src, call, ordered))
            return "window", a["name"], sql, pre
        elif mode == "window_part":
            sql = "SELECT g, seq, %s OVER (PARTITION BY g ORDER BY seq) FROM %s" % (call, src)
        elif mode == "frame":
            sql = "SELECT seq, %s OVER (ORDER BY seq ROWS BETWEEN %d PRECEDING AND CURRENT ROW) FROM %s" % (
                call, rng.choice([0, 1, 3]), src)
        else:
            pre = ["SET LOCAL parallel_setup_cost = 0", "SET LOCAL parallel_tuple_cost = 0",
                   "SET LOCAL min_parallel_table_scan_size = 0",
                   "SET LOCAL max_parallel_workers_per_gather = 2",
                   "SET LOCAL parallel_leader_participation = %s" % rng.choice(["on", "off"])]
            where = rng.choice(["NOT hostile", "true", "hostile", "seq % 3 = 0", "false"])
            if mode == "parallel":
                sql = "SELECT %s FROM fz_rows WHERE %s" % (call, where)
            else:
                sql = "SELECT g, %s FROM fz_rows WHERE %s GROUP BY g" % (call, where)
        return "agg:" + mode, a["name"], sql, pre

    def gen_input(self):
        rng = self.rng
        if not self.basetypes:
            return self.gen_call()
        typ, _ = rng.choice(self.basetypes)
        seeds = ["{}", "{1:0.5}", "{1:1,2:2,3:3}", "{ 1 : 1 , 2 : 2 }", "{-5:1e-45}"]
        s = rng.choice(seeds)
        for _ in range(rng.randint(1, 4)):
            op = rng.randint(0, 5)
            pos = rng.randint(0, len(s))
            if op == 0:
                s = s[:pos] + rng.choice(["{", "}", ":", ",", "-", "e", ".", " ", "NaN", "inf",
                                          "99999999999", "1e999", "0x1", "\\", "\"", "'"]) + s[pos:]
            elif op == 1 and s:
                s = s[:pos] + s[pos + 1:]
            elif op == 2:
                s = s[:pos]
            elif op == 3:
                s = s * rng.randint(2, 50)
            elif op == 4:
                s = "{" + ",".join("%d:%s" % (rng.randint(-5, 5), rng.choice(["1", "0", "-1", "2"]))
                                   for _ in range(rng.randint(0, 8))) + "}"
            else:
                s = s.replace(":", rng.choice(["::", ":", ""]), 1)
        s = s.replace("'", "''")
        return "input", typ, "SELECT '%s'::crm.%s::text" % (s, typ)

    # -- binary input ------------------------------------------------------
    def binary_round(self):
        """COPY valid profiles out in binary, mutate the bytes, COPY them back in."""
        rng = self.rng
        cur = self.conn.cursor()
        buf = io.BytesIO()
        cur.copy_expert("COPY (SELECT p FROM fz_profiles ORDER BY id LIMIT 3) TO STDOUT (FORMAT binary)", buf)
        data = buf.getvalue()
        # header: 11-byte signature, int32 flags, int32 extension length
        head, body = data[:19], data[19:]
        tuples, pos = [], 0
        while pos + 2 <= len(body):
            (nf,) = struct.unpack(">h", body[pos:pos + 2])
            pos += 2
            if nf == -1:
                break
            (ln,) = struct.unpack(">i", body[pos:pos + 4])
            pos += 4
            tuples.append(bytearray(body[pos:pos + ln]))
            pos += ln
        out = bytearray(head)
        for t in tuples:
            for _ in range(rng.randint(1, 3)):
                op = rng.randint(0, 5)
                if op == 0 and t:
                    i = rng.randrange(len(t))
                    t[i] ^= 1 << rng.randrange(8)
                elif op == 1:
                    t[:] = t[:rng.randint(0, len(t))]
                elif op == 2 and len(t) >= 4:
                    t[0:4] = struct.pack(">i", rng.choice([-1, 0, 1, 2147483647, 67108864, 67108865, 5]))
                elif op == 3 and len(t) >= 8:
                    t[4:8] = struct.pack(">i", rng.choice([0, 1, -1]))
                elif op == 4:
                    t += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
                elif len(t) >= 16:
                    # weights: NaN, negative, infinity, zero
                    i = 8 + 8 * rng.randrange((len(t) - 8) // 8) + 4
                    t[i:i + 4] = struct.pack(">f", rng.choice([float("nan"), -1.0, float("inf"), 0.0]))
            out += struct.pack(">hi", 1, len(t)) + t
        out += struct.pack(">h", -1)
        sql = "COPY fz_profile_sink FROM STDIN (FORMAT binary)"
        return sql, bytes(out)

    # -- execution ---------------------------------------------------------
    def record(self, kind, what, sql, detail):
        self.findings.append((kind, what, sql, detail))
        line = "FINDING %s [%s] statement %d: %s\n    %s" % (kind, what, self.executed, detail, sql)
        print(line, flush=True)
        if self.out:
            self.out.write(json.dumps(dict(kind=kind, function=what, statement=self.executed,
                                           seed=self.args.seed, detail=detail, sql=sql)) + "\n")
            self.out.flush()

    def run_one(self, kind, what, sql, pre=(), copy_data=None):
        self.executed += 1
        if self.log:
            self.log.write("-- %d %s %s\n%s;\n" % (self.executed, kind, what, sql))
            self.log.flush()
        done = threading.Event()
        hung = []

        def watchdog():
            if not done.wait(self.timeout_ms / 1000.0 + self.args.hang_grace):
                hung.append(True)
                try:
                    self.conn.cancel()
                except Exception:
                    pass
                if not done.wait(10):
                    try:
                        pid = self.conn.get_backend_pid()
                        a = self.connect(10)
                        a.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
                        a.close()
                    except Exception:
                        pass
        wd = threading.Thread(target=watchdog, daemon=True)
        wd.start()
        status = "ok"
        result = None
        try:
            cur = self.conn.cursor()
            if pre:
                cur.execute("BEGIN")
                for p in pre:
                    cur.execute(p)
            if copy_data is not None:
                cur.copy_expert(sql, io.BytesIO(copy_data))
            else:
                cur.execute(sql)
                if cur.description is not None:
                    result = cur.fetchmany(2000)
            if pre:
                cur.execute("COMMIT")
            cur.close()
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
            if self.conn.closed or "server closed the connection" in str(e) \
                    or "terminating connection" in str(e):
                status = "crash"
                self.record("crash", what, sql, str(e).strip().splitlines()[0])
                time.sleep(1)
                self.conn = self.connect()
            else:
                status = self.classify(e, kind, what, sql)
        except psycopg2.Error as e:
            status = self.classify(e, kind, what, sql)
        finally:
            done.set()
        if hung:
            self.record("hang", what, sql, "still running %.0f s after statement_timeout" %
                        self.args.hang_grace)
        # (no rows: no last row to compare; an aggregate may give a value for
        # no rows, as the partial forms give an empty state, while the window
        # query gives NULL)
        if status == "ok" and kind == "window" and result and result[0][0] is False \
                and result[0][1] > 0:
            self.record("window-mismatch", what, sql,
                        "the running window aggregate's last row differs from the aggregate from scratch")
        if status != "crash" and not self.conn.closed and self.conn.get_transaction_status() != \
                psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            try:
                self.conn.cursor().execute("ROLLBACK")
            except psycopg2.Error:
                self.conn = self.connect()
        self.counts[kind.split(":")[0] + ":" + status] = self.counts.get(kind.split(":")[0] + ":" + status, 0) + 1
        return status

    def classify(self, e, kind, what, sql):
        code = getattr(e, "pgcode", None) or "?????"
        msg = (getattr(e, "pgerror", None) or str(e)).strip().splitlines()[0]
        if self.conn.closed:
            self.record("crash", what, sql, msg)
            self.conn = self.connect()
            return "crash"
        m = re.search(r"must return (\d+) columns", msg)
        if m and kind == "query":
            self.arity[what] = int(m.group(1))
        key = "%s %s" % (code, re.sub(r"\"[^\"]*\"|\d+(\.\d+)?(e[-+]?\d+)?", "#", msg)[:110])
        self.errors[key] = self.errors.get(key, 0) + 1
        if code == "57014":
            return "timeout"
        if code.startswith("XX") or INTERNAL_PATTERNS.search(msg) or \
                (UNRECOGNIZED.search(msg) and code[:2] not in ("22", "42")):
            self.record("internal-error", what, sql, "%s %s" % (code, msg))
            return "internal"
        return "error"

    def canary_ok(self):
        cur = self.conn.cursor()
        cur.execute("SELECT count(*), string_agg(v, ',' ORDER BY id) FROM fz_canary")
        n, s = cur.fetchone()
        cur.close()
        return n == 10 and s == ",".join("v%d" % i for i in range(1, 11))

    def restore_canary(self):
        cur = self.conn.cursor()
        cur.execute("DELETE FROM fz_canary; INSERT INTO fz_canary SELECT i, 'v' || i "
                    "FROM generate_series(1, 10) i; DROP TABLE IF EXISTS fz_x, fz_y")
        cur.close()

    def parallel_coverage(self):
        """Which aggregates get a Partial Aggregate plan with the forced settings."""
        missing = []
        for a in self.aggs:
            args = []
            for i, t in enumerate(a["types"]):
                cols = self.COLS.get(t)
                args.append(cols[0] if cols and i == 0 else "NULL::%s" % t)
            sql = ("EXPLAIN (COSTS OFF) SELECT crm.%s(%s) FROM fz_rows" % (a["name"], ", ".join(args)))
            try:
                cur = self.conn.cursor()
                cur.execute("BEGIN; SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0;"
                            "SET LOCAL min_parallel_table_scan_size = 0;"
                            "SET LOCAL max_parallel_workers_per_gather = 2")
                cur.execute(sql)
                plan = "\n".join(r[0] for r in cur.fetchall())
                cur.execute("COMMIT")
                if "Partial Aggregate" not in plan:
                    missing.append(a["name"])
            except psycopg2.Error:
                self.conn.cursor().execute("ROLLBACK")
                missing.append(a["name"])
        print("crm_fuzz: %d/%d aggregates run under a forced parallel plan%s" % (
            len(self.aggs) - len(missing), len(self.aggs),
            (" (not: %s)" % ", ".join(sorted(set(missing)))) if missing else ""), flush=True)

    def main(self):
        print("crm_fuzz: seed %d, %.1f minutes, at most %s statements, statement_timeout %d ms" % (
            self.args.seed, self.args.minutes, self.args.max_queries or "unlimited",
            self.timeout_ms), flush=True)
        self.conn = self.connect()
        self.discover()
        self.parallel_coverage()
        start = time.time()
        deadline = start + self.args.minutes * 60
        gens = ([self.gen_call] * 25 + [self.gen_query_call] * 15 + [self.gen_agg] * 45 +
                [self.gen_input] * 5 + ["binary"] * 5)
        while time.time() < deadline and (not self.args.max_queries or self.executed < self.args.max_queries):
            g = self.rng.choice(gens)
            if g == "binary":
                try:
                    sql, data = self.binary_round()
                except psycopg2.Error:
                    self.conn = self.connect()
                    continue
                self.run_one("binary", "profile_recv", sql, copy_data=data)
                self.run_one("binary", "profile_recv",
                             "SELECT crm.profile_size(p), crm.profile_cosine(p, p), crm.profile_jaccard(p, p), "
                             "crm.profile_unit(p)::text, crm.profile_weights(p) FROM fz_profile_sink")
                self.run_one("binary", "profile_recv", "TRUNCATE fz_profile_sink")
                continue
            item = g()
            kind, what, sql = item[:3]
            pre = item[3] if len(item) > 3 else ()
            self.run_one(kind, what, sql, pre)
            if "$q$" in sql:
                try:
                    if not self.canary_ok():
                        self.record("data-modified", what, sql, "the caller's query changed fz_canary")
                        self.restore_canary()
                except psycopg2.Error:
                    self.conn = self.connect()
        minutes = (time.time() - start) / 60
        print("crm_fuzz: %d statements in %.1f minutes (seed %d)" % (self.executed, minutes, self.args.seed))
        for k in sorted(self.counts):
            print("  %-24s %6d" % (k, self.counts[k]))
        if self.args.verbose:
            print("crm_fuzz: errors by SQLSTATE and message:")
            for k, v in sorted(self.errors.items(), key=lambda kv: -kv[1]):
                print("  %6d  %s" % (v, k))
        kinds = {}
        for f in self.findings:
            kinds[f[0]] = kinds.get(f[0], 0) + 1
        print("crm_fuzz: %d findings%s" % (len(self.findings),
              (" (" + ", ".join("%s %d" % kv for kv in sorted(kinds.items())) + ")") if kinds else ""))
        return 1 if self.findings else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", default="", help="libpq connection string (default: PG* environment)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--max-queries", type=int, default=0)
    ap.add_argument("--statement-timeout-ms", type=int, default=5000)
    ap.add_argument("--hang-grace", type=float, default=20.0,
                    help="seconds past statement_timeout after which a statement counts as hung")
    ap.add_argument("--log", help="write every statement here")
    ap.add_argument("--findings", help="write findings here, one JSON object a line")
    ap.add_argument("--verbose", action="store_true", help="print the error classes seen")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int(time.time()) % 1000000
    sys.exit(Fuzzer(args).main())


if __name__ == "__main__":
    main()
