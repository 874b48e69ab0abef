/* instance.h: seeded random matching instances from real places. */

#ifndef CH_TESTS_ENGINE_INSTANCE_H
#define CH_TESTS_ENGINE_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Places (postal-code centroids) read from a GeoNames-style CSV. */
struct inst_places {
	size_t		 n;
	double		*lat;
	double		*lon;
	int32_t		*district;
};

struct inst_params {
	enum engine_programme	programme;
	size_t			nsubjects;
	size_t			ncandidates;
	uint64_t		seed;
	int32_t			district;	/* only this district, 0 = all */
	double			online_share;	/* online-capable candidates */
	double			excluded_share;	/* subjects with an exclusion */
	double			radius_scale;	/* 1.0: 5-30 km */
	uint32_t		capacity_max;	/* offers: 1..capacity_max */
};

struct inst {
	struct engine_problem	 p;
	struct engine_subject	*subjects;
	struct engine_candidate	*candidates;
	struct engine_pair	*excluded;
	struct engine_weights	*weights;
};

/* splitmix64: a small, good, seedable generator. */
struct inst_rng {
	uint64_t	state;
};

uint64_t	inst_rng_next(struct inst_rng *);
uint32_t	inst_rng_below(struct inst_rng *, uint32_t);
double		inst_rng_unit(struct inst_rng *);

/* Read places; -1 (and a message on stderr) if unreadable or malformed. */
int	inst_places_load(const char *, struct inst_places *);
void	inst_places_free(struct inst_places *);
/* Path of a file in the shared data directory ($CH_SHARED_DATA). */
const char	*inst_data_path(const char *, char *, size_t);

void	inst_default_params(struct inst_params *, enum engine_programme,
	    size_t, size_t, uint64_t);
/* Generate; -1 if out of memory or no place matches.  inst_free frees. */
int	inst_generate(const struct inst_places *, const struct inst_params *,
	    struct inst *);
void	inst_free(struct inst *);
/*
 * Shuffle subjects and candidates (remapping the excluded pairs).
 * sperm[new] = old subject index, cperm[new] = old candidate index.
 */
void	inst_shuffle(struct inst *, uint64_t, uint32_t *, uint32_t *);

#endif
