/*
 * Validates JSON values against the schemas of openapi/openapi.yaml, so
 * that what the contract documents is exactly what the API accepts.
 *
 * The subset of JSON Schema 2020-12 the contract uses: $ref (local),
 * type (a name or a list, "null" included), enum, properties, required,
 * additionalProperties: false, minProperties, maxProperties, items,
 * minItems, maxItems, uniqueItems, minLength and maxLength (in
 * characters), pattern (POSIX extended syntax, which the patterns of the
 * contract are written to mean the same in), format (uuid, date,
 * date-time), minimum and maximum. A keyword outside this subset is a
 * contract bug: schema_check() reports it so tests catch it.
 *
 * Objects are also checked for duplicate member names, which JSON parsers
 * disagree about. Every error names its place as a JSON pointer (RFC
 * 6901). Recursion follows the value, whose nesting the caller bounds.
 */

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ch.h"

#define SCHEMA_REF_DEPTH	16	/* $ref chains */
#define SCHEMA_ENUM_SHOWN	12	/* enum values listed in a message */
#define SCHEMA_MEMBERS_MAX	256	/* members of one object looked at */

struct walk {
	const cJSON	*root;
	schema_error_cb	 cb;
	void		*arg;
	int		 errors;
};

static void	report(struct walk *, const char *, const char *, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
static const cJSON *deref(const cJSON *, const cJSON *);
static int	type_matches(const cJSON *, const char *);
static int	type_ok(const cJSON *, const cJSON *, char *, size_t);
static int	pattern_ok(const char *, const char *);
static void	pointer_push(char *, size_t, const char *);
static void	walk_value(struct walk *, const cJSON *, const cJSON *, char *,
		    size_t);
static void	walk_object(struct walk *, const cJSON *, const cJSON *,
		    char *, size_t);
static void	walk_array(struct walk *, const cJSON *, const cJSON *, char *,
		    size_t);
static void	walk_string(struct walk *, const cJSON *, const cJSON *,
		    const char *);
static void	walk_number(struct walk *, const cJSON *, const cJSON *,
		    const char *);
static int	json_equal(const cJSON *, const cJSON *);

static void
report(struct walk *w, const char *pointer, const char *code,
    const char *fmt, ...)
{
	va_list	ap;
	char	msg[256];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->errors++;
	w->cb(w->arg, pointer, code, msg);
}

/* Follows "#/components/schemas/Name" references. */
static const cJSON *
deref(const cJSON *root, const cJSON *schema)
{
	const cJSON	*ref, *node;
	char		 buf[256], *tok, *save;
	int		 hops;

	for (hops = 0; schema != NULL && hops < SCHEMA_REF_DEPTH; hops++) {
		ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
		if (!cJSON_IsString(ref))
			return (schema);
		if (strncmp(ref->valuestring, "#/", 2) != 0 ||
		    strlen(ref->valuestring) >= sizeof(buf))
			return (NULL);
		(void)snprintf(buf, sizeof(buf), "%s", ref->valuestring + 2);
		node = root;
		for (tok = strtok_r(buf, "/", &save); tok != NULL && node;
		    tok = strtok_r(NULL, "/", &save))
			node = cJSON_GetObjectItemCaseSensitive(node, tok);
		schema = node;
	}

	return (hops < SCHEMA_REF_DEPTH ? schema : NULL);
}

const cJSON *
schema_named(const cJSON *root, const char *name)
{
	const cJSON	*c;

	c = cJSON_GetObjectItemCaseSensitive(root, "components");
	c = cJSON_GetObjectItemCaseSensitive(c, "schemas");

	return (deref(root, cJSON_GetObjectItemCaseSensitive(c, name)));
}

const cJSON *
schema_resolve(const cJSON *root, const cJSON *schema)
{
	return (deref(root, schema));
}

static int
type_matches(const cJSON *v, const char *type)
{
	double	d;

	if (strcmp(type, "null") == 0)
		return (cJSON_IsNull(v));
	if (strcmp(type, "boolean") == 0)
		return (cJSON_IsBool(v));
	if (strcmp(type, "string") == 0)
		return (cJSON_IsString(v));
	if (strcmp(type, "object") == 0)
		return (cJSON_IsObject(v));
	if (strcmp(type, "array") == 0)
		return (cJSON_IsArray(v));
	if (strcmp(type, "number") == 0)
		return (cJSON_IsNumber(v) && isfinite(v->valuedouble));
	if (strcmp(type, "integer") == 0) {
		if (!cJSON_IsNumber(v))
			return (0);
		d = v->valuedouble;
		return (isfinite(d) && d == floor(d) &&
		    fabs(d) <= 9007199254740991.0);
	}

	return (0);
}

/* Does v have one of the schema's types? names gets them for a message. */
static int
type_ok(const cJSON *schema, const cJSON *v, char *names, size_t len)
{
	const cJSON	*t, *e;

	names[0] = '\0';
	t = cJSON_GetObjectItemCaseSensitive(schema, "type");
	if (t == NULL)
		return (1);
	if (cJSON_IsString(t)) {
		(void)snprintf(names, len, "%s", t->valuestring);
		return (type_matches(v, t->valuestring));
	}
	cJSON_ArrayForEach(e, t) {
		if (!cJSON_IsString(e))
			continue;
		if (type_matches(v, e->valuestring))
			return (1);
		if (names[0] != '\0')
			(void)strncat(names, " or ", len - strlen(names) - 1);
		(void)strncat(names, e->valuestring, len - strlen(names) - 1);
	}

	return (0);
}

static int
digits(const char *s, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

/* A calendar date YYYY-MM-DD with a day that exists. */
static int
date_ok(const char *s)
{
	static const int	mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	int			y, m, d;

	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return (0);
	y = atoi(s);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return (0);
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return (0);
	return (1);
}

/*
 * Formats the contract uses. date-time is RFC 3339, with offsets up to
 * 15:59 (PostgreSQL's limit; real zones lie within -12 to +14 hours) and
 * no fraction on a leap second.
 */
int
schema_format_ok(const char *format, const char *s)
{
	size_t	i;

	if (strcmp(format, "uuid") == 0)
		return (codec_is_uuid(s));
	if (strcmp(format, "date") == 0)
		return (strlen(s) == 10 && date_ok(s));
	if (strcmp(format, "date-time") == 0) {
		/* RFC 3339: date, T, time, optional fraction, offset. */
		if (strlen(s) < 20 || !date_ok(s) ||
		    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
		    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
		    !digits(s + 17, 2) || atoi(s + 11) > 23 ||
		    atoi(s + 14) > 59 || atoi(s + 17) > 60)
			return (0);
		i = 19;
		/* A leap second with a fraction would lie past midnight at
		 * 23:59, which PostgreSQL cannot store. */
		if (atoi(s + 17) == 60 && s[i] == '.')
			return (0);
		if (s[i] == '.') {
			for (i++; isdigit((unsigned char)s[i]); i++)
				;
			if (i == 20 || i > 29)
				return (0);
		}
		if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
			return (1);
		return ((s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) &&
		    s[i + 3] == ':' && digits(s + i + 4, 2) &&
		    s[i + 6] == '\0' && atoi(s + i + 1) < 16 &&
		    atoi(s + i + 4) < 60);
	}

	return (1);	/* other formats are annotations */
}

/*
 * Matches s against a pattern. Patterns are anchored in the contract
 * (^...$). A pattern that does not compile matches nothing, so the
 * mistake shows in the tests rather than letting input through.
 */
static int
pattern_ok(const char *pattern, const char *s)
{
	regex_t	re;
	int	ok;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return (0);
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);

	return (ok);
}

/*
 * Appends "/token" to a JSON pointer, escaping ~ and / (RFC 6901). A
 * token that does not fit is cut before a whole character: the pointer
 * goes into the problem document, which must stay UTF-8.
 */
static void
pointer_push(char *ptr, size_t len, const char *token)
{
	unsigned char	c;
	size_t		n, k, want;

	n = strlen(ptr);
	if (n + 1 >= len)
		return;
	ptr[n++] = '/';
	for (; *token != '\0'; token += k) {
		c = (unsigned char)*token;
		want = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		for (k = 1; k < want && ((unsigned char)token[k] & 0xc0) ==
		    0x80; k++)
			;
		if (n + (c == '~' || c == '/' ? 2 : k) >= len)
			break;
		if (c == '~' || c == '/') {
			ptr[n++] = '~';
			ptr[n++] = c == '~' ? '0' : '1';
		} else {
			memcpy(ptr + n, token, k);
			n += k;
		}
	}
	ptr[n] = '\0';
}

static int
json_equal(const cJSON *a, const cJSON *b)
{
	return (cJSON_Compare(a, b, 1));
}

static void
walk_value(struct walk *w, const cJSON *schema, const cJSON *v, char *ptr,
    size_t len)
{
	const cJSON	*e, *en;
	char		 types[64], shown[200];
	int		 n;

	if ((schema = deref(w->root, schema)) == NULL) {
		report(w, ptr, "schema", "The contract has no schema here.");
		return;
	}
	if (!type_ok(schema, v, types, sizeof(types))) {
		report(w, ptr, "type", "must be %s %s.",
		    strchr("aeiou", types[0]) ? "an" : "a", types);
		return;
	}
	if ((en = cJSON_GetObjectItemCaseSensitive(schema, "enum")) != NULL) {
		shown[0] = '\0';
		n = 0;
		cJSON_ArrayForEach(e, en) {
			if (json_equal(e, v))
				break;
			if (cJSON_IsString(e) && n++ < SCHEMA_ENUM_SHOWN) {
				if (shown[0] != '\0')
					(void)strncat(shown, ", ",
					    sizeof(shown) - strlen(shown) - 1);
				(void)strncat(shown, e->valuestring,
				    sizeof(shown) - strlen(shown) - 1);
			}
		}
		if (e == NULL) {
			report(w, ptr, "enum", "must be one of: %s%s.", shown,
			    n > SCHEMA_ENUM_SHOWN ? ", ..." : "");
			return;
		}
	}
	if (cJSON_IsObject(v))
		walk_object(w, schema, v, ptr, len);
	else if (cJSON_IsArray(v))
		walk_array(w, schema, v, ptr, len);
	else if (cJSON_IsString(v))
		walk_string(w, schema, v, ptr);
	else if (cJSON_IsNumber(v))
		walk_number(w, schema, v, ptr);
}

static void
walk_object(struct walk *w, const cJSON *schema, const cJSON *v, char *ptr,
    size_t len)
{
	const cJSON	*props, *extra, *req, *m, *o, *k;
	size_t		 mark;
	int		 count;

	props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
	mark = strlen(ptr);
	count = 0;

	/* The duplicate check below is quadratic: no object of the
	 * contract comes near this many members. */
	if (cJSON_GetArraySize(v) > SCHEMA_MEMBERS_MAX) {
		report(w, ptr, "max_properties", "must have at most %d "
		    "members.", SCHEMA_MEMBERS_MAX);
		return;
	}

	cJSON_ArrayForEach(m, v) {
		count++;
		pointer_push(ptr, len, m->string);
		for (o = v->child; o != m; o = o->next) {
			if (strcmp(o->string, m->string) == 0)
				break;
		}
		if (o != m) {
			report(w, ptr, "duplicate",
			    "is given twice; each member may appear once.");
		} else if ((k = cJSON_GetObjectItemCaseSensitive(props,
		    m->string)) != NULL) {
			walk_value(w, k, m, ptr, len);
		} else if (cJSON_IsFalse(extra)) {
			report(w, ptr, "unknown_field",
			    "is not a field of this request.");
		} else if (cJSON_IsObject(extra)) {
			walk_value(w, extra, m, ptr, len);
		}
		ptr[mark] = '\0';
	}

	req = cJSON_GetObjectItemCaseSensitive(schema, "required");
	cJSON_ArrayForEach(k, req) {
		if (!cJSON_IsString(k) ||
		    cJSON_GetObjectItemCaseSensitive(v, k->valuestring))
			continue;
		pointer_push(ptr, len, k->valuestring);
		report(w, ptr, "required", "is required.");
		ptr[mark] = '\0';
	}

	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "minProperties")) &&
	    count < k->valueint)
		report(w, ptr, "min_properties", "must have at least %d "
		    "members.", k->valueint);
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "maxProperties")) &&
	    count > k->valueint)
		report(w, ptr, "max_properties", "must have at most %d "
		    "members.", k->valueint);
}

