/* input.c: a job's input document to an engine problem, and its result. */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "input.h"

#define TAG_SLOTS	128	/* a power of two, twice INPUT_MAX_TAGS */
#define MSG_MAX		256

/* Where a member sits, for messages: "subjects[3].langs[1].level". */
struct where {
	const char	*arr;		/* NULL: the top level */
	size_t		 i;
	const char	*inner;		/* NULL: no inner array */
	size_t		 j;
};

/* The first INPUT_MAX_TAGS distinct tags of a job, each given a bit. */
struct tags {
	const char	*key[TAG_SLOTS];
	uint8_t		 bit[TAG_SLOTS];
	size_t		 n;
};

struct id_idx {
	uint8_t		id[ENGINE_ID_LEN];
	uint32_t	idx;
};

/* A growing string for the result document. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};

struct proposal {
	uint32_t			s;
	uint32_t			c;
	struct engine_explanation	x;
};

/*
 * Member names in the order PostgreSQL's jsonb prints them (shorter keys
 * first, then bytewise): members() tries the name after the last one it
 * found first, so a document in that order costs one comparison a member.
 * Any order is accepted.
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

enum { L_CODE, L_LEVEL, L_COUNT };
static const char *const lang_names[L_COUNT] = { "code", "level" };

enum { W_W, W_DISTRICT, W_COUNT };
static const char *const weight_names[W_COUNT] = { "w", "district" };

enum { X_KIND, X_SUBJECT, X_CANDIDATE, X_COUNT };
static const char *const excluded_names[X_COUNT] = {
	"kind", "subject", "candidate"
};

static const char *const kind_names[] = { "suggest", "batch", "stable" };
static const char *const programme_names[] = { "partners", "women" };

static int	bad(char *, size_t, const struct where *, const char *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
static int	nomem(char *, size_t);
static int	members(const cJSON *, const char *const *, size_t,
		    const cJSON **, const struct where *, char *, size_t);
static int	get_int(const cJSON *, const struct where *, const char *,
		    int64_t, int64_t, int64_t *, char *, size_t);
static int	get_bool(const cJSON *, const struct where *, const char *,
		    uint8_t *, char *, size_t);
static int	get_array(const cJSON *, const struct where *, const char *,
		    size_t *, char *, size_t);
static int	get_id(const cJSON *, const struct where *, const char *,
		    uint8_t *, char *, size_t);
static int	get_place(const cJSON *, const cJSON *, const cJSON *,
		    const struct where *, uint8_t *, double *, double *,
		    char *, size_t);
static int	get_langs(const cJSON *, const struct where *, int,
		    struct engine_lang *, uint8_t *, char *, size_t);
static int	get_kldb(const cJSON *, const struct where *, char *,
		    char *, size_t);
static int	get_weights(const cJSON *, const struct where *, const char *,
		    uint16_t *, char *, size_t);
static uint64_t	tag_bit(struct tags *, const char *);
static int	parse_subject(const cJSON *, size_t, struct engine_subject *,
		    char *, size_t);
static int	parse_candidate(const cJSON *, size_t, struct tags *,
		    struct engine_candidate *, char *, size_t);
static int	parse_candidates(const cJSON *, struct engine_candidate **,
		    size_t *, size_t *, char *, size_t);
static int	parse_weights(const cJSON *, struct input_job *, char *,
		    size_t);
static int	id_idx_cmp(const void *, const void *);
static int	id_index(const uint8_t *, size_t, size_t, const char *,
		    struct id_idx **, char *, size_t);
static int	id_find(const struct id_idx *, size_t, const uint8_t *,
		    uint32_t *);
static int	parse_excluded(const cJSON *, struct input_job *, char *,
		    size_t);
static cJSON	*parse_json(const char *, size_t);
static int	is_ws(char);
static const char *skip_ws(const char *, const char *);
static const char *skip_string(const char *, const char *);
static const char *skip_value(const char *, const char *);
static int	find_member(const char *, size_t, const char *, size_t *,
		    size_t *);
static int	cache_fill(struct input_cache *, const char *, size_t, char *,
		    size_t);
static void	sb_add(struct sbuf *, const char *, size_t);
static void	sb_puts(struct sbuf *, const char *);
static void	sb_str(struct sbuf *, const char *);
static void	sb_u64(struct sbuf *, uint64_t);
static void	sb_dec(struct sbuf *, uint64_t, uint64_t);
static void	sb_uuid(struct sbuf *, const uint8_t *);
static void	sb_proposal(struct sbuf *, const struct input_job *,
		    const struct proposal *);
static double	ms_since(const struct timespec *);

static int
bad(char *err, size_t errlen, const struct where *w, const char *key,
    const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (err == NULL || errlen == 0)
		return (INPUT_INVALID);
	if (w == NULL || w->arr == NULL)
		n = snprintf(err, errlen, "%s: ", key != NULL ? key : "input");
	else if (w->inner == NULL)
		n = snprintf(err, errlen, "%s[%zu]%s%s: ", w->arr, w->i,
		    key != NULL ? "." : "", key != NULL ? key : "");
	else
		n = snprintf(err, errlen, "%s[%zu].%s[%zu]%s%s: ", w->arr,
		    w->i, w->inner, w->j, key != NULL ? "." : "",
		    key != NULL ? key : "");
	if (n < 0 || (size_t)n >= errlen)
		return (INPUT_INVALID);
	va_start(ap, fmt);
	(void)vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return (INPUT_INVALID);
}

static int
nomem(char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		(void)snprintf(err, errlen, "out of memory");
	return (INPUT_NOMEM);
}

/*
 * Pick the members named in names out of obj: out[i] gets the member
 * called names[i], or NULL.  Unknown members are ignored, so the database
 * may add some; a member given twice is refused.
 */
