/* Configuration from CH_* environment variables, checked before serving. */

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ch.h"
#include "conninfo.h"
#include "envfile.h"

#define CONFIG_NET_TEXT_MAX	64	/* longest address or network we read */

static int	config_enum(const char *, const char *const *, int *);
static int	config_url(const char *, const char *, char *, size_t);
static int	config_addr(const char *, size_t, struct config_net *);
static int	config_proxies(struct config *, const char *, char *, size_t);
static int	config_net_contains(const struct config_net *,
		    const struct config_net *);
static int	config_proxy_trusted(const struct config *,
		    const struct config_net *);
static int	config_forwarded_addr(const char *, size_t,
		    struct config_net *);
static int	config_jwt(struct config *, const char *(*)(const char *),
		    char *, size_t);
static const char *config_str(const char *(*)(const char *), const char *,
		    const char *);
static int	config_metrics(struct config *, const char *(*)(const char *),
		    char *, size_t);
static int	config_net_internal(const struct config_net *);

static const char *const env_names[] = {
	"development", "test", "production", NULL
};

static const char *const log_level_names[] = {
	"debug", "info", "warn", "error", NULL
};

static int
config_enum(const char *value, const char *const *names, int *out)
{
	int	i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i;
			return (0);
		}
	}

	return (-1);
}

/* 0 when v looks like a libpq URL or connection string, else -1 and err. */
static int
config_url(const char *name, const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "postgresql://", 13) != 0 &&
	    strncmp(v, "postgres://", 11) != 0 && strchr(v, '=') == NULL) {
		snprintf(err, errlen, "%s is neither a postgresql:// URL nor "
		    "a key=value connection string", name);
		return (-1);
	}

	return (0);
}

/*
 * Fills cfg from the environment through get (getenv in production, a
 * table in tests). Returns 0, or -1 with a one-line reason in err that
 * names the variable and what is allowed.
 */
int
config_load(struct config *cfg, const char *(*get)(const char *),
    char *err, size_t errlen)
{
	const char	*v;
	int		 e, listen_own;

	memset(cfg, 0, sizeof(*cfg));
	cfg->env = CONFIG_ENV_DEVELOPMENT;
	cfg->log_level = CONFIG_LOG_INFO;
	cfg->access_log = 1;
	cfg->port = 8080;
	cfg->workers = 2;

	if ((v = get("CH_DATABASE_URL")) == NULL || *v == '\0') {
		snprintf(err, errlen, "CH_DATABASE_URL is not set "
		    "(a libpq connection string or postgresql:// URL)");
		return (-1);
	}
	if (config_url("CH_DATABASE_URL", v, err, errlen) == -1)
		return (-1);
	cfg->database_url = v;

	/* The connection that LISTENs for finished matching jobs: it needs
	 * a session of its own, which a transaction-pooling proxy in front
	 * of the database cannot give. */
	cfg->listen_url = cfg->database_url;
	if ((v = get("CH_DATABASE_LISTEN_URL")) != NULL && *v != '\0') {
		if (config_url("CH_DATABASE_LISTEN_URL", v, err, errlen) == -1)
			return (-1);
		cfg->listen_url = v;
	}

	/* A password given apart (a secret file, typically) goes into the
	 * connection strings, which then must carry none of their own. */
	if ((v = get("CH_DATABASE_PASSWORD")) != NULL && *v != '\0') {
		listen_own = cfg->listen_url != cfg->database_url;
		cfg->database_url = conninfo_with_password(cfg->database_url, v,
		    "CH_DATABASE_URL", "CH_DATABASE_PASSWORD", err, errlen);
		if (cfg->database_url == NULL)
			return (-1);
		cfg->listen_url = !listen_own ? cfg->database_url :
		    conninfo_with_password(cfg->listen_url, v,
		    "CH_DATABASE_LISTEN_URL", "CH_DATABASE_PASSWORD", err,
		    errlen);
		if (cfg->listen_url == NULL)
			return (-1);
	}

	if ((v = get("CH_ENV")) != NULL && *v != '\0') {
		if (config_enum(v, env_names, &e) == -1) {
			snprintf(err, errlen, "CH_ENV must be development, "
			    "test or production");
			return (-1);
		}
		cfg->env = e;
	}

	if ((v = get("CH_LOG_LEVEL")) != NULL && *v != '\0') {
		if (config_enum(v, log_level_names, &e) == -1) {
			snprintf(err, errlen, "CH_LOG_LEVEL must be debug, "
			    "info, warn or error");
			return (-1);
		}
		cfg->log_level = e;
	}

	if ((v = get("CH_ACCESS_LOG")) != NULL && *v != '\0') {
		if (strcmp(v, "1") == 0 || strcmp(v, "on") == 0)
			cfg->access_log = 1;
		else if (strcmp(v, "0") == 0 || strcmp(v, "off") == 0)
			cfg->access_log = 0;
		else {
			snprintf(err, errlen, "CH_ACCESS_LOG must be on or off");
			return (-1);
		}
	}

	if ((v = get("CH_PORT")) != NULL && *v != '\0') {
		if (codec_parse_int(v, 1, 65535, &cfg->port) == -1) {
			snprintf(err, errlen, "CH_PORT must be a port number "
			    "from 1 to 65535");
			return (-1);
		}
	}

	if ((v = get("CH_WORKERS")) != NULL && *v != '\0') {
		if (codec_parse_int(v, 1, 64, &cfg->workers) == -1) {
			snprintf(err, errlen, "CH_WORKERS must be a number "
			    "from 1 to 64");
			return (-1);
		}
	}

	if ((v = get("CH_TRUSTED_PROXIES")) != NULL && *v != '\0') {
		if (config_proxies(cfg, v, err, errlen) == -1)
			return (-1);
	}

	if (config_jwt(cfg, get, err, errlen) == -1)
		return (-1);

	return (config_metrics(cfg, get, err, errlen));
}

