/* main.c: ch-matcher: configuration, signals and the threads. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conninfo.h"
#include "daemon.h"
#include "envfile.h"
#include "input.h"

#ifndef CH_MATCHER_VERSION
#define CH_MATCHER_VERSION	"dev"
#endif


static void	env_refuse(const char *, const char *, const char *);
static int	env_uint(const char *, unsigned int, unsigned int,
		    unsigned int, unsigned int *);
static int	config_load(struct config *);
static int	make_pipe(int *);
static void	wake(int);
static void	usage(void);
static int	solve(void);

int
matcher_stopping(struct matcher *m)
{
	return (atomic_load(&m->stopping));
}

int
wait_fds(int a, int b, int ms)
{
	struct pollfd	pfd[2];
	nfds_t		n;
	int		r;

	n = 0;
	if (a >= 0) {
		pfd[n].fd = a;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	if (b >= 0) {
		pfd[n].fd = b;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	if (poll(pfd, n, ms) <= 0)
		return (0);
	r = 0;
	if (a >= 0 && pfd[0].revents != 0)
		r |= WAIT_A;
	if (b >= 0 && pfd[a >= 0 ? 1 : 0].revents != 0)
		r |= WAIT_B;
	return (r);
}

/*
 * Refuses the value s of setting name with what it must be. s is quoted
 * unless it came from a file (name_FILE): a file may hold a secret put
 * there by mistake.
 */
static void
env_refuse(const char *name, const char *s, const char *must)
{
	if (s == getenv(name))
		fprintf(stderr, "ch-matcher: %s must be %s, not \"%.40s\"\n",
		    name, must, s);
	else
		fprintf(stderr, "ch-matcher: %s (read from %s_FILE) must be "
		    "%s\n", name, name, must);
}

/*
 * An unsigned setting from the environment (or its _FILE): unset or empty
 * gives def; anything but digits in [min, max] is refused with a message
 * (-1).
 */
