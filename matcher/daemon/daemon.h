/* daemon.h: ch-matcher's shared state and the prototypes of its files. */

#ifndef CH_MATCHER_DAEMON_H
#define CH_MATCHER_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Exit status for a configuration the daemon refuses to run with. */
#define EXIT_CONFIG	2

#define MATCHER_NAME_MAX	128	/* CH_MATCHER_NAME, bytes */
#define MATCHER_WORKERS_MAX	64
#define MATCHER_WORKER_NAME_MAX	(MATCHER_NAME_MAX + 16)
#define MATCHER_ID_MAX		40	/* a job id as text, NUL included */
#define MATCHER_ERR_MAX		512
#define MATCHER_CONNECT_MS	10000	/* one connection attempt at most */
#define MATCHER_BACKOFF_MIN_MS	100
#define MATCHER_BACKOFF_MAX_MS	2000

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR
};

struct config {
	const char	*database_url;
	unsigned int	 workers;
	unsigned int	 lease_s;
	unsigned int	 poll_ms;
	unsigned int	 sweep_s;
	char		 name[MATCHER_NAME_MAX + 1];
	enum log_level	 log_level;
};

/* What one worker holds, for the heartbeat (under matcher.lock). */
struct held_job {
	int	busy;
	int	lost;		/* not in the last heartbeat answer */
	int	attempt;
	char	id[MATCHER_ID_MAX];
};

struct matcher {
	struct config	 cfg;
	atomic_int	 stopping;	/* SIGTERM/SIGINT: claim no more */
	int		 stop_fd[2];	/* readable once stopping */
	atomic_int	 hb_stopping;	/* every worker has left */
	int		 hb_fd[2];	/* readable once hb_stopping */
	pthread_mutex_t	 lock;
	struct held_job	*held;		/* cfg.workers entries */
};

/* A statement prepared on every (re)connection. */
struct db_stmt {
	const char	*name;
	const char	*sql;
	int		 nparams;
};

/*
 * One PostgreSQL connection with its prepared statements.  pg is NULL
 * while disconnected; db_connect brings it back.
 */
struct db {
	PGconn			*pg;
	const char		*label;		/* for the log */
	const struct db_stmt	*stmts;
	size_t			 nstmts;
	const char		*listen;	/* channel, or NULL */
	int			 ever;		/* connected once */
	int			 down;		/* an outage is on */
	uint64_t		 down_since;	/* monotonic ms */
	unsigned int		 attempts;	/* failed, this outage */
	char			 err[MATCHER_ERR_MAX];
};

struct worker;

/* A log line under construction: one JSON object, one write(2). */
struct log_line {
	char	buf[2048];
	size_t	len;
	int	on;
};

#define WAIT_A		1
#define WAIT_B		2

/* Return codes of db_exec. */
#define DB_OK		0
#define DB_ERROR	(-1)	/* the statement failed: message in db.err */
#define DB_LOST		(-2)	/* the connection is gone: reconnect */

/* log.c */
int		 log_level_parse(const char *, enum log_level *);
void		 log_set_level(enum log_level);
int		 log_begin(struct log_line *, enum log_level, const char *);
void		 log_str(struct log_line *, const char *, const char *);
void		 log_int(struct log_line *, const char *, long long);
void		 log_bool(struct log_line *, const char *, int);
void		 log_ms(struct log_line *, const char *, double);
void		 log_end(struct log_line *);
uint64_t	 mono_ms(void);
uint64_t	 mono_us(void);

/* db.c */
void		 db_init(struct db *, const char *, const struct db_stmt *,
		    size_t, const char *);
/*
 * Connect (again), prepare the statements and LISTEN, retrying with a
 * backoff from MATCHER_BACKOFF_MIN_MS doubling to MATCHER_BACKOFF_MAX_MS.
 * Between attempts it waits on wake_fd (-1: none) and asks quit(arg);
 * returns 0 when connected, -1 when quit said so.
 */
int		 db_connect(struct db *, const char *, int,
		    int (*)(void *), void *);
/*
 * Run a prepared statement with text parameters.  DB_OK: *res holds the
 * rows (the caller clears it); DB_ERROR: message in db.err; DB_LOST: the
 * connection was closed.  *res is NULL unless DB_OK.
 */
int		 db_exec(struct db *, const char *, int, const char *const *,
		    PGresult **);
void		 db_close(struct db *);
/* Drop the NOTIFYs libpq has read; returns how many there were. */
int		 db_drain_notifies(struct db *);
/* Read what the server sent; -1 when the connection is gone. */
int		 db_consume(struct db *);

/* worker.c */
void		*worker_main(void *);
struct worker	*worker_new(struct matcher *, unsigned int);
void		 worker_free(struct worker *);

/* heartbeat.c */
void		*heartbeat_main(void *);

/* privacy.c */
void		*privacy_main(void *);

/* main.c */
int		 matcher_stopping(struct matcher *);
/*
 * Wait up to ms for a or b (either may be -1) to be readable.  Returns a
 * bit set: WAIT_A, WAIT_B; 0 on timeout.
 */
int		 wait_fds(int, int, int);

#endif