/*
 * Reads one address of len bytes (not NUL-terminated) into out, with a
 * full-length prefix. An IPv4-mapped IPv6 address becomes IPv4. Returns
 * 0, or -1 when s is no IPv4 or IPv6 address.
 */
static int
config_addr(const char *s, size_t len, struct config_net *out)
{
	static const unsigned char	mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	char				buf[CONFIG_NET_TEXT_MAX];

	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
		return (0);
	}
	if (inet_pton(AF_INET6, buf, out->addr) != 1)
		return (-1);
	if (memcmp(out->addr, mapped, sizeof(mapped)) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = AF_INET;
		out->prefix = 32;
		return (0);
	}
	out->family = AF_INET6;
	out->prefix = 128;

	return (0);
}

/*
 * CH_TRUSTED_PROXIES: a comma-separated list of addresses and networks
 * (10.0.0.5, 10.1.0.0/16, 2001:db8::/32). A network must have no bits set
 * beyond its prefix, and /0 is refused: trusting every peer would let any
 * client choose the address it is counted under.
 */
static int
config_proxies(struct config *cfg, const char *list, char *err,
    size_t errlen)
{
	struct config_net	*net;
	const char		*p, *end, *slash;
	long long		 prefix;
	char			 bits[8];
	size_t			 len;
	int			 i, max;

	for (p = list; ; p = end + 1) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		len = end - p;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			snprintf(err, errlen, "CH_TRUSTED_PROXIES has an empty "
			    "entry: give addresses or networks separated by "
			    "commas");
			return (-1);
		}
		if (cfg->nproxies == CONFIG_PROXIES_MAX) {
			snprintf(err, errlen, "CH_TRUSTED_PROXIES has more "
			    "than %d entries", CONFIG_PROXIES_MAX);
			return (-1);
		}
		net = &cfg->proxies[cfg->nproxies];

		slash = memchr(p, '/', len);
		if (config_addr(p, slash != NULL ? (size_t)(slash - p) : len,
		    net) == -1) {
			snprintf(err, errlen, "CH_TRUSTED_PROXIES: '%.*s' is "
			    "not an IPv4 or IPv6 address or network",
			    (int)(len > 64 ? 64 : len), p);
			return (-1);
		}
		if (slash != NULL) {
			max = net->family == AF_INET ? 32 : 128;
			len -= slash + 1 - p;
			if (len == 0 || len >= sizeof(bits)) {
				prefix = -1;
			} else {
				memcpy(bits, slash + 1, len);
				bits[len] = '\0';
				if (codec_parse_int(bits, 0, max,
				    &prefix) == -1)
					prefix = -1;
			}
			if (prefix == -1) {
				snprintf(err, errlen, "CH_TRUSTED_PROXIES: the "
				    "prefix after '%.*s/' must be a number "
				    "from 1 to %d", (int)(slash - p), p, max);
				return (-1);
			}
			if (prefix == 0) {
				snprintf(err, errlen, "CH_TRUSTED_PROXIES: "
				    "'%.*s/0' would trust every client to name "
				    "its own address", (int)(slash - p), p);
				return (-1);
			}
			net->prefix = (int)prefix;
			for (i = net->prefix; i < max; i++) {
				if (net->addr[i / 8] & (0x80 >> (i % 8))) {
					snprintf(err, errlen,
					    "CH_TRUSTED_PROXIES: '%.*s' has "
					    "bits set beyond its prefix",
					    (int)(slash - p) + 1 +
					    (int)len, p);
					return (-1);
				}
			}
		}
		cfg->nproxies++;
		if (*end == '\0')
			break;
	}

	return (0);
}

