/* flow.c: exact maximum-weight assignment under capacities (min-cost flow). */

/*
 * The assignment is a min-cost flow: every subject sends one unit to the
 * sink T, either through a candidate (cost W - w, W the largest weight) or
 * straight (cost W: stays unassigned); a candidate passes at most its
 * capacity to T.  Minimising the cost maximises the total weight.
 *
 * Subjects enter one at a time, and each sends its unit along a shortest
 * path in the residual graph (Dijkstra over reduced costs with node
 * potentials, stopped as soon as T is settled; only settled nodes change
 * potential).  Augmenting along a shortest path keeps the residual graph
 * free of negative cycles, so once every subject has sent its unit the
 * flow is optimal: the classic successive-shortest-path argument.  Paths
 * alternate subject -> candidate -> (a subject that moves) -> ... and end
 * at a candidate with room or at a subject that gives its place up; the
 * search never leaves the sparse bipartite graph, which is what makes it
 * faster than a general network simplex on this shape of problem.
 *
 * Every choice (processing order, heap ties, adjacency order) follows the
 * indices, so equal input gives equal output.
 */

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* Per node state, together so one search touches one cache line a node. */
struct fnode {
	int64_t		dist;		/* reduced distance in this search */
	uint32_t	seen;		/* epoch when reached */
	uint32_t	hpos;		/* heap position, SETTLED when done */
	uint32_t	pred;
	uint32_t	predw;		/* weight of the edge into a candidate */
};

#define SETTLED		UINT32_MAX

/* A heap entry carries its key, so comparing never leaves the heap. */
struct hent {
	int64_t		key;
	uint32_t	tie;		/* 0 for the sink, else node + 1 */
	uint32_t	node;
};

struct flow {
	const struct engine_graph	*g;
	uint32_t	 n, m, t;	/* subjects, candidates, sink node */
	int64_t		 w;		/* largest weight */
	int32_t		*match;		/* per subject */
	uint32_t	*mw;		/* weight of the matched edge */
	uint32_t	*slot_start;	/* per candidate, m + 1 */
	uint32_t	*slot;		/* subjects held by candidates */
	uint32_t	*cnt;		/* per candidate */
	uint32_t	*subj_slot;	/* per subject */
	struct fnode	*nd;
	int64_t		*pi;		/* potentials, per node */
	int64_t		 bound;		/* the sink's distance, once reached */
	struct hent	*heap;		/* 4-ary min-heap */
	uint32_t	 hn;
	uint32_t	*settled;	/* settled nodes of one search */
	uint32_t	 nsettled;
	uint32_t	 epoch;
	uint64_t	 scanned;
	size_t		 bytes;
};

static int	hent_less(const struct hent *, const struct hent *);
static void	heap_up(struct flow *, uint32_t, struct hent);
static void	heap_down(struct flow *, uint32_t, struct hent);
static uint32_t	heap_pop(struct flow *);
static inline void relax(struct flow *, uint32_t, int64_t, uint32_t,
		    uint32_t);
static void	search(struct flow *, uint32_t);
static void	augment(struct flow *, uint32_t);
static void	*flow_alloc(struct flow *, size_t, size_t);
static void	flow_free(struct flow *);
static int	check_graph(const struct engine_graph *);

/* By distance; the sink wins ties (a search stops as early as it can). */
static int
hent_less(const struct hent *a, const struct hent *b)
{
	if (a->key != b->key)
		return (a->key < b->key);
	return (a->tie < b->tie);
}

static void
heap_up(struct flow *f, uint32_t i, struct hent v)
{
	uint32_t	p;

	while (i > 0) {
		p = (i - 1) / 4;
		if (!hent_less(&v, &f->heap[p]))
			break;
		f->heap[i] = f->heap[p];
		f->nd[f->heap[i].node].hpos = i;
		i = p;
	}
	f->heap[i] = v;
	f->nd[v.node].hpos = i;
}

static void
heap_down(struct flow *f, uint32_t i, struct hent v)
{
	uint32_t	c, k, best;

	for (;;) {
		c = 4 * i + 1;
		if (c >= f->hn)
			break;
		best = c;
		for (k = c + 1; k < c + 4 && k < f->hn; k++) {
			if (hent_less(&f->heap[k], &f->heap[best]))
				best = k;
		}
		if (!hent_less(&f->heap[best], &v))
			break;
		f->heap[i] = f->heap[best];
		f->nd[f->heap[i].node].hpos = i;
		i = best;
	}
	f->heap[i] = v;
	f->nd[v.node].hpos = i;
}

