/* test_store.c - the store on a real SQLite file in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

/* Options for store_open, in a static the store reads only while opening. */
static const struct store_opciones *
opciones(enum store_sync sync, bool group_commit)
{
    static struct store_opciones o;

    o = (struct store_opciones){ sync, group_commit, STORE_MMAP_MIB_DEFECTO, 4 };
    return &o;
}

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];

    if (f == NULL)
        return -1;
    strcpy(f->dir, "/tmp/inventario-unit-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/inv.db", f->dir);
    f->s = store_open(f->path, opciones(STORE_SYNC_FULL, true), err, sizeof err);
    if (f->s == NULL) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];

    store_close(f->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void
reopen(struct fixture *f)
{
    char err[256];

    store_close(f->s);
    f->s = store_open(f->path, opciones(STORE_SYNC_FULL, true), err, sizeof err);
    assert_non_null(f->s);
}

static void
test_crud(void **state)
{
    struct fixture *f = *state;
    struct store_producto p;

    assert_int_equal(store_obtener(f->s, "x", &p), STORE_NOT_FOUND);
    assert_int_equal(store_agregar(f->s, "x", "Cámara", 5, "t", NULL), STORE_OK);
    assert_int_equal(store_agregar(f->s, "x", "Otra", 1, "t", NULL), STORE_EXISTS);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_OK);
    assert_string_equal(p.id, "x");
    assert_string_equal(p.nombre, "Cámara");
    assert_int_equal(p.stock, 5);
    assert_int_equal(store_actualizar(f->s, "x", 2147483647, "t", NULL), STORE_OK);
    assert_int_equal(store_actualizar(f->s, "nada", 1, "t", NULL), STORE_NOT_FOUND);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_OK);
    assert_int_equal(p.stock, 2147483647);
    assert_int_equal(store_eliminar(f->s, "x", "t", NULL), STORE_OK);
    assert_int_equal(store_eliminar(f->s, "x", "t", NULL), STORE_NOT_FOUND);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_NOT_FOUND);
}

static void
test_list_order_and_pages(void **state)
{
    struct fixture *f = *state;
    const char *ids[] = { "b", "a", "\xC3\xA1", "B", "a0" };
    const char *want[] = { "B", "a", "a0", "b", "\xC3\xA1" };  /* bytewise */
    struct store_lista l;

    for (size_t i = 0; i < 5; i++)
        assert_int_equal(store_agregar(f->s, ids[i], "n", (int32_t)i, "t", NULL), STORE_OK);
    assert_int_equal(store_listar(f->s, "", 0, &l), STORE_OK);
    assert_int_equal(l.n, 5);
    assert_false(l.hay_mas);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(l.items[i].id, want[i]);
    store_lista_free(&l);

    assert_int_equal(store_listar(f->s, "", 2, &l), STORE_OK);
    assert_int_equal(l.n, 2);
    assert_true(l.hay_mas);
    assert_string_equal(l.items[1].id, "a");
    store_lista_free(&l);
    assert_int_equal(store_listar(f->s, "a", 3, &l), STORE_OK);
    assert_int_equal(l.n, 3);
    assert_false(l.hay_mas);                    /* exactly the rest */
    assert_string_equal(l.items[2].id, "\xC3\xA1");
    store_lista_free(&l);
    assert_int_equal(store_listar(f->s, "\xC3\xA1", 3, &l), STORE_OK);
    assert_int_equal(l.n, 0);
    assert_false(l.hay_mas);
    store_lista_free(&l);
}

static void
test_list_all_spans_many_pages(void **state)
{
    struct fixture *f = *state;
    struct store_lista l;
    char id[16];

    for (int i = 699; i >= 0; i--) {        /* more than two internal pages */
        snprintf(id, sizeof id, "p%04d", i);
        assert_int_equal(store_agregar(f->s, id, "n", i, "t", NULL), STORE_OK);
    }
    assert_int_equal(store_listar(f->s, "", 0, &l), STORE_OK);
    assert_int_equal(l.n, 700);
    assert_false(l.hay_mas);
    for (int i = 0; i < 700; i++) {
        snprintf(id, sizeof id, "p%04d", i);
        assert_string_equal(l.items[i].id, id);
        assert_int_equal(l.items[i].stock, i);
    }
    store_lista_free(&l);
    assert_int_equal(store_listar(f->s, "p0299", 0, &l), STORE_OK);
    assert_int_equal(l.n, 400);
    assert_string_equal(l.items[0].id, "p0300");
    store_lista_free(&l);
}

