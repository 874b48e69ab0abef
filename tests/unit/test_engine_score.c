/* test_engine_score.c: every score feature and hard constraint, by hand. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "instance.h"

#define ERFURT_LAT	50.9746
#define ERFURT_LON	11.0297
#define GOTHA_LAT	50.9482
#define GOTHA_LON	10.7019

/* Slots: Monday evening, Tuesday evening, Wednesday morning. */
#define MON_EVE		(1u << 2)
#define TUE_EVE		(1u << 5)
#define WED_MOR		(1u << 6)

static void
set_lang(struct engine_lang *l, const char *code, uint8_t level)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->code, code, strlen(code));
	l->level = level;
}

/* An admissible participant: Arabic native, German A2, in Erfurt. */
static void
base_subject(struct engine_subject *s)
{
	memset(s, 0, sizeof(*s));
	s->id[15] = 1;
	s->district = 16051;
	s->lat = ERFURT_LAT;
	s->lon = ERFURT_LON;
	s->has_place = 1;
	s->radius_m = 10000;
	s->interests = 1u << ENGINE_CAT_SPORT;
	s->availability = MON_EVE;
	s->age = 30;
	s->gender = ENGINE_GENDER_FEMALE;
	s->active = 1;
	s->consent_matching = 1;
	s->nlangs = 2;
	set_lang(&s->langs[0], "ar", ENGINE_LEVEL_NATIVE);
	set_lang(&s->langs[1], "de", ENGINE_LEVEL_A2);
}

/* A sports club in the same place, German and Arabic spoken. */
static void
base_candidate(struct engine_candidate *c)
{
	memset(c, 0, sizeof(*c));
	c->id[15] = 2;
	c->district = 16051;
	c->lat = ERFURT_LAT;
	c->lon = ERFURT_LON;
	c->has_place = 1;
	c->capacity = 3;
	c->category = ENGINE_CAT_SPORT;
	c->availability = MON_EVE;
	c->active = 1;
	c->nlangs = 2;
	set_lang(&c->langs[0], "de", ENGINE_LEVEL_NONE);
	set_lang(&c->langs[1], "ar", ENGINE_LEVEL_NONE);
}

/* Explain the one pair of a one-by-one problem. */
static enum engine_violation
explain1(enum engine_programme prog, const struct engine_subject *s,
    const struct engine_candidate *c, const struct engine_pair *ex,
    struct engine_explanation *x)
{
	struct engine_problem	 p;
	struct engine		*e;
	enum engine_violation	 v;
	char			 err[128];

	memset(&p, 0, sizeof(p));
	p.programme = prog;
	p.subjects = s;
	p.nsubjects = 1;
	p.candidates = c;
	p.ncandidates = 1;
	p.excluded = ex;
	p.nexcluded = ex != NULL ? 1 : 0;
	engine_default_weights(prog, &p.default_weights);
	e = engine_prepare(&p, err, sizeof(err));
	assert_non_null(e);
	v = engine_explain(e, 0, 0, x);
	engine_free(e);
	return (v);
}

static const struct engine_feature_expl *
feature(const struct engine_explanation *x, enum engine_feature f)
{
	uint8_t	i;

	for (i = 0; i < x->nfeatures; i++) {
		if (x->features[i].feature == f)
			return (&x->features[i]);
	}
	fail_msg("feature %s missing", engine_feature_name(f));
	return (NULL);
}

static void
expect(const struct engine_explanation *x, enum engine_feature f,
    uint16_t value, const char *reason)
{
	const struct engine_feature_expl	*fe = feature(x, f);

	assert_int_equal(fe->value, value);
	assert_string_equal(fe->reason, reason);
}

