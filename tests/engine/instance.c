/* instance.c: realistic seeded matching instances for tests and benchmarks. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"

#define LINE_MAX_LEN	1024
#define MAX_FIELDS	16
#define NTAGS		64
#define NSUPPORT	8

struct weighted {
	const char	*name;
	uint32_t	 weight;
};

/* Native languages of the people the programme serves, by share. */
static const struct weighted native_mix[] = {
	{ "uk", 28 }, { "ar", 20 }, { "ru", 8 }, { "prs", 8 }, { "ps", 5 },
	{ "fa", 6 }, { "kmr", 8 }, { "tr", 7 }, { "ti", 5 }, { "so", 5 }
};
#define NNATIVE	(sizeof(native_mix) / sizeof(native_mix[0]))

/* German level of participants: none, A1 .. C2. */
static const uint32_t german_mix[] = { 15, 25, 25, 18, 10, 5, 2 };

/* Activity categories, roughly as popular as in the volunteer survey. */
static const uint32_t category_mix[ENGINE_CAT_COUNT] = {
	20, 12, 4, 3, 8, 2, 2, 3, 6, 10, 2, 4, 1, 12, 3, 4, 10
};

/* KldB 2010 occupations common in the programme (5-digit codes). */
static const char *kldb_codes[] = {
	"81302", "81313", "82102", "83112", "83132", "73202", "73222",
	"71402", "71302", "43412", "43104", "62102", "62182", "63302",
	"29302", "29312", "52122", "51312", "25212", "26112", "84114",
	"91204", "72213", "53112", "54101", "11102", "32102", "34212"
};
#define NKLDB	(sizeof(kldb_codes) / sizeof(kldb_codes[0]))

static uint32_t	pick_weighted(struct inst_rng *, const uint32_t *, size_t);
static const char *pick_native(struct inst_rng *);
static void	add_lang(struct engine_lang *, uint8_t *, const char *,
		    uint8_t);
static int	split_csv(char *, char **, int);
static int	column(char **, int, const char *);
static uint32_t	random_slots(struct inst_rng *, double, double, double);
static void	make_id(struct inst_rng *, uint8_t *);
static void	gen_subject(const struct inst_places *, const uint32_t *,
		    size_t, const struct inst_params *, struct inst_rng *,
		    struct engine_subject *);
static void	gen_candidate(const struct inst_places *, const uint32_t *,
		    size_t, const struct inst_params *, struct inst_rng *,
		    struct engine_candidate *);

