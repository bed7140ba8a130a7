/*
 * presign.h -- the upload protocol's two documents (DESIGN.md section 10):
 * the presign request crashtrail sends and the reply it reads.
 * SPDX-License-Identifier: ISC
 *
 *   POST {base}/telemetry/runner-log/presign
 *   {"sha256","size","run_id","instance_id","runner_id","cause"}
 *   -> {"uploadUrl","key","expiresIn","maxSize"}
 *
 * Pure functions over caller buffers; nothing allocates.  The reply
 * parser is what a server controls, so it is a fuzz target.
 */
#ifndef PRESIGN_H
#define PRESIGN_H

#include <stddef.h>
#include <stdint.h>

#define PRESIGN_URL_MAX		4608	/* host (256) + path (4096) + scheme */
#define PRESIGN_KEY_MAX		1024
#define PRESIGN_REPLY_MAX	16384	/* a bigger reply is refused */
#define PRESIGN_TOKENS		256

struct presign_req {
	const char	*sha256;	/* 64 lowercase hex digits */
	uint64_t	 size;
	const char	*run_id, *instance_id, *runner_id, *cause;
};

struct presign_reply {
	char		 url[PRESIGN_URL_MAX];	/* uploadUrl */
	char		 key[PRESIGN_KEY_MAX];	/* "" when not given */
	int64_t		 expires_in;		/* seconds; -1: not given */
	int64_t		 max_size;		/* bytes; -1: not given */
};

/* The request's JSON into buf[cap]; its length, or -1 if it does not fit. */
int	presign_body(char *buf, size_t cap, const struct presign_req *);
/*
 * Read a 2xx reply's body.  uploadUrl is required and must be an http or
 * https URL; key, expiresIn and maxSize are optional, and must have their
 * type when present (a string; integers >= 0); every other member is
 * ignored.  0, or -1 with a static reason in *err.
 */
int	presign_parse(const char *body, size_t n, struct presign_reply *,
	    const char **err);

#endif /* PRESIGN_H */
