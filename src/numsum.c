/*
 * numsum.c
 *		Exact, allocation-free summation of numeric values for aggregates.
 *
 * PostgreSQL's own sum(numeric) keeps a NumericSumAccum that is private to
 * numeric.c.  Money amounts almost always have few decimals, so we read the
 * stored digits directly (the on-disk numeric format is fixed: pg_upgrade
 * depends on it) and add the value as a 128-bit integer scaled by 10^8.
 * Values that do not fit that form (more than 8 decimals, 10^16 or more) are
 * added with numeric_add into a side sum, so the result is always exact.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/numeric.h"

#include "crm_analytics.h"

/* Layout of the stored numeric header (see numeric.c). */
#define CRM_NUMERIC_SIGN_MASK	0xC000
#define CRM_NUMERIC_NEG			0x4000
#define CRM_NUMERIC_SHORT		0x8000
#define CRM_NUMERIC_SPECIAL		0xC000
#define CRM_SHORT_SIGN_MASK		0x2000
#define CRM_SHORT_DSCALE_MASK	0x1F80
#define CRM_SHORT_DSCALE_SHIFT	7
#define CRM_SHORT_WEIGHT_SIGN	0x0040
#define CRM_SHORT_WEIGHT_MASK	0x003F
#define CRM_DSCALE_MASK			0x3FFF
#define CRM_NBASE				10000

/* Fast values: at most this many NBASE digits after the point (8 decimals). */
#define CRM_FRAC_NBASE_DIGITS	2
/* ... and a weight of at most 3 (|value| < 10^16). */
#define CRM_MAX_FAST_WEIGHT		3

#ifdef HAVE_INT128
typedef int128 CrmScaled;
#else
typedef int64 CrmScaled;		/* unused: every value goes to the side sum */
#endif

/* Start an empty sum. */
void
CrmNumericSumInit(CrmNumericSum *sum)
{
#ifdef HAVE_INT128
	sum->scaled = 0;
#endif
	sum->dscale = 0;
	sum->slow = NULL;
}

/* Add a numeric into the side sum, keeping the result in ctx. */
static void
CrmNumericSumAddSlow(CrmNumericSum *sum, Numeric num, MemoryContext ctx)
{
	Numeric		result;
	MemoryContext old;

	if (sum->slow == NULL)
		result = num;
	else
		result = DatumGetNumeric(DirectFunctionCall2(numeric_add,
													 NumericGetDatum(sum->slow),
													 NumericGetDatum(num)));
	old = MemoryContextSwitchTo(ctx);
	result = DatumGetNumeric(datumCopy(NumericGetDatum(result), false, -1));
	MemoryContextSwitchTo(old);
	if (sum->slow != NULL)
		pfree(sum->slow);
	sum->slow = result;
}

/*
 * Read a stored numeric: its display scale, and when it is a fast value
 * (finite, at most 8 decimals, below 10^16 in magnitude) its value times
 * 10^8 in *scaled, returning true.  Returns false for any other value
 * (*dscale is then set unless the value is NaN or infinite); *v is the
 * value detoasted.
 */
