/* espera.c - parked long polls, their wake-ups and their deadlines; see espera.h. */
#include "espera.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "pool.h"
#include "store.h"
#include "svcx.h"
#include "xdrproc.h"

struct waiter {
    struct pool_job   job;          /* first: the pool hands it back */
    struct svcx_call *call;
    movimientos_args  args;         /* args.id points at idbuf */
    char              idbuf[VALIDAR_ID_MAX + 1];
    uint64_t          deadline_ms;  /* monotonic */
    uint64_t          gen;          /* the generation its last query saw */
    struct waiter    *prev, *next;  /* (mu) while parked */
};

/* The module's state: one per process, set up by espera_init. */
static struct {
    pthread_mutex_t  mu;
    pthread_cond_t   cv;            /* the timer thread: something changed */
    struct waiter   *head;          /* parked calls (mu) */
    unsigned         n;             /* (mu) */
    uint64_t         gen;           /* writes notified so far (mu) */
    bool             stopping;      /* (mu) */
    bool             remoto;
    uint64_t         newest;        /* newest seq the poll saw (timer thread) */
    struct store    *store;
    pthread_t        timer;
    bool             started;
} E = { .mu = PTHREAD_MUTEX_INITIALIZER };

unsigned
espera_pendientes(void)
{
    unsigned n;

    pthread_mutex_lock(&E.mu);
    n = E.n;
    pthread_mutex_unlock(&E.mu);
    return n;
}

static void
unlink_w(struct waiter *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        E.head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    E.n--;
}

/* Parks w, unless a write was notified since its query saw 'gen': then it
 * goes straight back to the pool, so no commit is ever missed.  mu not held. */
static void
park(struct waiter *w)
{
    pthread_mutex_lock(&E.mu);
    if (w->gen != E.gen || E.stopping) {
        pthread_mutex_unlock(&E.mu);
        pool_submit(&w->job);
        return;
    }
    w->prev = NULL;
    w->next = E.head;
    if (E.head != NULL)
        E.head->prev = w;
    E.head = w;
    E.n++;
    pthread_cond_signal(&E.cv);     /* a new, maybe nearer, deadline */
    pthread_mutex_unlock(&E.mu);
}

/* Queries for w; answers and returns true when it is time to, else false
 * (w still owns its call).  On a worker. */
static bool
try_answer(struct waiter *w, SVCXPRT *xprt, bool final)
{
    movimientos_res res;
    struct llamada c;
    bool answer;

    memset(&res, 0, sizeof res);
    memset(&c, 0, sizeof c);
    pthread_mutex_lock(&E.mu);
    w->gen = E.gen;
    final = final || E.stopping;
    pthread_mutex_unlock(&E.mu);
    h_movimientos(&w->args, &res, &c);
    answer = final || res.e != OK ||
             res.movimientos_res_u.ok.movimientos.movimientos_len > 0 ||
             svcx_now_ms() >= w->deadline_ms;
    if (answer) {
        if (!svc_sendreply(xprt, XDRPROC(xdr_movimientos_res), (caddr_t)&res))
            log_debug("ESPERAR_MOVIMIENTOS: no se pudo enviar la respuesta");
        dispatch_contar();
    }
    handlers_fin(&c);
    return answer;
}

static void
job_run(struct pool_job *j)
{
    struct waiter *w = (struct waiter *)(void *)j;

    if (try_answer(w, svcx_xprt(w->call), false)) {
        svcx_done(w->call);
        free(w);
        return;
    }
    park(w);
}

void
espera_llamada(SVCXPRT *xprt, const esperar_args *a)
{
    struct waiter *w = calloc(1, sizeof *w);
    unsigned ms = a->espera_ms > INV_ESPERA_MAX_MS ? INV_ESPERA_MAX_MS : a->espera_ms;

    if (w == NULL) {
        svcerr_systemerr(xprt);
        return;
    }
    w->job.run = job_run;
    snprintf(w->idbuf, sizeof w->idbuf, "%s", a->id);
    w->args.desde_seq = a->desde_seq;
    w->args.id = w->idbuf;
    w->args.max = a->max;
    w->deadline_ms = svcx_now_ms() + ms;
    /* An id too long for idbuf is invalid anyway: answer from the original. */
    if (strlen(a->id) > VALIDAR_ID_MAX) {
        w->args.id = a->id;
        (void)try_answer(w, xprt, true);
        free(w);
        return;
    }
    if (try_answer(w, xprt, ms == 0)) {
        free(w);
        return;
    }
    w->call = svcx_defer(xprt);
    park(w);
}

