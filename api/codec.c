/* Parsing and encoding of untrusted input: query strings, cursors, ids. */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"

static int	hexval(int);
static int	percent_decode(char *);
static int	has_control(const char *);

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Decodes %XX escapes and '+' in place. Returns the decoded length, or -1
 * on a malformed escape. The result may contain NUL bytes: callers check
 * the returned length against strlen().
 */
static int
percent_decode(char *s)
{
	char	*in, *out;
	int	 hi, lo;

	for (in = out = s; *in != '\0'; in++, out++) {
		if (*in == '+') {
			*out = ' ';
		} else if (*in == '%') {
			if ((hi = hexval(in[1])) == -1 ||
			    (lo = hexval(in[2])) == -1)
				return (-1);
			*out = (char)((hi << 4) | lo);
			in += 2;
		} else {
			*out = *in;
		}
	}
	*out = '\0';

	return ((int)(out - s));
}

/* No query value of ours may hold C0 control characters or DEL. */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	}

	return (0);
}

/*
 * Returns 1 when s[0..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF), else 0.
 */
int
codec_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n, k;
	unsigned int		 cp, min;

	for (i = 0; i < len; i += n) {
		if (p[i] < 0x80) {
			n = 1;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else {
			return (0);
		}
		if (i + n > len)
			return (0);
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
	}

	return (1);
}

/*
 * Splits a query string (modified in place) into decoded arguments. On
 * error returns a codec_query_error and points *bad at the offending
 * argument name when there is one. Argument strings point into qs.
 */
int
codec_query_parse(char *qs, struct codec_query *q, const char **bad)
{
	char	*arg, *next, *eq;
	int	 i, nlen, vlen;

	q->count = 0;
	*bad = NULL;
	if (qs == NULL)
		return (CODEC_QUERY_OK);

	for (arg = qs; arg != NULL; arg = next) {
		if ((next = strchr(arg, '&')) != NULL)
			*next++ = '\0';
		if (*arg == '\0')
			continue;
		if (q->count == CODEC_QUERY_MAX)
			return (CODEC_QUERY_TOO_MANY);

		if ((eq = strchr(arg, '=')) != NULL)
			*eq++ = '\0';
		else
			eq = arg + strlen(arg);

		/* The name first: only a valid name is named in *bad. */
		if ((nlen = percent_decode(arg)) == -1)
			return (CODEC_QUERY_BAD_ESCAPE);
		if ((size_t)nlen != strlen(arg))
			return (CODEC_QUERY_NUL);
		if (!codec_utf8_valid(arg, nlen))
			return (CODEC_QUERY_BAD_UTF8);
		if (has_control(arg))
			return (CODEC_QUERY_CONTROL);
		if (nlen == 0)
			return (CODEC_QUERY_EMPTY_NAME);

		*bad = arg;
		if ((vlen = percent_decode(eq)) == -1)
			return (CODEC_QUERY_BAD_ESCAPE);
		if ((size_t)vlen != strlen(eq))
			return (CODEC_QUERY_NUL);
		if (!codec_utf8_valid(eq, vlen))
			return (CODEC_QUERY_BAD_UTF8);
		if (has_control(eq))
			return (CODEC_QUERY_CONTROL);
		for (i = 0; i < q->count; i++) {
			if (strcmp(q->args[i].name, arg) == 0)
				return (CODEC_QUERY_DUPLICATE);
		}
		*bad = NULL;

		q->args[q->count].name = arg;
		q->args[q->count].value = eq;
		q->count++;
	}

	return (CODEC_QUERY_OK);
}

const char *
codec_query_get(const struct codec_query *q, const char *name)
{
	int	i;

	for (i = 0; i < q->count; i++) {
		if (strcmp(q->args[i].name, name) == 0)
			return (q->args[i].value);
	}

	return (NULL);
}

/*
 * Parses a plain decimal integer (optional '-', digits only, no spaces or
 * '+') within [min, max]. Returns 0 and sets *out, or -1.
 */
int
codec_parse_int(const char *s, long long min, long long max, long long *out)
{
	const char	*p;
	long long	 v;
	char		*end;

	if (s == NULL || *s == '\0')
		return (-1);
	p = (*s == '-') ? s + 1 : s;
	if (*p == '\0' || strlen(p) > 19)
		return (-1);
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return (-1);
	}

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);

	*out = v;
	return (0);
}

/* Returns 1 for a canonical 8-4-4-4-12 hexadecimal UUID, else 0. */
/* A district is named by its five-digit official key (Kreisschluessel). */
int
codec_is_district_key(const char *s)
{
	return (strlen(s) == 5 && strspn(s, "0123456789") == 5);
}