static int
members(const cJSON *obj, const char *const *names, size_t n,
    const cJSON **out, const struct where *w, char *err, size_t errlen)
{
	const cJSON	*m;
	size_t		 i, next;

	if (!cJSON_IsObject(obj))
		return (bad(err, errlen, w, NULL, "must be an object"));
	memset(out, 0, n * sizeof(*out));
	next = 0;
	for (m = obj->child; m != NULL; m = m->next) {
		if (m->string == NULL)
			continue;
		if (next < n && strcmp(m->string, names[next]) == 0)
			i = next;
		else {
			for (i = 0; i < n; i++) {
				if (strcmp(m->string, names[i]) == 0)
					break;
			}
			if (i == n)
				continue;
		}
		if (out[i] != NULL)
			return (bad(err, errlen, w, names[i], "given twice"));
		out[i] = m;
		next = i + 1;
	}
	return (INPUT_OK);
}

static int
get_int(const cJSON *v, const struct where *w, const char *key, int64_t min,
    int64_t max, int64_t *out, char *err, size_t errlen)
{
	double	d;

	if (v == NULL)
		return (bad(err, errlen, w, key, "missing"));
	d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	/*
	 * The bounds are compared as integers: (double)INT64_MAX rounds up
	 * to 2^63, which no int64_t holds, so comparing doubles would let
	 * 2^63 through to an undefined conversion.
	 */
	if (!(d >= -0x1p63 && d < 0x1p63) || d != floor(d) ||
	    (int64_t)d < min || (int64_t)d > max)
		return (bad(err, errlen, w, key,
		    "must be an integer from %lld to %lld", (long long)min,
		    (long long)max));
	*out = (int64_t)d;
	return (INPUT_OK);
}

static int
get_bool(const cJSON *v, const struct where *w, const char *key,
    uint8_t *out, char *err, size_t errlen)
{
	if (v == NULL)
		return (bad(err, errlen, w, key, "missing"));
	if (!cJSON_IsBool(v))
		return (bad(err, errlen, w, key, "must be true or false"));
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return (INPUT_OK);
}

static int
get_array(const cJSON *v, const struct where *w, const char *key,
    size_t *n, char *err, size_t errlen)
{
	const cJSON	*e;

	if (v == NULL)
		return (bad(err, errlen, w, key, "missing"));
	if (!cJSON_IsArray(v))
		return (bad(err, errlen, w, key, "must be an array"));
	*n = 0;
	for (e = v->child; e != NULL; e = e->next)
		(*n)++;
	return (INPUT_OK);
}

static int
get_id(const cJSON *v, const struct where *w, const char *key, uint8_t *id,
    char *err, size_t errlen)
{
	if (v == NULL)
		return (bad(err, errlen, w, key, "missing"));
	if (!cJSON_IsString(v) || input_uuid_parse(v->valuestring, id) == -1)
		return (bad(err, errlen, w, key, "must be a uuid"));
	return (INPUT_OK);
}