static inline bool
CrmNumericRead(struct varlena **vp, CrmScaled *scaled, int32 *dscale)
{
	struct varlena *v = *vp;
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight;
	bool		negative;
	const unsigned char *digits;
	int			ndigits;

	/* pg_detoast_datum_packed, without a call for the usual plain value */
	if (unlikely(VARATT_IS_COMPRESSED(v) || VARATT_IS_EXTERNAL(v)))
	{
		v = *vp = pg_detoast_datum_packed(v);
		p = (const unsigned char *) VARDATA_ANY(v);
		len = VARSIZE_ANY_EXHDR(v);
	}
	if (len < (int) sizeof(uint16))
		elog(ERROR, "invalid numeric datum");
	memcpy(&header, p, sizeof(uint16));

	if ((header & CRM_NUMERIC_SIGN_MASK) == CRM_NUMERIC_SPECIAL)
		return false;

	if (header & CRM_NUMERIC_SHORT)
	{
		negative = (header & CRM_SHORT_SIGN_MASK) != 0;
		*dscale = (header & CRM_SHORT_DSCALE_MASK) >> CRM_SHORT_DSCALE_SHIFT;
		weight = (header & CRM_SHORT_WEIGHT_MASK);
		if (header & CRM_SHORT_WEIGHT_SIGN)
			weight |= ~CRM_SHORT_WEIGHT_MASK;
		digits = p + sizeof(uint16);
		ndigits = (len - (int) sizeof(uint16)) / (int) sizeof(int16);
	}
	else
	{
		int16		w;

		if (len < (int) (2 * sizeof(uint16)))
			elog(ERROR, "invalid numeric datum");
		negative = (header & CRM_NUMERIC_SIGN_MASK) == CRM_NUMERIC_NEG;
		*dscale = header & CRM_DSCALE_MASK;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
		digits = p + 2 * sizeof(uint16);
		ndigits = (len - 2 * (int) sizeof(uint16)) / (int) sizeof(int16);
	}

#ifdef HAVE_INT128
	if (ndigits == 0)
	{
		*scaled = 0;			/* zero */
		return true;
	}
	if (weight <= CRM_MAX_FAST_WEIGHT &&
		ndigits - 1 <= weight + CRM_FRAC_NBASE_DIGITS)
	{
		/* NBASE^k, k = 0..4: the powers the last digit may still need */
		static const int64 nbase_pow[5] = {1, 10000, 100000000, INT64CONST(1000000000000),
		INT64CONST(10000000000000000)};
		int128		acc;
		uint64		acc64 = 0;
		int			i;
		int			rest = weight + CRM_FRAC_NBASE_DIGITS + 1 - ndigits;	/* 0..5 */

		/* at most 4 digits (10^16) in 64-bit arithmetic, the rest in 128 */
		for (i = 0; i < Min(ndigits, 4); i++)
		{
			int16		d;

			memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
			acc64 = acc64 * CRM_NBASE + (uint16) d;
		}
		acc = (int128) acc64;
		for (; i < ndigits; i++)
		{
			int16		d;

			memcpy(&d, digits + i * sizeof(int16), sizeof(int16));
			acc = acc * CRM_NBASE + d;
		}
		/* scale the remaining powers: the last digit has exponent -2 + rest */
		if (rest == 5)
			acc *= (int128) nbase_pow[4] * CRM_NBASE;
		else
			acc *= nbase_pow[rest];
		*scaled = negative ? -acc : acc;
		return true;
	}
#endif
	return false;
}

#ifdef HAVE_INT128
/*
 * A numeric datum as a fast value (see CrmNumericRead): true with its value
 * times 10^8 and its display scale, to be added later with
 * CrmNumericSumAddScaled; false for any other value, which the caller adds
 * with CrmNumericSumAdd (which refuses NaN and infinities).
 */
bool
CrmNumericFastValue(Datum value, int128 *scaled, int32 *dscale)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	return CrmNumericRead(&v, scaled, dscale);
}
#endif

/*
 * Add one numeric datum.  NaN and infinities are refused: an amount must be a
 * finite number.
 */
void
CrmNumericSumAdd(CrmNumericSum *sum, Datum value, MemoryContext ctx)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	CrmScaled	scaled = 0;
	int32		dscale = -1;
	bool		fast = CrmNumericRead(&v, &scaled, &dscale);

	if (dscale < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("amount must be a finite number"),
				 errdetail("Got %s.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, PointerGetDatum(v)))),
				 errhint("Filter out NaN and infinite amounts, for example with WHERE amount <> 'NaN'.")));
	if (dscale > sum->dscale)
		sum->dscale = dscale;
#ifdef HAVE_INT128
	if (fast)
	{
		sum->scaled += scaled;
		return;
	}
#endif
	CrmNumericSumAddSlow(sum, (Numeric) v, ctx);
}

/* A copy of a sum owning its own numeric (allocated in ctx). */
void
CrmNumericSumCopy(CrmNumericSum *into, const CrmNumericSum *from, MemoryContext ctx)
{
	*into = *from;
	if (from->slow != NULL)
	{
		into->slow = (Numeric) MemoryContextAlloc(ctx, VARSIZE(from->slow));
		memcpy(into->slow, from->slow, VARSIZE(from->slow));
	}
}