/* Characters (code points) of a valid UTF-8 string. */
size_t
codec_utf8_chars(const char *s)
{
	size_t	n;

	for (n = 0; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}

	return (n);
}

int
codec_is_uuid(const char *s)
{
	int	i;

	if (s == NULL || strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (hexval((unsigned char)s[i]) == -1) {
			return (0);
		}
	}

	return (1);
}

/* A caller's X-Request-Id is kept when it is short and plain. */
int
codec_request_id_ok(const char *s)
{
	size_t	i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > CODEC_REQUEST_ID_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr("._:-", s[i]) == NULL)
			return (0);
	}

	return (1);
}

/* Writes a random UUID (version 4) into buf, which holds at least 37. */
void
codec_request_id_new(char *buf, size_t len)
{
	unsigned char	r[16];

	randombytes_buf(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(buf, len,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
	    r[10], r[11], r[12], r[13], r[14], r[15]);
}

/*
 * Returns 1 when s[0..len) holds only characters of the base64url
 * alphabet, else 0. libsodium 1.0.18 (Debian 12) decodes every byte from
 * 0x80 up as if it were '_', so its decoder alone would let many texts
 * stand for one value: callers check the alphabet before decoding.
 */
int
codec_base64url_ok(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return (0);
	}

	return (1);
}

/*
 * A cursor is base64url(JSON ["kind", key1, ...]): opaque to clients,
 * bound to one kind of list, and harmless when forged because its keys
 * only ever reach SQL as parameters. Returns a malloc'ed string (free()),
 * or NULL when it would be longer than CODEC_CURSOR_MAX.
 */
char *
codec_cursor_encode(const char *kind, const char **keys, int n)
{
	cJSON	*arr;
	char	*json, *out;
	size_t	 jlen, olen;
	int	 i;

	if ((arr = cJSON_CreateArray()) == NULL)
		return (NULL);
	cJSON_AddItemToArray(arr, cJSON_CreateString(kind));
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(keys[i]));
	json = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (json == NULL)
		return (NULL);

	jlen = strlen(json);
	olen = sodium_base64_ENCODED_LEN(jlen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (olen > CODEC_CURSOR_MAX + 1 || (out = malloc(olen)) == NULL) {
		cJSON_free(json);
		return (NULL);
	}
	sodium_bin2base64(out, olen, (const unsigned char *)json, jlen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	cJSON_free(json);

	return (out);
}

/*
 * Decodes a cursor of the given kind with exactly n string keys into
 * out[0..n) (malloc'ed; release with codec_cursor_free). Returns 0, or -1
 * for anything malformed, in which case nothing is left allocated.
 */
int
codec_cursor_decode(const char *cursor, const char *kind, char **out, int n)
{
	unsigned char	 bin[CODEC_CURSOR_MAX];
	size_t		 blen;
	cJSON		*arr, *item;
	char		*canon;
	int		 i, same;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (cursor == NULL || strlen(cursor) > CODEC_CURSOR_MAX ||
	    !codec_base64url_ok(cursor, strlen(cursor)))
		return (-1);
	if (sodium_base642bin(bin, sizeof(bin) - 1, cursor, strlen(cursor),
	    NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return (-1);
	bin[blen] = '\0';
	if (strlen((char *)bin) != blen || !codec_utf8_valid((char *)bin, blen))
		return (-1);

	if ((arr = cJSON_ParseWithLength((char *)bin, blen)) == NULL)
		return (-1);
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n + 1)
		goto bad;
	/*
	 * Only the exact text codec_cursor_encode() makes is accepted: this
	 * refuses trailing data and escapes such as \u0000 that cJSON would
	 * silently cut a key at.
	 */
	if ((canon = cJSON_PrintUnformatted(arr)) == NULL)
		goto bad;
	same = strlen(canon) == blen && memcmp(canon, bin, blen) == 0;
	cJSON_free(canon);
	if (!same)
		goto bad;
	item = cJSON_GetArrayItem(arr, 0);
	if (!cJSON_IsString(item) || strcmp(item->valuestring, kind) != 0)
		goto bad;
	for (i = 0; i < n; i++) {
		item = cJSON_GetArrayItem(arr, i + 1);
		if (!cJSON_IsString(item))
			goto bad;
		if ((out[i] = strdup(item->valuestring)) == NULL)
			goto bad;
	}
	cJSON_Delete(arr);
	return (0);

bad:
	cJSON_Delete(arr);
	codec_cursor_free(out, n);
	return (-1);
}

void
codec_cursor_free(char **keys, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(keys[i]);
		keys[i] = NULL;
	}
}

/*
 * Builds an RFC 9457 problem document. errors is a JSON array text or
 * NULL; instance and detail may be NULL. Returns a malloc'ed string
 * (free()), or NULL when out of memory.
 */
char *
codec_problem_json(int status, const char *type, const char *title,
    const char *detail, const char *instance, const char *request_id,
    const char *errors)
{
	cJSON	*doc, *list;
	char	*out, *json;
	char	 uri[128];

	if ((doc = cJSON_CreateObject()) == NULL)
		return (NULL);
	snprintf(uri, sizeof(uri), "urn:ch:problem:%s", type);
	cJSON_AddStringToObject(doc, "type", uri);
	cJSON_AddStringToObject(doc, "title", title);
	cJSON_AddNumberToObject(doc, "status", status);
	if (detail != NULL)
		cJSON_AddStringToObject(doc, "detail", detail);
	if (instance != NULL)
		cJSON_AddStringToObject(doc, "instance", instance);
	if (request_id != NULL)
		cJSON_AddStringToObject(doc, "request_id", request_id);
	if (errors != NULL) {
		if ((list = cJSON_Parse(errors)) != NULL)
			cJSON_AddItemToObject(doc, "errors", list);
	}

	json = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (json == NULL)
		return (NULL);
	out = strdup(json);
	cJSON_free(json);

	return (out);
}

/*
 * Returns s as a JSON string literal with quotes (malloc'ed, free()), or
 * NULL when out of memory. Invalid UTF-8 never reaches here: the caller
 * validated it.
 */
char *
codec_json_escape(const char *s)
{
	cJSON	*str;
	char	*json, *out;

	if ((str = cJSON_CreateString(s)) == NULL)
		return (NULL);
	json = cJSON_PrintUnformatted(str);
	cJSON_Delete(str);
	if (json == NULL)
		return (NULL);
	out = strdup(json);
	cJSON_free(json);

	return (out);
}

/*
 * A label value of Prometheus' text format (0.0.4): backslash, double
 * quote and line feed escaped as \\, \" and \n. Writes at most
 * outlen - 1 bytes and a NUL to out, like snprintf, and returns the
 * length the whole value needs: outlen or more means it was cut.
 */
size_t
codec_label_escape(const char *s, char *out, size_t outlen)
{
	const char	*esc;
	char		 one[2];
	size_t		 n;

	n = 0;
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '"')
			esc = "\\\"";
		else if (*s == '\n')
			esc = "\\n";
		else {
			one[0] = *s;
			one[1] = '\0';
			esc = one;
		}
		for (; *esc != '\0'; esc++, n++) {
			if (n + 1 < outlen)
				out[n] = *esc;
		}
	}
	if (outlen > 0)
		out[n < outlen ? n : outlen - 1] = '\0';

	return (n);
}

