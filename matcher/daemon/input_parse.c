/*
 * input_parse.c: a job's input document to an engine problem: the
 * members of the document, subjects, candidates, weights and excluded
 * pairs, into the arrays the engine reads.
 */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "input_int.h"

#define TAG_SLOTS	128	/* a power of two, twice INPUT_MAX_TAGS */

/* The first INPUT_MAX_TAGS distinct tags of a job, each given a bit. */
struct tags {
	const char	*key[TAG_SLOTS];
	uint8_t		 bit[TAG_SLOTS];
	size_t		 n;
};

/*
 * Member names in the order PostgreSQL's jsonb prints them (shorter keys
 * first, then bytewise): input_members() tries the name after the last
 * one it found first, so a document in that order costs one comparison a
 * member.  Any order is accepted.
 */
enum top_member {
	T_K, T_KIND, T_WEIGHTS, T_EXCLUDED, T_SUBJECTS, T_MIN_SCORE,
	T_PROGRAMME, T_CANDIDATES, T_DEFAULT_WEIGHTS, T_EPOCH, T_COUNT
};

static const char *const top_names[T_COUNT] = {
	"k", "kind", "weights", "excluded", "subjects", "min_score",
	"programme", "candidates", "default_weights", "epoch"
};

enum subject_member {
	S_ID, S_AGE, S_LAT, S_LON, S_KLDB, S_GOALS, S_LANGS, S_ACTIVE,
	S_GENDER, S_DISTRICT, S_RADIUS, S_HAS_PLACE, S_INTERESTS,
	S_AVAILABILITY, S_WAITING, S_CONSENT, S_CROSS, S_COUNT
};

static const char *const subject_names[S_COUNT] = {
	"id", "age", "lat", "lon", "kldb", "goals", "langs", "active",
	"gender", "district", "radius_m", "has_place", "interests",
	"availability", "waiting_days", "consent_matching",
	"consent_cross_district"
};

enum candidate_member {
	C_ID, C_LAT, C_LON, C_KLDB, C_TAGS, C_LANGS, C_ACTIVE, C_ONLINE,
	C_AGE_MAX, C_AGE_MIN, C_SUPPORT, C_CAPACITY, C_CATEGORY, C_DISTRICT,
	C_HAS_PLACE, C_MIN_GERMAN, C_WOMEN_ONLY, C_AVAILABILITY, C_COUNT
};

static const char *const candidate_names[C_COUNT] = {
	"id", "lat", "lon", "kldb", "tags", "langs", "active", "online",
	"age_max", "age_min", "support", "capacity", "category", "district",
	"has_place", "min_german", "women_only", "availability"
};

enum { W_W, W_DISTRICT, W_COUNT };
static const char *const weight_names[W_COUNT] = { "w", "district" };

enum { X_KIND, X_SUBJECT, X_CANDIDATE, X_COUNT };
static const char *const excluded_names[X_COUNT] = {
	"kind", "subject", "candidate"
};

static uint64_t	tag_bit(struct tags *, const char *);
static int	parse_subject(const cJSON *, size_t, struct engine_subject *,
		    char *, size_t);
static int	parse_candidate(const cJSON *, size_t, struct tags *,
		    struct engine_candidate *, char *, size_t);
static int	parse_weights(const cJSON *, struct input_job *, char *,
		    size_t);
static int	id_index(const void *, size_t, size_t, const char *,
		    struct engine_id_idx **, char *, size_t);
static int	parse_excluded(const cJSON *, struct input_job *, char *,
		    size_t);

/* FNV-1a into an open-addressing table that is never more than half full. */
static uint64_t
tag_bit(struct tags *t, const char *s)
{
	const unsigned char	*p;
	uint32_t		 h;
	size_t			 slot;

	h = 2166136261u;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	slot = h & (TAG_SLOTS - 1);
	while (t->key[slot] != NULL) {
		if (strcmp(t->key[slot], s) == 0)
			return (1ULL << t->bit[slot]);
		slot = (slot + 1) & (TAG_SLOTS - 1);
	}
	if (t->n == INPUT_MAX_TAGS)
		return (0);
	t->key[slot] = s;
	t->bit[slot] = (uint8_t)t->n++;
	return (1ULL << t->bit[slot]);
}