/* Whether address a (a full-length config_net) lies in network net. */
static int
config_net_contains(const struct config_net *net, const struct config_net *a)
{
	int	full, rest;

	if (net->family != a->family)
		return (0);
	full = net->prefix / 8;
	rest = net->prefix % 8;
	if (memcmp(net->addr, a->addr, full) != 0)
		return (0);
	if (rest == 0)
		return (1);

	return (((net->addr[full] ^ a->addr[full]) &
	    (0xff << (8 - rest)) & 0xff) == 0);
}

static int
config_proxy_trusted(const struct config *cfg, const struct config_net *a)
{
	int	i;

	for (i = 0; i < cfg->nproxies; i++) {
		if (config_net_contains(&cfg->proxies[i], a))
			return (1);
	}

	return (0);
}

/*
 * One X-Forwarded-For entry of len bytes: an address, optionally with a
 * port as some proxies write it ("192.0.2.7:5100", "[2001:db8::7]:5100",
 * "[2001:db8::7]"). Returns 0 or -1.
 */
static int
config_forwarded_addr(const char *s, size_t len, struct config_net *out)
{
	const char	*colon, *close;

	if (len > 0 && s[0] == '[') {
		if ((close = memchr(s, ']', len)) == NULL)
			return (-1);
		if (close + 1 != s + len && close[1] != ':')
			return (-1);
		return (config_addr(s + 1, close - s - 1, out));
	}
	colon = memchr(s, ':', len);
	if (colon != NULL && memchr(colon + 1, ':', len - (colon + 1 - s)) ==
	    NULL)
		len = colon - s;	/* IPv4 with a port */

	return (config_addr(s, len, out));
}

/*
 * The address a request is counted under: the direct peer, unless the
 * peer is a trusted proxy. Then X-Forwarded-For (forwarded, NULL when
 * absent; several header lines joined by commas) is read from the right,
 * where each proxy appends the address it saw, past every trusted proxy:
 * the first address that is not one is the client. What is left of it
 * was written by the client and is ignored. An entry that is no address
 * stops the walk at the proxy that passed it on. Writes the address in
 * canonical text to out (IPv4 for an IPv4-mapped one). Returns 0, or -1
 * when peer is no address.
 */
