/* Unit tests for codec.c: query strings, UTF-8, integers, ids, cursors. */

#include <sys/types.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"

#define B64_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* Literal bytes with their length, NULs and all. */
#define BYTES(s)	(s), (sizeof(s) - 1)

struct query_case {
	const char	*qs;
	int		 error;
	int		 check_bad;	/* compare bad with want_bad */
	const char	*want_bad;	/* NULL: bad must be NULL */
};

struct utf8_case {
	const char	*s;
	size_t		 len;
	int		 valid;
};

struct int_case {
	const char	*s;
	long long	 min;
	long long	 max;
	int		 rc;
	long long	 value;
};

static char	sentinel[] = "sentinel";

static int	setup_sodium(void **);
static const char *b64(const void *, size_t, char *, size_t);
static void	query_case_run(const struct query_case *);
static void	expect_reject(const char *, const char *, int);
static void	expect_reject_bin(const void *, size_t, const char *, int);
static int	is_base64url(const char *);
static cJSON	*parse_problem(char *);

static int
setup_sodium(void **state)
{
	(void)state;
	if (sodium_init() == -1)
		return (-1);
	return (0);
}

/* base64url without padding, as cursors are written, into out. */
static const char *
b64(const void *bin, size_t len, char *out, size_t outlen)
{
	assert_true(sodium_base64_ENCODED_LEN(len, B64_VARIANT) <= outlen);
	sodium_bin2base64(out, outlen, bin, len, B64_VARIANT);

	return (out);
}

static void
query_case_run(const struct query_case *c)
{
	struct codec_query	 q;
	const char		*bad;
	char			 buf[256];
	int			 rc;

	assert_true(strlen(c->qs) < sizeof(buf));
	strcpy(buf, c->qs);
	bad = sentinel;
	rc = codec_query_parse(buf, &q, &bad);
	if (rc != c->error)
		fail_msg("\"%s\": error %d, want %d", c->qs, rc, c->error);
	if (!c->check_bad)
		return;
	if (c->want_bad == NULL) {
		if (bad != NULL)
			fail_msg("\"%s\": bad is \"%s\", want NULL", c->qs,
			    bad == sentinel ? "(untouched)" : bad);
	} else if (bad == NULL || bad == sentinel ||
	    strcmp(bad, c->want_bad) != 0) {
		fail_msg("\"%s\": bad is %s, want \"%s\"", c->qs,
		    bad == NULL ? "NULL" : bad == sentinel ? "(untouched)" : bad,
		    c->want_bad);
	}
}

static void
test_query_plain(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs[] = "limit=10&cursor=abc&flag&sort=";

	(void)state;
	bad = sentinel;
	assert_int_equal(codec_query_parse(qs, &q, &bad), CODEC_QUERY_OK);
	assert_null(bad);
	assert_int_equal(q.count, 4);
	assert_string_equal(q.args[0].name, "limit");
	assert_string_equal(q.args[0].value, "10");
	assert_string_equal(q.args[1].name, "cursor");
	assert_string_equal(q.args[1].value, "abc");
	assert_string_equal(q.args[2].name, "flag");
	assert_string_equal(q.args[2].value, "");
	assert_string_equal(q.args[3].name, "sort");
	assert_string_equal(q.args[3].value, "");
}

static void
test_query_decoding(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs[] = "q=hello+world&p=%41%2b%2F%2B&n%61me=x%3Dy%26z"
			    "&a+b=%20";

	(void)state;
	assert_int_equal(codec_query_parse(qs, &q, &bad), CODEC_QUERY_OK);
	assert_null(bad);
	assert_int_equal(q.count, 4);
	assert_string_equal(codec_query_get(&q, "q"), "hello world");
	assert_string_equal(codec_query_get(&q, "p"), "A+/+");
	assert_string_equal(codec_query_get(&q, "name"), "x=y&z");
	assert_string_equal(codec_query_get(&q, "a b"), " ");
	assert_null(codec_query_get(&q, "n%61me"));
}

static void
test_query_multibyte(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs[] = "city=M%C3%BChlhausen&e=%f0%9f%98%80"
			    "&%E2%82%AC=euro";

	(void)state;
	assert_int_equal(codec_query_parse(qs, &q, &bad), CODEC_QUERY_OK);
	assert_null(bad);
	assert_int_equal(q.count, 3);
	assert_string_equal(codec_query_get(&q, "city"),
	    "M\xc3\xbc" "hlhausen");
	assert_string_equal(codec_query_get(&q, "e"), "\xf0\x9f\x98\x80");
	assert_string_equal(codec_query_get(&q, "\xe2\x82\xac"), "euro");
}

/* Space, '~' and C1 characters are not C0 controls: they pass. */
static void
test_query_control_boundary(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs[] = "sp=%20&tilde=%7e&c1=%c2%80&nb=%c2%a0";

	(void)state;
	assert_int_equal(codec_query_parse(qs, &q, &bad), CODEC_QUERY_OK);
	assert_null(bad);
	assert_int_equal(q.count, 4);
	assert_string_equal(codec_query_get(&q, "sp"), " ");
	assert_string_equal(codec_query_get(&q, "tilde"), "~");
	assert_string_equal(codec_query_get(&q, "c1"), "\xc2\x80");
	assert_string_equal(codec_query_get(&q, "nb"), "\xc2\xa0");
}

