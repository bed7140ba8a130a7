/*
 * cli_int.h -- what the client commands share (cli.c, cli_top.c): the
 * socket and options, one GET, and reading the JSON answers.
 */
#ifndef CLI_INT_H
#define CLI_INT_H

#include <limits.h>
#include <stddef.h>

#include "httpc.h"
#include "jsonq.h"

#define EX_CT_UNAVAILABLE	69
#define CLI_TIMEOUT_MS		5000
#define CLI_BUF_MAX		(4 * 1024 * 1024)

/* An answer's tokens (jparse() allocates t; the caller frees it). */
struct jdoc {
	const char	*js;
	jsmntok_t	*t;
	int		 n;
};

extern char	cli_buf[CLI_BUF_MAX];	/* the last answer's body */
extern char	cli_sock[PATH_MAX];
extern int	cli_json;		/* --json */

void	cli_usage(const char *) __attribute__((noreturn));
/* -s SOCKET, -c CONFIG, --json and `flags`; the first operand's index. */
int	cli_args(int, char **, const char *usage, const char *flags,
	    int *seen);
/* GET path into cli_buf; 0, or -1 after saying why on stderr. */
int	cli_get(const char *path, struct httpc_resp *);
int	jparse(struct jdoc *, const char *, size_t);
int	jskip(const struct jdoc *, int);
/* The value of member `key` of the object at `obj`, or -1. */
int	jfind(const struct jdoc *, int obj, const char *key);
/* A token as text ("-" for -1); strings unescaped. */
void	jtext(const struct jdoc *, int, char *, size_t);
/* The samples array at `arr` (telemetry or a report) as charts. */
void	cli_chart(const struct jdoc *, int arr);

#endif /* CLI_INT_H */
