/*
 * json.h -- a streaming JSON writer over a caller-owned buffer.
 *
 * With a file descriptor the buffer is flushed to it whenever it fills, so
 * a document of any size is written with a fixed buffer; without one (fd
 * -1) output that does not fit sets `err` and is dropped.  Strings are
 * written from raw bytes: valid UTF-8 passes through, control characters
 * are escaped, and each byte that is not valid UTF-8 becomes U+FFFD, so
 * every document parses whatever a runner printed.  Nothing allocates.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

#define JW_DEPTH_MAX	32

struct jw {
	char		*buf;
	size_t		 cap;
	size_t		 len;
	int		 fd;		/* flush target, or -1 */
	int		 err;		/* overflow or write error: sticky */
	int		 depth;
	uint32_t	 first;		/* bit d: next item at depth d is first */
	int		 keyed;		/* jw_key() ran: the value comes next */
};

void	jw_init(struct jw *, char *buf, size_t cap, int fd);
/* `key` is the member name inside an object, NULL in arrays/top level. */
void	jw_obj_begin(struct jw *, const char *key);
void	jw_obj_end(struct jw *);
void	jw_arr_begin(struct jw *, const char *key);
void	jw_arr_end(struct jw *);
void	jw_str(struct jw *, const char *key, const char *s);
void	jw_strn(struct jw *, const char *key, const void *s, size_t n);
void	jw_int(struct jw *, const char *key, int64_t);
void	jw_uint(struct jw *, const char *key, uint64_t);
void	jw_bool(struct jw *, const char *key, int);
void	jw_null(struct jw *, const char *key);
/* The member name alone; the next call writes its value (any kind). */
void	jw_key(struct jw *, const char *key);
/*
 * `text` verbatim: only for JSON the caller has validated.  With key
 * JW_CONTINUE it continues the previous raw value (no separator).
 */
#define JW_CONTINUE	((const char *)1)
void	jw_raw(struct jw *, const char *key, const char *text, size_t n);
/*
 * The other direction: decode the body of a JSON string (between its
 * quotes) into UTF-8 in out, NUL-terminated.  0, or -1 on a bad escape,
 * a lone surrogate, a raw control character or too small a buffer.
 */
int	json_unescape(const char *in, size_t len, char *out, size_t cap,
	    size_t *outlen);
/* Flush what is buffered (with an fd); 0, or -1 if anything was lost. */
int	jw_finish(struct jw *);

#endif /* JSON_H */