static void
test_movements(void **state)
{
    struct fixture *f = *state;
    struct store_producto p;
    struct store_movs m;

    assert_int_equal(store_agregar(f->s, "x", "n", 5, "alta", NULL), STORE_OK);
    assert_int_equal(store_agregar(f->s, "x", "n", 5, "t", NULL), STORE_EXISTS);
    assert_int_equal(store_actualizar(f->s, "x", 5, "igual", NULL), STORE_OK);
    assert_int_equal(store_ajustar(f->s, "x", -2, "venta", "", "aj", &p, NULL), STORE_OK);
    assert_int_equal(store_agregar(f->s, "y", "n", 1, "t", NULL), STORE_OK);
    assert_int_equal(store_eliminar(f->s, "x", "baja", NULL), STORE_OK);

    assert_int_equal(store_movimientos(f->s, 0, "", 100, &m), STORE_OK);
    assert_int_equal(m.n, 5);                   /* failed calls left none */
    assert_int_equal(m.ultimo_seq, 5);
    for (size_t i = 0; i < m.n; i++)
        assert_int_equal(m.items[i].seq, i + 1);
    assert_int_equal(m.items[0].tipo, STORE_ALTA);
    assert_int_equal(m.items[0].stock_antes, 0);
    assert_int_equal(m.items[0].stock_despues, 5);
    assert_string_equal(m.items[0].origen, "alta");
    assert_int_equal(m.items[1].tipo, STORE_STOCK);   /* unchanged, logged */
    assert_int_equal(m.items[1].stock_antes, 5);
    assert_int_equal(m.items[1].stock_despues, 5);
    assert_string_equal(m.items[2].motivo, "venta");
    assert_int_equal(m.items[2].stock_despues, 3);
    assert_int_equal(m.items[4].tipo, STORE_BAJA);
    assert_int_equal(m.items[4].stock_antes, 3);
    assert_int_equal(m.items[4].stock_despues, 0);
    store_movs_free(&m);

    assert_int_equal(store_movimientos(f->s, 1, "x", 2, &m), STORE_OK);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.items[0].seq, 2);
    assert_int_equal(m.items[1].seq, 3);
    assert_int_equal(m.ultimo_seq, 5);
    store_movs_free(&m);

    reopen(f);                                  /* seq goes on after a restart */
    assert_int_equal(store_agregar(f->s, "z", "n", 1, "t", NULL), STORE_OK);
    assert_int_equal(store_movimientos(f->s, 5, "", 100, &m), STORE_OK);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.items[0].seq, 6);
    store_movs_free(&m);
}

static void
test_ajustar_limits(void **state)
{
    struct fixture *f = *state;
    struct store_producto p;
    uint64_t n, seq;

    assert_int_equal(store_ajustar(f->s, "x", 1, "", "", "t", &p, NULL), STORE_NOT_FOUND);
    assert_int_equal(store_agregar(f->s, "x", "n", 3, "t", NULL), STORE_OK);
    assert_int_equal(store_ajustar(f->s, "x", -4, "", "", "t", &p, NULL), STORE_INSUFFICIENT);
    assert_int_equal(store_ajustar(f->s, "x", -3, "", "", "t", &p, NULL), STORE_OK);
    assert_int_equal(p.stock, 0);
    assert_int_equal(store_ajustar(f->s, "x", INT32_MAX, "", "", "t", &p, NULL), STORE_OK);
    assert_int_equal(store_ajustar(f->s, "x", 1, "", "", "t", &p, NULL), STORE_INVALID);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_OK);
    assert_int_equal(p.stock, INT32_MAX);
    assert_int_equal(store_contar(f->s, &n, &seq), STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(seq, 3);                   /* alta and two adjustments */
}

