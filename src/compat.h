/*
 * compat.h
 *		What differs between the PostgreSQL major versions crm_analytics builds
 *		on (15 to 19), kept in this one place, as pgvector does.  crm_analytics.h
 *		includes it right after postgres.h, so every source file that uses the
 *		server's API sees it.
 *
 * - 16 moved the varlena macros (VARDATA_ANY, VARSIZE_ANY_EXHDR, SET_VARSIZE,
 *   ...) from postgres.h into varatt.h, which older versions do not have.
 * - 18.6 and 19 no longer define pg_attribute_noreturn(), written after a
 *   declaration; pg_noreturn, written before it, replaces it.  Before that
 *   pg_attribute_noreturn() is an attribute GCC and clang take before the
 *   declaration as well: pg_noreturn is defined as it there.
 * - 18 lets a module state its name and version in its magic block
 *   (PG_MODULE_MAGIC_EXT, shown by pg_get_loaded_modules()); CRM_MODULE_MAGIC
 *   does so there and is the plain PG_MODULE_MAGIC before.  CRM_VERSION, the
 *   extension's version, comes from the Makefile (crm_analytics.control).
 *
 * Headers that a newer version stopped including indirectly (19 no longer
 * brings access/htup_details.h, and with it heap_form_tuple, through funcapi.h)
 * are no version difference of ours: each file includes what it uses.
 */
#ifndef CRM_COMPAT_H
#define CRM_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "crm_analytics needs PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

#if PG_VERSION_NUM >= 180000
#define CRM_MODULE_MAGIC \
	PG_MODULE_MAGIC_EXT(.name = "crm_analytics", .version = CRM_VERSION)
#else
#define CRM_MODULE_MAGIC PG_MODULE_MAGIC
#endif

#endif							/* CRM_COMPAT_H */