/*
 * Accept-Language (RFC 9110): the primary language subtags the client
 * wants, best first (by q, then by order), lower case, each once; "*"
 * and q=0 entries are left out. Returns how many were written to out.
 */
int
codec_accept_language(const char *h, char out[][4], int max)
{
	struct {
		char	tag[4];
		int	q;
	}		 seen[16];
	const char	*p, *end, *param;
	size_t		 n, i;
	int		 count, k, j, q, skip;

	count = 0;
	for (p = h; p != NULL && *p != '\0' && count < 16; p = end) {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (end != NULL)
			end++;
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		for (i = 0; i < n && isalpha((unsigned char)p[i]); i++)
			;
		if (i < 2 || i > 3 || (i < n && p[i] != '-' && p[i] != ';' &&
		    p[i] != ' '))
			continue;
		q = 1000;
		param = memchr(p, ';', n);
		if (param != NULL) {
			param++;
			while (*param == ' ')
				param++;
			if (strncmp(param, "q=", 2) != 0)
				continue;
			q = 0;
			param += 2;
			if (*param == '1') {
				q = 1000;
			} else if (*param == '0') {
				param++;
				if (*param == '.') {
					for (k = 0, j = 100; k < 3 &&
					    isdigit((unsigned char)param[k + 1]);
					    k++, j /= 10)
						q += (param[k + 1] - '0') * j;
				}
			} else {
				continue;
			}
		}
		if (q == 0)
			continue;
		for (k = 0; k < (int)i; k++)
			seen[count].tag[k] = (char)tolower((unsigned char)p[k]);
		seen[count].tag[i] = '\0';
		skip = 0;
		for (k = 0; k < count; k++) {
			if (strcmp(seen[k].tag, seen[count].tag) == 0) {
				if (q > seen[k].q)
					seen[k].q = q;
				skip = 1;
			}
		}
		if (!skip)
			seen[count++].q = q;
	}

	/* Stable: a later tag moves ahead only with a higher q. */
	for (k = 1; k < count; k++) {
		for (j = k; j > 0 && seen[j].q > seen[j - 1].q; j--) {
			char	t[4];

			q = seen[j].q;
			memcpy(t, seen[j].tag, sizeof(t));
			seen[j] = seen[j - 1];
			seen[j - 1].q = q;
			memcpy(seen[j - 1].tag, t, sizeof(t));
		}
	}
	for (k = 0; k < count && k < max; k++)
		memcpy(out[k], seen[k].tag, 4);

	return (k);
}