static int
env_uint(const char *name, unsigned int def, unsigned int min,
    unsigned int max, unsigned int *out)
{
	const char		*s, *p;
	char			 must[64];
	unsigned long long	 v;

	s = envfile_get(name);
	if (s == NULL || *s == '\0') {
		*out = def;
		return (0);
	}
	v = 0;
	for (p = s; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (unsigned long long)(*p - '0');
	if (*p != '\0' || v < min || v > max) {
		(void)snprintf(must, sizeof(must), "an integer from %u to %u",
		    min, max);
		env_refuse(name, s, must);
		return (-1);
	}
	*out = (unsigned int)v;
	return (0);
}

/*
 * The configuration from the environment, where every variable X may come
 * from the file X_FILE names instead (common/envfile.c). Returns 0, or -1
 * after a message on stderr.
 */
static int
config_load(struct config *cfg)
{
	PQconninfoOption	*opts;
	const char		*s;
	char			*msg, host[MATCHER_NAME_MAX];
	char			 err[ENVFILE_ERR_MAX];
	size_t			 i;

	memset(cfg, 0, sizeof(*cfg));
	s = envfile_get("CH_DATABASE_URL");
	if (s == NULL || *s == '\0') {
		if (envfile_refused(err, sizeof(err)))
			fprintf(stderr, "ch-matcher: %s\n", err);
		else
			fprintf(stderr, "ch-matcher: CH_DATABASE_URL is "
			    "required\n");
		return (-1);
	}
	/* libpq's message would quote pieces of the URL, its password
	 * included. */
	msg = NULL;
	if ((opts = PQconninfoParse(s, &msg)) == NULL) {
		fprintf(stderr, "ch-matcher: CH_DATABASE_URL is not a "
		    "connection string or URI%s\n", msg != NULL ? "" :
		    " (out of memory)");
		PQfreemem(msg);
		return (-1);
	}
	PQconninfoFree(opts);
	cfg->database_url = s;

	/* A password given apart (a secret file) joins a URL without one. */
	s = envfile_get("CH_DATABASE_PASSWORD");
	if (s != NULL && *s != '\0') {
		cfg->database_url = conninfo_with_password(cfg->database_url,
		    s, "CH_DATABASE_URL", "CH_DATABASE_PASSWORD", err,
		    sizeof(err));
		if (cfg->database_url == NULL) {
			fprintf(stderr, "ch-matcher: %s\n", err);
			return (-1);
		}
	}

	if (env_uint("CH_MATCHER_WORKERS", 2, 1, MATCHER_WORKERS_MAX,
	    &cfg->workers) == -1 ||
	    env_uint("CH_MATCHER_LEASE_SECONDS", 30, 2, 3600,
	    &cfg->lease_s) == -1 ||
	    env_uint("CH_MATCHER_POLL_MS", 1000, 10, 60000,
	    &cfg->poll_ms) == -1 ||
	    env_uint("CH_MATCHER_SWEEP_SECONDS", 60, 1, 86400,
	    &cfg->sweep_s) == -1)
		return (-1);

	s = envfile_get("CH_MATCHER_NAME");
	if (s != NULL && *s != '\0') {
		for (i = 0; s[i] >= 0x20 && s[i] <= 0x7e; i++)
			;
		if (s[i] != '\0' || i > MATCHER_NAME_MAX) {
			fprintf(stderr, "ch-matcher: CH_MATCHER_NAME must be "
			    "1 to %d printable ASCII characters\n",
			    MATCHER_NAME_MAX);
			return (-1);
		}
		(void)snprintf(cfg->name, sizeof(cfg->name), "%s", s);
	} else {
		if (gethostname(host, sizeof(host)) == -1)
			(void)snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		(void)snprintf(cfg->name, sizeof(cfg->name), "%.100s:%ld",
		    host, (long)getpid());
	}

	cfg->log_level = LOG_INFO;
	s = envfile_get("CH_LOG_LEVEL");
	if (s != NULL && *s != '\0' &&
	    log_level_parse(s, &cfg->log_level) == -1) {
		env_refuse("CH_LOG_LEVEL", s, "debug, info, warn or error");
		return (-1);
	}

	/* An optional setting whose file was refused came back unset. */
	if (envfile_refused(err, sizeof(err))) {
		fprintf(stderr, "ch-matcher: %s\n", err);
		return (-1);
	}
	return (0);
}

static int
make_pipe(int *fd)
{
	int	i;

	if (pipe(fd) == -1)
		return (-1);
	for (i = 0; i < 2; i++) {
		if (fcntl(fd[i], F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(fd[i], F_SETFL, O_NONBLOCK) == -1)
			return (-1);
	}
	return (0);
}

/* The pipe stays readable: every thread that polls it sees the news. */
static void
wake(int fd)
{
	ssize_t	n;

	do {
		n = write(fd, "x", 1);
	} while (n == -1 && errno == EINTR);
}

static void
usage(void)
{
	fprintf(stderr, "usage: ch-matcher\n"
	    "       ch-matcher --solve < job-input.json\n"
	    "Configured by the environment: CH_DATABASE_URL (required),\n"
	    "CH_DATABASE_PASSWORD, CH_MATCHER_WORKERS,\n"
	    "CH_MATCHER_LEASE_SECONDS, CH_MATCHER_POLL_MS,\n"
	    "CH_MATCHER_SWEEP_SECONDS, CH_MATCHER_NAME, CH_LOG_LEVEL; each\n"
	    "of them X may instead come from the file X_FILE names\n"
	    "(see matcher/daemon/README.md).\n");
}

/*
 * --solve: one job input document (as ch.job_input returns it) on stdin,
 * the result document (as ch.job_complete takes it) on stdout. No
 * database: for checking what the pool stored against the engine, and for
 * looking into a job by hand.
 */
static int
solve(void)
{
	struct input_job	 in;
	struct input_result	 out;
	char			 err[256], *doc, *p;
	size_t			 len, cap;
	ssize_t			 n;

	cap = 1 << 16;
	len = 0;
	if ((doc = malloc(cap)) == NULL)
		return (1);
	while ((n = read(STDIN_FILENO, doc + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			if (cap > (1u << 30) || (p = realloc(doc, cap * 2)) == NULL) {
				free(doc);
				fprintf(stderr, "ch-matcher: input too large\n");
				return (1);
			}
			doc = p;
			cap *= 2;
		}
	}
	if (n < 0) {
		free(doc);
		fprintf(stderr, "ch-matcher: reading stdin: %s\n", strerror(errno));
		return (1);
	}
	if (input_parse(doc, len, NULL, &in, err, sizeof(err)) != INPUT_OK) {
		free(doc);
		fprintf(stderr, "ch-matcher: %s\n", err);
		return (EXIT_CONFIG);
	}
	free(doc);
	if (input_run(&in, &out, err, sizeof(err)) != INPUT_OK) {
		input_free(&in);
		fprintf(stderr, "ch-matcher: %s\n", err);
		return (EXIT_CONFIG);
	}
	input_free(&in);
	fwrite(out.json, 1, out.len, stdout);
	putchar('\n');
	input_result_free(&out);

	return (fflush(stdout) == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	static struct matcher	 m;
	struct worker		*w[MATCHER_WORKERS_MAX];
	pthread_t		 tid[MATCHER_WORKERS_MAX], hb, pv;
	struct log_line		 l;
	sigset_t		 set;
	unsigned int		 i, started;
	int			 sig, hb_started, pv_started, rc;

	if (argc == 2 && strcmp(argv[1], "--solve") == 0)
		return (solve());
	if (argc > 1) {
		usage();
		return (EXIT_CONFIG);
	}
	if (config_load(&m.cfg) == -1)
		return (EXIT_CONFIG);
	log_set_level(m.cfg.log_level);
	if (!PQisthreadsafe()) {
		fprintf(stderr, "ch-matcher: libpq is not thread-safe\n");
		return (1);
	}

	/* Signals go to sigwait below, never to a worker thread. */
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    make_pipe(m.stop_fd) == -1 || make_pipe(m.hb_fd) == -1 ||
	    pthread_mutex_init(&m.lock, NULL) != 0 ||
	    (m.held = calloc(m.cfg.workers, sizeof(*m.held))) == NULL) {
		fprintf(stderr, "ch-matcher: cannot set up: %s\n",
		    strerror(errno));
		return (1);
	}
	atomic_init(&m.stopping, 0);
	atomic_init(&m.hb_stopping, 0);

	if (log_begin(&l, LOG_INFO, "started")) {
		log_str(&l, "name", m.cfg.name);
		log_str(&l, "version", CH_MATCHER_VERSION);
		log_int(&l, "workers", m.cfg.workers);
		log_int(&l, "lease_seconds", m.cfg.lease_s);
		log_int(&l, "poll_ms", m.cfg.poll_ms);
		log_int(&l, "sweep_seconds", m.cfg.sweep_s);
		log_int(&l, "pid", (long long)getpid());
		log_end(&l);
	}

	rc = 0;
	hb_started = pthread_create(&hb, NULL, heartbeat_main, &m) == 0;
	pv_started = hb_started &&
	    pthread_create(&pv, NULL, privacy_main, &m) == 0;
	for (started = 0; pv_started && started < m.cfg.workers; started++) {
		if ((w[started] = worker_new(&m, started)) == NULL)
			break;
		if (pthread_create(&tid[started], NULL, worker_main,
		    w[started]) != 0) {
			worker_free(w[started]);
			break;
		}
	}
	if (!pv_started || started < m.cfg.workers) {
		if (log_begin(&l, LOG_ERROR, "start_failed")) {
			log_int(&l, "threads", started);
			log_end(&l);
		}
		rc = 1;
		sig = 0;
	} else {
		while (sigwait(&set, &sig) != 0)
			;
	}

	if (log_begin(&l, LOG_INFO, "stopping")) {
		log_str(&l, "signal", sig == SIGTERM ? "SIGTERM" :
		    sig == SIGINT ? "SIGINT" : "none");
		log_end(&l);
	}
	atomic_store(&m.stopping, 1);
	wake(m.stop_fd[1]);
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		worker_free(w[i]);
	}
	if (pv_started)
		pthread_join(pv, NULL);
	/* Leases were kept up until the last job was stored. */
	atomic_store(&m.hb_stopping, 1);
	wake(m.hb_fd[1]);
	if (hb_started)
		pthread_join(hb, NULL);
	free(m.held);
	(void)pthread_mutex_destroy(&m.lock);
	for (i = 0; i < 2; i++) {
		(void)close(m.stop_fd[i]);
		(void)close(m.hb_fd[i]);
	}
	if (log_begin(&l, LOG_INFO, "stopped"))
		log_end(&l);
	return (rc);
}
