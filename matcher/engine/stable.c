/* stable.c: subject-proposing deferred acceptance with capacities. */

/*
 * Gale and Shapley's deferred acceptance: free subjects propose down their
 * lists; a candidate holds the best proposals up to its capacity and lets
 * the worst go when a better one comes.  With strict preferences the
 * result is the subject-optimal stable assignment, which is unique, so the
 * order in which subjects propose does not change it.  Preferences come
 * from the scores (ties by id) or from explicit lists.
 */

#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

struct da {
	const struct engine		*e;
	const struct engine_prefs	*pr;
	uint32_t	*lstart;	/* per subject preference lists */
	uint32_t	*list;		/* candidate indices */
	uint32_t	*lscore;
	size_t		 nlist;
	uint64_t	*crank_of;	/* explicit: sorted (subject << 32 | pos) */
	uint32_t	*hstart;	/* per candidate held heap, m + 1 */
	uint32_t	*hcnt;
	uint64_t	*hkey;		/* candidate's rank of the held subject */
	uint32_t	*hsubj;
	uint32_t	*hscore;
};

static int	u64_cmp(const void *, const void *);
static int	in_candidate_list(const struct da *, uint32_t, uint32_t,
		    uint64_t *);
static uint64_t	cand_key(const struct da *, uint32_t, uint32_t, uint32_t);
static int	build_lists(struct da *, uint32_t, struct engine_stats *);
static void	held_sift_down(uint64_t *, uint32_t *, uint32_t *, uint32_t,
		    uint32_t);
static void	held_sift_up(uint64_t *, uint32_t *, uint32_t *, uint32_t);
static void	da_free(struct da *);

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return ((x > y) - (x < y));
}

/* Is s on c's explicit list?  *pos gets its position. */
static int
in_candidate_list(const struct da *d, uint32_t c, uint32_t s, uint64_t *pos)
{
	uint32_t	lo, hi, mid;

	lo = d->pr->candidate_start[c];
	hi = d->pr->candidate_start[c + 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d->crank_of[mid] >> 32) < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->pr->candidate_start[c + 1] &&
	    (d->crank_of[lo] >> 32) == s) {
		*pos = d->crank_of[lo] & 0xffffffffu;
		return (1);
	}
	return (0);
}

/* How candidate c ranks subject s: smaller is better. */
static uint64_t
cand_key(const struct da *d, uint32_t c, uint32_t s, uint32_t score)
{
	uint64_t	pos;

	if (d->pr != NULL && d->pr->candidate_start != NULL) {
		if (in_candidate_list(d, c, s, &pos))
			return (pos);
		return (UINT64_MAX);
	}
	return ((uint64_t)(ENGINE_SCORE_MAX - score) << 32 | d->e->spos[s]);
}

/*
 * Each subject's list of acceptable candidates, most preferred first.
 * Returns -1 on invalid lists or out of memory.
 */