uint64_t
inst_rng_next(struct inst_rng *r)
{
	uint64_t	z;

	z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

uint32_t
inst_rng_below(struct inst_rng *r, uint32_t n)
{
	if (n == 0)
		return (0);
	return ((uint32_t)(((inst_rng_next(r) >> 32) * n) >> 32));
}

double
inst_rng_unit(struct inst_rng *r)
{
	return ((double)(inst_rng_next(r) >> 11) / 9007199254740992.0);
}

static uint32_t
pick_weighted(struct inst_rng *r, const uint32_t *w, size_t n)
{
	uint32_t	sum, x;
	size_t		i;

	sum = 0;
	for (i = 0; i < n; i++)
		sum += w[i];
	x = inst_rng_below(r, sum);
	for (i = 0; i < n; i++) {
		if (x < w[i])
			return ((uint32_t)i);
		x -= w[i];
	}
	return ((uint32_t)(n - 1));
}

static const char *
pick_native(struct inst_rng *r)
{
	uint32_t	w[NNATIVE];
	size_t		i;

	for (i = 0; i < NNATIVE; i++)
		w[i] = native_mix[i].weight;
	return (native_mix[pick_weighted(r, w, NNATIVE)].name);
}

static void
add_lang(struct engine_lang *l, uint8_t *n, const char *code, uint8_t level)
{
	uint8_t	i;

	for (i = 0; i < *n; i++) {
		if (strcmp(l[i].code, code) == 0)
			return;
	}
	if (*n >= ENGINE_MAX_LANGS)
		return;
	memset(&l[*n], 0, sizeof(l[*n]));
	memcpy(l[*n].code, code, strlen(code));
	l[*n].level = level;
	(*n)++;
}

/* Split one CSV line in place (double quotes, no embedded newlines). */
static int
split_csv(char *line, char **f, int max)
{
	char	*r, *w;
	int	 n, quoted;

	n = 0;
	r = w = line;
	f[n++] = w;
	quoted = 0;
	for (; *r != '\0' && *r != '\n' && *r != '\r'; r++) {
		if (*r == '"') {
			if (quoted && r[1] == '"') {
				*w++ = '"';
				r++;
			} else
				quoted = !quoted;
		} else if (*r == ',' && !quoted) {
			*w++ = '\0';
			if (n == max)
				return (-1);
			f[n++] = w;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return (quoted ? -1 : n);
}

static int
column(char **f, int n, const char *name)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (strcmp(f[i], name) == 0)
			return (i);
	}
	return (-1);
}

const char *
inst_data_path(const char *file, char *buf, size_t len)
{
	const char	*dir;

	if ((dir = getenv("CH_SHARED_DATA")) == NULL || *dir == '\0')
		dir = "../shared/data";
	(void)snprintf(buf, len, "%s/%s", dir, file);
	return (buf);
}

int
inst_places_load(const char *path, struct inst_places *pl)
{
	FILE	*fp;
	char	 line[LINE_MAX_LEN], *f[MAX_FIELDS], *end;
	int	 n, ck, clat, clon, need;
	size_t	 cap;
	void	*p;

	memset(pl, 0, sizeof(*pl));
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		return (-1);
	}
	if (fgets(line, sizeof(line), fp) == NULL ||
	    (n = split_csv(line, f, MAX_FIELDS)) < 0 ||
	    (ck = column(f, n, "district_key")) < 0 ||
	    (clat = column(f, n, "latitude")) < 0 ||
	    (clon = column(f, n, "longitude")) < 0) {
		fprintf(stderr, "%s: bad header\n", path);
		goto bad;
	}
	need = ck > clat ? ck : clat;
	need = need > clon ? need : clon;
	cap = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((n = split_csv(line, f, MAX_FIELDS)) <= need) {
			fprintf(stderr, "%s: bad line %zu\n", path, pl->n + 2);
			goto bad;
		}
		if (pl->n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((p = realloc(pl->lat, cap * sizeof(double))) ==
			    NULL)
				goto bad;
			pl->lat = p;
			if ((p = realloc(pl->lon, cap * sizeof(double))) ==
			    NULL)
				goto bad;
			pl->lon = p;
			if ((p = realloc(pl->district, cap *
			    sizeof(int32_t))) == NULL)
				goto bad;
			pl->district = p;
		}
		pl->lat[pl->n] = strtod(f[clat], &end);
		if (*end != '\0')
			goto badnum;
		pl->lon[pl->n] = strtod(f[clon], &end);
		if (*end != '\0')
			goto badnum;
		pl->district[pl->n] = (int32_t)strtol(f[ck], &end, 10);
		if (*end != '\0')
			goto badnum;
		pl->n++;
	}
	fclose(fp);
	if (pl->n == 0) {
		fprintf(stderr, "%s: no places\n", path);
		inst_places_free(pl);
		return (-1);
	}
	return (0);
badnum:
	fprintf(stderr, "%s: bad number on line %zu\n", path, pl->n + 2);
bad:
	fclose(fp);
	inst_places_free(pl);
	return (-1);
}

void
inst_places_free(struct inst_places *pl)
{
	free(pl->lat);
	free(pl->lon);
	free(pl->district);
	memset(pl, 0, sizeof(*pl));
}

void
inst_default_params(struct inst_params *ip, enum engine_programme prog,
    size_t nsubjects, size_t ncandidates, uint64_t seed)
{
	memset(ip, 0, sizeof(*ip));
	ip->programme = prog;
	ip->nsubjects = nsubjects;
	ip->ncandidates = ncandidates;
	ip->seed = seed;
	ip->online_share = prog == ENGINE_WOMEN ? 0.3 : 0.02;
	ip->excluded_share = 0.05;
	ip->radius_scale = 1.0;
	ip->capacity_max = prog == ENGINE_WOMEN ? 2 : 8;
}

/* Each slot with a probability by part of the day. */
static uint32_t
random_slots(struct inst_rng *r, double pm, double pa, double pe)
{
	uint32_t	bits, day;

	bits = 0;
	for (day = 0; day < 7; day++) {
		if (inst_rng_unit(r) < pm)
			bits |= 1u << (day * 3);
		if (inst_rng_unit(r) < pa)
			bits |= 1u << (day * 3 + 1);
		if (inst_rng_unit(r) < pe)
			bits |= 1u << (day * 3 + 2);
	}
	return (bits);
}

/* A version 4 UUID. */
static void
make_id(struct inst_rng *r, uint8_t *id)
{
	uint64_t	a, b;

	a = inst_rng_next(r);
	b = inst_rng_next(r);
	memcpy(id, &a, 8);
	memcpy(id + 8, &b, 8);
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
}

