/* resolver.c - host name lookups that wait at most a given time; see resolver.h. */
#include "resolver.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * How a lookup is bounded, and who frees it.
 *
 * getaddrinfo takes no time limit and cannot be stopped half-way, so it
 * runs on a thread of its own while the caller waits, until a deadline, on
 * a condition variable.  Not glibc's getaddrinfo_a, which works the same
 * way: its threads are created inside libc, where the sanitizers cannot
 * see them, and ThreadSanitizer (GCC 12, scripts/test-tsan.sh) crashes at
 * their first malloc; besides, gai_cancel cannot stop a lookup already
 * running either, and glibc 2.36's gai_suspend reports its timeout as
 * EAI_SYSTEM.
 *
 * A lookup the caller stops waiting for goes on, so everything its thread
 * touches lives in one heap block, struct consulta: never on the caller's
 * stack, never borrowed from the caller.  The block has two owners, the
 * caller and the thread, counted in 'duenos' under 'cerrojo'; each lets go
 * once (soltar), and the last one frees the block and any result in it:
 *   - the answer comes in time: the caller takes the result out and lets
 *     go; whichever of the two is last frees the rest;
 *   - the time runs out: the caller lets go and returns; the thread, when
 *     getaddrinfo returns (with the resolver's defaults, up to half a
 *     minute later), is last, and frees the block and the result nobody
 *     will read.  If the process ends first, the block is still referenced
 *     from the thread's stack: not a leak.
 */
struct consulta {
    pthread_mutex_t  cerrojo;       /* guards the fields up to duenos; the
                                       only lock here, held briefly */
    pthread_cond_t   acabada;       /* signalled when hecha is set */
    bool             hecha;         /* getaddrinfo has returned: */
    int              rc;            /*   what it returned, */
    int              err;           /*   errno, for EAI_SYSTEM, */
    struct addrinfo *res;           /*   its result, until taken */
    unsigned         duenos;        /* owners yet to let go: 2, 1, 0 */
    struct addrinfo  pistas;        /* read-only from here on */
    const char      *servicio;      /* NULL, or into textos */
    char             textos[];      /* the name, then the service */
};

static void
consulta_liberar(struct consulta *q)
{
    if (q->res != NULL)
        freeaddrinfo(q->res);
    (void)pthread_cond_destroy(&q->acabada);
    (void)pthread_mutex_destroy(&q->cerrojo);
    free(q);
}

/* A lookup of nombre/servicio with pistas (only its flags, family, type and
 * protocol), owned twice and not started; NULL if memory ran out. */
static struct consulta *
consulta_nueva(const char *nombre, const char *servicio,
               const struct addrinfo *pistas)
{
    size_t ln = strlen(nombre) + 1, ls = servicio != NULL ? strlen(servicio) + 1 : 0;
    struct consulta *q = calloc(1, sizeof *q + ln + ls);
    pthread_condattr_t ca;
    bool ca_lista = false, cv_lista = false;

    if (q == NULL)
        return NULL;
    /* The deadline is on the monotonic clock, which nobody sets. */
    if (pthread_condattr_init(&ca) != 0)
        goto fallo;
    ca_lista = true;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&q->acabada, &ca) != 0)
        goto fallo;
    cv_lista = true;
    if (pthread_mutex_init(&q->cerrojo, NULL) != 0)
        goto fallo;
    (void)pthread_condattr_destroy(&ca);
    q->duenos = 2;
    q->pistas.ai_flags = pistas->ai_flags;
    q->pistas.ai_family = pistas->ai_family;
    q->pistas.ai_socktype = pistas->ai_socktype;
    q->pistas.ai_protocol = pistas->ai_protocol;
    memcpy(q->textos, nombre, ln);
    if (servicio != NULL) {
        memcpy(q->textos + ln, servicio, ls);
        q->servicio = q->textos + ln;
    }
    return q;
fallo:
    if (cv_lista)
        (void)pthread_cond_destroy(&q->acabada);
    if (ca_lista)
        (void)pthread_condattr_destroy(&ca);
    free(q);
    return NULL;
}