static int
build_lists(struct da *d, uint32_t min_score, struct engine_stats *st)
{
	const struct engine		*e = d->e;
	const struct engine_prefs	*pr = d->pr;
	struct engine_edges		 ed;
	uint64_t			*row, pos;
	uint32_t			*stamp, s, c, r, sc, j;
	size_t				 ns = e->p.nsubjects, nc = e->p.ncandidates;
	size_t				 i, k, cap;
	int				 rc = -1;

	memset(&ed, 0, sizeof(ed));
	d->lstart = calloc(ns + 1, sizeof(*d->lstart));
	row = calloc(nc ? nc : 1, sizeof(*row));
	stamp = calloc(nc ? nc : 1, sizeof(*stamp));
	if (d->lstart == NULL || row == NULL || stamp == NULL)
		goto out;
	if (pr != NULL && pr->candidate_start != NULL) {
		if (pr->candidate_start[0] != 0)
			goto out;
		for (c = 0; c < nc; c++) {
			if (pr->candidate_start[c + 1] <
			    pr->candidate_start[c])
				goto out;
		}
		k = pr->candidate_start[nc];
		if ((d->crank_of = calloc(k ? k : 1, 8)) == NULL)
			goto out;
		for (c = 0; c < nc; c++) {
			for (j = pr->candidate_start[c];
			    j < pr->candidate_start[c + 1]; j++) {
				if (pr->candidate_list[j] >= ns)
					goto out;
				d->crank_of[j] = (uint64_t)
				    pr->candidate_list[j] << 32 |
				    (j - pr->candidate_start[c]);
			}
			/* A repeated subject keeps its first position. */
			qsort(d->crank_of + pr->candidate_start[c],
			    pr->candidate_start[c + 1] -
			    pr->candidate_start[c], 8, u64_cmp);
		}
	}
	if (pr == NULL || pr->subject_start == NULL) {
		if (engine_build_edges(e, min_score, &ed) == -1)
			goto out;
		st->pairs_checked = ed.checked;
		cap = ed.nedges;
	} else {
		if (pr->subject_start[0] != 0)
			goto out;
		for (s = 0; s < ns; s++) {
			if (pr->subject_start[s + 1] < pr->subject_start[s])
				goto out;
		}
		cap = pr->subject_start[ns];
	}
	d->list = calloc(cap ? cap : 1, sizeof(*d->list));
	d->lscore = calloc(cap ? cap : 1, sizeof(*d->lscore));
	if (d->list == NULL || d->lscore == NULL)
		goto out;
	for (s = 0; s < ns; s++)
		d->lstart[s] = UINT32_MAX;
	for (r = 0; r < ns; r++) {
		s = e->srank[r];
		k = 0;
		if (pr == NULL || pr->subject_start == NULL) {
			for (j = ed.start[r]; j < ed.start[r + 1]; j++) {
				c = e->crank[ed.cand[j]];
				if (pr != NULL && pr->candidate_start != NULL &&
				    !in_candidate_list(d, c, s, &pos))
					continue;
				row[k++] = (uint64_t)(ENGINE_SCORE_MAX -
				    ed.score[j]) << 32 | ed.cand[j];
			}
			qsort(row, k, sizeof(*row), u64_cmp);
		} else {
			for (j = pr->subject_start[s];
			    j < pr->subject_start[s + 1]; j++) {
				c = pr->subject_list[j];
				if (c >= nc)
					goto out;
				if (stamp[c] == s + 1)
					continue;
				stamp[c] = s + 1;
				if (engine_pair_eval(e, s, c, NULL, &sc) !=
				    ENGINE_OK || sc < min_score)
					continue;
				if (pr->candidate_start != NULL &&
				    !in_candidate_list(d, c, s, &pos))
					continue;
				row[k++] = (uint64_t)(ENGINE_SCORE_MAX - sc) <<
				    32 | e->cpos[c];
			}
			/* Keep the subject's own order. */
		}
		d->lstart[s] = (uint32_t)d->nlist;
		for (i = 0; i < k; i++) {
			d->list[d->nlist] = e->crank[row[i] & 0xffffffffu];
			d->lscore[d->nlist] = ENGINE_SCORE_MAX -
			    (uint32_t)(row[i] >> 32);
			d->nlist++;
		}
	}
	st->edges = d->nlist;
	rc = 0;
out:
	engine_edges_free(&ed);
	free(row);
	free(stamp);
	return (rc);
}

static void
held_sift_down(uint64_t *key, uint32_t *subj, uint32_t *score, uint32_t n,
    uint32_t i)
{
	uint32_t	c, ts, tc;
	uint64_t	tk;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && key[c + 1] > key[c])
			c++;
		if (key[c] <= key[i])
			break;
		tk = key[c]; key[c] = key[i]; key[i] = tk;
		ts = subj[c]; subj[c] = subj[i]; subj[i] = ts;
		tc = score[c]; score[c] = score[i]; score[i] = tc;
		i = c;
	}
}

static void
held_sift_up(uint64_t *key, uint32_t *subj, uint32_t *score, uint32_t i)
{
	uint32_t	p, ts, tc;
	uint64_t	tk;

	while (i > 0) {
		p = (i - 1) / 2;
		if (key[p] >= key[i])
			break;
		tk = key[p]; key[p] = key[i]; key[i] = tk;
		ts = subj[p]; subj[p] = subj[i]; subj[i] = ts;
		tc = score[p]; score[p] = score[i]; score[i] = tc;
		i = p;
	}
}

static void
da_free(struct da *d)
{
	free(d->lstart);
	free(d->list);
	free(d->lscore);
	free(d->crank_of);
	free(d->hstart);
	free(d->hcnt);
	free(d->hkey);
	free(d->hsubj);
	free(d->hscore);
}