static void
walk_array(struct walk *w, const cJSON *schema, const cJSON *v, char *ptr,
    size_t len)
{
	const cJSON	*items, *k, *e, *o;
	char		 idx[16];
	size_t		 mark;
	int		 n, i, unique;

	n = cJSON_GetArraySize(v);
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "minItems")) &&
	    n < k->valueint) {
		report(w, ptr, "min_items", "must have at least %d item%s.",
		    k->valueint, k->valueint == 1 ? "" : "s");
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "maxItems")) &&
	    n > k->valueint) {
		/* Items of an overlong array are not looked at one by one. */
		report(w, ptr, "max_items", "must have at most %d items.",
		    k->valueint);
		return;
	}
	unique = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(schema,
	    "uniqueItems"));
	items = cJSON_GetObjectItemCaseSensitive(schema, "items");
	mark = strlen(ptr);
	i = 0;
	cJSON_ArrayForEach(e, v) {
		(void)snprintf(idx, sizeof(idx), "%d", i++);
		pointer_push(ptr, len, idx);
		if (items != NULL)
			walk_value(w, items, e, ptr, len);
		if (unique) {
			for (o = v->child; o != e; o = o->next) {
				if (json_equal(o, e)) {
					report(w, ptr, "duplicate", "repeats "
					    "an earlier item.");
					break;
				}
			}
		}
		ptr[mark] = '\0';
	}
}