static void
test_query_errors(void **state)
{
	static const struct query_case	cases[] = {
		/* Malformed escapes; bad is only checked where it is set. */
		{ "a=%zz",		CODEC_QUERY_BAD_ESCAPE,	0, NULL },
		{ "a=%4",		CODEC_QUERY_BAD_ESCAPE,	0, NULL },
		{ "a=%",		CODEC_QUERY_BAD_ESCAPE,	0, NULL },
		{ "a=%g1",		CODEC_QUERY_BAD_ESCAPE,	0, NULL },
		{ "a=%1g",		CODEC_QUERY_BAD_ESCAPE,	0, NULL },
		{ "ok=1&a=x%4",		CODEC_QUERY_BAD_ESCAPE,	0, NULL },
		{ "%zz=1",		CODEC_QUERY_BAD_ESCAPE,	1, NULL },
		{ "a%=1",		CODEC_QUERY_BAD_ESCAPE,	1, NULL },
		/* NUL bytes: named when only the value holds one. */
		{ "a=%00",		CODEC_QUERY_NUL,	1, "a" },
		{ "a=x%00y",		CODEC_QUERY_NUL,	1, "a" },
		{ "a%00b=1",		CODEC_QUERY_NUL,	1, NULL },
		{ "%00",		CODEC_QUERY_NUL,	1, NULL },
		{ "%00=%00",		CODEC_QUERY_NUL,	1, NULL },
		/* Invalid UTF-8 in the value names the argument. */
		{ "a=%ff",		CODEC_QUERY_BAD_UTF8,	1, "a" },
		{ "a=%c0%af",		CODEC_QUERY_BAD_UTF8,	1, "a" },
		{ "a=%e0%80%af",	CODEC_QUERY_BAD_UTF8,	1, "a" },
		{ "a=%ed%a0%80",	CODEC_QUERY_BAD_UTF8,	1, "a" },
		{ "a=%f4%90%80%80",	CODEC_QUERY_BAD_UTF8,	1, "a" },
		{ "a=%c3",		CODEC_QUERY_BAD_UTF8,	1, "a" },
		{ "a=%80",		CODEC_QUERY_BAD_UTF8,	1, "a" },
		{ "ok=1&city=M%C3hl",	CODEC_QUERY_BAD_UTF8,	1, "city" },
		/* ... but not when the name itself is invalid. */
		{ "%ff=1",		CODEC_QUERY_BAD_UTF8,	1, NULL },
		{ "%c0%af",		CODEC_QUERY_BAD_UTF8,	1, NULL },
		{ "%ed%a0%80=1",	CODEC_QUERY_BAD_UTF8,	1, NULL },
		/* C0 controls and DEL: named when only the value holds one. */
		{ "a=%0a",		CODEC_QUERY_CONTROL,	1, "a" },
		{ "a=x%09y",		CODEC_QUERY_CONTROL,	1, "a" },
		{ "a=%1f",		CODEC_QUERY_CONTROL,	1, "a" },
		{ "a=%7f",		CODEC_QUERY_CONTROL,	1, "a" },
		{ "a=%01&b=2",		CODEC_QUERY_CONTROL,	1, "a" },
		{ "%0a=1",		CODEC_QUERY_CONTROL,	1, NULL },
		{ "a%7fb",		CODEC_QUERY_CONTROL,	1, NULL },
		{ "a%0d%0a=1",		CODEC_QUERY_CONTROL,	1, NULL },
		/* Duplicates, also when spelled differently. */
		{ "a=1&a=2",		CODEC_QUERY_DUPLICATE,	1, "a" },
		{ "a=1&a=1",		CODEC_QUERY_DUPLICATE,	1, "a" },
		{ "a=1&%61=2",		CODEC_QUERY_DUPLICATE,	1, "a" },
		{ "x=1&a+b=1&a%20b",	CODEC_QUERY_DUPLICATE,	1, "a b" },
		{ "a=1&b=2&a",		CODEC_QUERY_DUPLICATE,	1, "a" },
		/* Empty names. */
		{ "=x",			CODEC_QUERY_EMPTY_NAME,	0, NULL },
		{ "=",			CODEC_QUERY_EMPTY_NAME,	0, NULL },
		{ "a=1&=",		CODEC_QUERY_EMPTY_NAME,	0, NULL },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		query_case_run(&cases[i]);
}

/*
 * Every name the parser hands back through bad is escaped into a JSON
 * problem document, which assumes valid UTF-8: an invalid name must not
 * come back, whichever error is reported.
 */
static void
test_query_bad_name_is_utf8(void **state)
{
	static const char *const	inputs[] = {
		"%ff=%00", "%c0%af=x%00", "%ed%a0%80=%00", "%ff=%ff",
	};
	struct codec_query	 q;
	const char		*bad;
	char			 buf[64];
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		strcpy(buf, inputs[i]);
		bad = sentinel;
		rc = codec_query_parse(buf, &q, &bad);
		if (rc != CODEC_QUERY_NUL && rc != CODEC_QUERY_BAD_UTF8)
			fail_msg("\"%s\": error %d", inputs[i], rc);
		if (bad != NULL && !codec_utf8_valid(bad, strlen(bad)))
			fail_msg("\"%s\": error %d names an argument that is "
			    "invalid UTF-8", inputs[i], rc);
	}
}

/* An empty name is no name: bad stays NULL so callers say "query". */
static void
test_query_empty_name_not_named(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs[] = "=x";

	(void)state;
	bad = sentinel;
	assert_int_equal(codec_query_parse(qs, &q, &bad),
	    CODEC_QUERY_EMPTY_NAME);
	if (bad != NULL)
		fail_msg("\"=x\": bad is \"%s\" (an empty name), want NULL",
		    bad);
}