static void
test_base_pair(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;

	(void)state;
	base_subject(&s);
	base_candidate(&c);
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	assert_int_equal(x.nfeatures, 5);
	expect(&x, ENGINE_F_INTEREST, 10000, "interest_match");
	expect(&x, ENGINE_F_LANGUAGE, 10000, "shared_native_language");
	expect(&x, ENGINE_F_DISTANCE, 10000, "near");
	expect(&x, ENGINE_F_AVAILABILITY, 10000, "times_match");
	expect(&x, ENGINE_F_WAITING, 0, "just_registered");
	/* Default partner weights: 30 + 20 + 20 + 20 + 0 points. */
	assert_int_equal(x.score, 9000);
}

static void
test_interest(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;

	(void)state;
	base_subject(&s);
	base_candidate(&c);
	s.tags = 1u << 3;
	c.tags = 1u << 4;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_INTEREST, 7500, "interest_category");
	assert_int_equal(feature(&x, ENGINE_F_INTEREST)->points, 2250);
	c.tags |= 1u << 3;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_INTEREST, 10000, "interest_match");
	c.category = ENGINE_CAT_CULTURE;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_INTEREST, 5000, "interest_tag");
	c.tags = 0;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_INTEREST, 0, "no_interest_match");
	assert_int_equal(feature(&x, ENGINE_F_INTEREST)->points, 0);
}

static void
test_occupation_and_goals(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;

	(void)state;
	base_subject(&s);
	base_candidate(&c);
	memcpy(s.kldb, "81302", 6);
	memcpy(c.kldb, "81313", 6);
	s.goals = 0x3;
	c.support = 0x3;
	assert_int_equal(explain1(ENGINE_WOMEN, &s, &c, NULL, &x), ENGINE_OK);
	assert_int_equal(x.nfeatures, 6);
	expect(&x, ENGINE_F_OCCUPATION, 10000, "same_occupation_group");
	expect(&x, ENGINE_F_GOALS, 10000, "goals_covered");
	memcpy(c.kldb, "81102", 6);
	c.support = 0x1;
	(void)explain1(ENGINE_WOMEN, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_OCCUPATION, 7500, "same_occupation_main_group");
	expect(&x, ENGINE_F_GOALS, 5000, "goals_partly_covered");
	memcpy(c.kldb, "82102", 6);
	c.support = 0x4;
	(void)explain1(ENGINE_WOMEN, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_OCCUPATION, 5000, "same_occupation_area");
	expect(&x, ENGINE_F_GOALS, 0, "goals_not_covered");
	memcpy(c.kldb, "73202", 6);
	s.goals = 0;
	(void)explain1(ENGINE_WOMEN, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_OCCUPATION, 0, "other_occupation");
	expect(&x, ENGINE_F_GOALS, 0, "goals_unknown");
	/* Only the area is known: a 1-digit code can only match 0.5. */
	memcpy(s.kldb, "7", 2);
	(void)explain1(ENGINE_WOMEN, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_OCCUPATION, 5000, "same_occupation_area");
	s.kldb[0] = '\0';
	(void)explain1(ENGINE_WOMEN, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_OCCUPATION, 0, "occupation_unknown");
	/* Goals: one of three covered is 0.3333. */
	s.goals = 0x7;
	c.support = 0x10 | 0x2;
	(void)explain1(ENGINE_WOMEN, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_GOALS, 3333, "goals_partly_covered");
}

