/* resolver.h - turning a host name into addresses, waiting at most a given time.
 *
 * getaddrinfo waits as long as the resolver does: with DNS servers that do
 * not answer, glibc tries each one several times, 5 s a try by default
 * (resolv.conf), so a lookup can take half a minute or more.
 * resolver_buscar waits at most the caller's time; a lookup still running
 * then is left to end on its own thread, which frees it.
 *
 * Safe to call from any thread: it keeps no state between calls.  Each
 * lookup of a name runs on a new detached thread, which blocks all signals
 * and ends when getaddrinfo returns.
 */
#ifndef INVENTARIO_CLIENTE_RESOLVER_H
#define INVENTARIO_CLIENTE_RESOLVER_H

#include <netdb.h>

/*
 * getaddrinfo(nombre, servicio, pistas, res), but bounded by espera_ms.
 * A numeric address (IPv4 or IPv6) is converted at once, with no lookup
 * and no thread.  Returns:
 *   0               *res holds the addresses; free them with freeaddrinfo;
 *   EAI_INPROGRESS  the time ran out before the lookup ended (nobody
 *                   answered: typically the DNS servers; a glibc code);
 *   another EAI_*   how the lookup failed (EAI_NONAME, EAI_AGAIN, ...), for
 *                   gai_strerror; EAI_SYSTEM with errno set.
 * Unless it returns 0, *res is NULL.  Of pistas only the flags, family,
 * socket type and protocol count.  All three inputs are copied: the caller
 * may free them as soon as this returns.
 */
int resolver_buscar(const char *nombre, const char *servicio,
                    const struct addrinfo *pistas, unsigned espera_ms,
                    struct addrinfo **res);

#endif