int
config_client_address(const struct config *cfg, const char *peer,
    const char *forwarded, char *out, size_t outlen)
{
	struct config_net	 cur, next;
	const char		*start, *end, *entry;
	size_t			 len;

	if (config_addr(peer, strlen(peer), &cur) == -1)
		return (-1);

	end = forwarded != NULL ? forwarded + strlen(forwarded) : NULL;
	while (end != NULL && config_proxy_trusted(cfg, &cur)) {
		start = end;
		while (start > forwarded && start[-1] != ',')
			start--;
		entry = start;
		len = end - entry;
		while (len > 0 && (*entry == ' ' || *entry == '\t')) {
			entry++;
			len--;
		}
		while (len > 0 && (entry[len - 1] == ' ' ||
		    entry[len - 1] == '\t'))
			len--;
		if (config_forwarded_addr(entry, len, &next) == -1)
			break;
		cur = next;
		if (start == forwarded)
			break;
		end = start - 1;	/* the entry before ends at its comma */
	}

	if (inet_ntop(cur.family, cur.addr, out, outlen) == NULL)
		return (-1);

	return (0);
}

static const char *
config_str(const char *(*get)(const char *), const char *name,
    const char *fallback)
{
	const char	*v;

	if ((v = get(name)) == NULL || *v == '\0')
		return (fallback);
	return (v);
}

/* Words that mark a secret someone copied from documentation. */
static const char *const placeholder_words[] = {
	"changeme", "change-me", "change_me", "secret", "password", "passwort",
	"placeholder", "example", "default", "dummy", "insecure", "todo",
	"xxxx", "your-", "your_", "insert", "replace", NULL
};

/* Beginnings of keyboard walks people type for "random" strings. */
static const char *const keyboard_walks[] = {
	"qwert", "werty", "asdfg", "sdfgh", "yxcvb", "zxcvb", "1qaz", "2wsx",
	"3edc", NULL
};

static int	contains_word(const char *, const char *const *);

/* Whether s contains one of words, ignoring case. */
static int
contains_word(const char *s, const char *const *words)
{
	const char	*w;
	size_t		 i, wlen;

	for (i = 0; words[i] != NULL; i++) {
		wlen = strlen(words[i]);
		for (w = s; *w != '\0'; w++) {
			if (strncasecmp(w, words[i], wlen) == 0)
				return (1);
		}
	}

	return (0);
}

/*
 * Returns NULL when s looks like at least 32 random bytes, or why not.
 * Randomness cannot be proven, but the usual mistakes can be caught:
 * short strings, documentation placeholders, one repeated character or
 * pattern, runs of neighbouring characters and common keyboard walks.
 */
const char *
config_secret_weakness(const char *s)
{
	size_t		 i, len, runs, distinct, period;
	unsigned char	 seen[256];

	len = strlen(s);
	if (len < CONFIG_SECRET_MIN)
		return ("is shorter than 32 bytes");
	if (contains_word(s, placeholder_words))
		return ("looks like a placeholder");

	memset(seen, 0, sizeof(seen));
	distinct = runs = 0;
	for (i = 0; i < len; i++) {
		if (!seen[(unsigned char)s[i]]++)
			distinct++;
		if (i > 0 && ((unsigned char)s[i] == (unsigned char)s[i - 1] ||
		    (unsigned char)s[i] == (unsigned char)s[i - 1] + 1 ||
		    (unsigned char)s[i] + 1 == (unsigned char)s[i - 1]))
			runs++;
	}
	if (distinct < 12)
		return ("repeats too few distinct characters");
	/* A short pattern said several times ("abcdefghijkl" x 3). */
	for (period = 1; period <= len / 2; period++) {
		for (i = period; i < len && s[i] == s[i - period]; i++)
			;
		if (i == len)
			return ("repeats a pattern");
	}
	if (runs * 2 > len)
		return ("is a run of neighbouring characters");
	if (contains_word(s, keyboard_walks))
		return ("contains a keyboard walk");

	return (NULL);
}

static const char *const jwt_alg_names[] = { "HS256", "RS256", "ES256",
	NULL };

/*
 * Access-token settings. Keys themselves are read by token_setup(); this
 * only checks what can be checked without files.
 */
