/*
 * kmsg.h -- kernel log records (/dev/kmsg) and what crashtrail reads in
 * them: OOM-killer dumps and NVIDIA Xid errors.
 *
 * Three layers, each over caller-owned fixed-size storage:
 *
 *  1. kmsg_parse(): one record, "<prio>,<seq>,<ts_usec>,<flags>[,...];
 *     <message>\n" plus optional continuation lines (" KEY=value"), as one
 *     read(2) of /dev/kmsg returns it (Documentation/ABI/testing/dev-kmsg).
 *  2. struct kmsg_split: the same records from a byte stream (a FIFO or a
 *     file configured in place of /dev/kmsg), where one read may carry
 *     several records or part of one.
 *  3. struct oom_parser: a small state machine over the records of an
 *     OOM-killer dump (mm/oom_kill.c), which gives one struct oom_event
 *     per killed process; and kmsg_xid() for "NVRM: Xid" lines.
 *
 * Layers 1 and 2 and kmsg_xid() are in kmsg.c; layer 3 is in oom.c (the
 * states and the lines that open and close a dump) and oom_context.c.
 *
 * Texts are kept as the kernel wrote them: /dev/kmsg escapes
 * non-printable bytes and '\' as "\xNN", and nothing here undoes that.
 * The facility is reported but not checked: a root process can write
 * records to /dev/kmsg (never with facility 0, the kernel's), so a caller
 * that must not be fooled keeps only facility 0.  Nothing allocates.
 */
#ifndef KMSG_H
#define KMSG_H

#include <stddef.h>
#include <stdint.h>

#define KMSG_REC_MAX	8192	/* longest record line kmsg_split keeps */
#define KMSG_COMM_MAX	64	/* a comm: 15 bytes, or 60 escaped, + NUL */
#define KMSG_PATH_MAX	256	/* a memcg path, cut to this, NUL included */
#define OOM_TOP_TASKS	5	/* biggest tasks kept from the tasks table */
#define OOM_NOISE_MAX	2000	/* unrecognised lines that drop a dump */
#define XID_MSG_MAX	256

/* One record.  `msg` points into the caller's buffer, not NUL-terminated. */
struct kmsg_record {
	int		 facility;	/* prio >> 3; 0 is the kernel */
	int		 level;		/* prio & 7 */
	uint64_t	 seq;
	uint64_t	 ts_usec;	/* monotonic µs since boot */
	char		 flag;		/* '-', or 'c' for a fragment */
	const char	*msg;		/* the first line of the message */
	size_t		 msglen;
};

/*
 * Parse rec[0..len).  The header's numbers must be decimal and in range;
 * extra comma fields after the flags are ignored; the message ends at the
 * first '\n' or at len.  Returns 0, or -1 on anything else (out is then
 * undefined).
 */
int	kmsg_parse(const char *rec, size_t len, struct kmsg_record *out);

/*
 * Records from a byte stream.  A record is a line; lines that start with
 * a space (continuation lines) and empty lines are skipped.  A line longer
 * than KMSG_REC_MAX is dropped whole and counted in `overlong`.
 */
struct kmsg_split {
	size_t		len;		/* bytes held in buf */
	size_t		off;		/* where the next record starts */
	int		skipping;	/* dropping an overlong line */
	uint64_t	overlong;
	uint64_t	continuations;
	char		buf[KMSG_REC_MAX + 1];	/* a line and its '\n' */
};

void	kmsg_split_init(struct kmsg_split *);
/*
 * Take up to `len` bytes; returns how many were taken.  A short count
 * means the buffer holds complete records: take them with
 * kmsg_split_next() until it returns 0, then feed the rest.
 */
size_t	kmsg_split_feed(struct kmsg_split *, const void *, size_t len);
/*
 * The next complete record: 1 with *rec and *len set, valid until the
 * next kmsg_split_feed(); 0 when none is complete.  The record is without
 * its '\n' and NUL-terminated; a NUL byte the stream carried inside it is
 * kept and counted in *len.  A final line without '\n' waits for one.
 */
int	kmsg_split_next(struct kmsg_split *, const char **rec, size_t *len);

/* What the kernel printed about a task in a dump's tasks table. */
struct oom_task {
	int		pid;
	uint64_t	rss_kb;
	char		name[KMSG_COMM_MAX];
};

/* Which optional fields of an oom_event are there (the kernel printed them). */
#define OOM_F_TOTAL_VM		0x0001u
#define OOM_F_ANON_RSS		0x0002u
#define OOM_F_FILE_RSS		0x0004u
#define OOM_F_SHMEM_RSS		0x0008u
#define OOM_F_UID		0x0010u
#define OOM_F_PGTABLES		0x0020u
#define OOM_F_SCORE_ADJ		0x0040u
#define OOM_F_CONSTRAINT	0x0080u	/* Linux >= 5.0: oom-kill: line */
#define OOM_F_OOM_MEMCG		0x0100u
#define OOM_F_TASK_MEMCG	0x0200u
#define OOM_F_MEM_TOTAL		0x0400u	/* global OOMs only (Mem-Info) */
#define OOM_F_MEM_FREE		0x0800u
#define OOM_F_TRIGGER_NAME	0x1000u	/* the task that invoked the killer */
#define OOM_F_TRIGGER_PID	0x2000u
#define OOM_F_RSS	(OOM_F_ANON_RSS | OOM_F_FILE_RSS | OOM_F_SHMEM_RSS)