static void
test_idempotency_keys(void **state)
{
    struct fixture *f = *state;
    struct store_producto p;
    uint64_t n, seq;

    assert_int_equal(store_agregar(f->s, "x", "n", 10, "t", NULL), STORE_OK);
    assert_int_equal(store_ajustar(f->s, "x", -3, "venta", "k1", "t", &p, NULL), STORE_OK);
    assert_int_equal(p.stock, 7);
    assert_int_equal(store_ajustar(f->s, "x", 5, "", "", "t", &p, NULL), STORE_OK);
    /* The retry answers the first answer and changes nothing. */
    assert_int_equal(store_ajustar(f->s, "x", -3, "otro motivo", "k1", "t", &p, NULL), STORE_OK);
    assert_int_equal(p.stock, 7);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_OK);
    assert_int_equal(p.stock, 12);
    assert_int_equal(store_contar(f->s, &n, &seq), STORE_OK);
    assert_int_equal(seq, 3);
    /* The same key with another delta or id is a client bug. */
    assert_int_equal(store_ajustar(f->s, "x", -2, "", "k1", "t", &p, NULL), STORE_INVALID);
    assert_int_equal(store_agregar(f->s, "y", "n", 10, "t", NULL), STORE_OK);
    assert_int_equal(store_ajustar(f->s, "y", -3, "", "k1", "t", &p, NULL), STORE_INVALID);
    /* A call that failed does not burn its key. */
    assert_int_equal(store_ajustar(f->s, "x", -100, "", "k2", "t", &p, NULL), STORE_INSUFFICIENT);
    assert_int_equal(store_ajustar(f->s, "x", -1, "", "k2", "t", &p, NULL), STORE_OK);
    assert_int_equal(p.stock, 11);
    /* Keys survive a restart. */
    reopen(f);
    assert_int_equal(store_ajustar(f->s, "x", -3, "", "k1", "t", &p, NULL), STORE_OK);
    assert_int_equal(p.stock, 7);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_OK);
    assert_int_equal(p.stock, 11);
}

static void
write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static size_t
read_file(const char *path, char *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    size_t n;

    assert_non_null(fp);
    n = fread(buf, 1, cap, fp);
    fclose(fp);
    return n;
}

static void
test_not_a_database(void **state)
{
    struct fixture *f = *state;
    char path[160], err[256], back[4096];
    static const char junk[] = "id,nombre,stock\nx,Cámara,5\n"
        "this is a CSV file, not a SQLite database, and it must stay so......"
        "................................................................";

    snprintf(path, sizeof path, "%s/junk.db", f->dir);
    write_file(path, junk, sizeof junk);
    err[0] = '\0';
    assert_null(store_open(path, opciones(STORE_SYNC_FULL, true), err, sizeof err));
    assert_non_null(strstr(err, "no es una base de datos SQLite válida"));
    assert_int_equal(read_file(path, back, sizeof back), sizeof junk);
    assert_memory_equal(back, junk, sizeof junk);
    snprintf(back, sizeof back, "%s-wal", path);
    assert_int_not_equal(access(back, F_OK), 0);   /* no WAL created */
}

