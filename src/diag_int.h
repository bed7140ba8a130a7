/*
 * diag_int.h -- private to diag.c, diag_catalog.c and diag_errno.c; the
 * rest of crashtrail uses diag.h.
 * SPDX-License-Identifier: ISC
 *
 * Catalogues are made by diag_catalog.c; the matcher in diag.c only reads
 * them.  Entries are referred to by index (a hit's `entry`, a bit of a
 * prefilter mask) within the catalogue of the run, which a run holds.  The errno table
 * and the strerror(3) texts copied from it are owned by diag_errno.c.
 */
#ifndef DIAG_INT_H
#define DIAG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ids.h"

enum diag_sev {
	SEV_INFO, SEV_WARNING, SEV_ERROR, SEV_FATAL, SEV_MAX
};

/* How a hit's message is made from the line that matched. */
enum diag_kind {
	DIAG_K_LINE,		/* the trimmed line itself */
	DIAG_K_METAL,		/* "<label>: " and the line from "[METAL]" on */
	DIAG_K_RING_ERRNO,	/* the errno, decoded with this platform's table */
	DIAG_K_TRACEBACK	/* the exception line that ends the traceback */
};

#define DIAG_ALTS_MAX	8	/* alternatives of one entry */
#define DIAG_PAT_BUF	256	/* their lowercased bytes, back to back */
#define DIAG_HASH_BITS	12	/* prefilter: 4096 slots of entry masks */

#define A_START		0x01	/* '^': at the start of the trimmed line */
#define A_END		0x02	/* '$': at its end */
#define A_CONTEXT	0x04	/* only starts a hit, never adds to one */

struct diag_alt {
	uint16_t	off;		/* pattern bytes in entry->pat */
	uint16_t	len;
	uint16_t	lit;		/* its longest literal piece, for the */
	uint16_t	litlen;		/* prefilter */
	uint8_t		flags;
};

struct diag_entry {
	char		 id[ID_MAX + 1];
	char		 summary[DIAG_SUMMARY_MAX];
	const char	*label;		/* message prefix (built-ins only) */
	enum diag_sev	 sev;
	enum diag_kind	 kind;
	int		 evidence;
	size_t		 nalt;
	size_t		 patlen;
	struct diag_alt	 alt[DIAG_ALTS_MAX];
	char		 pat[DIAG_PAT_BUF];
};

/*
 * A catalogue: the built-ins, then the config's entries.  Bit e of
 * prefilter[h]: entry e has a literal piece whose 4-gram hashes to h;
 * entries without a 4-byte literal piece are in `always` and always tried.
 * Runs hold a reference to the catalogue they started with (diag_run.cat)
 * and hits refer to its entries by index, so a catalogue never changes
 * once a run holds it; a reload makes a new one.  diag_cur is the one new
 * runs take.
 */
struct diag_catalog {
	struct diag_entry	e[DIAG_MAX];
	size_t			n;
	uint64_t		prefilter[1u << DIAG_HASH_BITS];
	uint64_t		always;
	unsigned		refs;
	unsigned		version;
};

extern struct diag_catalog	*diag_cur;

/*
 * Copy strerror(3) of every known errno and remember `platform` (NULL:
 * "unknown"); diag_init() calls it.  diag_errno_text() gives the name and
 * description of `no`, using buf[0..len) for the text of an unknown one;
 * the strings live until the next diag_errno_init().
 */
void		 diag_errno_init(const char *platform);
void		 diag_errno_text(int no, const char **name, const char **desc,
		    char *buf, size_t len);
const char	*diag_errno_platform(void);

/*
 * The matcher lowercases each byte of a line and hashes every 4-gram, so
 * these two are inline.  ASCII only: the locale must not change what a
 * pattern matches.
 */
static inline unsigned char
diag_lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Four bytes, first byte lowest, to a prefilter slot (Fibonacci hash). */
static inline uint32_t
diag_hash4(uint32_t w)
{
	return (uint32_t)(w * 2654435761u) >> (32 - DIAG_HASH_BITS);
}

#endif /* DIAG_INT_H */
