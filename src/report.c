/*
 * report.c -- death reports as JSON files.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "logstore.h"
#include "report.h"
#include "sampler.h"
#include "run.h"
#include "syncer.h"
#include "timefmt.h"

#define REPORT_VERSION	1

static unsigned char	report_tail[16 * 1024 * 1024 + 1];
static char		report_buf[16 * 1024];

static void	report_log(struct jw *, const char *, const struct logfile *,
		    uint64_t, const char *);

static void
report_log(struct jw *w, const char *key, const struct logfile *lf,
    uint64_t written, const char *sha)
{
	if (lf->path[0] == '\0') {
		jw_null(w, key);
		return;
	}
	jw_obj_begin(w, key);
	jw_str(w, "path", lf->path);
	jw_uint(w, "size", lf->size);
	jw_uint(w, "bytes_written_by_runner", written);
	jw_uint(w, "dropped_bytes", lf->dropped);
	if (lf->stopped && lf->why != NULL) {
		jw_str(w, "truncated_because", lf->why);
		if (lf->err != 0)
			jw_str(w, "error", strerror(lf->err));
	}
	if (sha != NULL)
		jw_str(w, "sha256", sha);
	jw_obj_end(w);
}

void
report_json(struct jw *w, const struct run *run, int hashed)
{
	const struct exit_info	*ei = &run->ei;
	char			 ts[TIMEFMT_MAX];
	const char		*name;
	size_t			 len;

	jw_obj_begin(w, NULL);
	jw_int(w, "report_version", REPORT_VERSION);
	jw_str(w, "run_id", run->id);
	jw_str(w, "instance_id", run->rc->instance_id);
	jw_str(w, "runner_id", run->rc->name);
	jw_int(w, "pid", run->pid);
	timefmt_rfc3339(ts, sizeof(ts), run->started_us);
	jw_str(w, "started_at", ts);
	timefmt_rfc3339(ts, sizeof(ts), run->ended_us);
	jw_str(w, "ended_at", ts);
	jw_int(w, "duration_ms", (run->ended_us - run->started_us) / 1000);

	jw_obj_begin(w, "exit");
	jw_str(w, "cause", ei->cause);
	jw_bool(w, "abnormal", ei->abnormal);
	jw_bool(w, "status_known", ei->status_known);
	if (ei->exited)
		jw_int(w, "exit_code", ei->exit_code);
	else
		jw_null(w, "exit_code");
	if (ei->signo != 0) {
		jw_int(w, "signal", ei->signo);
		name = signal_name(ei->signo);
		if (name != NULL)
			jw_str(w, "signal_name", name);
		else
			jw_null(w, "signal_name");
	} else {
		jw_null(w, "signal");
		jw_null(w, "signal_name");
	}
	jw_bool(w, "core_dumped", ei->core_dumped);
	if (ei->likely_signal != 0) {
		/* exit 137 from a shell: the child it ran died of SIGKILL. */
		jw_int(w, "likely_signal", ei->likely_signal);
		jw_str(w, "likely_signal_name", signal_name(ei->likely_signal));
	}
	jw_bool(w, "stop_requested", ei->stop_requested);
	jw_bool(w, "stop_escalated", ei->stop_escalated);
	jw_bool(w, "unreapable", ei->unreapable);
	jw_bool(w, "oom_killed", ei->oom_killed);
	/* Who said so: the kernel's log (kernel_records), the run's cgroup. */
	jw_arr_begin(w, "oom_sources");
	if (run->has_oom)
		jw_str(w, NULL, "kernel_log");
	if (run->m.cg_oom_kills > 0)
		jw_str(w, NULL, "cgroup");
	jw_arr_end(w);
	jw_obj_end(w);

	/* Known stderr diagnostics, for abnormal ends only. */
	/* Bytes the rate limit kept from the matcher (0 normally). */
	jw_uint(w, "diagnostics_skipped_bytes", run->diag_skipped);
	if (ei->abnormal)
		diag_json(w, "diagnostics", &run->diag);
	else {
		jw_arr_begin(w, "diagnostics");
		jw_arr_end(w);
	}
	/* What the runner said itself on its event fd, if anything. */
	if (run->termination_len > 0)
		jw_raw(w, "termination", run->termination,
		    run->termination_len);
	else
		jw_null(w, "termination");
	jw_arr_begin(w, "kernel_records");
	if (run->has_oom) {
		jw_obj_begin(w, NULL);
		jw_str(w, "kind", "oom_kill");
		oom_event_json(w, "oom", &run->oom);
		jw_obj_end(w);
	}
	if (run->has_xid) {
		jw_obj_begin(w, NULL);
		jw_str(w, "kind", "gpu_xid");
		xid_event_json(w, "xid", &run->xid);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	sampler_report_json(w, run);

	report_log(w, "stderr_log", &run->log_err, run->bytes_err,
	    hashed ? run->digest.hex : NULL);
	if (run->rc->capture_stdout == STDOUT_FILE)
		report_log(w, "stdout_log", &run->log_out, run->bytes_out,
		    NULL);

	len = tail_copy(&run->tail, report_tail, sizeof(report_tail) - 1);
	jw_obj_begin(w, "tail");
	jw_uint(w, "lines", tail_nlines(&run->tail));
	jw_uint(w, "bytes", len);
	jw_uint(w, "max_lines", run->tail.maxlines);
	jw_uint(w, "max_bytes", run->tail.r.cap);
	jw_strn(w, "text", report_tail, len);
	jw_obj_end(w);
	jw_obj_end(w);
}

int
report_write(struct run *run, int hashed)
{
	struct jw	w;
	char		tmp[PATH_MAX + 8];
	static unsigned	serial;
	off_t		size;
	int		fd, n;

	n = snprintf(run->report_path, sizeof(run->report_path), "%s%s",
	    run->base, logstore_suffix(LS_REPORT));
	if (run->base[0] == '\0' || n < 0 ||
	    (size_t)n >= sizeof(run->report_path)) {
		run->report_path[0] = '\0';
		log_warnx("%s: run %s: no place for its death report",
		    run->rc->name, run->id);
		return -1;
	}
	/* A report may be written again (a late OOM record): own tmp name. */
	snprintf(tmp, sizeof(tmp), "%s.tmp%u", run->report_path, ++serial);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warn("%s: open %s", __func__, tmp);
		return -1;
	}
	jw_init(&w, report_buf, sizeof(report_buf), fd);
	report_json(&w, run, hashed);
	if (jw_finish(&w) == -1 || write(fd, "\n", 1) != 1) {
		log_warn("%s: write %s", __func__, tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	size = lseek(fd, 0, SEEK_END);
	syncer_close_rename(fd, tmp, run->report_path);
	run->report_size = size > 0 ? (uint64_t)size : 0;
	log_info("%s: run %s: death report %s", run->rc->name, run->id,
	    run->report_path);
	return 0;
}