static uint32_t
heap_pop(struct flow *f)
{
	uint32_t	top = f->heap[0].node;

	f->hn--;
	if (f->hn > 0)
		heap_down(f, 0, f->heap[f->hn]);
	f->nd[top].hpos = SETTLED;
	return (top);
}

/* Offer distance d to node v, reached from u over an edge of weight w. */
static inline void
relax(struct flow *f, uint32_t v, int64_t d, uint32_t u, uint32_t w)
{
	struct fnode	*x = &f->nd[v];
	struct hent	 h;

	/* Nothing at or beyond the sink's distance is settled before it. */
	if (v != f->t && d >= f->bound)
		return;
	if (v == f->t && d < f->bound)
		f->bound = d;
	if (x->seen != f->epoch) {
		x->seen = f->epoch;
		x->dist = d;
		x->pred = u;
		x->predw = w;
		h.key = d;
		h.tie = v == f->t ? 0 : v + 1;
		h.node = v;
		heap_up(f, f->hn++, h);
	} else if (x->hpos != SETTLED && d < x->dist) {
		x->dist = d;
		x->pred = u;
		x->predw = w;
		f->heap[x->hpos].key = d;
		heap_up(f, x->hpos, f->heap[x->hpos]);
	}
}

/* Shortest path from subject s to T; updates the potentials. */
static void
search(struct flow *f, uint32_t s)
{
	const struct engine_graph	*g = f->g;
	struct fnode			*nd = f->nd;
	const int64_t			*pic = f->pi + f->n;
	int64_t				*pi = f->pi;
	int64_t				 du, d, top, dt;
	uint32_t			 u, c, j, x, i, end;
	int32_t				 mu;

	f->epoch++;
	f->hn = 0;
	f->nsettled = 0;
	f->bound = INT64_MAX;
	/* A new node: the smallest potential keeping its edges >= 0. */
	top = pi[f->t] - f->w;
	for (j = g->start[s]; j < g->start[s + 1]; j++) {
		d = pic[g->cand[j]] - (f->w - g->weight[j]);
		if (d > top)
			top = d;
	}
	pi[s] = top;
	relax(f, s, 0, UINT32_MAX, 0);
	for (;;) {
		assert(f->hn > 0);
		u = heap_pop(f);
		f->settled[f->nsettled++] = u;
		f->scanned++;
		if (u == f->t)
			break;
		du = nd[u].dist + pi[u];
		if (u < f->n) {
			/* Give the place up (s itself has none yet). */
			relax(f, f->t, du + f->w - pi[f->t], u, 0);
			mu = f->match[u];
			end = g->start[u + 1];
			for (j = g->start[u]; j < end; j++) {
				c = g->cand[j];
				d = du + (f->w - g->weight[j]) - pic[c];
				assert(d >= nd[u].dist);
				if (d >= f->bound || (int32_t)c == mu)
					continue;
				relax(f, f->n + c, d, u, g->weight[j]);
			}
		} else {
			c = u - f->n;
			if (f->cnt[c] < g->capacity[c])
				relax(f, f->t, du - pi[f->t], u, 0);
			end = f->slot_start[c] + f->cnt[c];
			for (j = f->slot_start[c]; j < end; j++) {
				x = f->slot[j];
				d = du - (f->w - f->mw[x]) - pi[x];
				assert(d >= nd[u].dist);
				relax(f, x, d, u, 0);
			}
		}
	}
	dt = nd[f->t].dist;
	for (i = 0; i < f->nsettled; i++) {
		u = f->settled[i];
		pi[u] += nd[u].dist - dt;
	}
}

/* Move the subjects along the path found by search(s). */
static void
augment(struct flow *f, uint32_t s)
{
	uint32_t	u, c, pos, y, oldpos;
	int32_t		oldc;

	u = f->nd[f->t].pred;
	if (u >= f->n) {
		c = u - f->n;
		pos = f->slot_start[c] + f->cnt[c]++;
		assert(f->slot_start[c] + f->cnt[c] <= f->slot_start[c + 1]);
	} else {
		if (u == s)
			return;		/* s stays unassigned */
		assert(f->match[u] >= 0);
		c = (uint32_t)f->match[u];
		pos = f->subj_slot[u];
		f->match[u] = ENGINE_NO_MATCH;
	}
	for (;;) {
		y = f->nd[f->n + c].pred;
		oldc = f->match[y];
		oldpos = oldc >= 0 ? f->subj_slot[y] : 0;
		f->slot[pos] = y;
		f->subj_slot[y] = pos;
		f->match[y] = (int32_t)c;
		f->mw[y] = f->nd[f->n + c].predw;
		if (y == s)
			break;
		assert(oldc >= 0 && f->nd[y].pred == f->n + (uint32_t)oldc);
		c = (uint32_t)oldc;
		pos = oldpos;
	}
}