static void
gen_subject(const struct inst_places *pl, const uint32_t *pidx, size_t np,
    const struct inst_params *ip, struct inst_rng *r,
    struct engine_subject *s)
{
	static const uint32_t	radius_km[] = { 5, 10, 20, 30 };
	static const uint32_t	radius_mix[] = { 40, 30, 20, 10 };
	const char		*nat;
	uint32_t		 place, g, i, x;

	memset(s, 0, sizeof(*s));
	make_id(r, s->id);
	place = pidx[inst_rng_below(r, (uint32_t)np)];
	s->district = pl->district[place];
	s->lat = pl->lat[place];
	s->lon = pl->lon[place];
	s->has_place = inst_rng_unit(r) < 0.99;
	s->radius_m = (uint32_t)(radius_km[pick_weighted(r, radius_mix, 4)] *
	    1000.0 * ip->radius_scale);
	if (inst_rng_unit(r) < 0.01)
		s->radius_m = 0;
	s->waiting_days = inst_rng_below(r, 200);
	s->active = inst_rng_unit(r) < 0.97;
	s->consent_matching = inst_rng_unit(r) < 0.96;
	s->consent_cross_district = inst_rng_unit(r) < 0.5;
	s->age = (uint16_t)(16 + inst_rng_below(r, 30) + inst_rng_below(r,
	    25));
	if (inst_rng_unit(r) < 0.02)
		s->age = 0;
	x = inst_rng_below(r, 100);
	if (ip->programme == ENGINE_WOMEN)
		s->gender = x < 99 ? ENGINE_GENDER_FEMALE :
		    ENGINE_GENDER_UNKNOWN;
	else
		s->gender = x < 45 ? ENGINE_GENDER_FEMALE : x < 97 ?
		    ENGINE_GENDER_MALE : x < 98 ? ENGINE_GENDER_DIVERSE :
		    ENGINE_GENDER_UNKNOWN;

	nat = pick_native(r);
	add_lang(s->langs, &s->nlangs, nat, ENGINE_LEVEL_NATIVE);
	x = inst_rng_below(r, 100);
	if (strcmp(nat, "uk") == 0 && x < 60)
		add_lang(s->langs, &s->nlangs, "ru", ENGINE_LEVEL_C1);
	if (strcmp(nat, "kmr") == 0 && x < 70)
		add_lang(s->langs, &s->nlangs, "ar", ENGINE_LEVEL_B2);
	if (strcmp(nat, "kmr") == 0 && x >= 70)
		add_lang(s->langs, &s->nlangs, "tr", ENGINE_LEVEL_B1);
	if (strcmp(nat, "prs") == 0 && x < 50)
		add_lang(s->langs, &s->nlangs, "fa", ENGINE_LEVEL_C1);
	if (strcmp(nat, "ps") == 0 && x < 50)
		add_lang(s->langs, &s->nlangs, "prs", ENGINE_LEVEL_B2);
	if (strcmp(nat, "ti") == 0 && x < 20)
		add_lang(s->langs, &s->nlangs, "ar", ENGINE_LEVEL_A2);
	if (inst_rng_unit(r) < 0.25)
		add_lang(s->langs, &s->nlangs, "en", (uint8_t)(ENGINE_LEVEL_A2 +
		    inst_rng_below(r, 3)));
	g = pick_weighted(r, german_mix, 7);
	if (ip->programme == ENGINE_WOMEN && g < 2)
		g = 2;
	if (g > 0)
		add_lang(s->langs, &s->nlangs, "de", (uint8_t)g);

	for (i = 1 + inst_rng_below(r, 4); i > 0; i--)
		s->interests |= 1u << pick_weighted(r, category_mix,
		    ENGINE_CAT_COUNT);
	for (i = inst_rng_below(r, 4); i > 0; i--)
		s->tags |= 1ULL << inst_rng_below(r, NTAGS);
	s->availability = inst_rng_unit(r) < 0.05 ? 0 :
	    random_slots(r, 0.25, 0.35, 0.45);
	if (ip->programme == ENGINE_WOMEN) {
		memcpy(s->kldb, kldb_codes[inst_rng_below(r, NKLDB)], 5);
		if (inst_rng_unit(r) < 0.2)
			s->kldb[1 + inst_rng_below(r, 2)] = '\0';
		if (inst_rng_unit(r) < 0.03)
			s->kldb[0] = '\0';
		for (i = 1 + inst_rng_below(r, 3); i > 0; i--)
			s->goals |= 1u << inst_rng_below(r, NSUPPORT);
	}
}

