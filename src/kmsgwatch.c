/*
 * kmsgwatch.c -- kernel records to OOM and Xid events, matched to runs.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "events.h"
#include "json.h"
#include "kmsg.h"
#include "kmsgwatch.h"
#include "log.h"
#include "run.h"
#include "timefmt.h"

#define KW_READS_PER_TURN	256

static struct event_base	*kw_base;
static struct event		 kw_ev;
static int			 kw_fd = -1;
static int			 kw_fifo;
static char			 kw_path[PATH_MAX];
static char			 kw_state[PATH_MAX + 160] = "off";
static struct kmsg_split	 kw_split;
static struct oom_parser	 kw_oom;
static char			 kw_buf[KMSG_REC_MAX + 1];
static uint64_t			 kw_records, kw_lost, kw_last_seq;
static uint64_t			 kw_ooms, kw_xids, kw_matched;

static int	kw_open(void);
static void	kw_on_read(evutil_socket_t, short, void *);
static void	kw_read(void);
static void	kw_record(const char *, size_t);
static void	kw_oom_event(const struct oom_event *);
static void	kw_xid_event(const struct xid_event *);
static void	kw_oom_data(struct jw *, const void *);
static void	kw_xid_data(struct jw *, const void *);

void
kmsgwatch_init(struct event_base *base, const char *path)
{
	kw_base = base;
	kmsg_split_init(&kw_split);
	oom_init(&kw_oom, sysconf(_SC_PAGESIZE));
	if (path == NULL) {
		snprintf(kw_state, sizeof(kw_state), "unsupported on this "
		    "platform");
		return;
	}
	if (strcmp(path, "off") == 0)
		return;
	snprintf(kw_path, sizeof(kw_path), "%s", path);
	if (kw_open() == -1)
		return;
	event_assign(&kw_ev, base, kw_fd, EV_READ | EV_PERSIST, kw_on_read,
	    NULL);
	event_add(&kw_ev, NULL);
}

/*
 * Open at the end: a restart must not replay old kills.  A FIFO (tests)
 * is opened read-write so that it never reports end-of-file when its
 * writers come and go.
 */
static int
kw_open(void)
{
	struct stat	st;
	int		err;

	kw_fd = open(kw_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kw_fd != -1 && fstat(kw_fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		close(kw_fd);
		kw_fifo = 1;
		kw_fd = open(kw_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	if (kw_fd == -1) {
		err = errno;
		snprintf(kw_state, sizeof(kw_state), "unavailable: %s: %s",
		    kw_path, strerror(err));
		log_warnx("kernel watcher %s (OOM kills will not be seen; "
		    "everything else goes on)", kw_state);
		return -1;
	}
	if (!kw_fifo && lseek(kw_fd, 0, SEEK_END) == -1 && errno != ESPIPE)
		log_warn("kernel watcher: seek to the end of %s", kw_path);
	snprintf(kw_state, sizeof(kw_state), "running on %s", kw_path);
	log_info("kernel watcher reading %s", kw_path);
	return 0;
}

static void
kw_on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	kw_read();
}

void
kmsgwatch_drain(void)
{
	if (kw_fd != -1)
		kw_read();
}

/*
 * /dev/kmsg gives one record per read and EPIPE when records were
 * overwritten before we read them; a FIFO gives any bytes.  Both go
 * through the splitter.
 */
static void
kw_read(void)
{
	const char	*rec;
	size_t		 len;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < KW_READS_PER_TURN; i++) {
		n = read(kw_fd, kw_buf, sizeof(kw_buf) - 1);
		if (n == -1 && errno == EPIPE) {
			/* The gap is counted from the next sequence number. */
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINVAL) {
				log_warn("kernel watcher: read %s", kw_path);
				snprintf(kw_state, sizeof(kw_state),
				    "stopped: read error on %s", kw_path);
				event_del(&kw_ev);
				close(kw_fd);
				kw_fd = -1;
			}
			return;
		}
		kmsg_split_feed(&kw_split, kw_buf, (size_t)n);
		while (kmsg_split_next(&kw_split, &rec, &len))
			kw_record(rec, len);
	}
}

static void
kw_record(const char *rec, size_t len)
{
	struct kmsg_record	r;
	static struct oom_event	ev;
	static struct xid_event	xid;

	if (kmsg_parse(rec, len, &r) == -1)
		return;
	kw_records++;
	if (kw_last_seq != 0 && r.seq > kw_last_seq + 1)
		kw_lost += r.seq - kw_last_seq - 1;
	if (r.seq > kw_last_seq)
		kw_last_seq = r.seq;
	if (oom_feed(&kw_oom, &r, &ev) == 1)
		kw_oom_event(&ev);
	if (kmsg_xid(&r, &xid) == 1)
		kw_xid_event(&xid);
}

static void
kw_oom_data(struct jw *w, const void *arg)
{
	oom_event_json(w, NULL, arg);
}

static void
kw_xid_data(struct jw *w, const void *arg)
{
	xid_event_json(w, NULL, arg);
}

/* The run module decides whether the victim was one of its runs. */
static void
kw_oom_event(const struct oom_event *ev)
{
	struct ev_meta		 m = { "system_oom_kill", "system", NULL, NULL,
				    NULL };
	const struct run	*run;

	kw_ooms++;
	if ((run = run_note_kill((pid_t)ev->pid, ev)) != NULL) {
		kw_matched++;
		m.instance_id = run->rc->instance_id;
		m.runner_id = run->rc->name;
		m.run_id = run->id;
	} else
		log_info("kernel OOM killer killed pid %d (%s), not a run",
		    ev->pid, ev->process_name);
	events_emit(&m, kw_oom_data, ev);
}

static void
kw_xid_event(const struct xid_event *xid)
{
	struct ev_meta		 m = { "gpu_error", "system", NULL, NULL,
				    NULL };
	const struct run	*run;

	kw_xids++;
	if ((run = run_note_xid((pid_t)xid->pid, xid)) != NULL) {
		m.instance_id = run->rc->instance_id;
		m.runner_id = run->rc->name;
		m.run_id = run->id;
	}
	log_warnx("NVIDIA Xid %d on %s%s", xid->xid, xid->pci,
	    run != NULL ? " (a supervised run)" : "");
	events_emit(&m, kw_xid_data, xid);
}

void
kmsgwatch_status_json(struct jw *w)
{
	jw_obj_begin(w, "kernel");
	jw_str(w, "state", kw_state);
	jw_uint(w, "records", kw_records);
	jw_uint(w, "lost_records", kw_lost);
	jw_uint(w, "overlong_records", kw_split.overlong);
	jw_uint(w, "oom_kills", kw_ooms);
	jw_uint(w, "oom_kills_of_runs", kw_matched);
	jw_uint(w, "oom_orphan_kill_lines", kw_oom.orphans);
	jw_uint(w, "oom_dumps_abandoned", kw_oom.abandoned + kw_oom.dropped);
	jw_uint(w, "gpu_xids", kw_xids);
	jw_obj_end(w);
}