static void
walk_string(struct walk *w, const cJSON *schema, const cJSON *v,
    const char *ptr)
{
	const cJSON	*k;
	size_t		 chars;

	chars = codec_utf8_chars(v->valuestring);
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "minLength")) &&
	    chars < (size_t)k->valueint) {
		report(w, ptr, k->valueint == 1 ? "required" : "min_length",
		    k->valueint == 1 ? "must not be empty." :
		    "must have at least %d characters.", k->valueint);
		return;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "maxLength")) &&
	    chars > (size_t)k->valueint) {
		report(w, ptr, "max_length", "must have at most %d "
		    "characters.", k->valueint);
		return;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "format")) &&
	    cJSON_IsString(k) && !schema_format_ok(k->valuestring, v->valuestring)) {
		report(w, ptr, "format", "must be a valid %s.",
		    k->valuestring);
		return;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "pattern")) &&
	    cJSON_IsString(k) && !pattern_ok(k->valuestring, v->valuestring))
		report(w, ptr, "pattern", "has the wrong form.");
}

static void
walk_number(struct walk *w, const cJSON *schema, const cJSON *v,
    const char *ptr)
{
	const cJSON	*k;

	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "minimum")) &&
	    v->valuedouble < k->valuedouble) {
		report(w, ptr, "minimum", "must be at least %g.",
		    k->valuedouble);
		return;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(schema, "maximum")) &&
	    v->valuedouble > k->valuedouble)
		report(w, ptr, "maximum", "must be at most %g.",
		    k->valuedouble);
}