static void
test_language(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;

	(void)state;
	base_subject(&s);
	base_candidate(&c);
	/* No shared language at all. */
	set_lang(&s.langs[1], "ti", ENGINE_LEVEL_B1);
	set_lang(&c.langs[1], "uk", ENGINE_LEVEL_NONE);
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_V_NO_LANGUAGE);
	expect(&x, ENGINE_F_LANGUAGE, 0, "no_shared_language");
	assert_int_equal(x.score, 0);
	/* German B1 against a minimum of B2: does not count. */
	set_lang(&s.langs[1], "de", ENGINE_LEVEL_B1);
	c.min_german = ENGINE_LEVEL_B2;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_V_NO_LANGUAGE);
	/* ... against B1 it does, at the participant's comfort. */
	c.min_german = ENGINE_LEVEL_B1;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_LANGUAGE, 6000, "german");
	/* No minimum: A1 is enough, no German at all is not. */
	c.min_german = ENGINE_LEVEL_NONE;
	set_lang(&s.langs[1], "de", ENGINE_LEVEL_A1);
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_LANGUAGE, 3000, "german");
	s.nlangs = 1;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_V_NO_LANGUAGE);
	/* A level stated by the candidate caps the comfort. */
	s.nlangs = 2;
	set_lang(&s.langs[1], "en", ENGINE_LEVEL_C1);
	set_lang(&c.langs[1], "en", ENGINE_LEVEL_B2);
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_LANGUAGE, 7500, "shared_language");
	/* Dari (ISO 639-3) is compared like any other code. */
	set_lang(&s.langs[0], "prs", ENGINE_LEVEL_NATIVE);
	set_lang(&c.langs[0], "prs", ENGINE_LEVEL_NONE);
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_LANGUAGE, 10000, "shared_native_language");
}

/* Haversine, written here independently of the engine. */
static double
haversine_m(double lat1, double lon1, double lat2, double lon2)
{
	double	p = 3.14159265358979323846 / 180.0, a;

	a = pow(sin((lat2 - lat1) * p / 2), 2) + cos(lat1 * p) *
	    cos(lat2 * p) * pow(sin((lon2 - lon1) * p / 2), 2);
	return (2 * 6371008.8 * asin(sqrt(a)));
}

static void
test_distance(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;
	uint32_t			d;
	double				h;

	(void)state;
	/* Erfurt to Gotha, about 23 km: within 0.1 % of the great circle. */
	d = engine_distance_m(ERFURT_LAT, ERFURT_LON, GOTHA_LAT, GOTHA_LON);
	h = haversine_m(ERFURT_LAT, ERFURT_LON, GOTHA_LAT, GOTHA_LON);
	assert_true(h > 22000 && h < 24000);
	assert_true(fabs(d - h) < h * 0.001);
	assert_int_equal(engine_distance_m(50, 11, 50, 11), 0);

	base_subject(&s);
	base_candidate(&c);
	c.lat = GOTHA_LAT;
	c.lon = GOTHA_LON;
	c.district = 16051;
	/* Out of reach at 10 km. */
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_V_TOO_FAR);
	expect(&x, ENGINE_F_DISTANCE, 0, "too_far");
	/* Twice the distance as radius: value 1 - d / r = 0.5. */
	s.radius_m = 2 * d;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_DISTANCE, 5000, "near");
	s.radius_m = d;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_DISTANCE, 0, "in_reach");
	s.radius_m = 4 * d;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_DISTANCE, 7500, "near");
	/* Online: no distance limit, at least 0.5. */
	s.radius_m = 10000;
	c.online = 1;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_DISTANCE, ENGINE_ONLINE_VALUE, "online");
	c.has_place = 0;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_DISTANCE, ENGINE_ONLINE_VALUE, "online");
	/* Online and close: the better physical value wins. */
	c.has_place = 1;
	c.lat = ERFURT_LAT;
	c.lon = ERFURT_LON;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_DISTANCE, 10000, "near");
	/* Radius 0: only the same place, then value 1. */
	c.online = 0;
	s.radius_m = 0;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_DISTANCE, 10000, "near");
	c.lat += 0.01;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_V_TOO_FAR);
	/* A subject without a place reaches online candidates only. */
	s.has_place = 0;
	s.radius_m = 10000;
	c.lat = ERFURT_LAT;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_V_TOO_FAR);
	c.online = 1;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
}

static void
test_availability(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;

	(void)state;
	base_subject(&s);
	base_candidate(&c);
	c.availability = MON_EVE | TUE_EVE;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_AVAILABILITY, 10000, "times_match");
	s.availability = MON_EVE | WED_MOR | (1u << 20);
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_AVAILABILITY, 5000, "times_partly_match");
	s.availability = WED_MOR;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_AVAILABILITY, 0, "no_common_time");
	/* Empty availability is unknown: no points, still admissible. */
	s.availability = 0;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, NULL, &x),
	    ENGINE_OK);
	expect(&x, ENGINE_F_AVAILABILITY, 0, "availability_unknown");
	s.availability = MON_EVE;
	c.availability = 0;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_AVAILABILITY, 0, "availability_unknown");
}