static void
test_query_empty_segments(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs1[] = "a=1&&b=2";
	char			 qs2[] = "&a=1&";
	char			 qs3[] = "&&&";
	char			 qs4[] = "";

	(void)state;
	assert_int_equal(codec_query_parse(qs1, &q, &bad), CODEC_QUERY_OK);
	assert_int_equal(q.count, 2);
	assert_string_equal(q.args[0].name, "a");
	assert_string_equal(q.args[0].value, "1");
	assert_string_equal(q.args[1].name, "b");
	assert_string_equal(q.args[1].value, "2");

	assert_int_equal(codec_query_parse(qs2, &q, &bad), CODEC_QUERY_OK);
	assert_int_equal(q.count, 1);
	assert_string_equal(q.args[0].name, "a");
	assert_string_equal(q.args[0].value, "1");

	q.count = 7;
	assert_int_equal(codec_query_parse(qs3, &q, &bad), CODEC_QUERY_OK);
	assert_int_equal(q.count, 0);

	q.count = 7;
	assert_int_equal(codec_query_parse(qs4, &q, &bad), CODEC_QUERY_OK);
	assert_int_equal(q.count, 0);
}

static void
test_query_too_many(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs[512], name[16];
	int			 i;

	(void)state;
	qs[0] = '\0';
	for (i = 0; i < CODEC_QUERY_MAX; i++) {
		snprintf(name, sizeof(name), "%sa%d=%d", i ? "&" : "", i, i);
		strcat(qs, name);
	}
	strcat(qs, "&&");
	assert_int_equal(codec_query_parse(qs, &q, &bad), CODEC_QUERY_OK);
	assert_int_equal(q.count, CODEC_QUERY_MAX);
	assert_string_equal(q.args[CODEC_QUERY_MAX - 1].name, "a15");
	assert_string_equal(codec_query_get(&q, "a15"), "15");

	qs[0] = '\0';
	for (i = 0; i <= CODEC_QUERY_MAX; i++) {
		snprintf(name, sizeof(name), "%sa%d=%d", i ? "&" : "", i, i);
		strcat(qs, name);
	}
	bad = sentinel;
	assert_int_equal(codec_query_parse(qs, &q, &bad),
	    CODEC_QUERY_TOO_MANY);
	assert_null(bad);
}

static void
test_query_null(void **state)
{
	struct codec_query	 q;
	const char		*bad;

	(void)state;
	q.count = 5;
	bad = sentinel;
	assert_int_equal(codec_query_parse(NULL, &q, &bad), CODEC_QUERY_OK);
	assert_int_equal(q.count, 0);
	assert_null(bad);
	assert_null(codec_query_get(&q, "a"));
}

static void
test_query_get(void **state)
{
	struct codec_query	 q;
	const char		*bad;
	char			 qs[] = "ab=1&a=2&B=3&empty";

	(void)state;
	assert_int_equal(codec_query_parse(qs, &q, &bad), CODEC_QUERY_OK);
	assert_string_equal(codec_query_get(&q, "ab"), "1");
	assert_string_equal(codec_query_get(&q, "a"), "2");
	assert_string_equal(codec_query_get(&q, "B"), "3");
	assert_string_equal(codec_query_get(&q, "empty"), "");
	assert_null(codec_query_get(&q, "b"));
	assert_null(codec_query_get(&q, "A"));
	assert_null(codec_query_get(&q, "abc"));
	assert_null(codec_query_get(&q, ""));
}

