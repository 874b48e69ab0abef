/* grid.c: candidate generation through the spatial grid, and edge lists. */

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static int	u64_cmp(const void *, const void *);
static void	sort_u64(uint64_t *, size_t);
static int	edges_grow(struct engine_edges *, size_t);

/*
 * Put into buf (room for ncandidates) every candidate that can be in reach
 * of subject s: those in the grid cells around its mobility radius, then
 * the online ones.  Returns how many.  The result is a superset of the
 * admissible candidates; engine_pair_eval decides.
 */
size_t
engine_gather(const struct engine *e, uint32_t si, uint32_t *buf)
{
	const struct engine_subject	*s = &e->p.subjects[si];
	double				 dlat, dlon, amax, k;
	double				 y0, y1, x0, x1;
	uint32_t			 iy, iy0, iy1, ix0, ix1, j;
	size_t				 n;

	n = 0;
	if (s->has_place && e->cell_start[(size_t)e->gw * e->gh] > 0) {
		dlat = ((double)s->radius_m + 2.0) /
		    (ENGINE_EARTH_M * ENGINE_DEG) * 1.000001;
		amax = fabs(s->lat - dlat) > fabs(s->lat + dlat) ?
		    fabs(s->lat - dlat) : fabs(s->lat + dlat);
		k = amax < 89.0 ? cos(amax * ENGINE_DEG) : 0.0;
		dlon = k > 0.0 ? dlat / k : 360.0;
		y0 = (s->lat - dlat - e->lat0) / e->cell_lat;
		y1 = (s->lat + dlat - e->lat0) / e->cell_lat;
		x0 = (s->lon - dlon - e->lon0) / e->cell_lon;
		x1 = (s->lon + dlon - e->lon0) / e->cell_lon;
		if (y1 < 0.0 || x1 < 0.0 || y0 >= (double)e->gh ||
		    x0 >= (double)e->gw)
			goto online;
		iy0 = y0 < 0.0 ? 0 : (uint32_t)y0;
		ix0 = x0 < 0.0 ? 0 : (uint32_t)x0;
		iy1 = y1 >= (double)e->gh ? e->gh - 1 : (uint32_t)y1;
		ix1 = x1 >= (double)e->gw ? e->gw - 1 : (uint32_t)x1;
		for (iy = iy0; iy <= iy1; iy++) {
			for (j = e->cell_start[(size_t)iy * e->gw + ix0];
			    j < e->cell_start[(size_t)iy * e->gw + ix1 + 1];
			    j++)
				buf[n++] = e->cell_cand[j];
		}
	}
online:
	memcpy(buf + n, e->online, e->nonline * sizeof(*buf));
	n += e->nonline;
	assert(n <= e->p.ncandidates);
	return (n);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return ((x > y) - (x < y));
}

static void
sort_u64(uint64_t *v, size_t n)
{
	size_t		i, j;
	uint64_t	t;

	if (n > 24) {
		qsort(v, n, sizeof(*v), u64_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		t = v[i];
		for (j = i; j > 0 && v[j - 1] > t; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

static int
edges_grow(struct engine_edges *g, size_t need)
{
	uint32_t	*nc, *ns;
	size_t		 cap;

	if (need <= g->cap)
		return (0);
	cap = g->cap ? g->cap : 1024;
	while (cap < need)
		cap *= 2;
	if ((nc = realloc(g->cand, cap * sizeof(*nc))) == NULL)
		return (-1);
	g->cand = nc;
	if ((ns = realloc(g->score, cap * sizeof(*ns))) == NULL)
		return (-1);
	g->score = ns;
	g->cap = cap;
	return (0);
}

/*
 * Build the admissible pairs with score >= min_score for every subject, in
 * id-rank space: subject rank r's edges are start[r]..start[r+1], candidate
 * ranks ascending.  Returns -1 when out of memory; the caller frees with
 * engine_edges_free in any case.
 */
int
engine_build_edges(const struct engine *e, uint32_t min_score,
    struct engine_edges *g)
{
	uint32_t	*buf;
	uint64_t	*row;
	uint32_t	 r, si, sc;
	size_t		 n, i, k, nc;

	memset(g, 0, sizeof(*g));
	nc = e->p.ncandidates;
	g->nsubjects = (uint32_t)e->p.nsubjects;
	g->start = calloc(e->p.nsubjects + 1, sizeof(*g->start));
	buf = calloc(nc ? nc : 1, sizeof(*buf));
	row = calloc(nc ? nc : 1, sizeof(*row));
	if (g->start == NULL || buf == NULL || row == NULL ||
	    edges_grow(g, e->p.nsubjects * 8 + 1) == -1)
		goto bad;
	for (r = 0; r < g->nsubjects; r++) {
		si = e->srank[r];
		n = engine_gather(e, si, buf);
		g->checked += n;
		k = 0;
		for (i = 0; i < n; i++) {
			if (engine_pair_eval(e, si, buf[i], NULL, &sc) !=
			    ENGINE_OK || sc < min_score)
				continue;
			row[k++] = (uint64_t)e->cpos[buf[i]] << 32 | sc;
		}
		sort_u64(row, k);
		if (edges_grow(g, g->nedges + k) == -1)
			goto bad;
		for (i = 0; i < k; i++) {
			g->cand[g->nedges] = (uint32_t)(row[i] >> 32);
			g->score[g->nedges] = (uint32_t)row[i];
			g->nedges++;
		}
		g->start[r + 1] = (uint32_t)g->nedges;
		if (g->nedges > UINT32_MAX - nc)
			goto bad;
	}
	free(buf);
	free(row);
	return (0);
bad:
	free(buf);
	free(row);
	return (-1);
}

void
engine_edges_free(struct engine_edges *g)
{
	free(g->start);
	free(g->cand);
	free(g->score);
	memset(g, 0, sizeof(*g));
}