static void
test_waiting(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;

	(void)state;
	base_subject(&s);
	base_candidate(&c);
	s.waiting_days = 45;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_WAITING, 5000, "waiting");
	assert_int_equal(feature(&x, ENGINE_F_WAITING)->points, 500);
	s.waiting_days = 30;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_WAITING, 3333, "waiting");
	s.waiting_days = 90;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_WAITING, 10000, "waiting_long");
	s.waiting_days = 4000;
	(void)explain1(ENGINE_PARTNERS, &s, &c, NULL, &x);
	expect(&x, ENGINE_F_WAITING, 10000, "waiting_long");
	assert_int_equal(x.score, 10000);
}

static void
test_constraints(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_explanation	x;
	struct engine_pair		ex = { 0, 0, ENGINE_PAIR_BLOCKED };

	(void)state;
#define CHECK(prog, want) \
	assert_int_equal(explain1((prog), &s, &c, NULL, &x), (want))
	base_subject(&s);
	base_candidate(&c);
	s.consent_matching = 0;
	CHECK(ENGINE_PARTNERS, ENGINE_V_NO_CONSENT);
	assert_int_equal(x.score, 0);
	assert_int_equal(x.violation, ENGINE_V_NO_CONSENT);
	assert_int_equal(x.nfeatures, 5);
	base_subject(&s);
	s.active = 0;
	CHECK(ENGINE_PARTNERS, ENGINE_V_INACTIVE);
	base_subject(&s);
	c.active = 0;
	CHECK(ENGINE_PARTNERS, ENGINE_V_INACTIVE);
	base_candidate(&c);
	c.capacity = 0;
	CHECK(ENGINE_PARTNERS, ENGINE_V_NO_CAPACITY);
	base_candidate(&c);
	/* Audience: women-only offers and the women programme. */
	c.women_only = 1;
	CHECK(ENGINE_PARTNERS, ENGINE_OK);
	s.gender = ENGINE_GENDER_MALE;
	CHECK(ENGINE_PARTNERS, ENGINE_V_AUDIENCE);
	c.women_only = 0;
	CHECK(ENGINE_PARTNERS, ENGINE_OK);
	CHECK(ENGINE_WOMEN, ENGINE_V_AUDIENCE);
	s.gender = ENGINE_GENDER_UNKNOWN;
	CHECK(ENGINE_WOMEN, ENGINE_V_AUDIENCE);
	base_subject(&s);
	/* Age range, bounds included; unknown age fails a range. */
	c.age_min = 14;
	c.age_max = 27;
	CHECK(ENGINE_PARTNERS, ENGINE_V_AGE);
	s.age = 27;
	CHECK(ENGINE_PARTNERS, ENGINE_OK);
	s.age = 14;
	CHECK(ENGINE_PARTNERS, ENGINE_OK);
	s.age = 13;
	CHECK(ENGINE_PARTNERS, ENGINE_V_AGE);
	c.age_max = 0;
	s.age = 80;
	CHECK(ENGINE_PARTNERS, ENGINE_OK);
	s.age = 0;
	CHECK(ENGINE_PARTNERS, ENGINE_V_AGE);
	base_subject(&s);
	base_candidate(&c);
	/* Other district: only with consent. */
	c.district = 16067;
	CHECK(ENGINE_PARTNERS, ENGINE_V_CROSS_DISTRICT);
	s.consent_cross_district = 1;
	CHECK(ENGINE_PARTNERS, ENGINE_OK);
	base_candidate(&c);
	/* Blocked and declined pairs. */
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, &ex, &x),
	    ENGINE_V_BLOCKED);
	ex.kind = ENGINE_PAIR_DECLINED;
	assert_int_equal(explain1(ENGINE_PARTNERS, &s, &c, &ex, &x),
	    ENGINE_V_DECLINED);
	assert_int_equal(x.score, 0);
	assert_string_equal(engine_violation_name(ENGINE_V_DECLINED),
	    "declined_before");
	assert_string_equal(engine_violation_name(ENGINE_V_TOO_FAR),
	    "too_far");
