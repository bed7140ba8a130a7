/*
 * presign.c -- the presign request and reply.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "json.h"
#include "jsonq.h"
#include "presign.h"

int
presign_body(char *buf, size_t cap, const struct presign_req *r)
{
	struct jw	w;

	jw_init(&w, buf, cap, -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "sha256", r->sha256);
	jw_uint(&w, "size", r->size);
	jw_str(&w, "run_id", r->run_id);
	jw_str(&w, "instance_id", r->instance_id);
	jw_str(&w, "runner_id", r->runner_id);
	jw_str(&w, "cause", r->cause);
	jw_obj_end(&w);
	return jw_finish(&w) == -1 ? -1 : (int)w.len;
}

/* Member `key`, or -1 when absent or null (optional members). */
static int
presign_opt(const char *js, const jsmntok_t *t, int nt, const char *key)
{
	int	i = jq_member(js, t, nt, 0, key);

	if (i >= 0 && t[i].type == JSMN_PRIMITIVE && js[t[i].start] == 'n')
		return -1;
	return i;
}

int
presign_parse(const char *body, size_t n, struct presign_reply *out,
    const char **err)
{
	static jsmntok_t	 tok[PRESIGN_TOKENS];
	jsmn_parser		 p;
	int			 nt, i;

	memset(out, 0, sizeof(*out));
	out->expires_in = out->max_size = -1;
	jsmn_init(&p);
	nt = jsmn_parse(&p, body, n, tok, PRESIGN_TOKENS);
	if (nt == JSMN_ERROR_NOMEM) {
		*err = "presign reply has too many JSON tokens";
		return -1;
	}
	if (nt <= 0 || tok[0].type != JSMN_OBJECT) {
		*err = "presign reply is not a JSON object";
		return -1;
	}
	/* jsmn stops at the end of the first value: nothing may follow. */
	for (i = tok[0].end; (size_t)i < n; i++)
		if (strchr(" \t\r\n", body[i]) == NULL) {
			*err = "presign reply has bytes after its JSON object";
			return -1;
		}
	i = jq_member(body, tok, nt, 0, "uploadUrl");
	if (i < 0) {
		*err = "presign reply has no uploadUrl";
		return -1;
	}
	if (jq_str(body, tok, i, out->url, sizeof(out->url)) == -1 ||
	    (strncmp(out->url, "https://", 8) != 0 &&
	    strncmp(out->url, "http://", 7) != 0) ||
	    strlen(out->url) != strcspn(out->url, " \r\n\t")) {
		*err = "presign reply's uploadUrl is not an http(s) URL";
		return -1;
	}
	i = presign_opt(body, tok, nt, "key");
	if (i >= 0 && jq_str(body, tok, i, out->key, sizeof(out->key)) == -1) {
		*err = "presign reply's key is not a string (or too long)";
		return -1;
	}
	i = presign_opt(body, tok, nt, "expiresIn");
	if (i >= 0 && (jq_num(body, tok, i, &out->expires_in) == -1 ||
	    out->expires_in < 0)) {
		*err = "presign reply's expiresIn is not a whole number >= 0";
		return -1;
	}
	i = presign_opt(body, tok, nt, "maxSize");
	if (i >= 0 && (jq_num(body, tok, i, &out->max_size) == -1 ||
	    out->max_size < 0)) {
		*err = "presign reply's maxSize is not a whole number >= 0";
		return -1;
	}
	return 0;
}