static void
test_utf8_valid(void **state)
{
	static const struct utf8_case	cases[] = {
		{ BYTES(""),				1 },
		{ BYTES("plain ascii ~\x7f"),		1 },
		{ BYTES("a\0b"),			1 },
		{ BYTES("\xc2\x80"),			1 },	/* U+0080 */
		{ BYTES("\xc3\xbc"),			1 },
		{ BYTES("\xdf\xbf"),			1 },	/* U+07FF */
		{ BYTES("\xe0\xa0\x80"),		1 },	/* U+0800 */
		{ BYTES("\xe2\x82\xac"),		1 },
		{ BYTES("\xed\x9f\xbf"),		1 },	/* U+D7FF */
		{ BYTES("\xee\x80\x80"),		1 },	/* U+E000 */
		{ BYTES("\xef\xbf\xbf"),		1 },	/* U+FFFF */
		{ BYTES("\xf0\x90\x80\x80"),		1 },	/* U+10000 */
		{ BYTES("\xf0\x9f\x98\x80"),		1 },
		{ BYTES("\xf4\x8f\xbf\xbf"),		1 },	/* U+10FFFF */
		{ BYTES("M\xc3\xbc" "hlhausen \xe2\x82\xac"), 1 },
		{ BYTES("\xc0\x80"),			0 },	/* overlong */
		{ BYTES("\xc0\xaf"),			0 },
		{ BYTES("\xc1\xbf"),			0 },
		{ BYTES("\xe0\x80\xaf"),		0 },
		{ BYTES("\xe0\x9f\xbf"),		0 },
		{ BYTES("\xf0\x80\x80\xaf"),		0 },
		{ BYTES("\xf0\x8f\xbf\xbf"),		0 },
		{ BYTES("\xed\xa0\x80"),		0 },	/* surrogates */
		{ BYTES("\xed\xbf\xbf"),		0 },
		{ BYTES("\xf4\x90\x80\x80"),		0 },	/* > U+10FFFF */
		{ BYTES("\xf5\x80\x80\x80"),		0 },
		{ BYTES("\xf7\xbf\xbf\xbf"),		0 },
		{ BYTES("\xf8\x88\x80\x80\x80"),	0 },
		{ BYTES("\xf8\x90\x80\x80"),		0 },	/* bad lead */
		{ BYTES("\xf8\x9f\x98\x80"),		0 },
		{ BYTES("\xfc\x9f\x98\x80"),		0 },
		{ BYTES("\xfc\x84\x80\x80\x80\x80"),	0 },
		{ BYTES("\xfe"),			0 },
		{ BYTES("\xff"),			0 },
		{ BYTES("\x80"),			0 },	/* lone trail */
		{ BYTES("\xbf"),			0 },
		{ BYTES("a\x80" "b"),			0 },
		{ BYTES("\xc3"),			0 },	/* truncated */
		{ BYTES("\xe2\x82"),			0 },
		{ BYTES("\xf0\x9f\x98"),		0 },
		{ BYTES("abc\xf0"),			0 },
		{ BYTES("\xc3\x28"),			0 },	/* bad trail */
		{ BYTES("\xe2\x28\xac"),		0 },
		{ BYTES("\xf0\x9f\xc3\xbc"),		0 },
		{ BYTES("\xc3\xbc\xc3"),		0 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (codec_utf8_valid(cases[i].s, cases[i].len) !=
		    cases[i].valid)
			fail_msg("utf8 case %zu: want %d", i, cases[i].valid);
	}

	/* Only len bytes count. */
	assert_int_equal(codec_utf8_valid("\xc3\xbc", 1), 0);
	assert_int_equal(codec_utf8_valid("ab\xff", 2), 1);
	assert_int_equal(codec_utf8_valid("\xff", 0), 1);
}

static void
test_parse_int(void **state)
{
	static const struct int_case	cases[] = {
		{ "0",		0, 10,		0, 0 },
		{ "7",		0, 10,		0, 7 },
		{ "007",	0, 10,		0, 7 },
		{ "-1",		-5, 5,		0, -1 },
		{ "-0",		0, 10,		0, 0 },
		{ "5",		5, 5,		0, 5 },
		{ "10",		5, 10,		0, 10 },
		{ "4",		5, 10,		-1, 0 },
		{ "11",		5, 10,		-1, 0 },
		{ "-1",		0, 10,		-1, 0 },
		{ "-6",		-5, 5,		-1, 0 },
		{ "abc",	0, 10,		-1, 0 },
		{ "",		0, 10,		-1, 0 },
		{ "-",		0, 10,		-1, 0 },
		{ "--1",	-5, 5,		-1, 0 },
		{ "1-",		0, 10,		-1, 0 },
		{ "1e3",	0, 10000,	-1, 0 },
		{ "0x10",	0, 100,		-1, 0 },
		{ " 5",		0, 10,		-1, 0 },
		{ "+5",		0, 10,		-1, 0 },
		{ "5 ",		0, 10,		-1, 0 },
		{ "5\n",	0, 10,		-1, 0 },
		{ "1.0",	0, 10,		-1, 0 },
		{ "9223372036854775807",	LLONG_MIN, LLONG_MAX,
		    0, LLONG_MAX },
		{ "-9223372036854775808",	LLONG_MIN, LLONG_MAX,
		    0, LLONG_MIN },
		{ "9223372036854775808",	LLONG_MIN, LLONG_MAX, -1, 0 },
		{ "-9223372036854775809",	LLONG_MIN, LLONG_MAX, -1, 0 },
		{ "9999999999999999999",	LLONG_MIN, LLONG_MAX, -1, 0 },
		{ "18446744073709551616",	LLONG_MIN, LLONG_MAX, -1, 0 },
		{ "99999999999999999999",	LLONG_MIN, LLONG_MAX, -1, 0 },
		{ "-99999999999999999999",	LLONG_MIN, LLONG_MAX, -1, 0 },
		{ "123456789012345678901234567890", LLONG_MIN, LLONG_MAX,
		    -1, 0 },
	};
	long long	out;
	size_t		i;
	int		rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = 424242;
		rc = codec_parse_int(cases[i].s, cases[i].min, cases[i].max,
		    &out);
		if (rc != cases[i].rc)
			fail_msg("\"%s\" in [%lld, %lld]: rc %d, want %d",
			    cases[i].s, cases[i].min, cases[i].max, rc,
			    cases[i].rc);
		if (rc == 0 && out != cases[i].value)
			fail_msg("\"%s\": %lld, want %lld", cases[i].s, out,
			    cases[i].value);
		if (rc == -1 && out != 424242)
			fail_msg("\"%s\": out changed on failure", cases[i].s);
	}

	out = 424242;
	assert_int_equal(codec_parse_int(NULL, 0, 10, &out), -1);
	assert_int_equal(out, 424242);
}

static void
test_is_district_key(void **state)
{
	(void)state;
	assert_true(codec_is_district_key("16051"));
	assert_true(codec_is_district_key("00000"));
	assert_false(codec_is_district_key(""));
	assert_false(codec_is_district_key("1605"));
	assert_false(codec_is_district_key("160511"));
	assert_false(codec_is_district_key("1605a"));
	assert_false(codec_is_district_key(" 1605"));
	assert_false(codec_is_district_key("+1605"));
}