static void
test_damaged_database(void **state)
{
    struct fixture *f = *state;
    static char buf[1 << 20];
    char err[256];
    size_t n;

    for (int i = 0; i < 300; i++) {
        char id[16];

        snprintf(id, sizeof id, "p%04d", i);
        assert_int_equal(store_agregar(f->s, id, "un nombre de producto bastante largo",
                                       i, "t", NULL), STORE_OK);
    }
    store_close(f->s);
    f->s = NULL;
    /* Scribble over the b-tree page headers past the first page, as a torn
     * copy or a bad disk would. */
    n = read_file(f->path, buf, sizeof buf);
    assert_true(n > 8192);
    for (size_t off = 4096; off + 12 <= n; off += 4096)
        memset(buf + off, 0x5A, 12);
    write_file(f->path, buf, n);
    assert_null(store_open(f->path, opciones(STORE_SYNC_FULL, true), err, sizeof err));
    assert_non_null(strstr(err, "dañada"));
    /* Left exactly as we damaged it. */
    {
        static char again[1 << 20];

        assert_int_equal(read_file(f->path, again, sizeof again), n);
        assert_memory_equal(again, buf, n);
    }
    f->s = store_open("/tmp/inventario-unit-nonexistent-dir/x/y.db",
                      opciones(STORE_SYNC_FULL, true), err, sizeof err);
    assert_null(f->s);
    f->s = NULL;
    {
        char p2[160];

        snprintf(p2, sizeof p2, "%s/otra.db", f->dir);
        f->s = store_open(p2, opciones(STORE_SYNC_NORMAL, false), err, sizeof err);
        assert_non_null(f->s);
    }
}

struct writer_arg {
    struct store *s;
    int n;
    int ok, insufficient;
};

/* Each writer sells from a shared product, adds its own products (and tries
 * a duplicate), and adjusts with keys, some of them retried. */
static void *
writer(void *p)
{
    struct writer_arg *w = p;
    struct store_producto after;

    for (int i = 0; i < 200; i++) {
        char id[32], key[32];

        switch (store_ajustar(w->s, "shared", -1, "venta", "", "t", &after, NULL)) {
        case STORE_OK: w->ok++; break;
        case STORE_INSUFFICIENT: w->insufficient++; break;
        default: fail();
        }
        snprintf(id, sizeof id, "w%d-%d", w->n, i);
        assert_int_equal(store_agregar(w->s, id, "n", 10, "t", NULL), STORE_OK);
        assert_int_equal(store_agregar(w->s, id, "n", 10, "t", NULL), STORE_EXISTS);
        snprintf(key, sizeof key, "k%d-%d", w->n, i);
        assert_int_equal(store_ajustar(w->s, id, -3, "", key, "t", &after, NULL), STORE_OK);
        assert_int_equal(store_ajustar(w->s, id, -3, "", key, "t", &after, NULL), STORE_OK);
        assert_int_equal(after.stock, 7);
        assert_int_equal(store_ajustar(w->s, id, -8, "", "", "t", &after, NULL),
                         STORE_INSUFFICIENT);
    }
    return NULL;
}

static void
test_group_commit_concurrent_writers(void **state)
{
    struct fixture *f = *state;
    struct writer_arg w[8];
    pthread_t t[8];
    struct store_movs m;
    struct store_producto p;
    uint64_t n, seq;
    int ok = 0, insufficient = 0;

    assert_int_equal(store_agregar(f->s, "shared", "n", 1000, "t", NULL), STORE_OK);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct writer_arg){ f->s, i, 0, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, writer, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        ok += w[i].ok;
        insufficient += w[i].insufficient;
    }
    assert_int_equal(ok, 1000);
    assert_int_equal(insufficient, 600);
    assert_int_equal(store_obtener(f->s, "shared", &p), STORE_OK);
    assert_int_equal(p.stock, 0);
    /* 1 + 1000 sales + 8 * 200 * (add + adjust), no gaps, chained. */
    assert_int_equal(store_contar(f->s, &n, &seq), STORE_OK);
    assert_int_equal(n, 1 + 8 * 200);
    assert_int_equal(seq, 1 + 1000 + 8 * 200 * 2);
    reopen(f);
    assert_int_equal(store_movimientos(f->s, 0, "shared", 2000, &m), STORE_OK);
    assert_int_equal(m.n, 1001);
    for (size_t i = 1; i < m.n; i++) {
        assert_true(m.items[i].seq > m.items[i - 1].seq);
        assert_int_equal(m.items[i].stock_antes, m.items[i - 1].stock_despues);
    }
    store_movs_free(&m);
    assert_int_equal(store_movimientos(f->s, 0, "", 5000, &m), STORE_OK);
    for (size_t i = 0; i < m.n; i++)
        assert_int_equal(m.items[i].seq, i + 1);
    store_movs_free(&m);
}

