/*
 * log.h -- the one logging API of crashtrail.
 *
 * Every line goes to stderr as "<UTC time> <level>: <message>\n", written
 * with a single write(2) from a stack buffer: logging never allocates, so it
 * is safe on the hot path and between fork and exec.  stdout is reserved for
 * command output and protocols; the daemon never writes there.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_LEVEL_WARN	0
#define LOG_LEVEL_INFO	1
#define LOG_LEVEL_DEBUG	2

#if defined(__GNUC__) || defined(__clang__)
#define LOG_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define LOG_NORETURN		__attribute__((noreturn))
#else
#define LOG_PRINTF(f, a)
#define LOG_NORETURN
#endif

/* Messages above `level` are dropped; the default is LOG_LEVEL_INFO. */
void	log_setlevel(int level);
int	log_getlevel(void);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *, ...) LOG_PRINTF(1, 2);

/* For broken invariants and start-up failures only: log, then exit(111). */
void	fatal(const char *, ...) LOG_PRINTF(1, 2) LOG_NORETURN;
void	fatalx(const char *, ...) LOG_PRINTF(1, 2) LOG_NORETURN;

#endif /* LOG_H */
