/* score.c: hard constraints and the scored explanation of one pair. */

#include <assert.h>
#include <string.h>

#include "engine_int.h"

/* Comfort of talking in a language at a CEFR level, 0..ENGINE_VALUE_ONE. */
static const uint16_t level_comfort[ENGINE_LEVEL_NATIVE + 1] = {
	0, 3000, 4500, 6000, 7500, 9000, 9500, 10000
};

static uint32_t	ratio_value(uint32_t, uint32_t);
static uint32_t	popcount32(uint32_t);
static const struct engine_weights *weights_for(const struct engine *,
		    int32_t);
static int	excluded_kind(const struct engine *, uint32_t, uint32_t);
static uint32_t	value_interest(const struct engine_subject *,
		    const struct engine_candidate *, const char **);
static uint32_t	value_occupation(const char *, const char *, const char **);
static uint32_t	value_goals(uint32_t, uint32_t, const char **);
static uint32_t	value_language(const struct engine *, uint32_t, uint32_t,
		    const char **);
static uint32_t	value_availability(uint32_t, uint32_t, const char **);
static uint32_t	value_waiting(uint32_t, const char **);

uint32_t
engine_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	double	d;

	d = engine_dist_core(lat1, lon1, cos(lat1 * ENGINE_DEG), lat2, lon2,
	    cos(lat2 * ENGINE_DEG));
	return (d >= 4e9 ? UINT32_MAX : (uint32_t)(d + 0.5));
}

/* round(ENGINE_VALUE_ONE * num / den) for num <= den, den > 0. */
static uint32_t
ratio_value(uint32_t num, uint32_t den)
{
	assert(den > 0 && num <= den);
	return ((uint32_t)(((uint64_t)num * ENGINE_VALUE_ONE + den / 2) /
	    den));
}

static uint32_t
popcount32(uint32_t x)
{
	return ((uint32_t)__builtin_popcount(x));
}

static const struct engine_weights *
weights_for(const struct engine *e, int32_t district)
{
	size_t	lo, hi, mid;

	lo = 0;
	hi = e->nweights;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->weights[mid].district < district)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->nweights && e->weights[lo].district == district)
		return (&e->weights[lo]);
	return (&e->p.default_weights);
}

