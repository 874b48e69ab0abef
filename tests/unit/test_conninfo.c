/* Unit tests for common/conninfo.c: a password joined to a connection string. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "conninfo.h"

#define PW	"s3cr3t-Pw"

/* Keyword and value libpq reads from a joined string. */
struct want {
	const char	*keyword;
	const char	*value;
};

static const char	*option(const char *, const char *);
static void		 want_joined(const char *, const char *,
			    const struct want *);
static void		 want_refused(const char *, const char *,
			    const char *);

/* The value libpq parses for keyword from conninfo, or NULL. */
static const char *
option(const char *conninfo, const char *keyword)
{
	static char		 value[256];
	PQconninfoOption	*opts, *o;
	char			*msg;
	int			 found;

	msg = NULL;
	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL)
		fail_msg("libpq cannot parse the joined string: %s", msg);
	found = 0;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, keyword) == 0 && o->val != NULL) {
			(void)snprintf(value, sizeof(value), "%s", o->val);
			found = 1;
		}
	}
	PQconninfoFree(opts);
	return (found ? value : NULL);
}

/* url with password joins into a string with exactly these options. */
static void
want_joined(const char *url, const char *password, const struct want *w)
{
	char		 err[256];
	const char	*s;
	const char	*unset[] = { "host", "port", "user", "dbname",
	    "sslmode", "application_name", NULL };
	size_t		 i, j;

	s = conninfo_with_password(url, password, "CH_DATABASE_URL",
	    "CH_DATABASE_PASSWORD", err, sizeof(err));
	if (s == NULL)
		fail_msg("%s refused: %s", url, err);
	assert_string_equal(option(s, "password"), password);
	for (i = 0; w[i].keyword != NULL; i++) {
		if (option(s, w[i].keyword) == NULL)
			fail_msg("%s: %s lost", url, w[i].keyword);
		assert_string_equal(option(s, w[i].keyword), w[i].value);
	}
	/* Nothing added but the password. */
	for (i = 0; unset[i] != NULL; i++) {
		for (j = 0; w[j].keyword != NULL; j++) {
			if (strcmp(w[j].keyword, unset[i]) == 0)
				break;
		}
		if (w[j].keyword == NULL && option(s, unset[i]) != NULL)
			fail_msg("%s: %s appeared", url, unset[i]);
	}
}

/* url is refused with a message that says want and quotes no secret. */
static void
want_refused(const char *url, const char *want, const char *secret)
{
	char	err[256];

	memset(err, 0x7f, sizeof(err));
	assert_null(conninfo_with_password(url, PW, "CH_DATABASE_LISTEN_URL",
	    "CH_DATABASE_PASSWORD", err, sizeof(err)));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		fail_msg("error is not NUL-terminated");
	if (strstr(err, "CH_DATABASE_LISTEN_URL") == NULL)
		fail_msg("\"%s\" does not name the URL's variable", err);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, want);
	if (strstr(err, secret) != NULL || strstr(err, PW) != NULL)
		fail_msg("\"%s\" quotes a secret", err);
}

static void
test_url(void **state)
{
	static const struct want	w1[] = {
		{ "user", "ch_app" }, { "host", "db" }, { "port", "5432" },
		{ "dbname", "ch" }, { NULL, NULL },
	};
	static const struct want	w2[] = {
		{ "host", "/run/pg sock" }, { "user", "ch_app" },
		{ "dbname", "ch" }, { "sslmode", "require" }, { NULL, NULL },
	};
	static const struct want	w3[] = {
		{ "host", "pg1,pg2" }, { "port", "5432,5433" },
		{ "dbname", "ch" }, { NULL, NULL },
	};

	(void)state;
	want_joined("postgresql://ch_app@db:5432/ch", PW, w1);
	want_joined("postgres:///ch?host=/run/pg%20sock&user=ch_app"
	    "&sslmode=require", PW, w2);
	want_joined("postgresql://pg1:5432,pg2:5433/ch", PW, w3);
}

static void
test_keyword_string(void **state)
{
	static const struct want	w1[] = {
		{ "host", "db" }, { "dbname", "ch" },
		{ "application_name", "it's a \\ test" }, { NULL, NULL },
	};

	(void)state;
	want_joined("host=db dbname=ch application_name='it\\'s a \\\\ test'",
	    PW, w1);
}

/* Quotes, backslashes, spaces and = in the password survive. */
static void
test_password_quoting(void **state)
{
	static const struct want	w[] = {
		{ "host", "db" }, { NULL, NULL },
	};

	(void)state;
	want_joined("host=db", "a'b\\c d=e", w);
	want_joined("host=db", "'", w);
	want_joined("host=db", "\\", w);
	want_joined("host=db", " leading and trailing ", w);
	want_joined("host=db", "line\nbreak", w);
	want_joined("postgresql://db", "%20+&?#@:/", w);
}

/* A password in the URL and another given apart: one place only. */
static void
test_password_twice(void **state)
{
	(void)state;
	want_refused("postgresql://ch_app:Other-Secret@db/ch", "carries a "
	    "password", "Other-Secret");
	want_refused("postgresql://ch_app@db/ch?password=Other-Secret",
	    "carries a password", "Other-Secret");
	want_refused("host=db password=Other-Secret", "carries a password",
	    "Other-Secret");
	want_refused("host=db password='Other Secret'", "carries a password",
	    "Other Secret");
}

/* An empty password in the URL is none. */
static void
test_empty_password_in_url(void **state)
{
	static const struct want	w[] = {
		{ "user", "ch_app" }, { "host", "db" }, { NULL, NULL },
	};

	(void)state;
	want_joined("postgresql://ch_app:@db", PW, w);
	want_joined("host=db user=ch_app password=", PW, w);
}

/* libpq's parse errors quote the string; ours do not. */
static void
test_unparsable(void **state)
{
	(void)state;
	want_refused("postgresql://u:pw%zzHidden@db/ch", "not a libpq",
	    "Hidden");
	want_refused("host=db HiddenWord", "not a libpq", "HiddenWord");
	want_refused("postgresql://db/ch?HiddenParam=1", "not a libpq",
	    "HiddenParam");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_keyword_string),
		cmocka_unit_test(test_password_quoting),
		cmocka_unit_test(test_password_twice),
		cmocka_unit_test(test_empty_password_in_url),
		cmocka_unit_test(test_unparsable),
	};

	return (cmocka_run_group_tests_name("conninfo", tests, NULL, NULL));
}