static void
test_utf8_chars(void **state)
{
	(void)state;
	assert_int_equal(codec_utf8_chars(""), 0);
	assert_int_equal(codec_utf8_chars("Gotha"), 5);
	assert_int_equal(codec_utf8_chars("M\xc3\xbchlhausen"), 10);
	assert_int_equal(codec_utf8_chars("\xe2\x82\xac\xf0\x9f\x98\x80"), 2);
}

static void
test_is_uuid(void **state)
{
	static const char *const	good[] = {
		"123e4567-e89b-12d3-a456-426614174000",
		"123E4567-E89B-12D3-A456-426614174000",
		"00000000-0000-0000-0000-000000000000",
		"ffffffff-ffff-4fff-bfff-ffffffffffff",
	};
	static const char *const	bad[] = {
		"",
		"123e4567-e89b-12d3-a456-42661417400",
		"123e4567-e89b-12d3-a456-4266141740000",
		"123e4567e89b-12d3-a456-4266141740000",
		"123e4567-e89b-12d3-a456_426614174000",
		"123e4567-e89b-12d3-a4564-26614174000",
		"123e4567-e89b-12d3-a456-42661417400g",
		"g23e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456-42661417400 ",
		" 23e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3--456-426614174000",
		"{23e4567-e89b-12d3-a456-42661417400}",
		"123e4567e89b12d3a456426614174000",
		"123e4567-e89b-12d3-a456-42661417400\xc3",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (codec_is_uuid(good[i]) != 1)
			fail_msg("\"%s\" refused", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (codec_is_uuid(bad[i]) != 0)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(codec_is_uuid(NULL), 0);
}

static void
test_request_id_ok(void **state)
{
	static const char *const	good[] = {
		"a", "abc-DEF_1.2:3", "123e4567-e89b-12d3-a456-426614174000",
		"Z9", "...", ":-_",
	};
	static const char *const	bad[] = {
		"", "a b", "a\"b", "a\nb", "a\rb", "a\tb", "a/b", "a;b", "a,b",
		"a=b", "<x>", "a\\b", "M\xc3\xbc" "ller", "a'b", "%41",
	};
	char	id[CODEC_REQUEST_ID_MAX + 2];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (codec_request_id_ok(good[i]) != 1)
			fail_msg("\"%s\" refused", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (codec_request_id_ok(bad[i]) != 0)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(codec_request_id_ok(NULL), 0);

	memset(id, 'a', CODEC_REQUEST_ID_MAX);
	id[CODEC_REQUEST_ID_MAX] = '\0';
	assert_int_equal(strlen(id), 64);
	assert_int_equal(codec_request_id_ok(id), 1);
	id[CODEC_REQUEST_ID_MAX - 1] = ' ';
	assert_int_equal(codec_request_id_ok(id), 0);

	memset(id, 'a', CODEC_REQUEST_ID_MAX + 1);
	id[CODEC_REQUEST_ID_MAX + 1] = '\0';
	assert_int_equal(strlen(id), 65);
	assert_int_equal(codec_request_id_ok(id), 0);
}

static void
test_request_id_new(void **state)
{
	char	a[37], b[37];
	int	i, j;

	(void)state;
	for (i = 0; i < 64; i++) {
		memset(a, 'X', sizeof(a));
		codec_request_id_new(a, sizeof(a));
		assert_int_equal(strlen(a), 36);
		assert_int_equal(codec_is_uuid(a), 1);
		assert_int_equal(a[14], '4');
		assert_non_null(strchr("89ab", a[19]));
		for (j = 0; j < 36; j++) {
			if (a[j] >= 'A' && a[j] <= 'F')
				fail_msg("\"%s\" is not lowercase", a);
		}
	}

	codec_request_id_new(a, sizeof(a));
	codec_request_id_new(b, sizeof(b));
	assert_string_not_equal(a, b);

	/* A short buffer is truncated, never overrun. */
	memset(a, 'X', sizeof(a));
	codec_request_id_new(a, 10);
	assert_int_equal(strlen(a), 9);
	assert_int_equal(a[10], 'X');
}

static int
is_base64url(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return (0);
	}

	return (1);
}

static void
test_cursor_round_trip_one(void **state)
{
	const char	*keys[] = { "42" };
	char		*out[1], *c;

	(void)state;
	c = codec_cursor_encode("places", keys, 1);
	assert_non_null(c);
	assert_true(strlen(c) > 0);
	assert_true(is_base64url(c));
	assert_null(strchr(c, '='));

	out[0] = sentinel;
	assert_int_equal(codec_cursor_decode(c, "places", out, 1), 0);
	assert_non_null(out[0]);
	assert_string_equal(out[0], "42");
	codec_cursor_free(out, 1);
	assert_null(out[0]);
	free(c);
}

static void
test_cursor_round_trip_three(void **state)
{
	const char	*keys[] = {
		"say \"hi\" \\ back",
		"M\xc3\xbc" "hlhausen|\xf0\x9f\x98\x80|\xe6\x97\xa5",
		"a|b||\t\n\x01</script>",
	};
	const char	*empty[] = { "", "x" };
	char		*out[3], *c;
	int		 i;

	(void)state;
	c = codec_cursor_encode("districts", keys, 3);
	assert_non_null(c);
	assert_true(is_base64url(c));
	for (i = 0; i < 3; i++)
		out[i] = sentinel;
	assert_int_equal(codec_cursor_decode(c, "districts", out, 3), 0);
	for (i = 0; i < 3; i++)
		assert_string_equal(out[i], keys[i]);
	codec_cursor_free(out, 3);
	for (i = 0; i < 3; i++)
		assert_null(out[i]);
	free(c);

	c = codec_cursor_encode("k", empty, 2);
	assert_non_null(c);
	assert_int_equal(codec_cursor_decode(c, "k", out, 2), 0);
	assert_string_equal(out[0], "");
	assert_string_equal(out[1], "x");
	codec_cursor_free(out, 2);
	free(c);
}

/* Keys that fill CODEC_CURSOR_MAX exactly pass; one byte more does not. */
static void
test_cursor_max_length(void **state)
{
	const char	*keys[1];
	char		 key[400], json[420], buf[600], *out[1], *c;
	int		 len;

	(void)state;
	/* ["places","<key>"] is 13 bytes plus the key; 384 -> 512 chars. */
	memset(key, 'k', 371);
	key[371] = '\0';
	keys[0] = key;
	c = codec_cursor_encode("places", keys, 1);
	assert_non_null(c);
	assert_int_equal(strlen(c), CODEC_CURSOR_MAX);
	assert_int_equal(codec_cursor_decode(c, "places", out, 1), 0);
	assert_string_equal(out[0], key);
	codec_cursor_free(out, 1);
	free(c);

	key[371] = 'k';
	key[372] = '\0';
	assert_null(codec_cursor_encode("places", keys, 1));

	/* A 514-character cursor is valid base64 but too long. */
	len = snprintf(json, sizeof(json), "[\"places\",\"%s\"]", key);
	assert_int_equal(len, 385);
	b64(json, (size_t)len, buf, sizeof(buf));
	assert_int_equal(strlen(buf), CODEC_CURSOR_MAX + 2);
	expect_reject(buf, "places", 1);
}

/* Decodes cursor expecting -1 with every out slot NULL afterwards. */
static void
expect_reject(const char *cursor, const char *kind, int n)
{
	char	*out[CODEC_CURSOR_KEYS + 1], key0[64];
	int	 i, rc;

	assert_true(n <= CODEC_CURSOR_KEYS + 1);
	for (i = 0; i < n; i++)
		out[i] = sentinel;
	rc = codec_cursor_decode(cursor, kind, out, n);
	if (rc == 0) {
		snprintf(key0, sizeof(key0), "%s",
		    n > 0 && out[0] != NULL ? out[0] : "");
		codec_cursor_free(out, n);
		fail_msg("cursor \"%s\" (kind %s, %d keys) accepted, key 0 "
		    "\"%s\"", cursor != NULL ? cursor : "(null)", kind, n,
		    key0);
	}
	if (rc != -1)
		fail_msg("cursor \"%s\": rc %d", cursor != NULL ? cursor :
		    "(null)", rc);
	for (i = 0; i < n; i++) {
		if (out[i] != NULL)
			fail_msg("slot %d not NULL after a failed decode", i);
	}
}

static void
expect_reject_bin(const void *bin, size_t len, const char *kind, int n)
{
	char	buf[CODEC_CURSOR_MAX * 2];

	expect_reject(b64(bin, len, buf, sizeof(buf)), kind, n);
}

static void
test_cursor_reject_kind_and_count(void **state)
{
	const char	*keys[] = { "a", "b", "c" };
	char		 c[CODEC_CURSOR_MAX + 1], *enc, *out[3];

	(void)state;
	enc = codec_cursor_encode("places", keys, 3);
	assert_non_null(enc);
	assert_true(strlen(enc) < sizeof(c));
	strcpy(c, enc);
	free(enc);
	assert_int_equal(codec_cursor_decode(c, "places", out, 3), 0);
	codec_cursor_free(out, 3);

	expect_reject(c, "districts", 3);
	expect_reject(c, "place", 3);
	expect_reject(c, "placess", 3);
	expect_reject(c, "Places", 3);
	expect_reject(c, "places", 0);
	expect_reject(c, "places", 1);
	expect_reject(c, "places", 2);
	expect_reject(c, "places", 4);
}

static void
test_cursor_reject_base64(void **state)
{
	static const char	bad_chars[] = "+/.=* \n%";
	const char	*keys[] = { "a" };
	char		 c[64], d[64], *enc, *out[1];
	size_t		 i, len, pos;

	(void)state;
	/* ["places","a"] is 14 bytes: base64 would need padding. */
	enc = codec_cursor_encode("places", keys, 1);
	assert_non_null(enc);
	assert_true(strlen(enc) + 3 <= sizeof(c));
	strcpy(c, enc);
	free(enc);
	len = strlen(c);
	assert_int_equal(len % 4, 3);
	assert_int_equal(codec_cursor_decode(c, "places", out, 1), 0);
	codec_cursor_free(out, 1);

	for (i = 0; bad_chars[i] != '\0'; i++) {
		for (pos = 0; pos < len; pos += len - 1) {
			memcpy(d, c, len + 1);
			d[pos] = bad_chars[i];
			expect_reject(d, "places", 1);
		}
	}

	/* Padding, which the URL-safe unpadded form never has. */
	snprintf(d, sizeof(d), "%s=", c);
	expect_reject(d, "places", 1);
	snprintf(d, sizeof(d), "%s==", c);
	expect_reject(d, "places", 1);

	/* Truncated: a dangling character is not base64. */
	memcpy(d, c, len + 1);
	d[len - 2] = '\0';
	expect_reject(d, "places", 1);

	expect_reject("", "places", 1);
	expect_reject(NULL, "places", 1);
	expect_reject(NULL, "places", 3);
}

/*
 * Bytes from 0x80 up, which libsodium 1.0.18 decodes as '_': a cursor
 * with one in place of a '_' decoded to the same keys (found by
 * tests/fuzz).
 */
static void
test_cursor_reject_non_ascii(void **state)
{
	char	 c[64], *out[1], *underscore;
	size_t	 i;
	static const unsigned char	high[] = { 0x80, 0xbf, 0xc3, 0xff };

	(void)state;
	/* ["places","abc?"]: the '?' ends a 3-byte group, its 6 low bits
	 * are all set, so the cursor holds a '_'. */
	b64(BYTES("[\"places\",\"abc?\"]"), c, sizeof(c));
	assert_non_null(underscore = strchr(c, '_'));
	assert_int_equal(codec_cursor_decode(c, "places", out, 1), 0);
	assert_string_equal(out[0], "abc?");
	codec_cursor_free(out, 1);

	for (i = 0; i < sizeof(high); i++) {
		*underscore = (char)high[i];
		expect_reject(c, "places", 1);
	}
}

static void
test_cursor_reject_content(void **state)
{
	char	 buf[64], *out[1];

	(void)state;
	/* Forged cursors are only meaningful if a good one passes. */
	b64(BYTES("[\"places\",\"a\"]"), buf, sizeof(buf));
	assert_int_equal(codec_cursor_decode(buf, "places", out, 1), 0);
	assert_string_equal(out[0], "a");
	codec_cursor_free(out, 1);

	expect_reject_bin(BYTES("hello world"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",\"a\""), "places", 1);
	expect_reject_bin(BYTES("{\"kind\":\"places\",\"k\":\"a\"}"),
	    "places", 1);
	expect_reject_bin(BYTES("{\"0\":\"places\",\"1\":\"a\"}"), "places", 1);
	expect_reject_bin(BYTES("\"places\""), "places", 0);
	expect_reject_bin(BYTES("[\"places\",42]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",null]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",true]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",[\"a\"]]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",{\"a\":\"b\"}]"), "places", 1);
	expect_reject_bin(BYTES("[1,\"a\"]"), "places", 1);
	expect_reject_bin(BYTES("[null,\"a\"]"), "places", 1);
	/* A bad key after a good one: nothing stays allocated. */
	expect_reject_bin(BYTES("[\"places\",\"a\",7]"), "places", 2);
	expect_reject_bin(BYTES("[\"places\",\"a\",\"b\",\"c\",null]"),
	    "places", 4);
	/* NUL bytes and invalid UTF-8 inside the decoded data. */
	expect_reject_bin(BYTES("[\"places\",\"a\0b\"]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",\"a\"]\0"), "places", 1);
	expect_reject_bin(BYTES("\0[\"places\",\"a\"]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",\"\xff\"]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",\"\xc0\xaf\"]"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",\"\xed\xa0\x80\"]"), "places", 1);
	/* Escaped lone surrogates are not strings either. */
	expect_reject_bin(BYTES("[\"places\",\"\\ud800\"]"), "places", 1);
}

/* An escaped NUL must not silently cut a key short. */
static void
test_cursor_reject_escaped_nul(void **state)
{
	(void)state;
	expect_reject_bin(BYTES("[\"places\",\"a\\u0000b\"]"), "places", 1);
}

/* Anything after the array is malformed, like any other junk. */
static void
test_cursor_reject_trailing_data(void **state)
{
	(void)state;
	expect_reject_bin(BYTES("[\"places\",\"a\"]xyz"), "places", 1);
	expect_reject_bin(BYTES("[\"places\",\"a\"][\"places\",\"b\"]"),
	    "places", 1);
}

static cJSON *
parse_problem(char *json)
{
	cJSON	*doc;

	assert_non_null(json);
	doc = cJSON_Parse(json);
	free(json);
	assert_non_null(doc);
	assert_true(cJSON_IsObject(doc));

	return (doc);
}

static void
test_problem_full(void **state)
{
	cJSON	*doc, *item, *errors;

	(void)state;
	doc = parse_problem(codec_problem_json(404, "not-found", "Not Found",
	    "No place \"x\" here.", "/v1/places/x", "req-1",
	    "[{\"field\":\"id\",\"code\":\"unknown\"}]"));

	item = cJSON_GetObjectItemCaseSensitive(doc, "type");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "urn:ch:problem:not-found");
	item = cJSON_GetObjectItemCaseSensitive(doc, "title");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "Not Found");
	item = cJSON_GetObjectItemCaseSensitive(doc, "status");
	assert_true(cJSON_IsNumber(item));
	assert_int_equal(item->valueint, 404);
	item = cJSON_GetObjectItemCaseSensitive(doc, "detail");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "No place \"x\" here.");
	item = cJSON_GetObjectItemCaseSensitive(doc, "instance");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "/v1/places/x");
	item = cJSON_GetObjectItemCaseSensitive(doc, "request_id");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "req-1");

	errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
	assert_true(cJSON_IsArray(errors));
	assert_int_equal(cJSON_GetArraySize(errors), 1);
	item = cJSON_GetArrayItem(errors, 0);
	assert_true(cJSON_IsObject(item));
	item = cJSON_GetObjectItemCaseSensitive(item, "field");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "id");
	assert_int_equal(cJSON_GetArraySize(doc), 7);
	cJSON_Delete(doc);
}

