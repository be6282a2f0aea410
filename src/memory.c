/*
 * memory.c
 *		The memory budget of crm_analytics: crm_analytics.max_memory.
 *
 * Every capability that builds a structure growing with its input (FP-trees
 * and itemsets, similarity indexes, RFM customer tables, CLV patterns, model
 * training data, per-group sequences) asks here before it allocates or grows
 * it.  A request past the budget ends the statement with SQLSTATE 54000
 * (program_limit_exceeded) and a hint naming the setting, instead of an
 * "invalid memory alloc request size" internal error or the out-of-memory
 * killer.  Sizes are computed with overflow checks (as add_size/mul_size do).
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"
#include "utils/memutils.h"

#include "crm_analytics.h"

/* bytes CrmMemoryNote lets pass between two checks of a context */
#define CRM_MEMORY_NOTE_BYTES	(64 * 1024)

/* crm_analytics.max_memory, in kB */
int			crm_max_memory_kb = 1024 * 1024;

/* Define crm_analytics.max_memory. */
void
MemoryDefineGUCs(void)
{
	DefineCustomIntVariable("crm_analytics.max_memory",
							"Most memory one crm_analytics computation may use for the structures it builds from its input.",
							"Itemsets, similarity indexes, RFM customer tables, CLV patterns, model training data and "
							"per-group sequences are checked against it before they grow; past it the statement fails "
							"with SQLSTATE 54000.",
							&crm_max_memory_kb,
							1024 * 1024, 1024, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
}

/* The budget in bytes. */
Size
CrmMemoryLimit(void)
{
	return (Size) crm_max_memory_kb * 1024;
}

/* Report a request past the budget. */
static void
CrmMemoryExceeded(double bytes, const char *fn, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s needs more memory than crm_analytics.max_memory allows", fn),
			 errdetail("%s would take %.0f kB; the limit is %d kB.",
					   what, ceil(bytes / 1024.0), crm_max_memory_kb),
			 errhint("Raise crm_analytics.max_memory (for example SET crm_analytics.max_memory = '4GB'), "
					 "or pass less data.")));
}

/* Error out when a structure of total bytes would exceed the budget. */
void
CrmMemoryCheck(Size total, const char *fn, const char *what)
{
	if (total > CrmMemoryLimit())
		CrmMemoryExceeded((double) total, fn, what);
}

/*
 * Error out when the memory held by ctx (with its children) plus extra bytes
 * would exceed the budget.  Walks the context tree: call it when a structure
 * grows (doubling), not for every row.
 */
void
CrmMemoryCheckContext(MemoryContext ctx, Size extra, const char *fn, const char *what)
{
	Size		used = MemoryContextMemAllocated(ctx, true);

	if (used > CrmMemoryLimit() || extra > CrmMemoryLimit() - used)
		CrmMemoryExceeded((double) used + (double) extra, fn, what);
}

/*
 * Account for bytes about to be allocated in ctx by code that does not go
 * through the functions below (one copy of a key or text per new entry):
 * *unchecked sums them, and once they reach CRM_MEMORY_NOTE_BYTES the
 * context is checked with the new bytes, so that many small copies cost one
 * walk of the context tree per 64 kB and a large copy is checked before it
 * is made.  Reset *unchecked to 0 when starting.
 */
void
CrmMemoryNote(MemoryContext ctx, Size *unchecked, Size bytes, const char *fn,
			  const char *what)
{
	*unchecked += bytes;
	if (*unchecked >= CRM_MEMORY_NOTE_BYTES)
	{
		CrmMemoryCheckContext(ctx, bytes, fn, what);
		*unchecked = 0;
	}
}

/* n * elem bytes, checked for overflow and against the budget. */
Size
CrmMemoryArraySize(Size n, Size elem, const char *fn, const char *what)
{
	if (elem != 0 && n > SIZE_MAX / elem)
		CrmMemoryExceeded((double) n * (double) elem, fn, what);
	CrmMemoryCheck(n * elem, fn, what);
	return n * elem;
}

/* An array of n elements of elem bytes in ctx, within the budget (may pass 1 GB). */
void *
CrmMemoryAlloc(MemoryContext ctx, Size n, Size elem, const char *fn, const char *what)
{
	Size		bytes = CrmMemoryArraySize(Max(n, 1), elem, fn, what);

	return MemoryContextAllocHuge(ctx, bytes);
}

/* As CrmMemoryAlloc, zeroed. */
void *
CrmMemoryAlloc0(MemoryContext ctx, Size n, Size elem, const char *fn, const char *what)
{
	Size		bytes = CrmMemoryArraySize(Max(n, 1), elem, fn, what);

	return MemoryContextAllocExtended(ctx, bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* ptr grown (or shrunk) to n elements of elem bytes, within the budget. */
void *
CrmMemoryRealloc(void *ptr, Size n, Size elem, const char *fn, const char *what)
{
	Size		bytes = CrmMemoryArraySize(Max(n, 1), elem, fn, what);

	return repalloc_huge(ptr, bytes);
}