/* Hands every parked call that 'match' accepts back to the pool; mu held. */
static void
wake_where(bool (*match)(const struct waiter *, const void *), const void *arg)
{
    struct waiter *w = E.head;

    while (w != NULL) {
        struct waiter *next = w->next;

        if (match(w, arg)) {
            unlink_w(w);
            pool_submit(&w->job);
        }
        w = next;
    }
}

static bool
same_id(const struct waiter *w, const void *id)
{
    return w->args.id[0] == '\0' || strcmp(w->args.id, id) == 0;
}

static bool
older_than(const struct waiter *w, const void *seq)
{
    return w->args.desde_seq < *(const uint64_t *)seq;
}

static bool
due(const struct waiter *w, const void *now)
{
    return w->deadline_ms <= *(const uint64_t *)now;
}

static bool
any(const struct waiter *w, const void *unused)
{
    (void)w;
    (void)unused;
    return true;
}

void
espera_notificar(const char *id)
{
    pthread_mutex_lock(&E.mu);
    E.gen++;
    if (E.head != NULL)
        wake_where(same_id, id);
    pthread_mutex_unlock(&E.mu);
}

/* The newest seq in a shared database; 0 if it cannot be told now. */
static uint64_t
newest_seq(void)
{
    struct store_movs m;
    uint64_t seq = 0;

    memset(&m, 0, sizeof m);
    if (store_movimientos(E.store, INT64_MAX, "", 1, &m) == STORE_OK) {
        seq = m.ultimo_seq;
        store_movs_free(&m);
    }
    return seq;
}

static void
abs_deadline(struct timespec *ts, uint64_t ms_from_now)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms_from_now / 1000);
    ts->tv_nsec += (long)(ms_from_now % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *
timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&E.mu);
    while (!E.stopping) {
        uint64_t now = svcx_now_ms(), next = UINT64_MAX;
        struct timespec ts;

        for (struct waiter *w = E.head; w != NULL; w = w->next)
            if (w->deadline_ms < next)
                next = w->deadline_ms;
        if (E.remoto && E.head != NULL && next > now + ESPERA_SONDEO_MS)
            next = now + ESPERA_SONDEO_MS;
        if (next == UINT64_MAX) {
            pthread_cond_wait(&E.cv, &E.mu);
        } else if (next > now) {
            abs_deadline(&ts, next - now);
            (void)pthread_cond_timedwait(&E.cv, &E.mu, &ts);
        }
        now = svcx_now_ms();
        wake_where(due, &now);
        if (E.remoto && E.head != NULL && !E.stopping) {
            uint64_t seq;

            pthread_mutex_unlock(&E.mu);
            seq = newest_seq();
            pthread_mutex_lock(&E.mu);
            if (seq > E.newest) {
                E.newest = seq;
                E.gen++;
                wake_where(older_than, &seq);
            }
        }
    }
    pthread_mutex_unlock(&E.mu);
    return NULL;
}

bool
espera_init(struct store *s, bool remoto)
{
    pthread_condattr_t ca;
    int err;

    E.store = s;
    E.remoto = remoto;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&E.cv, &ca);
    pthread_condattr_destroy(&ca);
    if (remoto)
        E.newest = newest_seq();
    if ((err = pthread_create(&E.timer, NULL, timer_main, NULL)) != 0) {
        errno = err;
        return false;
    }
    E.started = true;
    return true;
}

void
espera_stop(void)
{
    pthread_mutex_lock(&E.mu);
    E.stopping = true;
    wake_where(any, NULL);
    pthread_cond_signal(&E.cv);
    pthread_mutex_unlock(&E.mu);
    if (E.started)
        pthread_join(E.timer, NULL);
    E.started = false;
}