static int
parse_subject(const cJSON *obj, size_t i, struct engine_subject *s,
    char *err, size_t errlen)
{
	const cJSON	*m[S_COUNT];
	struct where	 w = { "subjects", i, NULL, 0 };
	int64_t		 x;

	if (input_members(obj, subject_names, S_COUNT, m, &w, err, errlen) !=
	    INPUT_OK ||
	    input_get_id(m[S_ID], &w, "id", s->id, err, errlen) != INPUT_OK ||
	    input_get_int(m[S_DISTRICT], &w, "district", INT32_MIN,
	    INT32_MAX, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->district = (int32_t)x;
	if (input_get_place(m[S_HAS_PLACE], m[S_LAT], m[S_LON], &w,
	    &s->has_place, &s->lat, &s->lon, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if (input_get_int(m[S_RADIUS], &w, "radius_m", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->radius_m = (uint32_t)x;
	if (input_get_int(m[S_WAITING], &w, "waiting_days", 0, UINT32_MAX,
	    &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->waiting_days = (uint32_t)x;
	if (input_get_int(m[S_INTERESTS], &w, "interests", 0,
	    (1 << ENGINE_CAT_COUNT) - 1, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->interests = (uint32_t)x;
	if (input_get_int(m[S_GOALS], &w, "goals", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->goals = (uint32_t)x;
	if (input_get_int(m[S_AVAILABILITY], &w, "availability", 0,
	    ENGINE_SLOTS_MASK, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->availability = (uint32_t)x;
	if (input_get_int(m[S_AGE], &w, "age", 0, INPUT_AGE_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->age = (uint16_t)x;
	if (input_get_int(m[S_GENDER], &w, "gender", 0,
	    ENGINE_GENDER_DIVERSE, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->gender = (uint8_t)x;
	if (input_get_bool(m[S_ACTIVE], &w, "active", &s->active, err,
	    errlen) != INPUT_OK ||
	    input_get_bool(m[S_CONSENT], &w, "consent_matching",
	    &s->consent_matching, err, errlen) != INPUT_OK ||
	    input_get_bool(m[S_CROSS], &w, "consent_cross_district",
	    &s->consent_cross_district, err, errlen) != INPUT_OK ||
	    input_get_langs(m[S_LANGS], &w, 1, s->langs, &s->nlangs, err,
	    errlen) != INPUT_OK ||
	    input_get_kldb(m[S_KLDB], &w, s->kldb, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->tags = 0;
	return (INPUT_OK);
}

static int
parse_candidate(const cJSON *obj, size_t i, struct tags *tags,
    struct engine_candidate *c, char *err, size_t errlen)
{
	const cJSON	*m[C_COUNT], *t;
	struct where	 w = { "candidates", i, NULL, 0 };
	int64_t		 x;
	size_t		 n;

	if (input_members(obj, candidate_names, C_COUNT, m, &w, err, errlen) !=
	    INPUT_OK ||
	    input_get_id(m[C_ID], &w, "id", c->id, err, errlen) != INPUT_OK ||
	    input_get_int(m[C_DISTRICT], &w, "district", INT32_MIN,
	    INT32_MAX, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->district = (int32_t)x;
	if (input_get_place(m[C_HAS_PLACE], m[C_LAT], m[C_LON], &w,
	    &c->has_place, &c->lat, &c->lon, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if (input_get_int(m[C_CAPACITY], &w, "capacity", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->capacity = (uint32_t)x;
	if (input_get_array(m[C_TAGS], &w, "tags", &n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->tags = 0;
	for (t = m[C_TAGS]->child; t != NULL; t = t->next) {
		if (!cJSON_IsString(t) || t->valuestring == NULL)
			return (input_bad(err, errlen, &w, "tags",
			    "must hold strings"));
		c->tags |= tag_bit(tags, t->valuestring);
	}
	if (input_get_int(m[C_SUPPORT], &w, "support", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->support = (uint32_t)x;
	if (input_get_int(m[C_AVAILABILITY], &w, "availability", 0,
	    ENGINE_SLOTS_MASK, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->availability = (uint32_t)x;
	if (input_get_int(m[C_AGE_MIN], &w, "age_min", 0, INPUT_AGE_MAX, &x,
	    err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->age_min = (uint16_t)x;
	if (input_get_int(m[C_AGE_MAX], &w, "age_max", 0, INPUT_AGE_MAX, &x,
	    err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->age_max = (uint16_t)x;
	if (c->age_min != 0 && c->age_max != 0 && c->age_min > c->age_max)
		return (input_bad(err, errlen, &w, "age_max",
		    "must not be below age_min"));
	if (input_get_int(m[C_CATEGORY], &w, "category", 0,
	    ENGINE_CAT_COUNT - 1, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->category = (uint8_t)x;
	if (input_get_bool(m[C_ONLINE], &w, "online", &c->online, err,
	    errlen) != INPUT_OK ||
	    input_get_bool(m[C_WOMEN_ONLY], &w, "women_only", &c->women_only,
	    err, errlen) != INPUT_OK ||
	    input_get_bool(m[C_ACTIVE], &w, "active", &c->active, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if (input_get_int(m[C_MIN_GERMAN], &w, "min_german", 0,
	    ENGINE_LEVEL_NATIVE, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->min_german = (uint8_t)x;
	if (input_get_langs(m[C_LANGS], &w, 0, c->langs, &c->nlangs, err,
	    errlen) != INPUT_OK ||
	    input_get_kldb(m[C_KLDB], &w, c->kldb, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	return (INPUT_OK);
}

/* The candidates array; *out is malloc'd, tags get bits in order. */
int
input_parse_candidates(const cJSON *v, struct engine_candidate **out,
    size_t *n, size_t *ntags, char *err, size_t errlen)
{
	const cJSON		*e;
	struct engine_candidate	*c;
	struct tags		*tags;
	size_t			 i;

	*out = NULL;
	if (input_get_array(v, NULL, "candidates", n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c = calloc(*n ? *n : 1, sizeof(*c));
	tags = calloc(1, sizeof(*tags));
	if (c == NULL || tags == NULL) {
		free(c);
		free(tags);
		return (input_nomem(err, errlen));
	}
	for (e = v->child, i = 0; e != NULL; e = e->next, i++) {
		if (parse_candidate(e, i, tags, &c[i], err, errlen) !=
		    INPUT_OK) {
			free(c);
			free(tags);
			return (INPUT_INVALID);
		}
	}
	*ntags = tags->n;
	free(tags);
	*out = c;
	return (INPUT_OK);
}

static int
parse_weights(const cJSON *v, struct input_job *job, char *err,
    size_t errlen)
{
	const cJSON	*m[W_COUNT], *e;
	struct where	 w = { "weights", 0, NULL, 0 };
	int64_t		 x;
	size_t		 n;

	/* null: no district has weights of its own (jsonb_agg of none). */
	n = 0;
	if (v != NULL && cJSON_IsNull(v))
		v = NULL;
	else if (input_get_array(v, NULL, "weights", &n, err, errlen) !=
	    INPUT_OK)
		return (INPUT_INVALID);
	if ((job->weights = calloc(n ? n : 1, sizeof(*job->weights))) == NULL)
		return (input_nomem(err, errlen));
	for (e = v != NULL ? v->child : NULL; e != NULL; e = e->next, w.i++) {
		if (input_members(e, weight_names, W_COUNT, m, &w, err,
		    errlen) != INPUT_OK ||
		    input_get_int(m[W_DISTRICT], &w, "district", INT32_MIN,
		    INT32_MAX, &x, err, errlen) != INPUT_OK ||
		    input_get_weights(m[W_W], &w, "w", job->weights[w.i].w, err,
		    errlen) != INPUT_OK)
			return (INPUT_INVALID);
		job->weights[w.i].district = (int32_t)x;
	}
	job->problem.weights = job->weights;
	job->problem.nweights = n;
	return (INPUT_OK);
}

/*
 * Index n records of stride bytes, each starting with its id, by id, for
 * engine_id_find.  A duplicate id is refused (what names it is in what).
 */
static int
id_index(const void *base, size_t stride, size_t n, const char *what,
    struct engine_id_idx **out, char *err, size_t errlen)
{
	struct engine_id_idx	*v;
	char			 text[INPUT_UUID_LEN + 1];
	size_t			 dup;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return (input_nomem(err, errlen));
	if (engine_id_index(base, stride, n, v, &dup) == -1) {
		input_uuid_format((const uint8_t *)base + dup * stride, text);
		free(v);
		return (input_bad(err, errlen, NULL, what, "id %s given twice",
		    text));
	}
	*out = v;
	return (INPUT_OK);
}

/* Excluded pairs by id; a pair naming an id not in the job is dropped. */
static int
parse_excluded(const cJSON *v, struct input_job *job, char *err,
    size_t errlen)
{
	const cJSON		*m[X_COUNT], *e;
	struct where		 w = { "excluded", 0, NULL, 0 };
	struct engine_id_idx	*sidx = NULL, *cidx = NULL;
	struct engine_pair	*p;
	uint8_t			 sid[ENGINE_ID_LEN], cid[ENGINE_ID_LEN];
	uint32_t		 si, ci;
	int64_t			 kind;
	size_t			 n, ns, nc;
	int			 rc;

	if (input_get_array(v, NULL, "excluded", &n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if ((job->excluded = calloc(n ? n : 1, sizeof(*job->excluded))) ==
	    NULL)
		return (input_nomem(err, errlen));
	ns = job->problem.nsubjects;
	nc = job->problem.ncandidates;
	if ((rc = id_index(job->subjects, sizeof(*job->subjects), ns,
	    "subjects", &sidx, err, errlen)) != INPUT_OK ||
	    (rc = id_index(job->candidates, sizeof(*job->candidates), nc,
	    "candidates", &cidx, err, errlen)) != INPUT_OK)
		goto out;
	rc = INPUT_INVALID;
	p = job->excluded;
	for (e = v->child; e != NULL; e = e->next, w.i++) {
		if (input_members(e, excluded_names, X_COUNT, m, &w, err,
		    errlen) != INPUT_OK ||
		    input_get_id(m[X_SUBJECT], &w, "subject", sid, err,
		    errlen) != INPUT_OK ||
		    input_get_id(m[X_CANDIDATE], &w, "candidate", cid, err,
		    errlen) != INPUT_OK ||
		    input_get_int(m[X_KIND], &w, "kind", ENGINE_PAIR_BLOCKED,
		    ENGINE_PAIR_DECLINED, &kind, err, errlen) != INPUT_OK)
			goto out;
		if (engine_id_find(sidx, ns, sid, &si) == -1 ||
		    engine_id_find(cidx, nc, cid, &ci) == -1)
			continue;
		p->subject = si;
		p->candidate = ci;
		p->kind = (uint32_t)kind;
		p++;
	}
	job->problem.excluded = job->excluded;
	job->problem.nexcluded = (size_t)(p - job->excluded);
	rc = INPUT_OK;
out:
	free(sidx);
	free(cidx);
	return (rc);
}

int
input_parse(const char *text, size_t len, struct input_cache *cache,
    struct input_job *job, char *err, size_t errlen)
{
	cJSON			*root;
	const cJSON		*m[T_COUNT], *e;
	enum engine_programme	 prog;
	enum input_cache_use	 use;
	int64_t			 x;
	size_t			 i, n;
	int			 rc;

	memset(job, 0, sizeof(*job));
	if ((rc = input_cache_read(cache, text, len, job, &use, &root, err,
	    errlen)) != INPUT_OK)
		return (rc);
	rc = INPUT_INVALID;
	if (input_members(root, top_names, T_COUNT, m, NULL, err, errlen) !=
	    INPUT_OK)
		goto out;
	if (m[T_EPOCH] != NULL && input_get_int(m[T_EPOCH], NULL, "epoch", 1,
	    INT64_MAX, &x, err, errlen) != INPUT_OK)
		goto out;
	if ((rc = input_cache_settle(cache, use, job, m[T_CANDIDATES],
	    m[T_EPOCH] != NULL ? &x : NULL, err, errlen)) != INPUT_OK)
		goto out;
	rc = INPUT_INVALID;
	if (m[T_KIND] == NULL ||
	    input_kind_parse(cJSON_GetStringValue(m[T_KIND]), &job->kind) ==
	    -1) {
		rc = input_bad(err, errlen, NULL, "kind",
		    "must be \"suggest\", \"batch\" or \"stable\"");
		goto out;
	}
	if (m[T_PROGRAMME] == NULL ||
	    input_programme_parse(cJSON_GetStringValue(m[T_PROGRAMME]),
	    &prog) == -1) {
		rc = input_bad(err, errlen, NULL, "programme",
		    "must be \"partners\" or \"women\"");
		goto out;
	}
	job->problem.programme = prog;
	if (job->kind == INPUT_SUGGEST) {
		if (input_get_int(m[T_K], NULL, "k", 1, ENGINE_SUGGEST_MAX,
		    &x, err, errlen) != INPUT_OK)
			goto out;
		job->k = (uint32_t)x;
	}
	if (input_get_int(m[T_MIN_SCORE], NULL, "min_score", 0,
	    ENGINE_SCORE_MAX, &x, err, errlen) != INPUT_OK)
		goto out;
	job->min_score = (uint32_t)x;
	job->problem.default_weights.district = 0;
	if (input_get_weights(m[T_DEFAULT_WEIGHTS], NULL, "default_weights",
	    job->problem.default_weights.w, err, errlen) != INPUT_OK)
		goto out;
	if ((rc = parse_weights(m[T_WEIGHTS], job, err, errlen)) != INPUT_OK)
		goto out;
	rc = INPUT_INVALID;

	if (input_get_array(m[T_SUBJECTS], NULL, "subjects", &n, err,
	    errlen) != INPUT_OK)
		goto out;
	if ((job->subjects = calloc(n ? n : 1, sizeof(*job->subjects))) ==
	    NULL) {
		rc = input_nomem(err, errlen);
		goto out;
	}
	for (e = m[T_SUBJECTS]->child, i = 0; e != NULL; e = e->next, i++) {
		if (parse_subject(e, i, &job->subjects[i], err, errlen) !=
		    INPUT_OK)
			goto out;
	}
	job->problem.subjects = job->subjects;
	job->problem.nsubjects = n;

	if (!job->candidates_cached) {
		if ((rc = input_parse_candidates(m[T_CANDIDATES],
		    &job->candidates, &n, &job->ntags, err, errlen)) !=
		    INPUT_OK)
			goto out;
		job->problem.candidates = job->candidates;
		job->problem.ncandidates = n;
	}

	if ((rc = parse_excluded(m[T_EXCLUDED], job, err, errlen)) !=
	    INPUT_OK)
		goto out;
	rc = INPUT_OK;
out:
	cJSON_Delete(root);
	if (rc != INPUT_OK)
		input_free(job);
	return (rc);
}

void
input_free(struct input_job *job)
{
	if (job == NULL)
		return;
	free(job->subjects);
	if (!job->candidates_cached)
		free(job->candidates);
	free(job->excluded);
	free(job->weights);
	memset(job, 0, sizeof(*job));
}