int
schema_validate(const cJSON *root, const cJSON *schema, const cJSON *value,
    const char *where, schema_error_cb cb, void *arg)
{
	struct walk	w;
	char		ptr[SCHEMA_POINTER_MAX];

	w.root = root;
	w.cb = cb;
	w.arg = arg;
	w.errors = 0;
	(void)snprintf(ptr, sizeof(ptr), "%s", where != NULL ? where : "");
	walk_value(&w, schema, value, ptr, sizeof(ptr));

	return (w.errors);
}

/*
 * Lists keywords of a schema (and the schemas under it) that the
 * validator does not implement: the contract must not promise a check
 * the API does not make. Returns how many were reported.
 */
static const char *const known[] = {
	"$ref", "type", "enum", "properties", "required",
	"additionalProperties", "minProperties", "maxProperties", "items",
	"minItems", "maxItems", "uniqueItems", "minLength", "maxLength",
	"pattern", "format", "minimum", "maximum",
	/* annotations */
	"title", "description", "example", "examples", "default",
	"readOnly", "writeOnly", "deprecated", NULL
};

int
schema_check(const cJSON *root, const cJSON *schema, schema_error_cb cb,
    void *arg)
{
	const cJSON	*k, *c;
	int		 i, n;

	if (!cJSON_IsObject(schema))
		return (0);
	n = 0;
	cJSON_ArrayForEach(k, schema) {
		for (i = 0; known[i] != NULL; i++) {
			if (strcmp(k->string, known[i]) == 0)
				break;
		}
		if (known[i] == NULL) {
			cb(arg, k->string, "keyword", "is not checked by the "
			    "API's validator.");
			n++;
		}
	}
	if (cJSON_GetObjectItemCaseSensitive(schema, "$ref") != NULL &&
	    deref(root, schema) == NULL) {
		cb(arg, "$ref", "ref", "does not resolve.");
		n++;
	}
	if ((c = cJSON_GetObjectItemCaseSensitive(schema, "properties"))) {
		cJSON_ArrayForEach(k, c)
			n += schema_check(root, k, cb, arg);
	}
	n += schema_check(root,
	    cJSON_GetObjectItemCaseSensitive(schema, "items"), cb, arg);
	n += schema_check(root, cJSON_GetObjectItemCaseSensitive(schema,
	    "additionalProperties"), cb, arg);
	if ((c = cJSON_GetObjectItemCaseSensitive(schema, "pattern")) &&
	    cJSON_IsString(c)) {
		regex_t	re;

		if (regcomp(&re, c->valuestring, REG_EXTENDED | REG_NOSUB)) {
			cb(arg, c->valuestring, "pattern",
			    "does not compile as a POSIX extended regex.");
			n++;
		} else {
			regfree(&re);
		}
	}

	return (n);
}