static void *
flow_alloc(struct flow *f, size_t n, size_t size)
{
	f->bytes += (n ? n : 1) * size;
	return (calloc(n ? n : 1, size));
}

static void
flow_free(struct flow *f)
{
	free(f->mw);
	free(f->slot_start);
	free(f->slot);
	free(f->cnt);
	free(f->subj_slot);
	free(f->nd);
	free(f->pi);
	free(f->heap);
	free(f->settled);
}

static int
check_graph(const struct engine_graph *g)
{
	uint32_t	i, j;

	if (g->nsubjects >= INT32_MAX / 2 || g->ncandidates >= INT32_MAX / 2)
		return (-1);
	if (g->start == NULL || (g->ncandidates > 0 && g->capacity == NULL))
		return (-1);
	if (g->start[0] != 0)
		return (-1);
	for (i = 0; i < g->nsubjects; i++) {
		if (g->start[i + 1] < g->start[i])
			return (-1);
		for (j = g->start[i]; j < g->start[i + 1]; j++) {
			if (g->cand[j] >= g->ncandidates ||
			    g->weight[j] == 0 || g->weight[j] > (1u << 30))
				return (-1);
			/* One edge per pair: ascending candidates. */
			if (j > g->start[i] && g->cand[j] <= g->cand[j - 1])
				return (-1);
		}
	}
	return (0);
}

int
engine_assign(const struct engine_graph *g, int32_t *match, int64_t *total,
    struct engine_stats *st)
{
	struct flow	 f;
	uint32_t	 i, j, c, nn;
	uint32_t	*indeg;
	int64_t		 sum;
	int		 rc = -1;

	if (g == NULL || match == NULL || check_graph(g) == -1)
		return (-1);
	memset(&f, 0, sizeof(f));
	f.g = g;
	f.n = g->nsubjects;
	f.m = g->ncandidates;
	f.t = f.n + f.m;
	f.match = match;
	nn = f.n + f.m + 1;
	f.w = 1;
	for (j = 0; j < g->start[f.n]; j++) {
		if (g->weight[j] > f.w)
			f.w = g->weight[j];
	}
	f.mw = flow_alloc(&f, f.n, sizeof(*f.mw));
	f.slot_start = flow_alloc(&f, f.m + 1, sizeof(*f.slot_start));
	f.cnt = flow_alloc(&f, f.m, sizeof(*f.cnt));
	f.subj_slot = flow_alloc(&f, f.n, sizeof(*f.subj_slot));
	f.nd = flow_alloc(&f, nn, sizeof(*f.nd));
	f.pi = flow_alloc(&f, nn, sizeof(*f.pi));
	f.heap = flow_alloc(&f, nn, sizeof(*f.heap));
	f.settled = flow_alloc(&f, nn, sizeof(*f.settled));
	if (f.mw == NULL || f.slot_start == NULL || f.cnt == NULL ||
	    f.subj_slot == NULL || f.nd == NULL || f.pi == NULL ||
	    f.heap == NULL ||
	    f.settled == NULL)
		goto out;
	/* A candidate never holds more subjects than it has edges. */
	indeg = f.cnt;
	for (j = 0; j < g->start[f.n]; j++)
		indeg[g->cand[j]]++;
	for (c = 0; c < f.m; c++) {
		f.slot_start[c + 1] = f.slot_start[c] +
		    (indeg[c] < g->capacity[c] ? indeg[c] : g->capacity[c]);
		indeg[c] = 0;
	}
	f.slot = flow_alloc(&f, f.slot_start[f.m], sizeof(*f.slot));
	if (f.slot == NULL)
		goto out;
	for (i = 0; i < f.n; i++)
		match[i] = ENGINE_NO_MATCH;
	for (i = 0; i < f.n; i++) {
		if (g->start[i] == g->start[i + 1])
			continue;
		search(&f, i);
		augment(&f, i);
		if (st != NULL)
			st->augmentations++;
	}
	sum = 0;
	for (i = 0; i < f.n; i++) {
		if (match[i] != ENGINE_NO_MATCH) {
			sum += f.mw[i];
			if (st != NULL)
				st->assigned++;
		}
	}
	if (total != NULL)
		*total = sum;
	if (st != NULL) {
		st->total = sum;
		st->nodes_scanned += f.scanned;
		if (f.bytes > st->peak_bytes)
			st->peak_bytes = f.bytes;
	}
	rc = 0;
out:
	flow_free(&f);
	return (rc);
}