static void
gen_candidate(const struct inst_places *pl, const uint32_t *pidx, size_t np,
    const struct inst_params *ip, struct inst_rng *r,
    struct engine_candidate *c)
{
	static const uint32_t	min_german_mix[] = { 55, 20, 12, 8, 5 };
	uint32_t		place, i, x;

	memset(c, 0, sizeof(*c));
	make_id(r, c->id);
	place = pidx[inst_rng_below(r, (uint32_t)np)];
	c->district = pl->district[place];
	c->lat = pl->lat[place];
	c->lon = pl->lon[place];
	c->has_place = 1;
	c->online = inst_rng_unit(r) < ip->online_share;
	if (c->online && inst_rng_unit(r) < 0.3)
		c->has_place = 0;
	c->active = inst_rng_unit(r) < 0.95;
	if (ip->programme == ENGINE_WOMEN) {
		c->capacity = 1 + inst_rng_below(r, ip->capacity_max);
		add_lang(c->langs, &c->nlangs, "de", ENGINE_LEVEL_NATIVE);
		if (inst_rng_unit(r) < 0.5)
			add_lang(c->langs, &c->nlangs, "en", ENGINE_LEVEL_B2);
		if (inst_rng_unit(r) < 0.15)
			add_lang(c->langs, &c->nlangs, pick_native(r),
			    ENGINE_LEVEL_NATIVE);
		c->min_german = ENGINE_LEVEL_A2;
		memcpy(c->kldb, kldb_codes[inst_rng_below(r, NKLDB)], 5);
		for (i = 2 + inst_rng_below(r, 4); i > 0; i--)
			c->support |= 1u << inst_rng_below(r, NSUPPORT);
		c->availability = random_slots(r, 0.1, 0.3, 0.5);
		c->women_only = 1;
		return;
	}
	c->capacity = 1 + inst_rng_below(r, ip->capacity_max);
	if (inst_rng_unit(r) < 0.03)
		c->capacity = 0;
	c->category = (uint8_t)pick_weighted(r, category_mix,
	    ENGINE_CAT_COUNT);
	for (i = inst_rng_below(r, 4); i > 0; i--)
		c->tags |= 1ULL << inst_rng_below(r, NTAGS);
	c->women_only = c->category == ENGINE_CAT_WOMEN_NETWORK ||
	    inst_rng_unit(r) < 0.08;
	if (inst_rng_unit(r) < 0.97)
		add_lang(c->langs, &c->nlangs, "de", ENGINE_LEVEL_NONE);
	x = inst_rng_below(r, 100);
	if (x < 40)
		add_lang(c->langs, &c->nlangs, pick_native(r),
		    ENGINE_LEVEL_NONE);
	if (x < 12)
		add_lang(c->langs, &c->nlangs, pick_native(r),
		    ENGINE_LEVEL_NONE);
	if (inst_rng_unit(r) < 0.2)
		add_lang(c->langs, &c->nlangs, "en", ENGINE_LEVEL_NONE);
	c->min_german = (uint8_t)pick_weighted(r, min_german_mix, 5);
	x = inst_rng_below(r, 100);
	if (x < 12) {
		c->age_min = 14;
		c->age_max = 27;
	} else if (x < 17)
		c->age_min = 55;
	/* Weekly activities: one to three slots, mostly evenings. */
	for (i = 1 + inst_rng_below(r, 3); i > 0; i--) {
		x = inst_rng_below(r, 10);
		c->availability |= 1u << (inst_rng_below(r, 7) * 3 +
		    (x < 5 ? 2 : x < 8 ? 1 : 0));
	}
	if (inst_rng_unit(r) < 0.02)
		c->availability = 0;
}

int
inst_generate(const struct inst_places *pl, const struct inst_params *ip,
    struct inst *in)
{
	struct inst_rng	 r;
	uint32_t	*pidx;
	size_t		 np, i, k, nex;