/* Merge another sum into this one (into's own numeric is replaced and freed). */
void
CrmNumericSumCombine(CrmNumericSum *into, const CrmNumericSum *from, MemoryContext ctx)
{
#ifdef HAVE_INT128
	into->scaled += from->scaled;
#endif
	if (from->dscale > into->dscale)
		into->dscale = from->dscale;
	if (from->slow != NULL)
		CrmNumericSumAddSlow(into, from->slow, ctx);
}

#ifdef HAVE_INT128
/* Write a scaled int128 as a decimal string with the given number of decimals. */
static char *
CrmScaledToString(int128 value, int dscale)
{
	char		digits[64];
	char	   *out;
	int			n = 0;
	bool		neg = value < 0;
	uint128		u = neg ? (uint128) (-(value + 1)) + 1 : (uint128) value;
	int			intdigits;
	int			pos = 0;
	int			i;

	/* at least 9 digits so that there is one before the point */
	while (u > 0 || n < 9)
	{
		digits[n++] = '0' + (int) (u % 10);
		u /= 10;
	}
	out = palloc(n + 3);
	if (neg)
		out[pos++] = '-';
	intdigits = n - 8;
	for (i = n - 1; i >= n - intdigits; i--)
		out[pos++] = digits[i];
	if (dscale > 0)
	{
		out[pos++] = '.';
		for (i = 7; i >= 8 - dscale; i--)
			out[pos++] = digits[i];
	}
	out[pos] = '\0';
	return out;
}
#endif

#ifdef HAVE_INT128
/*
 * A scaled int128 (value times 10^8) as a numeric of display scale dscale,
 * laid out as numeric.c's make_result lays out a value: base-10000 digits
 * without leading or trailing zero digits, zero positive with weight 0, the
 * short header when dscale and weight allow it.  The caller makes sure that
 * no digit beyond dscale is non-zero (so there is nothing to round).  This
 * replaces printing the value and parsing it with numeric_in, which cost
 * 2,400 instructions a customer in crm.rfm_scores.
 */
static Numeric
CrmScaledToNumeric(int128 value, int dscale)
{
	uint128		u = value < 0 ? (uint128) (-(value + 1)) + 1 : (uint128) value;
	uint64		low;
	int16		d[16];			/* least significant first: 10 suffice */
	int			n = 0;
	int			lo = 0;
	int			ndigits;
	int			weight;
	bool		neg;
	Size		len;
	Numeric		result;
	char	   *p;
	int			k;

	while (u > PG_UINT64_MAX)
	{
		d[n++] = (int16) (u % CRM_NBASE);
		u /= CRM_NBASE;
	}
	for (low = (uint64) u; low != 0; low /= CRM_NBASE)
		d[n++] = (int16) (low % CRM_NBASE);
	while (lo < n && d[lo] == 0)
		lo++;
	ndigits = n - lo;
	/* digit i has NBASE exponent i - 2 (the value is scaled by NBASE^2) */
	weight = ndigits > 0 ? n - 3 : 0;
	neg = value < 0 && ndigits > 0;
	if (dscale <= CRM_SHORT_DSCALE_MASK >> CRM_SHORT_DSCALE_SHIFT &&
		weight <= CRM_SHORT_WEIGHT_MASK && weight >= -(CRM_SHORT_WEIGHT_MASK + 1))
	{
		uint16		header = CRM_NUMERIC_SHORT | (neg ? CRM_SHORT_SIGN_MASK : 0) |
			(uint16) (dscale << CRM_SHORT_DSCALE_SHIFT) |
			(weight < 0 ? CRM_SHORT_WEIGHT_SIGN : 0) | (weight & CRM_SHORT_WEIGHT_MASK);

		len = VARHDRSZ + sizeof(uint16) + ndigits * sizeof(int16);
		result = (Numeric) palloc(len);
		p = (char *) result + VARHDRSZ;
		memcpy(p, &header, sizeof(uint16));
		p += sizeof(uint16);
	}
	else
	{
		uint16		sign_dscale = (neg ? CRM_NUMERIC_NEG : 0) | (dscale & CRM_DSCALE_MASK);
		int16		w = (int16) weight;

		len = VARHDRSZ + 2 * sizeof(uint16) + ndigits * sizeof(int16);
		result = (Numeric) palloc(len);
		p = (char *) result + VARHDRSZ;
		memcpy(p, &sign_dscale, sizeof(uint16));
		memcpy(p + sizeof(uint16), &w, sizeof(int16));
		p += 2 * sizeof(uint16);
	}
	SET_VARSIZE(result, len);
	for (k = n - 1; k >= lo; k--, p += sizeof(int16))
		memcpy(p, &d[k], sizeof(int16));
	return result;
}
#endif