int
engine_stable(const struct engine *e, uint32_t min_score,
    const struct engine_prefs *pr, int32_t *match, struct engine_stats *st)
{
	struct engine_stats	 local;
	struct da		 d;
	uint32_t		*queue, *next, *end, *indeg;
	uint32_t		 s, c, h, qhead, qlen, sc, n, r;
	size_t			 ns, nc, i;
	uint64_t		 key;
	int			 rc = -1;

	if (e == NULL || match == NULL)
		return (-1);
	if (pr != NULL && ((pr->subject_start != NULL &&
	    pr->subject_list == NULL) || (pr->candidate_start != NULL &&
	    pr->candidate_list == NULL)))
		return (-1);
	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	memset(&d, 0, sizeof(d));
	d.e = e;
	d.pr = pr;
	ns = e->p.nsubjects;
	nc = e->p.ncandidates;
	queue = calloc(ns ? ns : 1, sizeof(*queue));
	next = calloc(ns ? ns : 1, sizeof(*next));
	end = calloc(ns ? ns : 1, sizeof(*end));
	indeg = calloc(nc ? nc : 1, sizeof(*indeg));
	if (queue == NULL || next == NULL || end == NULL || indeg == NULL)
		goto out;
	if (build_lists(&d, min_score, st) == -1)
		goto out;
	/* Lists were appended in rank order: the end of s is the start of
	 * the next subject by rank. */
	for (r = 0; r < ns; r++) {
		s = e->srank[r];
		next[s] = d.lstart[s];
		end[s] = r + 1 < ns ? d.lstart[e->srank[r + 1]] :
		    (uint32_t)d.nlist;
	}
	for (i = 0; i < d.nlist; i++)
		indeg[d.list[i]]++;
	d.hstart = calloc(nc + 1, sizeof(*d.hstart));
	d.hcnt = calloc(nc ? nc : 1, sizeof(*d.hcnt));
	if (d.hstart == NULL || d.hcnt == NULL)
		goto out;
	for (c = 0; c < nc; c++) {
		n = e->p.candidates[c].capacity;
		d.hstart[c + 1] = d.hstart[c] + (indeg[c] < n ? indeg[c] : n);
	}
	d.hkey = calloc(d.hstart[nc] ? d.hstart[nc] : 1, sizeof(*d.hkey));
	d.hsubj = calloc(d.hstart[nc] ? d.hstart[nc] : 1, sizeof(*d.hsubj));
	d.hscore = calloc(d.hstart[nc] ? d.hstart[nc] : 1,
	    sizeof(*d.hscore));
	if (d.hkey == NULL || d.hsubj == NULL || d.hscore == NULL)
		goto out;

	/* A ring of the free subjects; never more than ns of them. */
	qhead = 0;
	qlen = (uint32_t)ns;
	for (r = 0; r < ns; r++)
		queue[r] = e->srank[r];
	while (qlen > 0) {
		s = queue[qhead];
		qhead = (uint32_t)((qhead + 1) % ns);
		qlen--;
		while (next[s] < end[s]) {
			c = d.list[next[s]];
			sc = d.lscore[next[s]];
			next[s]++;
			st->proposals++;
			key = cand_key(&d, c, s, sc);
			h = d.hstart[c];
			if (d.hcnt[c] < d.hstart[c + 1] - h) {
				d.hkey[h + d.hcnt[c]] = key;
				d.hsubj[h + d.hcnt[c]] = s;
				d.hscore[h + d.hcnt[c]] = sc;
				held_sift_up(d.hkey + h, d.hsubj + h,
				    d.hscore + h, d.hcnt[c]++);
				break;
			}
			if (key < d.hkey[h]) {
				/* c lets its worst go: it proposes again. */
				queue[(qhead + qlen) % ns] = d.hsubj[h];
				qlen++;
				d.hkey[h] = key;
				d.hsubj[h] = s;
				d.hscore[h] = sc;
				held_sift_down(d.hkey + h, d.hsubj + h,
				    d.hscore + h, d.hcnt[c], 0);
				break;
			}
		}
	}
	for (i = 0; i < ns; i++)
		match[i] = ENGINE_NO_MATCH;
	for (c = 0; c < nc; c++) {
		for (h = d.hstart[c]; h < d.hstart[c] + d.hcnt[c]; h++) {
			match[d.hsubj[h]] = (int32_t)c;
			st->assigned++;
			st->total += d.hscore[h];
		}
	}
	rc = 0;
out:
	da_free(&d);
	free(queue);
	free(next);
	free(end);
	free(indeg);
	return (rc);
}