static void
test_problem_minimal(void **state)
{
	cJSON	*doc, *item;

	(void)state;
	doc = parse_problem(codec_problem_json(503, "unavailable",
	    "Service Unavailable", NULL, NULL, NULL, NULL));
	item = cJSON_GetObjectItemCaseSensitive(doc, "type");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "urn:ch:problem:unavailable");
	item = cJSON_GetObjectItemCaseSensitive(doc, "title");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "Service Unavailable");
	item = cJSON_GetObjectItemCaseSensitive(doc, "status");
	assert_true(cJSON_IsNumber(item));
	assert_int_equal(item->valueint, 503);
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "detail"));
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "instance"));
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "request_id"));
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
	assert_int_equal(cJSON_GetArraySize(doc), 3);
	cJSON_Delete(doc);

	/* Each optional field on its own. */
	doc = parse_problem(codec_problem_json(400, "invalid-parameter",
	    "Bad Request", NULL, "/v1", NULL, "[]"));
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "detail"));
	assert_null(cJSON_GetObjectItemCaseSensitive(doc, "request_id"));
	item = cJSON_GetObjectItemCaseSensitive(doc, "instance");
	assert_true(cJSON_IsString(item));
	assert_string_equal(item->valuestring, "/v1");
	item = cJSON_GetObjectItemCaseSensitive(doc, "errors");
	assert_true(cJSON_IsArray(item));
	assert_int_equal(cJSON_GetArraySize(item), 0);
	assert_int_equal(cJSON_GetArraySize(doc), 5);
	cJSON_Delete(doc);
}