/* One owner lets go of q; the last one frees it (see above).  Called
 * without cerrojo. */
static void
soltar(struct consulta *q)
{
    bool ultimo;

    pthread_mutex_lock(&q->cerrojo);
    ultimo = --q->duenos == 0;
    pthread_mutex_unlock(&q->cerrojo);
    if (ultimo)
        consulta_liberar(q);
}

/* The lookup thread: one getaddrinfo, its outcome into q, then lets go. */
static void *
buscar(void *arg)
{
    struct consulta *q = arg;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(q->textos, q->servicio, &q->pistas, &res);
    int err = errno;

    pthread_mutex_lock(&q->cerrojo);
    q->rc = rc;
    q->err = err;
    q->res = rc == 0 ? res : NULL;
    q->hecha = true;
    pthread_cond_signal(&q->acabada);
    pthread_mutex_unlock(&q->cerrojo);
    soltar(q);
    return NULL;
}

/* Starts buscar(q) on a detached thread that blocks every signal, so that
 * a Ctrl-C still interrupts the main thread's waits.  0, or an errno. */
static int
lanzar(struct consulta *q)
{
    sigset_t todas, antes;
    pthread_attr_t attr;
    pthread_t hilo;
    int err;

    if ((err = pthread_attr_init(&attr)) != 0)
        return err;
    if ((err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)) != 0)
        goto out;
    (void)sigfillset(&todas);
    if ((err = pthread_sigmask(SIG_SETMASK, &todas, &antes)) != 0)
        goto out;
    err = pthread_create(&hilo, &attr, buscar, q);
    (void)pthread_sigmask(SIG_SETMASK, &antes, NULL);
out:
    (void)pthread_attr_destroy(&attr);
    return err;
}

/* Waits until q's lookup is done or espera_ms have passed.  Called and
 * returns with cerrojo held. */
static void
esperar(struct consulta *q, unsigned espera_ms)
{
    struct timespec fin;

    if (clock_gettime(CLOCK_MONOTONIC, &fin) != 0)
        return;
    fin.tv_sec += (time_t)(espera_ms / 1000);
    fin.tv_nsec += (long)(espera_ms % 1000) * 1000000;
    if (fin.tv_nsec >= 1000000000) {
        fin.tv_sec++;
        fin.tv_nsec -= 1000000000;
    }
    /* 0 may be a spurious wake-up: the loop checks hecha again.  Signals do
     * not end the wait, and the deadline is absolute: nothing to recompute.
     * ETIMEDOUT, or any failure, ends it. */
    while (!q->hecha)
        if (pthread_cond_timedwait(&q->acabada, &q->cerrojo, &fin) != 0)
            break;
}

int
resolver_buscar(const char *nombre, const char *servicio,
                const struct addrinfo *pistas, unsigned espera_ms,
                struct addrinfo **res)
{
    struct addrinfo numerica = *pistas;
    struct consulta *q;
    int rc, err = 0;

    *res = NULL;
    /* An address needs no lookup: no thread, no wait. */
    numerica.ai_flags |= AI_NUMERICHOST;
    if ((rc = getaddrinfo(nombre, servicio, &numerica, res)) != EAI_NONAME)
        return rc;
    *res = NULL;
    if ((q = consulta_nueva(nombre, servicio, pistas)) == NULL)
        return EAI_MEMORY;
    if ((err = lanzar(q)) != 0) {
        consulta_liberar(q);        /* no thread: the only owner */
        errno = err;
        return EAI_SYSTEM;
    }
    pthread_mutex_lock(&q->cerrojo);
    esperar(q, espera_ms);
    if (!q->hecha) {
        rc = EAI_INPROGRESS;        /* the thread frees q when it is done */
    } else if ((rc = q->rc) == 0) {
        *res = q->res;
        q->res = NULL;
    } else {
        err = q->err;
    }
    pthread_mutex_unlock(&q->cerrojo);
    soltar(q);
    if (rc == EAI_SYSTEM)
        errno = err;
    return rc;
}