/*
 * Strict JSON (RFC 8259) syntax, which cJSON does not check: it takes
 * trailing data, control characters in strings, leading zeros and "5."
 * numbers. Returns 1 when s[0..len) is exactly one JSON value with
 * optional whitespace around it, nested at most depth_max deep.
 */
struct json_scan {
	const char	*s;
	size_t		 len;
	size_t		 i;
	int		 depth_max;
};

static int	json_value(struct json_scan *, int);

static void
json_ws(struct json_scan *j)
{
	while (j->i < j->len && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
	    j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int
json_string(struct json_scan *j)
{
	unsigned char	c;
	int		k;

	if (j->i >= j->len || j->s[j->i] != '"')
		return (0);
	for (j->i++; j->i < j->len; j->i++) {
		c = (unsigned char)j->s[j->i];
		if (c == '"') {
			j->i++;
			return (1);
		}
		if (c < 0x20)
			return (0);
		if (c != '\\')
			continue;
		if (++j->i >= j->len)
			return (0);
		c = (unsigned char)j->s[j->i];
		if (c == 'u') {
			for (k = 1; k <= 4; k++) {
				if (j->i + k >= j->len ||
				    !isxdigit((unsigned char)j->s[j->i + k]))
					return (0);
			}
			j->i += 4;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
			return (0);
		}
	}

	return (0);
}

static int
json_number(struct json_scan *j)
{
	size_t	start;

	if (j->i < j->len && j->s[j->i] == '-')
		j->i++;
	if (j->i >= j->len || !isdigit((unsigned char)j->s[j->i]))
		return (0);
	if (j->s[j->i] == '0')
		j->i++;
	else
		while (j->i < j->len && isdigit((unsigned char)j->s[j->i]))
			j->i++;
	if (j->i < j->len && j->s[j->i] == '.') {
		start = ++j->i;
		while (j->i < j->len && isdigit((unsigned char)j->s[j->i]))
			j->i++;
		if (j->i == start)
			return (0);
	}
	if (j->i < j->len && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->len && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		start = j->i;
		while (j->i < j->len && isdigit((unsigned char)j->s[j->i]))
			j->i++;
		if (j->i == start)
			return (0);
	}

	return (1);
}

static int
json_literal(struct json_scan *j, const char *word)
{
	size_t	n = strlen(word);

	if (j->len - j->i < n || memcmp(j->s + j->i, word, n) != 0)
		return (0);
	j->i += n;
	return (1);
}

static int
json_value(struct json_scan *j, int depth)
{
	char	close;

	json_ws(j);
	if (j->i >= j->len)
		return (0);
	switch (j->s[j->i]) {
	case '"':
		return (json_string(j));
	case 't':
		return (json_literal(j, "true"));
	case 'f':
		return (json_literal(j, "false"));
	case 'n':
		return (json_literal(j, "null"));
	case '{':
	case '[':
		break;
	default:
		return (json_number(j));
	}

	if (depth >= j->depth_max)
		return (0);
	close = j->s[j->i] == '{' ? '}' : ']';
	j->i++;
	json_ws(j);
	if (j->i < j->len && j->s[j->i] == close) {
		j->i++;
		return (1);
	}
	for (;;) {
		if (close == '}') {
			json_ws(j);
			if (!json_string(j))
				return (0);
			json_ws(j);
			if (j->i >= j->len || j->s[j->i++] != ':')
				return (0);
		}
		if (!json_value(j, depth + 1))
			return (0);
		json_ws(j);
		if (j->i >= j->len)
			return (0);
		if (j->s[j->i] == close) {
			j->i++;
			return (1);
		}
		if (j->s[j->i++] != ',')
			return (0);
	}
}

int
codec_json_strict(const char *s, size_t len, int depth_max)
{
	struct json_scan	j;

	j.s = s;
	j.len = len;
	j.i = 0;
	j.depth_max = depth_max;
	if (!json_value(&j, 0))
		return (0);
	json_ws(&j);

	return (j.i == len);
}