static void
test_json_escape(void **state)
{
	static const char *const	inputs[] = {
		"plain", "", "a\"b", "back\\slash", "\"\\\"",
		"line\nfeed\ttab\rcr\bbs\fff",
		"\x01\x02\x1e\x1f", "\x7f",
		"M\xc3\xbc" "hlhausen \xe2\x82\xac \xf0\x9f\x98\x80",
		"</script>", "{\"json\":[1]}",
	};
	cJSON		*str;
	char		*out;
	const char	*p;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		out = codec_json_escape(inputs[i]);
		assert_non_null(out);
		len = strlen(out);
		assert_true(len >= 2);
		assert_int_equal(out[0], '"');
		assert_int_equal(out[len - 1], '"');
		for (p = out; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20)
				fail_msg("raw control 0x%02x in %s",
				    (unsigned char)*p, out);
		}
		str = cJSON_Parse(out);
		if (str == NULL || !cJSON_IsString(str) ||
		    strcmp(str->valuestring, inputs[i]) != 0)
			fail_msg("%s does not parse back to input %zu", out, i);
		cJSON_Delete(str);
		free(out);
	}

	out = codec_json_escape("a\"b\\c\n");
	assert_string_equal(out, "\"a\\\"b\\\\c\\n\"");
	free(out);
	out = codec_json_escape("\x01");
	assert_string_equal(out, "\"\\u0001\"");
	free(out);
}

