/* engine.c: problem validation and the indices every request needs. */

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

#define GRID_MAX_CELLS		(1u << 22)
#define GRID_MIN_CELL_M		1000.0
#define GRID_MAX_CELL_M		100000.0
#define GRID_DEFAULT_CELL_M	10000.0

struct ex_row {
	uint32_t	s, c, kind;
};

static int	fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	u32_cmp(const void *, const void *);
static int	ex_row_cmp(const void *, const void *);
static int	weights_cmp(const void *, const void *);
static int	check_weights(enum engine_programme,
		    const struct engine_weights *);
static int	check_langs(const struct engine_lang *, uint8_t, int);
static int	check_kldb(const char *);
static uint64_t	lang_bits(const struct engine_lang *, uint8_t, uint8_t *);
static int	build_ranks(const uint8_t *, size_t, size_t, uint32_t **,
		    uint32_t **);
static int	build_grid(struct engine *);
static int	build_excluded(struct engine *);
static int	validate(const struct engine_problem *, char *, size_t);

static const char *feature_names[ENGINE_F_COUNT] = {
	"interest", "occupation", "goals", "language", "distance",
	"availability", "waiting_time"
};

static const char *violation_names[ENGINE_V_COUNT] = {
	"ok", "no_consent", "inactive", "no_capacity", "audience",
	"age_range", "no_cross_district_consent", "too_far",
	"no_shared_language", "blocked", "declined_before"
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

const char *
engine_feature_name(enum engine_feature f)
{
	if ((unsigned)f >= ENGINE_F_COUNT)
		return ("unknown");
	return (feature_names[f]);
}

const char *
engine_violation_name(enum engine_violation v)
{
	if ((unsigned)v >= ENGINE_V_COUNT)
		return ("unknown");
	return (violation_names[v]);
}

int
engine_feature_used(enum engine_programme prog, enum engine_feature f)
{
	switch (f) {
	case ENGINE_F_INTEREST:
		return (prog == ENGINE_PARTNERS);
	case ENGINE_F_OCCUPATION:
	case ENGINE_F_GOALS:
		return (prog == ENGINE_WOMEN);
	case ENGINE_F_LANGUAGE:
	case ENGINE_F_DISTANCE:
	case ENGINE_F_AVAILABILITY:
	case ENGINE_F_WAITING:
		return (1);
	default:
		return (0);
	}
}

void
engine_default_weights(enum engine_programme prog, struct engine_weights *w)
{
	memset(w, 0, sizeof(*w));
	if (prog == ENGINE_PARTNERS) {
		w->w[ENGINE_F_INTEREST] = 3000;
		w->w[ENGINE_F_LANGUAGE] = 2000;
		w->w[ENGINE_F_DISTANCE] = 2000;
		w->w[ENGINE_F_AVAILABILITY] = 2000;
		w->w[ENGINE_F_WAITING] = 1000;
	} else {
		w->w[ENGINE_F_OCCUPATION] = 3000;
		w->w[ENGINE_F_GOALS] = 2000;
		w->w[ENGINE_F_LANGUAGE] = 1500;
		w->w[ENGINE_F_DISTANCE] = 1000;
		w->w[ENGINE_F_AVAILABILITY] = 1500;
		w->w[ENGINE_F_WAITING] = 1000;
	}
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return ((x > y) - (x < y));
}

static int
ex_row_cmp(const void *a, const void *b)
{
	const struct ex_row	*x = a, *y = b;

	if (x->s != y->s)
		return ((x->s > y->s) - (x->s < y->s));
	if (x->c != y->c)
		return ((x->c > y->c) - (x->c < y->c));
	return ((x->kind > y->kind) - (x->kind < y->kind));
}

static int
weights_cmp(const void *a, const void *b)
{
	const struct engine_weights	*x = a, *y = b;

	return ((x->district > y->district) - (x->district < y->district));
}

static int
check_weights(enum engine_programme prog, const struct engine_weights *w)
{
	unsigned int	f, sum;

	sum = 0;
	for (f = 0; f < ENGINE_F_COUNT; f++) {
		if (!engine_feature_used(prog, f) && w->w[f] != 0)
			return (-1);
		sum += w->w[f];
	}
	return (sum == ENGINE_SCORE_MAX ? 0 : -1);
}

static int
check_langs(const struct engine_lang *l, uint8_t n, int need_level)
{
	uint8_t		i;
	size_t		len;

	if (n > ENGINE_MAX_LANGS)
		return (-1);
	for (i = 0; i < n; i++) {
		len = engine_strnlen(l[i].code, sizeof(l[i].code));
		if (len < 2 || len > 3)
			return (-1);
		if (l[i].level > ENGINE_LEVEL_NATIVE)
			return (-1);
		if (need_level && l[i].level == ENGINE_LEVEL_NONE)
			return (-1);
	}
	return (0);
}

static int
check_kldb(const char *k)
{
	size_t	i;

	for (i = 0; i < 6 && k[i] != '\0'; i++) {
		if (k[i] < '0' || k[i] > '9')
			return (-1);
	}
	return (i < 6 ? 0 : -1);
}

/*
 * Bit filter over the non-German languages (two lists can only share one
 * if their filters intersect); *german gets the German level, 0 if none.
 */
static uint64_t
lang_bits(const struct engine_lang *l, uint8_t n, uint8_t *german)
{
	uint64_t	bits;
	uint32_t	h;
	uint8_t		i;

	bits = 0;
	*german = 0;
	for (i = 0; i < n; i++) {
		if (strncmp(l[i].code, "de", sizeof(l[i].code)) == 0) {
			*german = l[i].level + 1;
			continue;
		}
		h = (uint32_t)(unsigned char)l[i].code[0] |
		    (uint32_t)(unsigned char)l[i].code[1] << 8 |
		    (uint32_t)(unsigned char)l[i].code[2] << 16;
		bits |= 1ULL << ((h * 2654435761u) >> 26);
	}
	return (bits);
}

/*
 * Sort n records of stride bytes (id at offset 0) by id; *rank[r] is the
 * index of rank r and *pos[i] the rank of index i.  Returns -1 on a
 * duplicate id or out of memory (nothing allocated then).
 */
static int
build_ranks(const uint8_t *base, size_t stride, size_t n, uint32_t **rank,
    uint32_t **pos)
{
	struct engine_id_idx	*tmp;
	size_t			 i;

	*rank = *pos = NULL;
	if ((tmp = calloc(n ? n : 1, sizeof(*tmp))) == NULL)
		return (-1);
	*rank = calloc(n ? n : 1, sizeof(**rank));
	*pos = calloc(n ? n : 1, sizeof(**pos));
	if (*rank == NULL || *pos == NULL ||
	    engine_id_index(base, stride, n, tmp, NULL) == -1)
		goto bad;
	for (i = 0; i < n; i++) {
		(*rank)[i] = tmp[i].idx;
		(*pos)[tmp[i].idx] = (uint32_t)i;
	}
	free(tmp);
	return (0);
bad:
	free(tmp);
	free(*rank);
	free(*pos);
	*rank = *pos = NULL;
	return (-1);
}

static int
validate(const struct engine_problem *p, char *err, size_t errlen)
{
	const struct engine_subject	*s;
	const struct engine_candidate	*c;
	size_t				 i;

	if (p->programme != ENGINE_PARTNERS && p->programme != ENGINE_WOMEN)
		return (fail(err, errlen, "unknown programme"));
	if ((p->nsubjects > 0 && p->subjects == NULL) ||
	    (p->ncandidates > 0 && p->candidates == NULL) ||
	    (p->nexcluded > 0 && p->excluded == NULL) ||
	    (p->nweights > 0 && p->weights == NULL))
		return (fail(err, errlen, "missing array"));
	if (p->nsubjects > INT32_MAX || p->ncandidates > INT32_MAX ||
	    p->nexcluded > UINT32_MAX)
		return (fail(err, errlen, "problem too large"));
	if (check_weights(p->programme, &p->default_weights) == -1)
		return (fail(err, errlen, "default weights invalid"));
	for (i = 0; i < p->nweights; i++) {
		if (check_weights(p->programme, &p->weights[i]) == -1)
			return (fail(err, errlen, "weights of district %d "
			    "invalid", (int)p->weights[i].district));
	}
	for (i = 0; i < p->nsubjects; i++) {
		s = &p->subjects[i];
		if (s->has_place && (!(s->lat >= -90.0 && s->lat <= 90.0) ||
		    !(s->lon >= -180.0 && s->lon <= 180.0)))
			return (fail(err, errlen, "subject %zu: place", i));
		if (check_langs(s->langs, s->nlangs, 1) == -1)
			return (fail(err, errlen, "subject %zu: languages", i));
		if (s->availability & ~ENGINE_SLOTS_MASK)
			return (fail(err, errlen, "subject %zu: availability",
			    i));
		if (s->gender > ENGINE_GENDER_DIVERSE)
			return (fail(err, errlen, "subject %zu: gender", i));
		if (s->interests >> ENGINE_CAT_COUNT)
			return (fail(err, errlen, "subject %zu: interests", i));
		if (check_kldb(s->kldb) == -1)
			return (fail(err, errlen, "subject %zu: kldb", i));
	}
	for (i = 0; i < p->ncandidates; i++) {
		c = &p->candidates[i];
		if (c->has_place && (!(c->lat >= -90.0 && c->lat <= 90.0) ||
		    !(c->lon >= -180.0 && c->lon <= 180.0)))
			return (fail(err, errlen, "candidate %zu: place", i));
		if (check_langs(c->langs, c->nlangs, 0) == -1)
			return (fail(err, errlen, "candidate %zu: languages",
			    i));
		if (c->availability & ~ENGINE_SLOTS_MASK)
			return (fail(err, errlen,
			    "candidate %zu: availability", i));
		if (c->min_german > ENGINE_LEVEL_NATIVE)
			return (fail(err, errlen, "candidate %zu: min_german",
			    i));
		if (p->programme == ENGINE_PARTNERS &&
		    c->category >= ENGINE_CAT_COUNT)
			return (fail(err, errlen, "candidate %zu: category",
			    i));
		if (c->age_min != 0 && c->age_max != 0 &&
		    c->age_min > c->age_max)
			return (fail(err, errlen, "candidate %zu: age range",
			    i));
		if (check_kldb(c->kldb) == -1)
			return (fail(err, errlen, "candidate %zu: kldb", i));
	}
	for (i = 0; i < p->nexcluded; i++) {
		if (p->excluded[i].subject >= p->nsubjects ||
		    p->excluded[i].candidate >= p->ncandidates ||
		    p->excluded[i].kind > ENGINE_PAIR_DECLINED)
			return (fail(err, errlen, "excluded pair %zu", i));
	}
	return (0);
}

static int
build_excluded(struct engine *e)
{
	struct ex_row	*rows;
	size_t		 i, n = e->p.nexcluded, ns = e->p.nsubjects;

	e->ex_start = calloc(ns + 1, sizeof(*e->ex_start));
	e->ex_cand = calloc(n ? n : 1, sizeof(*e->ex_cand));
	e->ex_kind = calloc(n ? n : 1, sizeof(*e->ex_kind));
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (e->ex_start == NULL || e->ex_cand == NULL || e->ex_kind == NULL ||
	    rows == NULL) {
		free(rows);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		rows[i].s = e->p.excluded[i].subject;
		rows[i].c = e->p.excluded[i].candidate;
		rows[i].kind = e->p.excluded[i].kind;
	}
	qsort(rows, n, sizeof(*rows), ex_row_cmp);
	for (i = 0; i < n; i++) {
		e->ex_start[rows[i].s + 1]++;
		e->ex_cand[i] = rows[i].c;
		e->ex_kind[i] = (uint8_t)rows[i].kind;
	}
	for (i = 0; i < ns; i++)
		e->ex_start[i + 1] += e->ex_start[i];
	free(rows);
	e->bytes += (ns + 1) * sizeof(uint32_t) + n * 5;
	return (0);
}

/*
 * The grid's cells are about as large as the median mobility radius, so a
 * subject looks at a handful of cells; online candidates go to a list that
 * every subject sees.  Inactive and full candidates are left out: they can
 * never be admissible.
 */
static int
build_grid(struct engine *e)
{
	const struct engine_candidate	*c;
	uint32_t			*radii, *cellof, ci;
	double				 latmin, latmax, lonmin, lonmax;
	double				 cell_m, amax, k;
	size_t				 i, r, n = e->p.ncandidates, nr, cells;

	latmin = lonmin = 1e9;
	latmax = lonmax = -1e9;
	e->online = calloc(n ? n : 1, sizeof(*e->online));
	cellof = calloc(n ? n : 1, sizeof(*cellof));
	radii = calloc(e->p.nsubjects ? e->p.nsubjects : 1, sizeof(*radii));
	if (e->online == NULL || cellof == NULL || radii == NULL)
		goto bad;
	nr = 0;
	for (i = 0; i < e->p.nsubjects; i++) {
		if (e->p.subjects[i].has_place)
			radii[nr++] = e->p.subjects[i].radius_m;
	}
	qsort(radii, nr, sizeof(*radii), u32_cmp);
	cell_m = nr > 0 ? (double)radii[nr / 2] : GRID_DEFAULT_CELL_M;
	if (cell_m < GRID_MIN_CELL_M)
		cell_m = GRID_MIN_CELL_M;
	if (cell_m > GRID_MAX_CELL_M)
		cell_m = GRID_MAX_CELL_M;
	free(radii);
	radii = NULL;

	for (r = 0; r < n; r++) {
		ci = e->crank[r];
		c = &e->p.candidates[ci];
		if (!c->active || c->capacity == 0)
			continue;
		if (c->online) {
			e->online[e->nonline++] = ci;
			continue;
		}
		if (!c->has_place)
			continue;
		if (c->lat < latmin)
			latmin = c->lat;
		if (c->lat > latmax)
			latmax = c->lat;
		if (c->lon < lonmin)
			lonmin = c->lon;
		if (c->lon > lonmax)
			lonmax = c->lon;
	}
	if (latmin > latmax)
		latmin = latmax = lonmin = lonmax = 0.0;
	amax = fabs(latmin) > fabs(latmax) ? fabs(latmin) : fabs(latmax);
	k = cos(amax * ENGINE_DEG);
	if (k < 0.01)
		k = 0.01;
	for (;;) {
		e->cell_lat = cell_m / (ENGINE_EARTH_M * ENGINE_DEG);
		e->cell_lon = e->cell_lat / k;
		e->gh = (uint32_t)((latmax - latmin) / e->cell_lat) + 1;
		e->gw = (uint32_t)((lonmax - lonmin) / e->cell_lon) + 1;
		if ((uint64_t)e->gh * e->gw <= GRID_MAX_CELLS)
			break;
		cell_m *= 2.0;
	}
	e->lat0 = latmin;
	e->lon0 = lonmin;
	cells = (size_t)e->gh * e->gw;
	e->cell_start = calloc(cells + 1, sizeof(*e->cell_start));
	e->cell_cand = calloc(n ? n : 1, sizeof(*e->cell_cand));
	if (e->cell_start == NULL || e->cell_cand == NULL)
		goto bad;
	for (r = 0; r < n; r++) {
		ci = e->crank[r];
		c = &e->p.candidates[ci];
		cellof[ci] = UINT32_MAX;
		if (!c->active || c->capacity == 0 || c->online ||
		    !c->has_place)
			continue;
		cellof[ci] = (uint32_t)((c->lat - latmin) / e->cell_lat) *
		    e->gw + (uint32_t)((c->lon - lonmin) / e->cell_lon);
		assert(cellof[ci] < cells);
		e->cell_start[cellof[ci] + 1]++;
	}
	for (i = 0; i < cells; i++)
		e->cell_start[i + 1] += e->cell_start[i];
	/* Fill in rank order so each cell lists its candidates by id. */
	for (r = 0; r < n; r++) {
		ci = e->crank[r];
		if (cellof[ci] == UINT32_MAX)
			continue;
		e->cell_cand[e->cell_start[cellof[ci]]++] = ci;
	}
	for (i = cells; i > 0; i--)
		e->cell_start[i] = e->cell_start[i - 1];
	e->cell_start[0] = 0;
	free(cellof);
	e->bytes += (cells + 1) * sizeof(uint32_t) + 2 * n * sizeof(uint32_t);
	return (0);
bad:
	free(radii);
	free(cellof);
	return (-1);
}

struct engine *
engine_prepare(const struct engine_problem *p, char *err, size_t errlen)
{
	struct engine	*e;
	size_t		 i, ns, nc;

	if (p == NULL) {
		(void)fail(err, errlen, "no problem");
		return (NULL);
	}
	if (validate(p, err, errlen) == -1)
		return (NULL);
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		(void)fail(err, errlen, "out of memory");
		return (NULL);
	}
	e->p = *p;
	ns = p->nsubjects;
	nc = p->ncandidates;
	if (build_ranks((const uint8_t *)p->subjects, sizeof(*p->subjects), ns,
	    &e->srank, &e->spos) == -1 ||
	    build_ranks((const uint8_t *)p->candidates, sizeof(*p->candidates),
	    nc, &e->crank, &e->cpos) == -1) {
		(void)fail(err, errlen, "duplicate id or out of memory");
		goto bad;
	}
	e->scos = calloc(ns ? ns : 1, sizeof(*e->scos));
	e->ccos = calloc(nc ? nc : 1, sizeof(*e->ccos));
	e->slang = calloc(ns ? ns : 1, sizeof(*e->slang));
	e->clang = calloc(nc ? nc : 1, sizeof(*e->clang));
	e->sgerman = calloc(ns ? ns : 1, 1);
	e->cgerman = calloc(nc ? nc : 1, 1);
	e->weights = calloc(p->nweights ? p->nweights : 1,
	    sizeof(*e->weights));
	if (e->scos == NULL || e->ccos == NULL || e->slang == NULL ||
	    e->clang == NULL || e->sgerman == NULL || e->cgerman == NULL ||
	    e->weights == NULL) {
		(void)fail(err, errlen, "out of memory");
		goto bad;
	}
	e->bytes = (ns + nc) * (2 * sizeof(uint32_t) + sizeof(double) +
	    sizeof(uint64_t) + 1);
	for (i = 0; i < ns; i++) {
		e->scos[i] = cos(p->subjects[i].lat * ENGINE_DEG);
		e->slang[i] = lang_bits(p->subjects[i].langs,
		    p->subjects[i].nlangs, &e->sgerman[i]);
		/* Subjects: the level itself, 0 = no German. */
		if (e->sgerman[i] > 0)
			e->sgerman[i]--;
	}
	for (i = 0; i < nc; i++) {
		e->ccos[i] = cos(p->candidates[i].lat * ENGINE_DEG);
		e->clang[i] = lang_bits(p->candidates[i].langs,
		    p->candidates[i].nlangs, &e->cgerman[i]);
	}
	if (p->nweights > 0)
		memcpy(e->weights, p->weights, p->nweights * sizeof(*e->weights));
	e->nweights = p->nweights;
	qsort(e->weights, e->nweights, sizeof(*e->weights), weights_cmp);
	for (i = 1; i < e->nweights; i++) {
		if (e->weights[i - 1].district == e->weights[i].district) {
			(void)fail(err, errlen, "district %d has two weights",
			    (int)e->weights[i].district);
			goto bad;
		}
	}
	if (build_excluded(e) == -1 || build_grid(e) == -1) {
		(void)fail(err, errlen, "out of memory");
		goto bad;
	}
	return (e);
bad:
	engine_free(e);
	return (NULL);
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	free(e->srank);
	free(e->crank);
	free(e->cpos);
	free(e->spos);
	free(e->scos);
	free(e->ccos);
	free(e->slang);
	free(e->clang);
	free(e->sgerman);
	free(e->cgerman);
	free(e->ex_start);
	free(e->ex_cand);
	free(e->ex_kind);
	free(e->weights);
	free(e->cell_start);
	free(e->cell_cand);
	free(e->online);
	free(e);
}