/* -- writes answered by the leader of their commit (store_fin) ------------ */

/* Posted by the wait hook: a writer (the leader, when alone) is about to
 * wait for a commit. */
static sem_t about_to_wait;

static void
hook_begin(void)
{
    sem_post(&about_to_wait);
}

static void
hook_end(void)
{
}

struct fin_rec {
    struct store_fin      fin;      /* first */
    struct store_producto after;
    _Atomic int           calls;
    _Atomic int           rc;
};

static void
fin_record(struct store_fin *f, enum store_rc rc)
{
    struct fin_rec *r = (struct fin_rec *)(void *)f;

    atomic_store(&r->rc, (int)rc);
    atomic_fetch_add(&r->calls, 1);
}

struct lead_arg {
    struct store *s;
    enum store_rc rc;
};

static void *
lead_write(void *p)
{
    struct lead_arg *a = p;

    a->rc = store_ajustar(a->s, "x", 1, "", "", "t", NULL, NULL);
    return NULL;
}

/* A lone write with a fin leads its own commit: answered before it returns. */
static void
test_fin_of_a_lone_write(void **state)
{
    struct fixture *f = *state;
    struct fin_rec r = { .fin = { fin_record } };

    assert_int_equal(store_agregar(f->s, "x", "X", 10, "t", NULL), STORE_OK);
    assert_int_equal(store_ajustar(f->s, "x", -4, "venta", "", "t", &r.after, &r.fin),
                     STORE_PENDING);
    assert_int_equal(atomic_load(&r.calls), 1);
    assert_int_equal(atomic_load(&r.rc), STORE_OK);
    assert_int_equal(r.after.stock, 6);
}

/*
 * A write that joins a batch while another leads returns at once, and is
 * answered by the leader only after its commit: here the leader's commit
 * waits for a lock another SQLite connection holds, so the answer cannot
 * come before that lock is let go.
 */
static void
test_fin_answers_a_follower_after_its_commit(void **state)
{
    struct fixture *f = *state;
    struct fin_rec r = { .fin = { fin_record } };
    struct lead_arg lead = { f->s, STORE_ERROR };
    struct store_producto p;
    sqlite3 *db = NULL;
    pthread_t t;

    assert_int_equal(store_agregar(f->s, "x", "X", 10, "t", NULL), STORE_OK);
    assert_int_equal(sem_init(&about_to_wait, 0, 0), 0);
    store_set_wait_hooks(f->s, hook_begin, hook_end);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(pthread_create(&t, NULL, lead_write, &lead), 0);
    assert_int_equal(sem_wait(&about_to_wait), 0);     /* it leads, and waits */

    assert_int_equal(store_ajustar(f->s, "x", 5, "venta", "", "t", &r.after, &r.fin),
                     STORE_PENDING);
    assert_int_equal(atomic_load(&r.calls), 0);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_OK);
    assert_int_equal(p.stock, 10);                      /* nothing committed yet */

    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(lead.rc, STORE_OK);
    store_drain(f->s);
    assert_int_equal(atomic_load(&r.calls), 1);
    assert_int_equal(atomic_load(&r.rc), STORE_OK);
    assert_int_equal(r.after.stock, 16);
    assert_int_equal(store_obtener(f->s, "x", &p), STORE_OK);
    assert_int_equal(p.stock, 16);
    sqlite3_close(db);
    store_set_wait_hooks(f->s, NULL, NULL);
    sem_destroy(&about_to_wait);
}

#define FIN_WRITERS 8
#define FIN_SALES   200

struct fin_writer {
    struct store  *s;
    struct fin_rec r[FIN_SALES];
};

static void *
fin_writer(void *p)
{
    struct fin_writer *w = p;

    for (int i = 0; i < FIN_SALES; i++) {
        struct fin_rec *r = &w->r[i];
        enum store_rc rc;

        r->fin.fin = fin_record;
        rc = store_ajustar(w->s, "shared", -1, "venta", "", "t", &r->after, &r->fin);
        if (rc != STORE_PENDING)
            fin_record(&r->fin, rc);    /* answered at once: same books */
    }
    return NULL;
}