static int
config_jwt(struct config *cfg, const char *(*get)(const char *), char *err,
    size_t errlen)
{
	const char	*v, *why;
	int		 e;

	cfg->jwt_alg = CONFIG_JWT_HS256;
	if ((v = get("CH_JWT_ALG")) != NULL && *v != '\0') {
		if (config_enum(v, jwt_alg_names, &e) == -1) {
			snprintf(err, errlen, "CH_JWT_ALG must be HS256, "
			    "RS256 or ES256");
			return (-1);
		}
		cfg->jwt_alg = e;
	}

	cfg->jwt_secret = config_str(get, "CH_JWT_SECRET", NULL);
	cfg->jwt_key_file = config_str(get, "CH_JWT_KEY_FILE", NULL);
	cfg->jwt_kid = config_str(get, "CH_JWT_KID", NULL);
	cfg->jwt_issuer = config_str(get, "CH_JWT_ISSUER", "connecting-humans");
	cfg->jwt_audience = config_str(get, "CH_JWT_AUDIENCE", "ch-api");

	if (cfg->jwt_alg == CONFIG_JWT_HS256) {
		if (cfg->jwt_secret == NULL) {
			snprintf(err, errlen, "CH_JWT_SECRET is not set: give "
			    "at least 32 random bytes, for example from "
			    "'openssl rand -base64 48'");
			return (-1);
		}
		if ((why = config_secret_weakness(cfg->jwt_secret)) != NULL) {
			snprintf(err, errlen, "CH_JWT_SECRET %s: give at least "
			    "32 random bytes, for example from "
			    "'openssl rand -base64 48'", why);
			return (-1);
		}
	} else if (cfg->jwt_key_file == NULL) {
		snprintf(err, errlen, "CH_JWT_KEY_FILE is not set: %s needs "
		    "a PEM private key", jwt_alg_names[cfg->jwt_alg]);
		return (-1);
	}
	if (cfg->jwt_kid != NULL && (strlen(cfg->jwt_kid) > 64 ||
	    strspn(cfg->jwt_kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_.") != strlen(cfg->jwt_kid))) {
		snprintf(err, errlen, "CH_JWT_KID must be 1-64 characters "
		    "of A-Z a-z 0-9 - _ .");
		return (-1);
	}

	cfg->ext_issuer = config_str(get, "CH_JWT_EXTERNAL_ISSUER", NULL);
	if (cfg->ext_issuer == NULL)
		return (0);
	if (strcmp(cfg->ext_issuer, cfg->jwt_issuer) == 0) {
		snprintf(err, errlen, "CH_JWT_EXTERNAL_ISSUER must differ "
		    "from CH_JWT_ISSUER");
		return (-1);
	}
	cfg->ext_key_file = config_str(get, "CH_JWT_EXTERNAL_KEY_FILE", NULL);
	if (cfg->ext_key_file == NULL) {
		snprintf(err, errlen, "CH_JWT_EXTERNAL_KEY_FILE is not set: "
		    "the external issuer needs its PEM public key");
		return (-1);
	}
	cfg->ext_alg = CONFIG_JWT_RS256;
	if ((v = get("CH_JWT_EXTERNAL_ALG")) != NULL && *v != '\0') {
		if (config_enum(v, jwt_alg_names, &e) == -1 ||
		    e == CONFIG_JWT_HS256) {
			snprintf(err, errlen, "CH_JWT_EXTERNAL_ALG must be "
			    "RS256 or ES256");
			return (-1);
		}
		cfg->ext_alg = e;
	}
	cfg->ext_audience = config_str(get, "CH_JWT_EXTERNAL_AUDIENCE",
	    cfg->jwt_audience);
	cfg->ext_role_claim = config_str(get, "CH_JWT_EXTERNAL_ROLE_CLAIM",
	    "role");
	cfg->ext_district_claim = config_str(get,
	    "CH_JWT_EXTERNAL_DISTRICT_CLAIM", "district");
	cfg->ext_roles = config_str(get, "CH_JWT_EXTERNAL_ROLES",
	    "state_admin=state_admin,coordinator=coordinator,"
	    "assistant=assistant");

	return (0);
}

/* ------------------------------------------------------ GET /metrics */

/*
 * CH_METRICS_TOKEN: the bearer token a scraper outside the internal
 * network sends. It is a secret like the JWT one and held to the same
 * test; a copy of that one would put the signing key into every
 * scraper's configuration, so it must differ.
 */
static int
config_metrics(struct config *cfg, const char *(*get)(const char *),
    char *err, size_t errlen)
{
	const char	*v, *why;

	if ((v = config_str(get, "CH_METRICS_TOKEN", NULL)) == NULL)
		return (0);
	if ((why = config_secret_weakness(v)) != NULL) {
		snprintf(err, errlen, "CH_METRICS_TOKEN %s: give at least 32 "
		    "random bytes, for example from 'openssl rand -base64 48'",
		    why);
		return (-1);
	}
	/* What a bearer token may hold (RFC 6750 b64token). */
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~+/=") != strlen(v)) {
		snprintf(err, errlen, "CH_METRICS_TOKEN may hold only A-Z a-z "
		    "0-9 - . _ ~ + / = (a base64 string)");
		return (-1);
	}
	if (cfg->jwt_secret != NULL && strcmp(v, cfg->jwt_secret) == 0) {
		snprintf(err, errlen, "CH_METRICS_TOKEN must differ from "
		    "CH_JWT_SECRET");
		return (-1);
	}
	cfg->metrics_token = v;

	return (0);
}

/* Loopback and private networks: where the internal network lives. */
static int
config_net_internal(const struct config_net *a)
{
	static const struct config_net	internal[] = {
		{ AF_INET, { 127 }, 8 },
		{ AF_INET, { 10 }, 8 },
		{ AF_INET, { 172, 16 }, 12 },
		{ AF_INET, { 192, 168 }, 16 },
		{ AF_INET6, { 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 0, 0, 1 }, 128 },	/* ::1 */
		{ AF_INET6, { 0xfc }, 7 },		/* unique local */
	};
	size_t				i;

	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		if (config_net_contains(&internal[i], a))
			return (1);
	}

	return (0);
}

