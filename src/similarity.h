/*
 * similarity.h
 *		Shared declarations of the similar-customers capability: the stored
 *		purchase profile type (similarity_profile.c) and the memory limit of the
 *		in-memory similarity search (similarity.c).
 */
#ifndef CRM_SIMILARITY_H
#define CRM_SIMILARITY_H

#include "postgres.h"

#include "fmgr.h"

/*
 * crm.profile: a sparse vector of positive float4 weights indexed by int4
 * item ids, kept sorted by item id with no duplicates and no zero weights.
 * Layout: header, the n item ids, then the n weights.
 */
typedef struct SimProfile
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		n;				/* number of items */
	int32		flags;			/* reserved, always 0 */
	int32		items[FLEXIBLE_ARRAY_MEMBER];	/* then float4 weights[n] */
} SimProfile;

/* Most items a profile may hold (keeps every profile well below 1 GB). */
#define SIM_PROFILE_MAX_ITEMS	(64 * 1024 * 1024)

#define SIM_PROFILE_SIZE(n) \
	(offsetof(SimProfile, items) + (Size) (n) * (sizeof(int32) + sizeof(float4)))
#define SIM_PROFILE_WEIGHTS(p)	((float4 *) ((p)->items + (p)->n))

#define DatumGetSimProfileP(d)	((SimProfile *) PG_DETOAST_DATUM(d))
#define PG_GETARG_SIMPROFILE_P(n)	DatumGetSimProfileP(PG_GETARG_DATUM(n))

#endif							/* CRM_SIMILARITY_H */
