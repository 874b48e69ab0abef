/*
 * input_value.c: the members of a job's input document, one value at a
 * time: checked and converted, or refused with a message that says where
 * (member paths and ids only, never personal data).
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "input_int.h"

enum { L_CODE, L_LEVEL, L_COUNT };
static const char *const lang_names[L_COUNT] = { "code", "level" };

int
input_bad(char *err, size_t errlen, const struct where *w, const char *key,
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

int
input_nomem(char *err, size_t errlen)
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
int
input_members(const cJSON *obj, const char *const *names, size_t n,
    const cJSON **out, const struct where *w, char *err, size_t errlen)
{
	const cJSON	*m;
	size_t		 i, next;

	if (!cJSON_IsObject(obj))
		return (input_bad(err, errlen, w, NULL, "must be an object"));
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
			return (input_bad(err, errlen, w, names[i],
			    "given twice"));
		out[i] = m;
		next = i + 1;
	}
	return (INPUT_OK);
}

int
input_get_int(const cJSON *v, const struct where *w, const char *key,
    int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	double	d;

	if (v == NULL)
		return (input_bad(err, errlen, w, key, "missing"));
	d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	/*
	 * The bounds are compared as integers: (double)INT64_MAX rounds up
	 * to 2^63, which no int64_t holds, so comparing doubles would let
	 * 2^63 through to an undefined conversion.
	 */
	if (!(d >= -0x1p63 && d < 0x1p63) || d != floor(d) ||
	    (int64_t)d < min || (int64_t)d > max)
		return (input_bad(err, errlen, w, key,
		    "must be an integer from %lld to %lld", (long long)min,
		    (long long)max));
	*out = (int64_t)d;
	return (INPUT_OK);
}

int
input_get_bool(const cJSON *v, const struct where *w, const char *key,
    uint8_t *out, char *err, size_t errlen)
{
	if (v == NULL)
		return (input_bad(err, errlen, w, key, "missing"));
	if (!cJSON_IsBool(v))
		return (input_bad(err, errlen, w, key,
		    "must be true or false"));
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return (INPUT_OK);
}

int
input_get_array(const cJSON *v, const struct where *w, const char *key,
    size_t *n, char *err, size_t errlen)
{
	const cJSON	*e;

	if (v == NULL)
		return (input_bad(err, errlen, w, key, "missing"));
	if (!cJSON_IsArray(v))
		return (input_bad(err, errlen, w, key, "must be an array"));
	*n = 0;
	for (e = v->child; e != NULL; e = e->next)
		(*n)++;
	return (INPUT_OK);
}

int
input_get_id(const cJSON *v, const struct where *w, const char *key,
    uint8_t *id, char *err, size_t errlen)
{
	if (v == NULL)
		return (input_bad(err, errlen, w, key, "missing"));
	if (!cJSON_IsString(v) || input_uuid_parse(v->valuestring, id) == -1)
		return (input_bad(err, errlen, w, key, "must be a uuid"));
	return (INPUT_OK);
}

/* has_place, and lat/lon when it is true (null or absent otherwise). */
int
input_get_place(const cJSON *hp, const cJSON *lat, const cJSON *lon,
    const struct where *w, uint8_t *has, double *la, double *lo, char *err,
    size_t errlen)
{
	if (input_get_bool(hp, w, "has_place", has, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	*la = *lo = 0.0;
	if (!*has) {
		if (lat != NULL && !cJSON_IsNull(lat) && !cJSON_IsNumber(lat))
			return (input_bad(err, errlen, w, "lat",
			    "must be a number or null"));
		if (lon != NULL && !cJSON_IsNull(lon) && !cJSON_IsNumber(lon))
			return (input_bad(err, errlen, w, "lon",
			    "must be a number or null"));
		return (INPUT_OK);
	}
	if (lat == NULL || !cJSON_IsNumber(lat) ||
	    !(lat->valuedouble >= -90.0 && lat->valuedouble <= 90.0))
		return (input_bad(err, errlen, w, "lat",
		    "must be a number from -90 to 90"));
	if (lon == NULL || !cJSON_IsNumber(lon) ||
	    !(lon->valuedouble >= -180.0 && lon->valuedouble <= 180.0))
		return (input_bad(err, errlen, w, "lon",
		    "must be a number from -180 to 180"));
	*la = lat->valuedouble;
	*lo = lon->valuedouble;
	return (INPUT_OK);
}

/*
 * Languages: every entry is checked, the first ENGINE_MAX_LANGS are used.
 * A subject states a level for each language; a candidate may give 0.
 */
int
input_get_langs(const cJSON *v, const struct where *w0, int need_level,
    struct engine_lang *langs, uint8_t *n, char *err, size_t errlen)
{
	const cJSON	*m[L_COUNT], *e;
	struct where	 w = *w0;
	const char	*code;
	int64_t		 level;
	size_t		 len, count, i;

	if (input_get_array(v, w0, "langs", &count, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	*n = 0;
	w.inner = "langs";
	w.j = 0;
	for (e = v->child; e != NULL; e = e->next, w.j++) {
		if (input_members(e, lang_names, L_COUNT, m, &w, err, errlen) !=
		    INPUT_OK)
			return (INPUT_INVALID);
		if (m[L_CODE] == NULL)
			return (input_bad(err, errlen, &w, "code", "missing"));
		code = cJSON_GetStringValue(m[L_CODE]);
		len = code != NULL ? strlen(code) : 0;
		for (i = 0; i < len && code[i] >= 'a' && code[i] <= 'z'; i++)
			;
		if (len < 2 || len > 3 || i != len)
			return (input_bad(err, errlen, &w, "code",
			    "must be 2 or 3 lower-case letters"));
		if (input_get_int(m[L_LEVEL], &w, "level", need_level ? 1 : 0,
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

int
input_get_kldb(const cJSON *v, const struct where *w, char *kldb, char *err,
    size_t errlen)
{
	const char	*s;
	size_t		 i;

	if (v == NULL)
		return (input_bad(err, errlen, w, "kldb", "missing"));
	if ((s = cJSON_GetStringValue(v)) == NULL)
		return (input_bad(err, errlen, w, "kldb", "must be a string"));
	for (i = 0; i < 5 && s[i] >= '0' && s[i] <= '9'; i++)
		kldb[i] = s[i];
	if (s[i] != '\0')
		return (input_bad(err, errlen, w, "kldb",
		    "must be up to 5 digits"));
	kldb[i] = '\0';
	return (INPUT_OK);
}

int
input_get_weights(const cJSON *v, const struct where *w, const char *key,
    uint16_t *out, char *err, size_t errlen)
{
	const cJSON	*e;
	int64_t		 x;
	size_t		 n, f;

	x = 0;
	if (input_get_array(v, w, key, &n, err, errlen) != INPUT_OK)
		return (INPUT_INVALID);
	if (n != ENGINE_F_COUNT)
		return (input_bad(err, errlen, w, key, "must hold %d integers",
		    ENGINE_F_COUNT));
	for (e = v->child, f = 0; e != NULL; e = e->next, f++) {
		if (input_get_int(e, w, key, 0, ENGINE_SCORE_MAX, &x, err,
		    errlen) != INPUT_OK)
			return (input_bad(err, errlen, w, key,
			    "must hold integers from 0 to %d",
			    ENGINE_SCORE_MAX));
		out[f] = (uint16_t)x;
	}
	return (INPUT_OK);
}
