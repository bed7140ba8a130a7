/*
 * tls_compat.h -- the few mbedTLS 2.28 / 3.x differences that https.c
 * meets, hidden behind one name each, so that moving to 3.x is an edit
 * here and nowhere else.
 * SPDX-License-Identifier: ISC
 *
 * We build against 2.28 (Debian's libmbedtls-dev).  The 3.x side is
 * written from the 3.x migration guide and has not been compiled here.
 */
#ifndef TLS_COMPAT_H
#define TLS_COMPAT_H

#include <mbedtls/version.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000

/*
 * 3.x: struct members are private; MBEDTLS_PRIVATE() is the sanctioned
 * (if discouraged) way in.  We read none today; use TLS_PRIV(m) if we must.
 */
#define TLS_PRIV(m)		MBEDTLS_PRIVATE(m)

/* 3.x: mbedtls_pk_parse_key() takes an RNG for blinding. */
#define TLS_PK_PARSE_KEY(pk, key, klen, pw, pwlen, rng, rarg) \
	mbedtls_pk_parse_key((pk), (key), (klen), (pw), (pwlen), (rng), (rarg))

/* 3.x: versions are named by mbedtls_ssl_protocol_version. */
#define TLS_CONF_MIN_TLS12(conf) \
	mbedtls_ssl_conf_min_tls_version((conf), MBEDTLS_SSL_VERSION_TLS1_2)

/*
 * 3.x with TLS 1.3: a read may report a ticket; it is not an error.  TLS
 * 1.3 also needs psa_crypto_init() before the first handshake.
 */
#define TLS_ERR_NEW_TICKET	MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET

#else /* 2.28 */

#define TLS_PRIV(m)		m

#define TLS_PK_PARSE_KEY(pk, key, klen, pw, pwlen, rng, rarg) \
	mbedtls_pk_parse_key((pk), (key), (klen), (pw), (pwlen))

/* 2.x: TLS 1.2 is "SSL 3.3". */
#define TLS_CONF_MIN_TLS12(conf) \
	mbedtls_ssl_conf_min_version((conf), MBEDTLS_SSL_MAJOR_VERSION_3, \
	    MBEDTLS_SSL_MINOR_VERSION_3)

/* 2.28 speaks no TLS 1.3 (ours is built without it): never returned. */
#define TLS_ERR_NEW_TICKET	(-0x7fff)

#endif

/*
 * Unchanged in both, named here so a reader knows they were checked:
 * MBEDTLS_SSL_VERIFY_REQUIRED / _NONE / _OPTIONAL, mbedtls_ssl_set_hostname,
 * mbedtls_x509_crt_verify_info, mbedtls_ssl_get_verify_result,
 * MBEDTLS_X509_BADCERT_*, MBEDTLS_ERR_SSL_WANT_READ / _WANT_WRITE, and the
 * f_send / f_recv BIO signatures.  (2.x's <mbedtls/config.h> became
 * <mbedtls/mbedtls_config.h>; we include neither directly.)
 */

#endif /* TLS_COMPAT_H */