/* The exact sum as a numeric, with the largest input display scale. */
Numeric
CrmNumericSumResult(const CrmNumericSum *sum)
{
	Numeric		result;
	int			dscale = sum->dscale;

#ifdef HAVE_INT128
	static const int64 pow10[9] = {100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};

	/*
	 * fast values only: built directly, unless digits beyond the display
	 * scale need rounding (a stored value with more digits than its scale)
	 */
	if (sum->slow == NULL && (dscale >= 8 || sum->scaled % pow10[dscale] == 0))
		return CrmScaledToNumeric(sum->scaled, dscale);

	/* fast values have at most 8 decimals, and so has their exact sum */
	result = DatumGetNumeric(DirectFunctionCall3(numeric_in,
												 CStringGetDatum(CrmScaledToString(sum->scaled, Min(dscale, 8))),
												 ObjectIdGetDatum(InvalidOid),
												 Int32GetDatum(-1)));
	if (sum->slow != NULL)
		result = DatumGetNumeric(DirectFunctionCall2(numeric_add,
													 NumericGetDatum(result),
													 NumericGetDatum(sum->slow)));
#else
	result = sum->slow ? sum->slow : int64_to_numeric(0);
#endif
	/* the display scale of a sum is the largest scale of its terms */
	return DatumGetNumeric(DirectFunctionCall2(numeric_round,
											   NumericGetDatum(result),
											   Int32GetDatum(dscale)));
}

/* Append the sum to a serialization buffer. */
void
CrmNumericSumSerialize(StringInfo buf, const CrmNumericSum *sum)
{
#ifdef HAVE_INT128
	uint128		u = (uint128) sum->scaled;

	pq_sendint64(buf, (uint64) (u >> 64));
	pq_sendint64(buf, (uint64) u);
#else
	pq_sendint64(buf, 0);
	pq_sendint64(buf, 0);
#endif
	pq_sendint32(buf, sum->dscale);
	pq_sendbyte(buf, sum->slow != NULL);
	if (sum->slow != NULL)
	{
		bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(numeric_send,
															NumericGetDatum(sum->slow)));

		pq_sendint32(buf, VARSIZE_ANY_EXHDR(b));
		pq_sendbytes(buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
}

/* Read a sum written by CrmNumericSumSerialize, validating it. */
void
CrmNumericSumDeserialize(StringInfo buf, CrmNumericSum *sum, MemoryContext ctx)
{
	uint64		hi = pq_getmsgint64(buf);
	uint64		lo = pq_getmsgint64(buf);
	int32		dscale = pq_getmsgint(buf, 4);
	int			has_slow = pq_getmsgbyte(buf);

	CrmNumericSumInit(sum);
#ifdef HAVE_INT128
	sum->scaled = (int128) (((uint128) hi << 64) | lo);
#else
	if (hi != 0 || lo != 0)
		elog(ERROR, "invalid numeric sum state");
#endif
	if (dscale < 0 || dscale > NUMERIC_MAX_DISPLAY_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid display scale %d in aggregate state", dscale)));
	sum->dscale = dscale;
	if (has_slow != 0 && has_slow != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid flag in aggregate state")));
	if (has_slow)
	{
		int32		len = pq_getmsgint(buf, 4);
		StringInfoData nbuf;
		Numeric		num;
		MemoryContext old;

		if (len < 0 || len > buf->len - buf->cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid numeric length %d in aggregate state", len)));
		initStringInfo(&nbuf);
		appendBinaryStringInfo(&nbuf, pq_getmsgbytes(buf, len), len);
		num = DatumGetNumeric(DirectFunctionCall3(numeric_recv,
												  PointerGetDatum(&nbuf),
												  ObjectIdGetDatum(InvalidOid),
												  Int32GetDatum(-1)));
		old = MemoryContextSwitchTo(ctx);
		sum->slow = DatumGetNumeric(datumCopy(NumericGetDatum(num), false, -1));
		MemoryContextSwitchTo(old);
	}
}
