/* TLS client connections (Mbed TLS, behind this file alone): TLS 1.3 and 1.2 with ECDHE and
 * AES-GCM or ChaCha20-Poly1305. Like kubelet's probes, the server's certificate is not
 * verified unless the check gives ca=. A target's settings keep the last session a server
 * gave, and its next connection to the same name offers it (resumption). Non-blocking: the
 * caller owns the socket and its events. */
#ifndef PODHEALTH_TLS_H
#define PODHEALTH_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct target;
struct tls_config;
struct tls_conn;

/* The settings of a target's TLS connections (t), or of connections made without a
 * target's own (t NULL: a redirect from http:// to https://, no verification, no session
 * kept), offering the ALPN protocols alpn names, in order (static; at most TLS_ALPN_MAX
 * before its NULL; none: NULL first). Loads the CA bundle t's ca= names: startup only.
 * Returns the settings (free with tls_config_free), or NULL with a reason in err. */
#define TLS_ALPN_MAX 2
struct tls_config *tls_config_new(const struct target *t, const char *const *alpn, char *err,
				  size_t errlen);
void tls_config_free(struct tls_config *cfg);

/* Starts a client connection with cfg (without ca=: no verification), sending server_name
 * as SNI (NULL or an IP address: none) and offering cfg's ALPN protocols and its saved
 * session for that name, if any. Returns NULL when out of memory. */
struct tls_conn *tls_conn_new(struct tls_config *cfg, const char *server_name);
void tls_conn_free(struct tls_conn *t);

/* Moves records between the socket fd and the engine as far as it can without blocking.
 * Returns 0, or -1 when the connection failed (tls_conn_error says why). */
int tls_conn_io(struct tls_conn *t, int fd);

/* Returns 1 once the handshake is complete. */
int tls_conn_ready(const struct tls_conn *t);

/* The ALPN protocol the server selected in the handshake, or NULL: none. */
const char *tls_conn_alpn(const struct tls_conn *t);

/* The socket events to wait for, given those the application wants (EPOLLIN, EPOLLOUT):
 * the handshake's own, then the application's and what a write left unsent. */
uint32_t tls_conn_events(const struct tls_conn *t, uint32_t want);

/* After a failed handshake: returns 1 when a saved session had been offered, which is
 * now forgotten (the caller may try once more, with a full handshake); else 0. */
int tls_conn_forget_session(struct tls_conn *t);

/* Application data: as recv(2) (> 0, 0 at the end, -1 with errno EAGAIN or EPROTO). */
ssize_t tls_conn_read(struct tls_conn *t, void *buf, size_t len);

/* Application data: bytes taken (0: none now, before the handshake's end or while the
 * socket is full: tls_conn_events then asks for EPOLLOUT), or -1 with errno when the
 * connection is closed. */
ssize_t tls_conn_write(struct tls_conn *t, const void *buf, size_t len);

/* Why the connection failed; static or in t. */
const char *tls_conn_error(struct tls_conn *t);

#endif
