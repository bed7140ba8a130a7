/*
 * report.h -- the death report of an abnormal run, as JSON next to its log
 * (<base>.death.json): identity, timing, classification, the tail, the log
 * file's path, size and SHA-256, and slots for what later parts of the
 * collector add (diagnostics, kernel records, metrics, stages).
 *
 * The file is written to a temporary name, then fsync'd and renamed off
 * the loop (syncer.h), so a reader never sees half a report.  One static buffer; no allocation.
 */
#ifndef REPORT_H
#define REPORT_H

struct run;
struct jw;

/* Write run->report_path; `hashed` says run->digest is valid.  0 or -1. */
int	report_write(struct run *, int hashed);
/* The report document itself, to any writer (used by the file above). */
void	report_json(struct jw *, const struct run *, int hashed);

#endif /* REPORT_H */
