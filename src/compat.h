/*
 * compat.h
 *		What differs between the PostgreSQL major versions crm_analytics builds
 *		on (15 to 19), kept in this one place, as pgvector does.  crm_analytics.h
 *		includes it right after postgres.h, so every source file that uses the
 *		server's API sees it.
 *
 * - 16 moved the varlena macros (VARDATA_ANY, VARSIZE_ANY_EXHDR, SET_VARSIZE,
 *   ...) from postgres.h into varatt.h, which older versions do not have.
 * - 18 lets a module state its name and version in its magic block
 *   (PG_MODULE_MAGIC_EXT, shown by pg_get_loaded_modules()); CRM_MODULE_MAGIC
 *   does so there and is the plain PG_MODULE_MAGIC before.  CRM_VERSION, the
 *   extension's version, comes from the Makefile (crm_analytics.control).
 *
 * - 18 replaced the attribute pg_attribute_noreturn(), written after a
 *   declaration, by pg_noreturn, written before it (C11 _Noreturn); our
 *   declarations use pg_noreturn, defined here for 15 to 17.
 *
 * - 18 types the binary side of pg_b64_encode/pg_b64_decode as uint8
 *   instead of char: CRM_B64_BIN casts a byte pointer to what the version
 *   takes.
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

#if PG_VERSION_NUM >= 180000
#define CRM_MODULE_MAGIC \
	PG_MODULE_MAGIC_EXT(.name = "crm_analytics", .version = CRM_VERSION)
#else
#define CRM_MODULE_MAGIC PG_MODULE_MAGIC
#endif

#if PG_VERSION_NUM >= 180000
#define CRM_B64_BIN(p) ((uint8 *) (p))
#else
#define CRM_B64_BIN(p) ((char *) (p))
#endif

#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

#endif							/* CRM_COMPAT_H */
