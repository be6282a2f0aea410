/*
 * compat.h
 *		What differs between the PostgreSQL major versions crm_analytics builds
 *		on (15 to 19), kept in this one place, as pgvector does.  crm_analytics.h
 *		includes it right after postgres.h, so every source file that uses the
 *		server's API sees it.
 *
 * - 16 moved the varlena macros (VARDATA_ANY, VARSIZE_ANY_EXHDR, SET_VARSIZE,
 *   ...) from postgres.h into varatt.h, which older versions do not have.
 *
 * Headers that a newer version stopped including indirectly (19 no longer
 * brings access/htup_details.h, and with it heap_form_tuple, through funcapi.h)
 * are no version difference of ours: each file includes what it uses.
 */
#ifndef CRM_COMPAT_H
#define CRM_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#endif							/* CRM_COMPAT_H */
