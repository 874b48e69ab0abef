/* engine_int.h: internals shared by the engine's source files. */

#ifndef CH_ENGINE_INT_H
#define CH_ENGINE_INT_H

#include <math.h>

#include "engine.h"

#define ENGINE_EARTH_M		6371008.8
#define ENGINE_DEG		(3.14159265358979323846 / 180.0)

/* A prepared problem: the caller's arrays plus indices built once. */
struct engine {
	struct engine_problem	 p;
	uint32_t		*srank;		/* rank -> subject, by id */
	uint32_t		*crank;		/* rank -> candidate, by id */
	uint32_t		*cpos;		/* candidate -> rank */
	uint32_t		*spos;		/* subject -> rank */
	double			*scos;		/* cos(latitude) of subjects */
	double			*ccos;
	uint64_t		*slang;		/* language filter bits */
	uint64_t		*clang;
	uint8_t			*sgerman;	/* subject's German level */
	uint8_t			*cgerman;	/* 0 = no German, else level+1 */
	/* Excluded pairs, per subject, sorted by candidate index. */
	uint32_t		*ex_start;
	uint32_t		*ex_cand;
	uint8_t			*ex_kind;
	/* Per-district weights, sorted by district. */
	struct engine_weights	*weights;
	size_t			 nweights;
	/* Spatial grid over candidates with a place that are not online. */
	double			 lat0, lon0, cell_lat, cell_lon;
	uint32_t		 gw, gh;
	uint32_t		*cell_start;	/* gw * gh + 1 */
	uint32_t		*cell_cand;
	uint32_t		*online;	/* online candidates */
	size_t			 nonline;
	size_t			 bytes;		/* memory held by the indices */
};

/* Edges of the admissible pairs, in id-rank space, CSR by subject rank. */
struct engine_edges {
	uint32_t	 nsubjects;
	uint32_t	*start;		/* nsubjects + 1 */
	uint32_t	*cand;		/* candidate rank, ascending per subject */
	uint32_t	*score;
	size_t		 nedges;
	size_t		 cap;
	uint64_t	 checked;
};

/*
 * Great-circle distance by the equirectangular approximation (better than
 * 0.1 % below 200 km), from degrees and the cosines of the latitudes.
 * Only +, *, sqrt: the same inputs give the same metres everywhere.
 */
static inline double
engine_dist_core(double lat1, double lon1, double c1, double lat2,
    double lon2, double c2)
{
	double	dy, dx;

	dy = (lat2 - lat1) * ENGINE_DEG;
	dx = (lon2 - lon1) * ENGINE_DEG * ((c1 + c2) * 0.5);
	return (ENGINE_EARTH_M * sqrt(dx * dx + dy * dy));
}

/* strnlen without depending on POSIX feature macros. */
static inline size_t
engine_strnlen(const char *s, size_t max)
{
	size_t	n;

	for (n = 0; n < max && s[n] != '\0'; n++)
		;
	return (n);
}

/* score.c */
enum engine_violation	engine_pair_eval(const struct engine *, uint32_t,
			    uint32_t, struct engine_explanation *, uint32_t *);

/* grid.c */
size_t	engine_gather(const struct engine *, uint32_t, uint32_t *);
int	engine_build_edges(const struct engine *, uint32_t,
	    struct engine_edges *);
void	engine_edges_free(struct engine_edges *);

#endif