	memset(in, 0, sizeof(*in));
	r.state = ip->seed;
	if ((pidx = calloc(pl->n, sizeof(*pidx))) == NULL)
		return (-1);
	np = 0;
	for (i = 0; i < pl->n; i++) {
		if (ip->district == 0 || pl->district[i] == ip->district)
			pidx[np++] = (uint32_t)i;
	}
	in->subjects = calloc(ip->nsubjects ? ip->nsubjects : 1,
	    sizeof(*in->subjects));
	in->candidates = calloc(ip->ncandidates ? ip->ncandidates : 1,
	    sizeof(*in->candidates));
	nex = (size_t)(ip->nsubjects * ip->excluded_share) + 1;
	in->excluded = calloc(nex, sizeof(*in->excluded));
	in->weights = calloc(2, sizeof(*in->weights));
	if (np == 0 || in->subjects == NULL || in->candidates == NULL ||
	    in->excluded == NULL || in->weights == NULL) {
		free(pidx);
		inst_free(in);
		return (-1);
	}
	for (i = 0; i < ip->nsubjects; i++)
		gen_subject(pl, pidx, np, ip, &r, &in->subjects[i]);
	for (i = 0; i < ip->ncandidates; i++)
		gen_candidate(pl, pidx, np, ip, &r, &in->candidates[i]);
	k = 0;
	for (i = 0; i < ip->nsubjects && ip->ncandidates > 0 && k < nex;
	    i++) {
		if (inst_rng_unit(&r) >= ip->excluded_share)
			continue;
		in->excluded[k].subject = (uint32_t)i;
		in->excluded[k].candidate = inst_rng_below(&r,
		    (uint32_t)ip->ncandidates);
		in->excluded[k].kind = inst_rng_below(&r, 3) == 0 ?
		    ENGINE_PAIR_BLOCKED : ENGINE_PAIR_DECLINED;
		k++;
	}
	free(pidx);

	in->p.programme = ip->programme;
	in->p.subjects = in->subjects;
	in->p.nsubjects = ip->nsubjects;
	in->p.candidates = in->candidates;
	in->p.ncandidates = ip->ncandidates;
	in->p.excluded = in->excluded;
	in->p.nexcluded = k;
	engine_default_weights(ip->programme, &in->p.default_weights);
	/* Two districts tuned by their coordinators. */
	engine_default_weights(ip->programme, &in->weights[0]);
	engine_default_weights(ip->programme, &in->weights[1]);
	in->weights[0].district = 16051;
	in->weights[0].w[ENGINE_F_DISTANCE] -= 500;
	in->weights[0].w[ENGINE_F_AVAILABILITY] += 500;
	in->weights[1].district = 16065;
	in->weights[1].w[ENGINE_F_WAITING] += 1000;
	in->weights[1].w[ENGINE_F_LANGUAGE] -= 1000;
	in->p.weights = in->weights;
	in->p.nweights = 2;
	return (0);
}

void
inst_free(struct inst *in)
{
	free(in->subjects);
	free(in->candidates);
	free(in->excluded);
	free(in->weights);
	memset(in, 0, sizeof(*in));
}

void
inst_shuffle(struct inst *in, uint64_t seed, uint32_t *sperm, uint32_t *cperm)
{
	struct inst_rng		 r;
	struct engine_subject	 ts;
	struct engine_candidate	 tc;
	struct engine_pair	 tp;
	uint32_t		*sinv, *cinv, t;
	size_t			 i, j, ns = in->p.nsubjects;
	size_t			 nc = in->p.ncandidates;

	r.state = seed;
	for (i = 0; i < ns; i++)
		sperm[i] = (uint32_t)i;
	for (i = 0; i < nc; i++)
		cperm[i] = (uint32_t)i;
	for (i = ns; i > 1; i--) {
		j = inst_rng_below(&r, (uint32_t)i);
		ts = in->subjects[i - 1];
		in->subjects[i - 1] = in->subjects[j];
		in->subjects[j] = ts;
		t = sperm[i - 1];
		sperm[i - 1] = sperm[j];
		sperm[j] = t;
	}
	for (i = nc; i > 1; i--) {
		j = inst_rng_below(&r, (uint32_t)i);
		tc = in->candidates[i - 1];
		in->candidates[i - 1] = in->candidates[j];
		in->candidates[j] = tc;
		t = cperm[i - 1];
		cperm[i - 1] = cperm[j];
		cperm[j] = t;
	}
	sinv = calloc(ns ? ns : 1, sizeof(*sinv));
	cinv = calloc(nc ? nc : 1, sizeof(*cinv));
	if (sinv == NULL || cinv == NULL)
		abort();
	for (i = 0; i < ns; i++)
		sinv[sperm[i]] = (uint32_t)i;
	for (i = 0; i < nc; i++)
		cinv[cperm[i]] = (uint32_t)i;
	for (i = 0; i < in->p.nexcluded; i++) {
		in->excluded[i].subject = sinv[in->excluded[i].subject];
		in->excluded[i].candidate = cinv[in->excluded[i].candidate];
	}
	/* The order of the excluded list must not matter either. */
	for (i = in->p.nexcluded; i > 1; i--) {
		j = inst_rng_below(&r, (uint32_t)i);
		tp = in->excluded[i - 1];
		in->excluded[i - 1] = in->excluded[j];
		in->excluded[j] = tp;
	}
	free(sinv);
	free(cinv);
}
