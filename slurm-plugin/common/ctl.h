/*
 * ctl.h - the control socket between the controller hook and the loan
 * manager: a UNIX stream socket that only root and the manager's own uid
 * may use.  One request line per connection, one reply line back.
 *
 * Request: a verb and key=value words, e.g.
 *   lend job=12 uid=1001 user=alice project=foo nodes=n[1-2]
 *   release job=13 uid=1001 loan=flexalloc_MOC_reserve_alice_1001_17...
 *   poke job=12
 * Reply: "ok <text>", "refused <text>" (final: the request can never
 * succeed) or "error <text>" (transient: try again).  Values hold no
 * blanks; the text of a reply runs to the end of the line.
 */
#ifndef HIL_SLURM_CTL_H
#define HIL_SLURM_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CTL_MAX_LINE 4096 /* a request or reply, bytes with the newline */
#define CTL_MAX_ARGS 8	  /* key=value words of a request */
#define CTL_MAX_KEY  16	  /* a key, bytes */

struct ctl_req {
	char line[CTL_MAX_LINE];
	const char *verb;
	const char *keys[CTL_MAX_ARGS];
	const char *values[CTL_MAX_ARGS];
	size_t n;
};

/*
 * Split text (one line, no newline) into req.  Returns 0, or -EINVAL for
 * a line that is empty, too long, has too many words, a word without '=',
 * a repeated or too long key, or a control character.
 */
int ctl_parse(const char *text, struct ctl_req *req);
/* The value of key (borrowed), or NULL. */
const char *ctl_get(const struct ctl_req *req, const char *key);

/*
 * Listen on path: a stale socket is replaced, the new one is mode 0600.
 * Returns the listening fd (non-blocking, close-on-exec) or a negative
 * errno.
 */
int ctl_listen(const char *path);

/*
 * Accept one connection from a caller whose uid is 0 or ours.  Returns
 * the connected fd, -EAGAIN when none is waiting, -EPERM for a caller of
 * another uid (already closed), or another negative errno.
 */
int ctl_accept(int listen_fd, uid_t *ret_uid);

/* Connect to path within timeout_ms.  Returns the fd or a negative
 * errno. */
int ctl_connect(const char *path, int timeout_ms);

/* Read one line (without its newline) into buf within timeout_ms.
 * Returns 0, -ETIMEDOUT, -EMSGSIZE (longer than len-1), -ECONNRESET
 * (closed before the newline) or another negative errno. */
int ctl_read_line(int fd, char *buf, size_t len, int timeout_ms);

/* Write all of buf within timeout_ms.  Returns 0 or a negative errno. */
int ctl_write_all(int fd, const char *buf, size_t len, int timeout_ms);

/* Whether the other end of connection fd has closed it or shut down its
 * writing (a request's sender that gave up waiting).  false for fd < 0. */
bool ctl_peer_gone(int fd);

#endif /* HIL_SLURM_CTL_H */
