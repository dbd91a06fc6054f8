/* rpcreg.h - listening sockets and the service's entries in rpcbind.
 *
 * Only TCP (netids tcp and tcp6), as the contract says.  The sockets are
 * served by the server's own transport (loop.h); libtirpc is used here only
 * as rpcbind's client.  All of this runs on the main thread, before the
 * workers start or after they have been joined (unregistering).
 */
#ifndef INVENTARIO_RPCREG_H
#define INVENTARIO_RPCREG_H

#include <stdbool.h>
#include <stddef.h>

#include <rpc/rpc.h>

/* Opens a bound, listening, non-blocking TCP socket on addr (an IPv4 or
 * IPv6 literal; '::' is IPv6 only) and port (0: any).  Returns its fd, or
 * -1 with a one-line reason (Spanish) in err. */
int rpcreg_listen(const char *addr, unsigned port, char *err, size_t errlen);

/* Announces 'nvers' versions of prog at the listener fd's address to
 * rpcbind, under the netid of its family (tcp or tcp6): what rpcinfo shows.
 * rpcbind holds one address per program, version and netid, so only the
 * first listener of each netid is announced.  False with a reason in err. */
bool rpcreg_set(int fd, rpcprog_t prog, const rpcvers_t *vers, size_t nvers,
                char *err, size_t errlen);

/* The netid ("tcp" or "tcp6") of an address literal, NULL if it is neither. */
const char *rpcreg_netid(const char *addr);

/* The local port a listening socket is bound to (0 if it cannot be told). */
unsigned rpcreg_port(int fd);

/* True if a server registered in this host's rpcbind for prog/vers answers
 * a NULL call within two seconds over tcp or tcp6. */
bool rpcreg_live(rpcprog_t prog, rpcvers_t vers);

/* Removes every registration of prog/vers from rpcbind (stale ones left by
 * a server that died without cleaning up, or our own at shutdown). */
void rpcreg_unset(rpcprog_t prog, rpcvers_t vers);

#endif