/* Label values of Prometheus' text format: three characters escaped. */
static void
test_label_escape(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "/v1/offers/{id}", "/v1/offers/{id}" },
		{ "", "" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "line\nfeed", "line\\nfeed" },
		{ "tab\tand\rcr", "tab\tand\rcr" },
		{ "\"\\\n", "\\\"\\\\\\n" },
		{ "M\xc3\xbc" "hlhausen", "M\xc3\xbc" "hlhausen" },
	};
	char	out[64];
	size_t	i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0x7f, sizeof(out));
		n = codec_label_escape(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}

	/* Cut like snprintf: NUL-terminated, the length it needs. */
	memset(out, 0x7f, sizeof(out));
	n = codec_label_escape("a\"bc", out, 4);
	assert_int_equal(n, 5);
	assert_string_equal(out, "a\\\"");
	n = codec_label_escape("abc", out, 3);
	assert_int_equal(n, 3);
	assert_string_equal(out, "ab");
	out[0] = 'x';
	assert_int_equal(codec_label_escape("abc", out, 0), 3);
	assert_int_equal(out[0], 'x');
	assert_int_equal(codec_label_escape("\n", out, 1), 2);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_query_plain),
		cmocka_unit_test(test_query_decoding),
		cmocka_unit_test(test_query_multibyte),
		cmocka_unit_test(test_query_control_boundary),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_query_bad_name_is_utf8),
		cmocka_unit_test(test_query_empty_name_not_named),
		cmocka_unit_test(test_query_empty_segments),
		cmocka_unit_test(test_query_too_many),
		cmocka_unit_test(test_query_null),
		cmocka_unit_test(test_query_get),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_is_uuid),
		cmocka_unit_test(test_is_district_key),
		cmocka_unit_test(test_utf8_chars),
		cmocka_unit_test(test_request_id_ok),
		cmocka_unit_test(test_request_id_new),
		cmocka_unit_test(test_cursor_round_trip_one),
		cmocka_unit_test(test_cursor_round_trip_three),
		cmocka_unit_test(test_cursor_max_length),
		cmocka_unit_test(test_cursor_reject_kind_and_count),
		cmocka_unit_test(test_cursor_reject_base64),
		cmocka_unit_test(test_cursor_reject_non_ascii),
		cmocka_unit_test(test_cursor_reject_content),
		cmocka_unit_test(test_cursor_reject_escaped_nul),
		cmocka_unit_test(test_cursor_reject_trailing_data),
		cmocka_unit_test(test_problem_full),
		cmocka_unit_test(test_problem_minimal),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_label_escape),
	};

	return (cmocka_run_group_tests_name("codec", tests, setup_sodium,
	    NULL));
}
