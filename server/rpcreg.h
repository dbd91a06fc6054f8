/* rpcreg.h - listening sockets and the service's entries in rpcbind.
 *
 * Only TCP (netids tcp and tcp6), as the contract says.  All of this runs
 * on the main thread, before the workers start (svc_reg) or after they have
 * been joined (unregistering).
 */
#ifndef INVENTARIO_RPCREG_H
#define INVENTARIO_RPCREG_H

#include <stdbool.h>
#include <stddef.h>

#include <rpc/rpc.h>

/* Opens a non-blocking TCP listener on addr (an IPv4 or IPv6 literal) and
 * port (0: any), makes it a libtirpc transport and registers 'nvers'
 * versions of prog with dispatch.  The first listener of each netid is also
 * announced to rpcbind ('announce'); more listeners of the same netid are
 * served but rpcbind holds one address per netid.  On failure returns NULL
 * and writes a one-line reason (Spanish) to err. */
SVCXPRT *rpcreg_listen(const char *addr, unsigned port, rpcprog_t prog,
                       const rpcvers_t *vers, size_t nvers,
                       void (*dispatch)(struct svc_req *, SVCXPRT *),
                       bool announce, char *err, size_t errlen);

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