/* has_place, and lat/lon when it is true (null or absent otherwise). */
static int
get_place(const cJSON *hp, const cJSON *lat, const cJSON *lon,
    const struct where *w, uint8_t *has, double *la, double *lo, char *err,
    size_t errlen)
{
	if (get_bool(hp, w, "has_place", has, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	*la = *lo = 0.0;
	if (!*has) {
		if (lat != NULL && !cJSON_IsNull(lat) && !cJSON_IsNumber(lat))
			return (bad(err, errlen, w, "lat",
			    "must be a number or null"));
		if (lon != NULL && !cJSON_IsNull(lon) && !cJSON_IsNumber(lon))
			return (bad(err, errlen, w, "lon",
			    "must be a number or null"));
		return (INPUT_OK);
	}
	if (lat == NULL || !cJSON_IsNumber(lat) ||
	    !(lat->valuedouble >= -90.0 && lat->valuedouble <= 90.0))
		return (bad(err, errlen, w, "lat",
		    "must be a number from -90 to 90"));
	if (lon == NULL || !cJSON_IsNumber(lon) ||
	    !(lon->valuedouble >= -180.0 && lon->valuedouble <= 180.0))
		return (bad(err, errlen, w, "lon",
		    "must be a number from -180 to 180"));
	*la = lat->valuedouble;
	*lo = lon->valuedouble;
	return (INPUT_OK);
}

/*
 * Languages: every entry is checked, the first ENGINE_MAX_LANGS are used.
 * A subject states a level for each language; a candidate may give 0.
 */
static int
get_langs(const cJSON *v, const struct where *w0, int need_level,
    struct engine_lang *langs, uint8_t *n, char *err, size_t errlen)
{
	const cJSON	*m[L_COUNT], *e;
	struct where	 w = *w0;
	const char	*code;
	int64_t		 level;
	size_t		 len, count, i;

	if (get_array(v, w0, "langs", &count, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	*n = 0;
	w.inner = "langs";
	w.j = 0;
	for (e = v->child; e != NULL; e = e->next, w.j++) {
		if (members(e, lang_names, L_COUNT, m, &w, err, errlen) !=
		    INPUT_OK)
			return (INPUT_INVALID);
		if (m[L_CODE] == NULL)
			return (bad(err, errlen, &w, "code", "missing"));
		code = cJSON_GetStringValue(m[L_CODE]);
		len = code != NULL ? strlen(code) : 0;
		for (i = 0; i < len && code[i] >= 'a' && code[i] <= 'z'; i++)
			;
		if (len < 2 || len > 3 || i != len)
			return (bad(err, errlen, &w, "code",
			    "must be 2 or 3 lower-case letters"));
		if (get_int(m[L_LEVEL], &w, "level", need_level ? 1 : 0,
		    ENGINE_LEVEL_NATIVE, &level, err, errlen) != INPUT_OK)
			return (INPUT_INVALID);
		if (*n == ENGINE_MAX_LANGS)
			continue;
		memset(langs[*n].code, 0, sizeof(langs[*n].code));
		memcpy(langs[*n].code, code, len);
		langs[*n].level = (uint8_t)level;
		(*n)++;
	}
	return (INPUT_OK);
}

static int
get_kldb(const cJSON *v, const struct where *w, char *kldb, char *err,
    size_t errlen)
{
	const char	*s;
	size_t		 i;

	if (v == NULL)
		return (bad(err, errlen, w, "kldb", "missing"));
	if ((s = cJSON_GetStringValue(v)) == NULL)
		return (bad(err, errlen, w, "kldb", "must be a string"));
	for (i = 0; i < 5 && s[i] >= '0' && s[i] <= '9'; i++)
		kldb[i] = s[i];
	if (s[i] != '\0')
		return (bad(err, errlen, w, "kldb", "must be up to 5 digits"));
	kldb[i] = '\0';
	return (INPUT_OK);
}

static int
get_weights(const cJSON *v, const struct where *w, const char *key,
    uint16_t *out, char *err, size_t errlen)
{
	const cJSON	*e;
	int64_t		 x;
	size_t		 n, f;

	x = 0;
	if (get_array(v, w, key, &n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if (n != ENGINE_F_COUNT)
		return (bad(err, errlen, w, key, "must hold %d integers",
		    ENGINE_F_COUNT));
	for (e = v->child, f = 0; e != NULL; e = e->next, f++) {
		if (get_int(e, w, key, 0, ENGINE_SCORE_MAX, &x, err,
		    errlen) != INPUT_OK)
			return (bad(err, errlen, w, key,
			    "must hold integers from 0 to %d",
			    ENGINE_SCORE_MAX));
		out[f] = (uint16_t)x;
	}
	return (INPUT_OK);
}

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

	if (members(obj, subject_names, S_COUNT, m, &w, err, errlen) !=
	    INPUT_OK ||
	    get_id(m[S_ID], &w, "id", s->id, err, errlen) != INPUT_OK ||
	    get_int(m[S_DISTRICT], &w, "district", INT32_MIN, INT32_MAX, &x,
	    err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->district = (int32_t)x;
	if (get_place(m[S_HAS_PLACE], m[S_LAT], m[S_LON], &w, &s->has_place,
	    &s->lat, &s->lon, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if (get_int(m[S_RADIUS], &w, "radius_m", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->radius_m = (uint32_t)x;
	if (get_int(m[S_WAITING], &w, "waiting_days", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->waiting_days = (uint32_t)x;
	if (get_int(m[S_INTERESTS], &w, "interests", 0,
	    (1 << ENGINE_CAT_COUNT) - 1, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->interests = (uint32_t)x;
	if (get_int(m[S_GOALS], &w, "goals", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->goals = (uint32_t)x;
	if (get_int(m[S_AVAILABILITY], &w, "availability", 0,
	    ENGINE_SLOTS_MASK, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->availability = (uint32_t)x;
	if (get_int(m[S_AGE], &w, "age", 0, INPUT_AGE_MAX, &x, err, errlen) !=
	    INPUT_OK)
		return (INPUT_INVALID);
	s->age = (uint16_t)x;
	if (get_int(m[S_GENDER], &w, "gender", 0, ENGINE_GENDER_DIVERSE, &x,
	    err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	s->gender = (uint8_t)x;
	if (get_bool(m[S_ACTIVE], &w, "active", &s->active, err, errlen) !=
	    INPUT_OK ||
	    get_bool(m[S_CONSENT], &w, "consent_matching",
	    &s->consent_matching, err, errlen) != INPUT_OK ||
	    get_bool(m[S_CROSS], &w, "consent_cross_district",
	    &s->consent_cross_district, err, errlen) != INPUT_OK ||
	    get_langs(m[S_LANGS], &w, 1, s->langs, &s->nlangs, err, errlen) !=
	    INPUT_OK ||
	    get_kldb(m[S_KLDB], &w, s->kldb, err, errlen) != INPUT_OK)
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

	if (members(obj, candidate_names, C_COUNT, m, &w, err, errlen) !=
	    INPUT_OK ||
	    get_id(m[C_ID], &w, "id", c->id, err, errlen) != INPUT_OK ||
	    get_int(m[C_DISTRICT], &w, "district", INT32_MIN, INT32_MAX, &x,
	    err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->district = (int32_t)x;
	if (get_place(m[C_HAS_PLACE], m[C_LAT], m[C_LON], &w, &c->has_place,
	    &c->lat, &c->lon, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if (get_int(m[C_CAPACITY], &w, "capacity", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->capacity = (uint32_t)x;
	if (get_array(m[C_TAGS], &w, "tags", &n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->tags = 0;
	for (t = m[C_TAGS]->child; t != NULL; t = t->next) {
		if (!cJSON_IsString(t) || t->valuestring == NULL)
			return (bad(err, errlen, &w, "tags",
			    "must hold strings"));
		c->tags |= tag_bit(tags, t->valuestring);
	}
	if (get_int(m[C_SUPPORT], &w, "support", 0, UINT32_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->support = (uint32_t)x;
	if (get_int(m[C_AVAILABILITY], &w, "availability", 0,
	    ENGINE_SLOTS_MASK, &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->availability = (uint32_t)x;
	if (get_int(m[C_AGE_MIN], &w, "age_min", 0, INPUT_AGE_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->age_min = (uint16_t)x;
	if (get_int(m[C_AGE_MAX], &w, "age_max", 0, INPUT_AGE_MAX, &x, err,
	    errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->age_max = (uint16_t)x;
	if (c->age_min != 0 && c->age_max != 0 && c->age_min > c->age_max)
		return (bad(err, errlen, &w, "age_max",
		    "must not be below age_min"));
	if (get_int(m[C_CATEGORY], &w, "category", 0, ENGINE_CAT_COUNT - 1,
	    &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->category = (uint8_t)x;
	if (get_bool(m[C_ONLINE], &w, "online", &c->online, err, errlen) !=
	    INPUT_OK ||
	    get_bool(m[C_WOMEN_ONLY], &w, "women_only", &c->women_only, err,
	    errlen) != INPUT_OK ||
	    get_bool(m[C_ACTIVE], &w, "active", &c->active, err, errlen) !=
	    INPUT_OK)
		return (INPUT_INVALID);
	if (get_int(m[C_MIN_GERMAN], &w, "min_german", 0, ENGINE_LEVEL_NATIVE,
	    &x, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c->min_german = (uint8_t)x;
	if (get_langs(m[C_LANGS], &w, 0, c->langs, &c->nlangs, err, errlen) !=
	    INPUT_OK ||
	    get_kldb(m[C_KLDB], &w, c->kldb, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	return (INPUT_OK);
}

/* The candidates array; *out is malloc'd, tags get bits in order. */
static int
parse_candidates(const cJSON *v, struct engine_candidate **out, size_t *n,
    size_t *ntags, char *err, size_t errlen)
{
	const cJSON		*e;
	struct engine_candidate	*c;
	struct tags		*tags;
	size_t			 i;

	*out = NULL;
	if (get_array(v, NULL, "candidates", n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	c = calloc(*n ? *n : 1, sizeof(*c));
	tags = calloc(1, sizeof(*tags));
	if (c == NULL || tags == NULL) {
		free(c);
		free(tags);
		return (nomem(err, errlen));
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
	else if (get_array(v, NULL, "weights", &n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if ((job->weights = calloc(n ? n : 1, sizeof(*job->weights))) == NULL)
		return (nomem(err, errlen));
	for (e = v != NULL ? v->child : NULL; e != NULL; e = e->next, w.i++) {
		if (members(e, weight_names, W_COUNT, m, &w, err, errlen) !=
		    INPUT_OK ||
		    get_int(m[W_DISTRICT], &w, "district", INT32_MIN,
		    INT32_MAX, &x, err, errlen) != INPUT_OK ||
		    get_weights(m[W_W], &w, "w", job->weights[w.i].w, err,
		    errlen) != INPUT_OK)
			return (INPUT_INVALID);
		job->weights[w.i].district = (int32_t)x;
	}
	job->problem.weights = job->weights;
	job->problem.nweights = n;
	return (INPUT_OK);
}

static int
id_idx_cmp(const void *a, const void *b)
{
	const struct id_idx	*x = a, *y = b;

	return (memcmp(x->id, y->id, ENGINE_ID_LEN));
}

/*
 * Index n records of stride bytes, each starting with its id, by id.
 * A duplicate id is refused (what names it is in what).
 */
static int
id_index(const uint8_t *base, size_t stride, size_t n, const char *what,
    struct id_idx **out, char *err, size_t errlen)
{
	struct id_idx	*v;
	char		 text[INPUT_UUID_LEN + 1];
	size_t		 i;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return (nomem(err, errlen));
	for (i = 0; i < n; i++) {
		memcpy(v[i].id, base + i * stride, ENGINE_ID_LEN);
		v[i].idx = (uint32_t)i;
	}
	qsort(v, n, sizeof(*v), id_idx_cmp);
	for (i = 1; i < n; i++) {
		if (memcmp(v[i - 1].id, v[i].id, ENGINE_ID_LEN) == 0) {
			input_uuid_format(v[i].id, text);
			free(v);
			return (bad(err, errlen, NULL, what,
			    "id %s given twice", text));
		}
	}
	*out = v;
	return (INPUT_OK);
}

static int
id_find(const struct id_idx *v, size_t n, const uint8_t *id, uint32_t *idx)
{
	const struct id_idx	*hit;
	struct id_idx		 key;

	memcpy(key.id, id, ENGINE_ID_LEN);
	hit = bsearch(&key, v, n, sizeof(*v), id_idx_cmp);
	if (hit == NULL)
		return (-1);
	*idx = hit->idx;
	return (0);
}

/* Excluded pairs by id; a pair naming an id not in the job is dropped. */
static int
parse_excluded(const cJSON *v, struct input_job *job, char *err,
    size_t errlen)
{
	const cJSON		*m[X_COUNT], *e;
	struct where		 w = { "excluded", 0, NULL, 0 };
	struct id_idx		*sidx = NULL, *cidx = NULL;
	struct engine_pair	*p;
	uint8_t			 sid[ENGINE_ID_LEN], cid[ENGINE_ID_LEN];
	uint32_t		 si, ci;
	int64_t			 kind;
	size_t			 n, ns, nc;
	int			 rc;

	if (get_array(v, NULL, "excluded", &n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if ((job->excluded = calloc(n ? n : 1, sizeof(*job->excluded))) ==
	    NULL)
		return (nomem(err, errlen));
	ns = job->problem.nsubjects;
	nc = job->problem.ncandidates;
	if ((rc = id_index((const uint8_t *)job->subjects,
	    sizeof(*job->subjects), ns, "subjects", &sidx, err, errlen)) !=
	    INPUT_OK ||
	    (rc = id_index((const uint8_t *)job->candidates,
	    sizeof(*job->candidates), nc, "candidates", &cidx, err, errlen)) !=
	    INPUT_OK)
		goto out;
	rc = INPUT_INVALID;
	p = job->excluded;
	for (e = v->child; e != NULL; e = e->next, w.i++) {
		if (members(e, excluded_names, X_COUNT, m, &w, err, errlen) !=
		    INPUT_OK ||
		    get_id(m[X_SUBJECT], &w, "subject", sid, err, errlen) !=
		    INPUT_OK ||
		    get_id(m[X_CANDIDATE], &w, "candidate", cid, err,
		    errlen) != INPUT_OK ||
		    get_int(m[X_KIND], &w, "kind", ENGINE_PAIR_BLOCKED,
		    ENGINE_PAIR_DECLINED, &kind, err, errlen) != INPUT_OK)
			goto out;
		if (id_find(sidx, ns, sid, &si) == -1 ||
		    id_find(cidx, nc, cid, &ci) == -1)
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

/* The index of s in a table of n names, or -1. */
static int
name_index(const char *const *names, unsigned int n, const char *s)
{
	unsigned int	i;

	for (i = 0; s != NULL && i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

const char *
input_kind_name(enum input_kind k)
{
	if ((unsigned)k > INPUT_STABLE)
		return ("unknown");
	return (kind_names[k]);
}

int
input_kind_parse(const char *s, enum input_kind *k)
{
	int	i;

	if ((i = name_index(kind_names, INPUT_STABLE + 1, s)) == -1)
		return (-1);
	*k = (enum input_kind)i;
	return (0);
}

const char *
input_programme_name(enum engine_programme p)
{
	if ((unsigned)p > ENGINE_WOMEN)
		return ("unknown");
	return (programme_names[p]);
}

int
input_programme_parse(const char *s, enum engine_programme *p)
{
	int	i;

	if ((i = name_index(programme_names, ENGINE_WOMEN + 1, s)) == -1)
		return (-1);
	*p = (enum engine_programme)i;
	return (0);
}

int
input_uuid_parse(const char *s, uint8_t *id)
{
	size_t		i, b;
	int		hi, v;
	char		ch;

	if (s == NULL)
		return (-1);
	b = 0;
	hi = 1;
	for (i = 0; i < INPUT_UUID_LEN; i++) {
		ch = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-')
				return (-1);
			continue;
		}
		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v = ch - 'A' + 10;
		else
			return (-1);
		if (hi)
			id[b] = (uint8_t)(v << 4);
		else
			id[b++] |= (uint8_t)v;
		hi = !hi;
	}
	return (s[INPUT_UUID_LEN] == '\0' ? 0 : -1);
}

void
input_uuid_format(const uint8_t *id, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i, o;

	for (i = 0, o = 0; i < ENGINE_ID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 0xf];
	}
	out[o] = '\0';
}

/*
 * One JSON value filling text (whitespace around it only), or NULL.
 * cJSON takes every byte up to 0x20, NUL included, for whitespace, and
 * raw control characters in strings; JSON has neither (jsonb never
 * prints them). They are refused here, or a document would be valid
 * when parsed whole and invalid when the cache splits it, since
 * find_member() knows JSON's whitespace only.
 */
static cJSON *
parse_json(const char *text, size_t len)
{
	const char	*end = NULL;
	cJSON		*root;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)text[i] < 0x20 && !is_ws(text[i]))
			return (NULL);
	}
	if (len == 0 ||
	    (root = cJSON_ParseWithLengthOpts(text, len, &end, 0)) == NULL)
		return (NULL);
	while (end != NULL && end < text + len && is_ws(*end))
		end++;
	if (end != text + len) {
		cJSON_Delete(root);
		return (NULL);
	}
	return (root);
}

static int
is_ws(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return (p);
}

/* p at a '"': past the closing quote, or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return (p + 1);
	}
	return (NULL);
}

/*
 * Past one value, by brackets and strings only: this finds where a value
 * ends, it does not check it (cJSON does that).  NULL when unbalanced.
 */
static const char *
skip_value(const char *p, const char *end)
{
	size_t	depth = 0;

	do {
		if (p >= end)
			return (NULL);
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return (NULL);
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return (NULL);
			depth--;
			p++;
			break;
		default:
			if (depth > 0) {
				p++;
				break;
			}
			while (p < end && !is_ws(*p) && *p != ',' &&
			    *p != '}' && *p != ']')
				p++;
			return (p);
		}
	} while (depth > 0);
	return (p);
}

/*
 * Where the value of the top-level member key (written without escapes)
 * starts and ends in text.  -1 when the text is not an object of that
 * shape or has no such member: the caller then parses it all.
 */
static int
find_member(const char *text, size_t len, const char *key, size_t *vs,
    size_t *ve)
{
	const char	*p, *end = text + len, *ks, *v;
	size_t		 klen = strlen(key);

	p = skip_ws(text, end);
	if (p == end || *p++ != '{')
		return (-1);
	for (;;) {
		p = skip_ws(p, end);
		if (p == end || *p != '"')
			return (-1);
		ks = p + 1;
		if ((p = skip_string(p, end)) == NULL)
			return (-1);
		if ((size_t)(p - 1 - ks) == klen && memcmp(ks, key, klen) == 0)
			ks = NULL;		/* found */
		p = skip_ws(p, end);
		if (p == end || *p++ != ':')
			return (-1);
		v = skip_ws(p, end);
		if ((p = skip_value(v, end)) == NULL)
			return (-1);
		if (ks == NULL) {
			*vs = (size_t)(v - text);
			*ve = (size_t)(p - text);
			return (0);
		}
		p = skip_ws(p, end);
		if (p == end || *p++ != ',')
			return (-1);
	}
}

/* Parse a candidates array into the cache; the old entry stays on error. */
static int
cache_fill(struct input_cache *cache, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct engine_candidate	*c;
	cJSON			*root;
	char			*copy;
	size_t			 n, ntags;
	int			 rc;

	if ((root = parse_json(text, len)) == NULL)
		return (bad(err, errlen, NULL, "input", "not a JSON document"));
	rc = parse_candidates(root, &c, &n, &ntags, err, errlen);
	cJSON_Delete(root);
	if (rc != INPUT_OK)
		return (rc);
	if ((copy = malloc(len)) == NULL) {
		free(c);
		return (nomem(err, errlen));
	}
	memcpy(copy, text, len);
	free(cache->text);
	free(cache->candidates);
	cache->text = copy;
	cache->len = len;
	cache->candidates = c;
	cache->ncandidates = n;
	cache->ntags = ntags;
	return (INPUT_OK);
}

void
input_cache_free(struct input_cache *cache)
{
	if (cache == NULL)
		return;
	free(cache->text);
	free(cache->candidates);
	memset(cache, 0, sizeof(*cache));
}

int
input_parse(const char *text, size_t len, struct input_cache *cache,
    struct input_job *job, char *err, size_t errlen)
{
	cJSON		*root;
	const cJSON	*m[T_COUNT], *e;
	enum engine_programme prog;
	char		*rest;
	int64_t		 x;
	size_t		 i, n, vs, ve;
	int		 rc = INPUT_INVALID, given = 0, held = 0;

	memset(job, 0, sizeof(*job));
	if (cache != NULL && cache->text != NULL &&
	    find_member(text, len, "candidates", &vs, &ve) != 0) {
		/* Left out: this worker holds them (the epoch must say so). */
		cache->hits++;
		job->candidates = cache->candidates;
		job->problem.candidates = cache->candidates;
		job->problem.ncandidates = cache->ncandidates;
		job->ntags = cache->ntags;
		job->candidates_cached = 1;
		held = 1;
		root = parse_json(text, len);
	} else if (cache != NULL &&
	    find_member(text, len, "candidates", &vs, &ve) == 0) {
		given = 1;
		/*
		 * The candidates are the bulk of the input and the same for
		 * every job until they change: parse them once, and the rest
		 * of the document with null in their place.
		 */
		if (ve - vs != cache->len || cache->text == NULL ||
		    memcmp(text + vs, cache->text, cache->len) != 0) {
			cache->misses++;
			cache->epoch = 0;
			if ((rc = cache_fill(cache, text + vs, ve - vs, err,
			    errlen)) != INPUT_OK)
				return (rc);
			rc = INPUT_INVALID;
		} else
			cache->hits++;
		job->candidates = cache->candidates;
		job->problem.candidates = cache->candidates;
		job->problem.ncandidates = cache->ncandidates;
		job->ntags = cache->ntags;
		job->candidates_cached = 1;
		if ((rest = malloc(len - (ve - vs) + 4)) == NULL) {
			memset(job, 0, sizeof(*job));
			return (nomem(err, errlen));
		}
		memcpy(rest, text, vs);
		memcpy(rest + vs, "null", 4);
		memcpy(rest + vs + 4, text + ve, len - ve);
		root = parse_json(rest, len - (ve - vs) + 4);
		free(rest);
	} else
		root = parse_json(text, len);
	if (root == NULL) {
		input_free(job);
		return (bad(err, errlen, NULL, "input", "not a JSON document"));
	}
	if (members(root, top_names, T_COUNT, m, NULL, err, errlen) !=
	    INPUT_OK)
		goto out;
	if (m[T_EPOCH] != NULL && get_int(m[T_EPOCH], NULL, "epoch", 1,
	    INT64_MAX, &x, err, errlen) != INPUT_OK)
		goto out;
	if (held && m[T_CANDIDATES] != NULL) {
		/* There after all (a key the scan does not know): parse them
		 * the plain way. */
		held = 0;
		cache->hits--;
		job->candidates = NULL;
		job->problem.candidates = NULL;
		job->problem.ncandidates = 0;
		job->ntags = 0;
		job->candidates_cached = 0;
	}
	if (held && (m[T_EPOCH] == NULL || x != cache->epoch)) {
		rc = bad(err, errlen, NULL, "candidates",
		    "missing, and not of the epoch this worker holds");
		goto out;
	}
	if (given)
		cache->epoch = m[T_EPOCH] != NULL ? x : 0;
	if (m[T_KIND] == NULL ||
	    input_kind_parse(cJSON_GetStringValue(m[T_KIND]), &job->kind) ==
	    -1) {
		rc = bad(err, errlen, NULL, "kind",
		    "must be \"suggest\", \"batch\" or \"stable\"");
		goto out;
	}
	if (m[T_PROGRAMME] == NULL ||
	    input_programme_parse(cJSON_GetStringValue(m[T_PROGRAMME]),
	    &prog) == -1) {
		rc = bad(err, errlen, NULL, "programme",
		    "must be \"partners\" or \"women\"");
		goto out;
	}
	job->problem.programme = prog;
	if (job->kind == INPUT_SUGGEST) {
		if (get_int(m[T_K], NULL, "k", 1, ENGINE_SUGGEST_MAX, &x, err,
		    errlen) != INPUT_OK)
			goto out;
		job->k = (uint32_t)x;
	}
	if (get_int(m[T_MIN_SCORE], NULL, "min_score", 0, ENGINE_SCORE_MAX,
	    &x, err, errlen) != INPUT_OK)
		goto out;
	job->min_score = (uint32_t)x;
	job->problem.default_weights.district = 0;
	if (get_weights(m[T_DEFAULT_WEIGHTS], NULL, "default_weights",
	    job->problem.default_weights.w, err, errlen) != INPUT_OK)
		goto out;
	if ((rc = parse_weights(m[T_WEIGHTS], job, err, errlen)) != INPUT_OK)
		goto out;
	rc = INPUT_INVALID;

	if (get_array(m[T_SUBJECTS], NULL, "subjects", &n, err, errlen) !=
	    INPUT_OK)
		goto out;
	if ((job->subjects = calloc(n ? n : 1, sizeof(*job->subjects))) ==
	    NULL) {
		rc = nomem(err, errlen);
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
		if ((rc = parse_candidates(m[T_CANDIDATES], &job->candidates,
		    &n, &job->ntags, err, errlen)) != INPUT_OK)
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

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* A JSON string; the engine's names are plain ASCII, but be safe. */
static void
sb_str(struct sbuf *b, const char *s)
{
	char		 esc[8];
	const char	*run;

	sb_add(b, "\"", 1);
	for (run = s; *s != '\0'; s++) {
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			continue;
		sb_add(b, run, (size_t)(s - run));
		(void)snprintf(esc, sizeof(esc), "\\u%04x",
		    (unsigned int)(unsigned char)*s);
		sb_add(b, esc, 6);
		run = s + 1;
	}
	sb_add(b, run, (size_t)(s - run));
	sb_add(b, "\"", 1);
}

static void
sb_u64(struct sbuf *b, uint64_t v)
{
	char	buf[24];
	size_t	i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	sb_add(b, buf + i, sizeof(buf) - i);
}

/* v / div exactly, as a JSON number (div a power of ten). */
static void
sb_dec(struct sbuf *b, uint64_t v, uint64_t div)
{
	char		buf[24];
	uint64_t	frac, d;
	size_t		n;

	sb_u64(b, v / div);
	if ((frac = v % div) == 0)
		return;
	n = 0;
	buf[n++] = '.';
	for (d = div / 10; d > 0 && frac > 0; d /= 10) {
		buf[n++] = (char)('0' + frac / d);
		frac %= d;
	}
	sb_add(b, buf, n);
}

static void
sb_uuid(struct sbuf *b, const uint8_t *id)
{
	char	text[INPUT_UUID_LEN + 3];

	text[0] = '"';
	input_uuid_format(id, text + 1);
	text[INPUT_UUID_LEN + 1] = '"';
	text[INPUT_UUID_LEN + 2] = '\0';
	sb_add(b, text, INPUT_UUID_LEN + 2);
}

/* One proposal: engine units to the API's (points and fractions). */
static void
sb_proposal(struct sbuf *b, const struct input_job *job,
    const struct proposal *p)
{
	const struct engine_feature_expl	*fx;
	unsigned int				 f, i, first;

	sb_puts(b, "{\"subject\":");
	sb_uuid(b, job->subjects[p->s].id);
	sb_puts(b, ",\"candidate\":");
	sb_uuid(b, job->candidates[p->c].id);
	sb_puts(b, ",\"score\":");
	sb_u64(b, p->x.score);
	sb_puts(b, ",\"explanation\":{\"score\":");
	sb_dec(b, p->x.score, 100);
	sb_puts(b, ",\"features\":[");
	first = 1;
	for (f = 0; f < ENGINE_F_COUNT; f++) {
		if (!engine_feature_used(job->problem.programme, f))
			continue;
		for (i = 0; i < p->x.nfeatures &&
		    p->x.features[i].feature != f; i++)
			;
		if (i == p->x.nfeatures)
			continue;
		fx = &p->x.features[i];
		sb_puts(b, first ? "{\"feature\":" : ",{\"feature\":");
		first = 0;
		sb_str(b, engine_feature_name(f));
		sb_puts(b, ",\"value\":");
		sb_dec(b, fx->value, ENGINE_VALUE_ONE);
		sb_puts(b, ",\"weight\":");
		sb_dec(b, fx->weight, 100);
		sb_puts(b, ",\"points\":");
		sb_dec(b, fx->points, 100);
		sb_puts(b, ",\"reason\":");
		if (fx->reason != NULL)
			sb_str(b, fx->reason);
		else
			sb_puts(b, "null");
		sb_puts(b, "}");
	}
	sb_puts(b, "]}}");
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec	t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6);
}

/*
 * engine_suggest reports no counts; engine_stable without preference lists
 * gathers and scores exactly the admissible pairs above min_score, so its
 * statistics give the suggest job's pairs_checked and admissible as well.
 */
int
input_run(const struct input_job *job, struct input_result *res, char *err,
    size_t errlen)
{
	struct engine			*e;
	struct engine_suggestion	 out[ENGINE_SUGGEST_MAX];
	struct engine_stats		 st;
	struct proposal			*props = NULL;
	struct sbuf			 b;
	struct timespec			 t0;
	char				 msg[MSG_MAX], num[32];
	int32_t				*match = NULL;
	size_t				 ns, np, cap, i, n;
	uint32_t			 s;
	int				 rc = INPUT_NOMEM;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	memset(&st, 0, sizeof(st));
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	msg[0] = '\0';
	if ((e = engine_prepare(&job->problem, msg, sizeof(msg))) == NULL)
		return (bad(err, errlen, NULL, "engine",
		    "refused the input: %s", msg));
	ns = job->problem.nsubjects;
	cap = job->kind == INPUT_SUGGEST ? ns * job->k : ns;
	match = calloc(ns ? ns : 1, sizeof(*match));
	props = calloc(cap ? cap : 1, sizeof(*props));
	if (match == NULL || props == NULL)
		goto out;
	np = 0;
	switch (job->kind) {
	case INPUT_SUGGEST:
		for (s = 0; s < ns; s++) {
			if (engine_suggest(e, s, job->min_score, job->k, out,
			    &n) == -1)
				goto out;
			for (i = 0; i < n; i++) {
				props[np].s = s;
				props[np].c = out[i].candidate;
				props[np].x = out[i].expl;
				np++;
			}
		}
		if (engine_stable(e, job->min_score, NULL, match, &st) == -1)
			goto out;
		break;
	case INPUT_BATCH:
		if (engine_batch(e, job->min_score > 0 ? job->min_score : 1,
		    match, &st) == -1)
			goto out;
		break;
	case INPUT_STABLE:
		if (engine_stable(e, job->min_score, NULL, match, &st) == -1)
			goto out;
		break;
	}
	if (job->kind != INPUT_SUGGEST) {
		for (s = 0; s < ns; s++) {
			if (match[s] == ENGINE_NO_MATCH)
				continue;
			props[np].s = s;
			props[np].c = (uint32_t)match[s];
			(void)engine_explain(e, s, (uint32_t)match[s],
			    &props[np].x);
			np++;
		}
	}
	res->engine_ms = ms_since(&t0);

	for (i = 0; i < np; i++)
		res->total_score += props[i].x.score;
	res->nproposals = np;
	sb_puts(&b, "{\"proposals\":[");
	for (i = 0; i < np; i++) {
		if (i > 0)
			sb_puts(&b, ",");
		sb_proposal(&b, job, &props[i]);
	}
	sb_puts(&b, "],\"stats\":{\"subjects\":");
	sb_u64(&b, ns);
	sb_puts(&b, ",\"candidates\":");
	sb_u64(&b, job->problem.ncandidates);
	sb_puts(&b, ",\"pairs_checked\":");
	sb_u64(&b, st.pairs_checked);
	sb_puts(&b, ",\"admissible\":");
	sb_u64(&b, st.edges);
	sb_puts(&b, ",\"assigned\":");
	sb_u64(&b, np);
	sb_puts(&b, ",\"total_score\":");
	sb_u64(&b, (uint64_t)res->total_score);
	(void)snprintf(num, sizeof(num), "%.3f", res->engine_ms);
	sb_puts(&b, ",\"engine_ms\":");
	sb_puts(&b, num);
	sb_puts(&b, "}}");
	if (b.oom)
		goto out;
	res->json = b.p;
	res->len = b.len;
	b.p = NULL;
	rc = INPUT_OK;
out:
	if (rc != INPUT_OK) {
		memset(res, 0, sizeof(*res));
		(void)nomem(err, errlen);
	}
	free(b.p);
	free(props);
	free(match);
	engine_free(e);
	return (rc);
}

void
input_result_free(struct input_result *res)
{
	if (res == NULL)
		return;
	free(res->json);
	memset(res, 0, sizeof(*res));
}
