/*
 * digest.c -- incremental SHA-256 of files, a chunk per loop turn.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "digest.h"
#include "log.h"

static unsigned char	 digest_chunk[DIGEST_CHUNK];
static struct digest	*digest_head, *digest_tail;
static struct event	*digest_ev;

static void	digest_on_turn(evutil_socket_t, short, void *);
static int	digest_step(struct digest *);
static void	digest_unlink(struct digest *);
static void	digest_hex(const unsigned char *, char *);

void
digest_setup(struct event_base *base)
{
	digest_ev = evtimer_new(base, digest_on_turn, NULL);
	if (digest_ev == NULL)
		fatalx("%s: evtimer_new", __func__);
}

static void
digest_hex(const unsigned char *raw, char *hex)
{
	static const char	x[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = x[raw[i] >> 4];
		hex[2 * i + 1] = x[raw[i] & 15];
	}
	hex[64] = '\0';
}

void
digest_buf(const void *p, size_t n, char hex[65])
{
	br_sha256_context	ctx;
	unsigned char		raw[32];

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, p, n);
	br_sha256_out(&ctx, raw);
	digest_hex(raw, hex);
}

int
digest_start(struct digest *d, const char *path, digest_done_fn done)
{
	static const struct timeval	now = { 0, 0 };

	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd == -1) {
		log_warn("%s: open %s", __func__, path);
		return -1;
	}
	br_sha256_init(&d->ctx);
	d->size = 0;
	d->hex[0] = '\0';
	d->done = done;
	d->next = NULL;
	d->queued = 1;
	if (digest_tail != NULL)
		digest_tail->next = d;
	else
		digest_head = d;
	digest_tail = d;
	if (digest_ev != NULL && !evtimer_pending(digest_ev, NULL))
		evtimer_add(digest_ev, &now);
	return 0;
}

static void
digest_unlink(struct digest *d)
{
	struct digest	**pp;

	for (pp = &digest_head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	if (digest_tail == d) {
		digest_tail = NULL;
		for (pp = &digest_head; *pp != NULL; pp = &(*pp)->next)
			digest_tail = *pp;
	}
	d->next = NULL;
	d->queued = 0;
	if (d->fd != -1) {
		close(d->fd);
		d->fd = -1;
	}
}

void
digest_cancel(struct digest *d)
{
	if (d->queued)
		digest_unlink(d);
}

/* Hash one chunk; returns 1 while more remains, 0 when the job is over. */
static int
digest_step(struct digest *d)
{
	unsigned char	raw[32];
	ssize_t		n;

	n = read(d->fd, digest_chunk, sizeof(digest_chunk));
	if (n == -1 && errno == EINTR)
		return 1;
	if (n > 0) {
		br_sha256_update(&d->ctx, digest_chunk, (size_t)n);
		d->size += (uint64_t)n;
		return 1;
	}
	if (n == -1) {
		int err = errno;

		log_warn("%s: read", __func__);
		digest_unlink(d);
		d->done(d, err);
		return 0;
	}
	br_sha256_out(&d->ctx, raw);
	digest_hex(raw, d->hex);
	digest_unlink(d);
	d->done(d, 0);
	return 0;
}

/* One chunk of the job at the head, which then goes to the back. */
static void
digest_on_turn(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval	 now = { 0, 0 };
	struct digest			*d = digest_head;

	(void)fd;
	(void)what;
	(void)arg;
	if (d == NULL)
		return;
	if (digest_step(d) && d->next != NULL) {
		digest_head = d->next;
		d->next = NULL;
		digest_tail->next = d;
		digest_tail = d;
	}
	if (digest_head != NULL)
		evtimer_add(digest_ev, &now);
}

void
digest_drain(void)
{
	while (digest_head != NULL)
		while (digest_step(digest_head))
			;
}

int
digest_busy(void)
{
	return digest_head != NULL;
}