#undef CHECK
}

static void
test_district_weights_and_rounding(void **state)
{
	struct engine_subject		s;
	struct engine_candidate		c;
	struct engine_problem		p;
	struct engine_weights		w[2];
	struct engine_explanation	x;
	struct engine			*e;

	(void)state;
	base_subject(&s);
	base_candidate(&c);
	s.waiting_days = 45;
	memset(&p, 0, sizeof(p));
	p.programme = ENGINE_PARTNERS;
	p.subjects = &s;
	p.nsubjects = 1;
	p.candidates = &c;
	p.ncandidates = 1;
	engine_default_weights(ENGINE_PARTNERS, &p.default_weights);
	memset(w, 0, sizeof(w));
	w[0].district = 16062;
	w[0].w[ENGINE_F_INTEREST] = 10000;
	w[1].district = 16051;
	w[1].w[ENGINE_F_INTEREST] = 3333;
	w[1].w[ENGINE_F_WAITING] = 3333;
	w[1].w[ENGINE_F_LANGUAGE] = 3334;
	p.weights = w;
	p.nweights = 2;
	assert_non_null(e = engine_prepare(&p, NULL, 0));
	assert_int_equal(engine_explain(e, 0, 0, &x), ENGINE_OK);
	/* 3333 * 0.5 = 1666.5 rounds to 1667. */
	assert_int_equal(feature(&x, ENGINE_F_WAITING)->weight, 3333);
	assert_int_equal(feature(&x, ENGINE_F_WAITING)->points, 1667);
	assert_int_equal(feature(&x, ENGINE_F_DISTANCE)->points, 0);
	assert_int_equal(x.score, 3333 + 1667 + 3334);
	engine_free(e);
	/* A district without its own weights gets the defaults. */
	s.district = 16064;
	s.consent_cross_district = 1;
	assert_non_null(e = engine_prepare(&p, NULL, 0));
	assert_int_equal(engine_explain(e, 0, 0, &x), ENGINE_OK);
	assert_int_equal(feature(&x, ENGINE_F_INTEREST)->weight, 3000);
	engine_free(e);
	/* Out of range indices. */
	assert_non_null(e = engine_prepare(&p, NULL, 0));
	assert_int_equal(engine_explain(e, 1, 0, &x), ENGINE_V_COUNT);
	assert_int_equal(engine_explain(e, 0, 1, &x), ENGINE_V_COUNT);
	engine_free(e);
}