/*
 * Whether a request may read GET /metrics; peer is the connection's
 * address as text (NULL when it has none), authorization the
 * Authorization header (NULL when absent). Allowed are:
 *
 * - a request carrying CH_METRICS_TOKEN as its bearer token, from
 *   anywhere (compared in constant time);
 * - a request whose peer is on the loopback or a private network and is
 *   not a trusted proxy: it came straight from the internal network.
 *   What a proxy forwards may come from anywhere, and X-Forwarded-For is
 *   the client's word, so it is never looked at here.
 *
 * Returns 1 to allow, 0 to refuse.
 */
int
config_metrics_access(const struct config *cfg, const char *peer,
    const char *authorization)
{
	struct config_net	 a;
	const char		*token;

	if (cfg->metrics_token != NULL && authorization != NULL &&
	    strncasecmp(authorization, "bearer ", 7) == 0) {
		for (token = authorization + 7; *token == ' '; token++)
			;
		if (token_secret_equal(token, cfg->metrics_token))
			return (1);
	}
	if (peer == NULL || config_addr(peer, strlen(peer), &a) == -1)
		return (0);

	return (!config_proxy_trusted(cfg, &a) && config_net_internal(&a));
}

/*
 * config_load() on the process's environment, where every variable X may
 * also come from the file that X_FILE names (common/envfile.c). A refused
 * file is reported rather than what config_load() made of the value it
 * did not get. Returns 0, or -1 with the reason in err.
 */
int
config_load_env(struct config *cfg, char *err, size_t errlen)
{
	int	rc;

	rc = config_load(cfg, envfile_get, err, errlen);
	if (envfile_refused(err, errlen))
		return (-1);

	return (rc);
}
