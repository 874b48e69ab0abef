/* batch.c: the optimal assignment of a cohort, on the admissible pairs. */

#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

int
engine_batch(const struct engine *e, uint32_t min_score, int32_t *match,
    struct engine_stats *st)
{
	struct engine_edges	 ed;
	struct engine_graph	 g;
	struct engine_stats	 local;
	uint32_t		*cap;
	int32_t			*rmatch;
	size_t			 i, bytes;
	int			 rc = -1;

	if (e == NULL || match == NULL)
		return (-1);
	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (min_score == 0)
		min_score = 1;
	cap = calloc(e->p.ncandidates ? e->p.ncandidates : 1, sizeof(*cap));
	rmatch = calloc(e->p.nsubjects ? e->p.nsubjects : 1, sizeof(*rmatch));
	if (cap == NULL || rmatch == NULL) {
		free(cap);
		free(rmatch);
		return (-1);
	}
	if (engine_build_edges(e, min_score, &ed) == -1)
		goto out;
	st->edges = ed.nedges;
	st->pairs_checked = ed.checked;
	for (i = 0; i < e->p.ncandidates; i++)
		cap[i] = e->p.candidates[e->crank[i]].capacity;
	g.nsubjects = (uint32_t)e->p.nsubjects;
	g.ncandidates = (uint32_t)e->p.ncandidates;
	g.capacity = cap;
	g.start = ed.start;
	g.cand = ed.cand;
	g.weight = ed.score;
	bytes = e->bytes + ed.cap * 2 * sizeof(uint32_t) +
	    (e->p.nsubjects + 1) * sizeof(uint32_t) +
	    e->p.ncandidates * sizeof(uint32_t) +
	    e->p.nsubjects * sizeof(int32_t);
	if (engine_assign(&g, rmatch, NULL, st) == -1)
		goto out;
	st->peak_bytes += bytes;
	for (i = 0; i < e->p.nsubjects; i++) {
		match[e->srank[i]] = rmatch[i] == ENGINE_NO_MATCH ?
		    ENGINE_NO_MATCH : (int32_t)e->crank[rmatch[i]];
	}
	rc = 0;
out:
	engine_edges_free(&ed);
	free(cap);
	free(rmatch);
	return (rc);
}