/* The kind of the excluded pair (s, c), or -1 if it is not excluded. */
static int
excluded_kind(const struct engine *e, uint32_t s, uint32_t c)
{
	uint32_t	lo, hi, mid;

	lo = e->ex_start[s];
	hi = e->ex_start[s + 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->ex_cand[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->ex_start[s + 1] && e->ex_cand[lo] == c)
		return (e->ex_kind[lo]);
	return (-1);
}

/*
 * Category among the interests and a shared tag: 1.0; category only 0.75
 * (1.0 when either side has no tags, nothing to compare); tag only 0.5.
 */
static uint32_t
value_interest(const struct engine_subject *s,
    const struct engine_candidate *c, const char **why)
{
	int	cat, tag;

	cat = (s->interests >> c->category) & 1;
	tag = (s->tags & c->tags) != 0;
	if (cat && (tag || s->tags == 0 || c->tags == 0)) {
		*why = "interest_match";
		return (ENGINE_VALUE_ONE);
	}
	if (cat) {
		*why = "interest_category";
		return (7500);
	}
	if (tag) {
		*why = "interest_tag";
		return (5000);
	}
	*why = "no_interest_match";
	return (0);
}

/* KldB 2010: same 3-digit group 1.0, 2-digit 0.75, 1-digit area 0.5. */
static uint32_t
value_occupation(const char *a, const char *b, const char **why)
{
	size_t	la, lb, same;

	la = engine_strnlen(a, 6);
	lb = engine_strnlen(b, 6);
	if (la == 0 || lb == 0) {
		*why = "occupation_unknown";
		return (0);
	}
	same = 0;
	while (same < 3 && same < la && same < lb && a[same] == b[same])
		same++;
	switch (same) {
	case 3:
		*why = "same_occupation_group";
		return (ENGINE_VALUE_ONE);
	case 2:
		*why = "same_occupation_main_group";
		return (7500);
	case 1:
		*why = "same_occupation_area";
		return (5000);
	default:
		*why = "other_occupation";
		return (0);
	}
}

/* The share of the mentee's goals that the mentor supports. */
static uint32_t
value_goals(uint32_t goals, uint32_t support, const char **why)
{
	uint32_t	v;

	if (goals == 0) {
		*why = "goals_unknown";
		return (0);
	}
	v = ratio_value(popcount32(goals & support), popcount32(goals));
	if (v == ENGINE_VALUE_ONE)
		*why = "goals_covered";
	else if (v > 0)
		*why = "goals_partly_covered";
	else
		*why = "goals_not_covered";
	return (v);
}

/*
 * The comfort of the best shared language.  German counts when the
 * candidate uses German and the subject's level reaches the candidate's
 * minimum (at least A1).  A level stated on both sides counts as the lower
 * of the two.  0 means no shared language.
 */
static uint32_t
value_language(const struct engine *e, uint32_t si, uint32_t ci,
    const char **why)
{
	const struct engine_subject	*s = &e->p.subjects[si];
	const struct engine_candidate	*c = &e->p.candidates[ci];
	uint32_t			 best;
	uint8_t				 i, j, lvl, need;

	best = 0;
	*why = "no_shared_language";
	need = c->min_german > ENGINE_LEVEL_A1 ? c->min_german :
	    ENGINE_LEVEL_A1;
	if (e->cgerman[ci] != 0 && e->sgerman[si] >= need) {
		lvl = e->sgerman[si];
		if (e->cgerman[ci] - 1 != ENGINE_LEVEL_NONE &&
		    e->cgerman[ci] - 1 < lvl)
			lvl = e->cgerman[ci] - 1;
		best = level_comfort[lvl];
		*why = "german";
	}
	if ((e->slang[si] & e->clang[ci]) == 0)
		return (best);
	for (i = 0; i < s->nlangs; i++) {
		if (strncmp(s->langs[i].code, "de", 4) == 0)
			continue;
		for (j = 0; j < c->nlangs; j++) {
			if (strncmp(s->langs[i].code, c->langs[j].code, 4) != 0)
				continue;
			lvl = s->langs[i].level;
			if (c->langs[j].level != ENGINE_LEVEL_NONE &&
			    c->langs[j].level < lvl)
				lvl = c->langs[j].level;
			if (level_comfort[lvl] > best) {
				best = level_comfort[lvl];
				*why = lvl == ENGINE_LEVEL_NATIVE ?
				    "shared_native_language" :
				    "shared_language";
			}
		}
	}
	return (best);
}

/* Overlap of the weekly slots relative to the smaller of the two sets. */
static uint32_t
value_availability(uint32_t a, uint32_t b, const char **why)
{
	uint32_t	na, nb, v;

	na = popcount32(a);
	nb = popcount32(b);
	if (na == 0 || nb == 0) {
		*why = "availability_unknown";
		return (0);
	}
	v = ratio_value(popcount32(a & b), na < nb ? na : nb);
	if (v == ENGINE_VALUE_ONE)
		*why = "times_match";
	else if (v > 0)
		*why = "times_partly_match";
	else
		*why = "no_common_time";
	return (v);
}

/* Fairness: grows linearly to 1.0 at ENGINE_WAIT_FULL_DAYS. */
static uint32_t
value_waiting(uint32_t days, const char **why)
{
	if (days >= ENGINE_WAIT_FULL_DAYS) {
		*why = "waiting_long";
		return (ENGINE_VALUE_ONE);
	}
	*why = days > 0 ? "waiting" : "just_registered";
	return (ratio_value(days, ENGINE_WAIT_FULL_DAYS));
}

/*
 * Check the hard constraints in the order of enum engine_violation, then
 * score.  *score gets the score (0 when a constraint is broken); x, if not
 * NULL, gets the full explanation.  This is the only scoring code: every
 * request (suggest, batch, stable) goes through it.
 */
enum engine_violation
engine_pair_eval(const struct engine *e, uint32_t si, uint32_t ci,
    struct engine_explanation *x, uint32_t *score)
{
	const struct engine_subject	*s = &e->p.subjects[si];
	const struct engine_candidate	*c = &e->p.candidates[ci];
	const struct engine_weights	*w;
	const char			*why[ENGINE_F_COUNT];
	uint32_t			 val[ENGINE_F_COUNT];
	uint32_t			 d, v, pts, total, dv;
	enum engine_violation		 viol;
	int				 k, in_reach;
	unsigned int			 f;

	memset(why, 0, sizeof(why));
	memset(val, 0, sizeof(val));
	viol = ENGINE_OK;
	d = UINT32_MAX;
	in_reach = 0;
	if (!s->consent_matching)
		viol = ENGINE_V_NO_CONSENT;
	else if (!s->active || !c->active)
		viol = ENGINE_V_INACTIVE;
	else if (c->capacity == 0)
		viol = ENGINE_V_NO_CAPACITY;
	else if ((e->p.programme == ENGINE_WOMEN || c->women_only) &&
	    s->gender != ENGINE_GENDER_FEMALE)
		viol = ENGINE_V_AUDIENCE;
	else if ((c->age_min != 0 || c->age_max != 0) && (s->age == 0 ||
	    (c->age_min != 0 && s->age < c->age_min) ||
	    (c->age_max != 0 && s->age > c->age_max)))
		viol = ENGINE_V_AGE;
	else if (s->district != c->district && !s->consent_cross_district)
		viol = ENGINE_V_CROSS_DISTRICT;
	if (viol != ENGINE_OK && x == NULL) {
		*score = 0;
		return (viol);
	}
	/* The distance is the costly part: only once the cheap tests pass. */
	if (s->has_place && c->has_place) {
		d = (uint32_t)(engine_dist_core(s->lat, s->lon, e->scos[si],
		    c->lat, c->lon, e->ccos[ci]) + 0.5);
		in_reach = d <= s->radius_m;
	}
	if (viol == ENGINE_OK && !in_reach && !c->online)
		viol = ENGINE_V_TOO_FAR;

	if (viol != ENGINE_OK && x == NULL) {
		*score = 0;
		return (viol);
	}
	val[ENGINE_F_LANGUAGE] = value_language(e, si, ci,
	    &why[ENGINE_F_LANGUAGE]);
	if (viol == ENGINE_OK && val[ENGINE_F_LANGUAGE] == 0)
		viol = ENGINE_V_NO_LANGUAGE;
	if (viol == ENGINE_OK && (k = excluded_kind(e, si, ci)) != -1)
		viol = k == ENGINE_PAIR_BLOCKED ? ENGINE_V_BLOCKED :
		    ENGINE_V_DECLINED;
	if (viol != ENGINE_OK && x == NULL) {
		*score = 0;
		return (viol);
	}

	/* Distance: 1 - d / radius in reach; online pairs at least 0.5. */
	dv = 0;
	why[ENGINE_F_DISTANCE] = "too_far";
	if (in_reach) {
		dv = s->radius_m == 0 ? ENGINE_VALUE_ONE :
		    ENGINE_VALUE_ONE - ratio_value(d, s->radius_m);
		why[ENGINE_F_DISTANCE] = dv >= ENGINE_VALUE_ONE / 2 ?
		    "near" : "in_reach";
	}
	if (c->online && dv < ENGINE_ONLINE_VALUE) {
		dv = ENGINE_ONLINE_VALUE;
		why[ENGINE_F_DISTANCE] = "online";
	}
	val[ENGINE_F_DISTANCE] = dv;
	val[ENGINE_F_AVAILABILITY] = value_availability(s->availability,
	    c->availability, &why[ENGINE_F_AVAILABILITY]);
	val[ENGINE_F_WAITING] = value_waiting(s->waiting_days,
	    &why[ENGINE_F_WAITING]);
	if (e->p.programme == ENGINE_PARTNERS)
		val[ENGINE_F_INTEREST] = value_interest(s, c,
		    &why[ENGINE_F_INTEREST]);
	else {
		val[ENGINE_F_OCCUPATION] = value_occupation(s->kldb, c->kldb,
		    &why[ENGINE_F_OCCUPATION]);
		val[ENGINE_F_GOALS] = value_goals(s->goals, c->support,
		    &why[ENGINE_F_GOALS]);
	}

	w = weights_for(e, s->district);
	total = 0;
	if (x != NULL) {
		memset(x, 0, sizeof(*x));
		x->violation = (uint8_t)viol;
	}
	for (f = 0; f < ENGINE_F_COUNT; f++) {
		if (!engine_feature_used(e->p.programme, f))
			continue;
		v = val[f];
		pts = (w->w[f] * v + ENGINE_VALUE_ONE / 2) / ENGINE_VALUE_ONE;
		total += pts;
		if (x != NULL) {
			x->features[x->nfeatures].feature = (uint8_t)f;
			x->features[x->nfeatures].value = (uint16_t)v;
			x->features[x->nfeatures].weight = w->w[f];
			x->features[x->nfeatures].points = (uint16_t)pts;
			x->features[x->nfeatures].reason = why[f];
			x->nfeatures++;
		}
	}
	assert(total <= ENGINE_SCORE_MAX);
	if (viol != ENGINE_OK)
		total = 0;
	if (x != NULL)
		x->score = total;
	*score = total;
	return (viol);
}

enum engine_violation
engine_explain(const struct engine *e, uint32_t s, uint32_t c,
    struct engine_explanation *x)
{
	struct engine_explanation	tmp;
	uint32_t			score;

	if (e == NULL || s >= e->p.nsubjects || c >= e->p.ncandidates)
		return (ENGINE_V_COUNT);
	return (engine_pair_eval(e, s, c, x != NULL ? x : &tmp, &score));
}
