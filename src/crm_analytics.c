/*
 * crm_analytics.c
 *		Module entry point of crm_analytics: PG_MODULE_MAGIC, _PG_init and the
 *		extension's configuration settings (GUCs).
 *
 * Every capability lives in its own file (rfm.c, ...); this file only owns
 * what is loaded once per backend.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "crm_analytics.h"

CRM_MODULE_MAGIC;

void		_PG_init(void);

/* Set up the crm_analytics.* settings when the library is loaded. */
void
_PG_init(void)
{
	MemoryDefineGUCs();
	KmeansDefineGUCs();
	BasketDefineGUCs();
	MarkGUCPrefixReserved("crm_analytics");
}