static void
test_validation(void **state)
{
	struct engine_subject		s[2];
	struct engine_candidate		c;
	struct engine_problem		p;
	struct engine_weights		w[2];
	struct engine_pair		ex = { 0, 5, ENGINE_PAIR_BLOCKED };
	struct engine			*e;
	char				err[128];

	(void)state;
	base_subject(&s[0]);
	base_subject(&s[1]);
	s[1].id[15] = 9;
	base_candidate(&c);
	memset(&p, 0, sizeof(p));
	p.programme = ENGINE_PARTNERS;
	p.subjects = s;
	p.nsubjects = 2;
	p.candidates = &c;
	p.ncandidates = 1;
	engine_default_weights(ENGINE_PARTNERS, &p.default_weights);
	assert_non_null(e = engine_prepare(&p, err, sizeof(err)));
	engine_free(e);
#define REJECT() do { \
	err[0] = '\0'; \
	assert_null(engine_prepare(&p, err, sizeof(err))); \
	assert_true(err[0] != '\0'); \
} while (0)
	p.default_weights.w[ENGINE_F_WAITING]++;
	REJECT();
	p.default_weights.w[ENGINE_F_WAITING]--;
	p.default_weights.w[ENGINE_F_WAITING] -= 100;
	p.default_weights.w[ENGINE_F_GOALS] = 100;	/* not a partner one */
	REJECT();
	engine_default_weights(ENGINE_PARTNERS, &p.default_weights);
	/* Two weights for one district. */
	engine_default_weights(ENGINE_PARTNERS, &w[0]);
	engine_default_weights(ENGINE_PARTNERS, &w[1]);
	w[0].district = w[1].district = 16051;
	p.weights = w;
	p.nweights = 2;
	REJECT();
	p.nweights = 0;
	s[1].id[15] = 1;			/* duplicate id */
	REJECT();
	s[1].id[15] = 9;
	set_lang(&s[1].langs[0], "a", ENGINE_LEVEL_B1);
	REJECT();
	set_lang(&s[1].langs[0], "ar", ENGINE_LEVEL_NONE);
	REJECT();
	set_lang(&s[1].langs[0], "ar", ENGINE_LEVEL_NATIVE);
	s[1].availability = 1u << ENGINE_SLOTS;
	REJECT();
	s[1].availability = 0;
	s[1].lat = 91;
	REJECT();
	s[1].lat = ERFURT_LAT;
	memcpy(s[1].kldb, "8x", 3);
	REJECT();
	s[1].kldb[0] = '\0';
	c.category = ENGINE_CAT_COUNT;
	REJECT();
	c.category = 0;
	c.age_min = 30;
	c.age_max = 20;
	REJECT();
	c.age_max = 0;
	p.excluded = &ex;
	p.nexcluded = 1;
	REJECT();
	ex.candidate = 0;
	assert_non_null(e = engine_prepare(&p, err, sizeof(err)));
	engine_free(e);
	assert_null(engine_prepare(NULL, err, sizeof(err)));
#undef REJECT
}

/* On generated pairs: points are round(weight * value), score their sum. */
static void
test_explanation_arithmetic(void **state)
{
	struct inst_places		 pl;
	struct inst_params		 ip;
	struct inst			 in;
	struct engine			*e;
	struct engine_explanation	 x;
	char				 path[512];
	uint32_t			 s, c, sum, wsum, f, ok;
	int				 prog;

	(void)state;
	assert_int_equal(inst_places_load(inst_data_path(
	    "places-six-districts.csv", path, sizeof(path)), &pl), 0);
	for (prog = 0; prog < 2; prog++) {
		inst_default_params(&ip, prog, 60, 80, 5 + prog);
		assert_int_equal(inst_generate(&pl, &ip, &in), 0);
		assert_non_null(e = engine_prepare(&in.p, NULL, 0));
		ok = 0;
		for (s = 0; s < 60; s++) {
			for (c = 0; c < 80; c++) {
				if (engine_explain(e, s, c, &x) == ENGINE_OK)
					ok++;
				sum = wsum = 0;
				for (f = 0; f < x.nfeatures; f++) {
					assert_true(x.features[f].value <=
					    ENGINE_VALUE_ONE);
					assert_int_equal(x.features[f].points,
					    (x.features[f].weight *
					    x.features[f].value + 5000) /
					    10000);
					assert_non_null(x.features[f].reason);
					sum += x.features[f].points;
					wsum += x.features[f].weight;
				}
				assert_int_equal(wsum, ENGINE_SCORE_MAX);
				assert_int_equal(x.score, x.violation ==
				    ENGINE_OK ? sum : 0);
			}
		}
		assert_true(ok > 0);
		engine_free(e);
		inst_free(&in);
	}
	inst_places_free(&pl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_pair),
		cmocka_unit_test(test_interest),
		cmocka_unit_test(test_occupation_and_goals),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_availability),
		cmocka_unit_test(test_waiting),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_district_weights_and_rounding),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_explanation_arithmetic),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