/* Concurrent sales, none of them waiting: every one answered exactly once,
 * and each OK with the stock its own sale left. */
static void
test_fin_concurrent_sales(void **state)
{
    struct fixture *f = *state;
    struct fin_writer *w = calloc(FIN_WRITERS, sizeof *w);
    pthread_t t[FIN_WRITERS];
    bool seen[1000] = { false };
    struct store_producto p;
    int ok = 0, insufficient = 0;

    assert_non_null(w);
    assert_int_equal(store_agregar(f->s, "shared", "n", 1000, "t", NULL), STORE_OK);
    for (int i = 0; i < FIN_WRITERS; i++) {
        w[i].s = f->s;
        assert_int_equal(pthread_create(&t[i], NULL, fin_writer, &w[i]), 0);
    }
    for (int i = 0; i < FIN_WRITERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    store_drain(f->s);
    for (int i = 0; i < FIN_WRITERS; i++) {
        for (int k = 0; k < FIN_SALES; k++) {
            struct fin_rec *r = &w[i].r[k];

            assert_int_equal(atomic_load(&r->calls), 1);
            if (atomic_load(&r->rc) == STORE_INSUFFICIENT) {
                insufficient++;
                continue;
            }
            assert_int_equal(atomic_load(&r->rc), STORE_OK);
            assert_in_range(r->after.stock, 0, 999);
            assert_false(seen[r->after.stock]);
            seen[r->after.stock] = true;
            ok++;
        }
    }
    assert_int_equal(ok, 1000);
    assert_int_equal(insufficient, FIN_WRITERS * FIN_SALES - 1000);
    assert_int_equal(store_obtener(f->s, "shared", &p), STORE_OK);
    assert_int_equal(p.stock, 0);
    free(w);
}

static void
test_status_names(void **state)
{
    (void)state;
    assert_string_equal(store_rc_nombre(STORE_OK), "OK");
    assert_string_equal(store_rc_nombre(STORE_NOT_FOUND), "NO_ENCONTRADO");
    assert_string_equal(store_rc_nombre(STORE_INSUFFICIENT), "STOCK_INSUFICIENTE");
    assert_string_equal(store_rc_nombre((enum store_rc)99), "?");
}

/* One holder per SQLite store: a second lock names the first's PID; a
 * PostgreSQL URI takes none. */
static void
test_one_lock_per_store(void **state)
{
    struct fixture *f = *state;
    char err[512], want[64];
    int fd1, fd2;

    assert_true(store_lock(f->path, &fd1, err, sizeof err));
    assert_true(fd1 >= 0);
    assert_false(store_lock(f->path, &fd2, err, sizeof err));
    snprintf(want, sizeof want, "PID %ld", (long)getpid());
    assert_non_null(strstr(err, want));
    close(fd1);
    assert_true(store_lock(f->path, &fd2, err, sizeof err));
    close(fd2);
    assert_true(store_lock("postgresql://db/x", &fd1, err, sizeof err));
    assert_int_equal(fd1, -1);
}

/* A whole listing holds its slot until freed; the next one gets it. */
static void
test_whole_listings_one_at_a_time(void **state)
{
    struct fixture *f = *state;
    struct store_lista a, b;

    assert_int_equal(store_agregar(f->s, "a", "n", 1, "t", NULL), STORE_OK);
    assert_int_equal(store_listar(f->s, "", 0, &a), STORE_OK);
    assert_int_equal(store_listar(f->s, "", 5, &b), STORE_OK);   /* pages: no slot */
    store_lista_free(&b);
    store_lista_free(&a);
    assert_int_equal(store_listar(f->s, "", 0, &b), STORE_OK);
    assert_int_equal(b.n, 1);
    store_lista_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test_setup_teardown(test_one_lock_per_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_listings_one_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_order_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_all_spans_many_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_movements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ajustar_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fin_of_a_lone_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fin_answers_a_follower_after_its_commit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fin_concurrent_sales, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
