/*
 * diag_errno.c -- this platform's errno names and texts, for decoding the
 * errno a runtime printed in a diagnostic.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "diag_int.h"

#define DIAG_PLATFORM_UNKNOWN	"unknown"

/*
 * Errno numbers differ between platforms (ECONNRESET is 104 on Linux and
 * 54 on macOS), so the table is built from the macros of the platform we
 * are compiled on, like the signal table in classify.c.  Canonical names
 * come before their aliases, which share a number.
 */
#define E(x)	{ x, #x }
static const struct {
	int		 no;
	const char	*name;
} diag_errnos[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO),
	E(E2BIG), E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN),
	E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV),
	E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC),
	E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE),
	E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(EPROTO),
	E(EBADMSG), E(EOVERFLOW), E(EILSEQ), E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT),
	E(EPROTONOSUPPORT), E(EOPNOTSUPP), E(ENOTSUP), E(EAFNOSUPPORT),
	E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS),
	E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE),
	E(EDQUOT), E(ECANCELED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
	E(EWOULDBLOCK),
	/* Not in POSIX, or found on one platform only. */
#ifdef EDEADLOCK
	E(EDEADLOCK),
#endif
#ifdef ENOTBLK
	E(ENOTBLK),
#endif
#ifdef ESOCKTNOSUPPORT
	E(ESOCKTNOSUPPORT),
#endif
#ifdef EPFNOSUPPORT
	E(EPFNOSUPPORT),
#endif
#ifdef ESHUTDOWN
	E(ESHUTDOWN),
#endif
#ifdef ETOOMANYREFS
	E(ETOOMANYREFS),
#endif
#ifdef EHOSTDOWN
	E(EHOSTDOWN),
#endif
#ifdef EUSERS
	E(EUSERS),
#endif
#ifdef EREMOTE
	E(EREMOTE),
#endif
#ifdef EMULTIHOP
	E(EMULTIHOP),
#endif
#ifdef ENOLINK
	E(ENOLINK),
#endif
#ifdef ENODATA
	E(ENODATA),
#endif
#ifdef ENOSR
	E(ENOSR),
#endif
#ifdef ENOSTR
	E(ENOSTR),
#endif
#ifdef ETIME
	E(ETIME),
#endif
#ifdef ECHRNG
	E(ECHRNG),
#endif
#ifdef EBADFD
	E(EBADFD),
#endif
#ifdef ENONET
	E(ENONET),
#endif
#ifdef ENOPKG
	E(ENOPKG),
#endif
#ifdef ECOMM
	E(ECOMM),
#endif
#ifdef ENOTUNIQ
	E(ENOTUNIQ),
#endif
#ifdef EREMCHG
	E(EREMCHG),
#endif
#ifdef ELIBBAD
	E(ELIBBAD),
#endif
#ifdef ELIBEXEC
	E(ELIBEXEC),
#endif
#ifdef ERESTART
	E(ERESTART),
#endif
#ifdef ESTRPIPE
	E(ESTRPIPE),
#endif
#ifdef EUCLEAN
	E(EUCLEAN),
#endif
#ifdef EREMOTEIO
	E(EREMOTEIO),
#endif
#ifdef ENOMEDIUM
	E(ENOMEDIUM),
#endif
#ifdef EMEDIUMTYPE
	E(EMEDIUMTYPE),
#endif
#ifdef ENOKEY
	E(ENOKEY),
#endif
#ifdef EKEYEXPIRED
	E(EKEYEXPIRED),
#endif
#ifdef EKEYREVOKED
	E(EKEYREVOKED),
#endif
#ifdef EKEYREJECTED
	E(EKEYREJECTED),
#endif
#ifdef ERFKILL
	E(ERFKILL),
#endif
#ifdef EHWPOISON
	E(EHWPOISON),
#endif
#ifdef EAUTH
	E(EAUTH),
#endif
#ifdef ENEEDAUTH
	E(ENEEDAUTH),
#endif
#ifdef EPROCLIM
	E(EPROCLIM),
#endif
#ifdef EBADRPC
	E(EBADRPC),
#endif
#ifdef EFTYPE
	E(EFTYPE),
#endif
#ifdef EPWROFF
	E(EPWROFF),
#endif
#ifdef EDEVERR
	E(EDEVERR),
#endif
#ifdef EBADEXEC
	E(EBADEXEC),
#endif
#ifdef EBADARCH
	E(EBADARCH),
#endif
#ifdef ESHLIBVERS
	E(ESHLIBVERS),
#endif
#ifdef EBADMACHO
	E(EBADMACHO),
#endif
#ifdef ENOATTR
	E(ENOATTR),
#endif
#ifdef ENOPOLICY
	E(ENOPOLICY),
#endif
#ifdef EQFULL
	E(EQFULL),
#endif
};
#undef E

#define DIAG_NERRNOS	(sizeof(diag_errnos) / sizeof(diag_errnos[0]))
#define ERRNO_DESC_MAX	64

static char	diag_errno_plat[DIAG_PLATFORM_MAX];
/* strerror(3) texts, copied once: its buffer may be reused by any call. */
static char	diag_errdesc[DIAG_NERRNOS][ERRNO_DESC_MAX];

static int	errno_index(int);

void
diag_errno_init(const char *platform)
{
	size_t	i;

	if (platform == NULL)
		platform = DIAG_PLATFORM_UNKNOWN;
	snprintf(diag_errno_plat, sizeof(diag_errno_plat), "%s", platform);
	for (i = 0; i < DIAG_NERRNOS; i++)
		snprintf(diag_errdesc[i], sizeof(diag_errdesc[i]), "%s",
		    strerror(diag_errnos[i].no));
}

const char *
diag_errno_platform(void)
{
	return diag_errno_plat;
}

static int
errno_index(int no)
{
	size_t	i;

	for (i = 0; i < DIAG_NERRNOS; i++)
		if (diag_errnos[i].no == no)
			return (int)i;
	return -1;
}

/* Name and description of an errno; `buf` holds the unknown one's text. */
void
diag_errno_text(int no, const char **name, const char **desc, char *buf,
    size_t len)
{
	int	i = errno_index(no);

	if (i >= 0) {
		*name = diag_errnos[i].name;
		*desc = diag_errdesc[i];
		return;
	}
	snprintf(buf, len, "Unknown error %d", no);
	*name = "UNKNOWN_ERRNO";
	*desc = buf;
}