/* The kill line's prefix. */
enum oom_kind {
	OOM_KIND_GLOBAL,		/* "Out of memory:" */
	OOM_KIND_MEMCG,			/* "Memory cgroup out of memory:" */
	OOM_KIND_ALLOCATING_TASK,	/* "... (oom_kill_allocating_task):" */
	OOM_KIND_UNPREFIXED		/* Linux < 5.0: no prefix */
};

/* One process killed by the OOM killer, with the context of its dump. */
struct oom_event {
	unsigned	 flags;		/* OOM_F_* */
	enum oom_kind	 kind;
	int		 pid;
	char		 process_name[KMSG_COMM_MAX];
	uint64_t	 rss_kb;	/* anon + file + shmem, those printed */
	uint64_t	 anon_rss_kb;
	uint64_t	 file_rss_kb;
	uint64_t	 shmem_rss_kb;
	uint64_t	 total_vm_kb;
	uint64_t	 pgtables_kb;
	int		 oom_score_adj;
	uint32_t	 uid;
	char		 constraint[32];	/* none|cpuset|memcg|memory_policy */
	char		 oom_memcg[KMSG_PATH_MAX];
	char		 task_memcg[KMSG_PATH_MAX];
	uint64_t	 mem_total_kb;
	uint64_t	 mem_free_kb;
	size_t		 ntop;		/* biggest tasks by rss, biggest first */
	struct oom_task	 top[OOM_TOP_TASKS];
	char		 trigger_name[KMSG_COMM_MAX];
	int		 trigger_pid;
	uint64_t	 kmsg_seq;	/* of the kill line */
	uint64_t	 kmsg_ts_usec;
};

enum oom_state {
	OOM_IDLE,	/* between dumps */
	OOM_DUMP,	/* after "invoked oom-killer:", until the kill line */
	OOM_GROUP,	/* memory.oom.group: more kills with the same context */
	OOM_STATE_MAX
};

/*
 * The dump state machine.  A dump opens with "<comm> invoked oom-killer:"
 * (a new opener abandons an open dump) and closes with its kill line,
 * which gives an event; a kill line with no dump open is an orphan (its
 * dump was rate-limited away or lost to a ring wrap) and is only counted.
 * OOM_NOISE_MAX lines that are not part of a dump drop it; the lines the
 * parser knows (task rows among them) do not count, however many.
 */
struct oom_parser {
	enum oom_state	 state;
	uint64_t	 page_kb;	/* page size, in KiB */
	unsigned	 noise;		/* unrecognised lines in this dump */
	int		 ncols;		/* tasks table: numeric columns */
	int		 rss_col;	/* ... and which is rss; ncols 0: none
					 * seen, guess from the row */
	int		 have_ctx;	/* ev holds a finished dump's context */
	int		 sum_pid;	/* oom-kill: line's task, for the UID */
	uint32_t	 sum_uid;
	int		 has_sum_uid;
	struct oom_event ev;		/* the dump being read */
	uint64_t	 events;	/* counters since oom_init() */
	uint64_t	 orphans;
	uint64_t	 abandoned;	/* cut short by a new opener */
	uint64_t	 dropped;	/* by the noise watchdog */
	uint64_t	 skipped;	/* victim already exiting: no kill */
};

/*
 * `page_size` in bytes (sysconf(_SC_PAGESIZE)): the dump counts memory in
 * pages.  A size that is not a multiple of 1024 is taken as 4096.
 */
void	oom_init(struct oom_parser *, long page_size);
/*
 * Feed one record.  Returns 1 when it was a kill line that ends a dump
 * (or follows one under memory.oom.group): *out is filled and the caller
 * owns that copy.  Otherwise 0 and *out is untouched.
 */
int	oom_feed(struct oom_parser *, const struct kmsg_record *,
	    struct oom_event *out);
const char	*oom_strstate(enum oom_state);
const char	*oom_strkind(enum oom_kind);

/*
 * The event as an object under `key` (NULL in an array or at top level):
 * process_name, pid, rss_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb,
 * total_vm_kb, pgtables_kb, oom_score_adj, uid, constraint, oom_kind,
 * oom_memcg, task_memcg, mem_total_kb, mem_free_kb, top_tasks[{pid, name,
 * rss_kb}], trigger_process_name, trigger_pid, kmsg_seq, kmsg_ts_usec;
 * fields the kernel did not print are left out.
 */
struct jw;
void	oom_event_json(struct jw *, const char *key, const struct oom_event *);

#define XID_F_PID	0x01u
#define XID_F_NAME	0x02u

/*
 * "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python3, GPU has fallen
 * off the bus."  The pid and name are missing from older drivers' lines
 * and are "'<unknown>'" when the driver did not know them.
 */
struct xid_event {
	unsigned	 flags;		/* XID_F_* */
	int		 xid;
	int		 pid;
	char		 pci[32];	/* "0000:3b:00" */
	char		 name[KMSG_COMM_MAX];
	char		 msg[XID_MSG_MAX];	/* what follows, cut to fit */
	uint64_t	 kmsg_seq;
	uint64_t	 kmsg_ts_usec;
};

/* 1 and *out filled if the record is an Xid line, else 0. */
int	kmsg_xid(const struct kmsg_record *, struct xid_event *out);
/* {xid, pci, pid?, process_name?, message, kmsg_seq, kmsg_ts_usec}. */
void	xid_event_json(struct jw *, const char *key, const struct xid_event *);

#endif /* KMSG_H */
