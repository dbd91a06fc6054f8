/* disco.c - the disk's durable single-commit rate under SQLite; see disco.h. */
#include "disco.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "trabajo.h"
#include "util.h"

#define DISCO_MAX_COMMITS 1000000u

static void
borrar(const char *path)
{
    char p[4200];

    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* The measured loop, on prepared statements. */
static int
bucle(sqlite3_stmt *st[3], double segundos, struct disco_resultado *r)
{
    uint64_t t0 = reloj_ns(), fin = t0 + (uint64_t)(segundos * 1e9), t;

    while ((t = reloj_ns()) < fin && r->commits < DISCO_MAX_COMMITS && !trabajo_parar()) {
        for (int i = 0; i < 3; i++) {
            if (i == 1)
                sqlite3_bind_int64(st[1], 1, (sqlite3_int64)r->commits);
            if (sqlite3_step(st[i]) != SQLITE_DONE) {
                sqlite3_reset(st[i]);
                return -1;
            }
            sqlite3_reset(st[i]);
        }
        histo_anotar(&r->lat, reloj_ns() - t);
        r->commits++;
    }
    r->segundos = (double)(reloj_ns() - t0) / 1e9;
    r->commits_s = r->segundos > 0 ? (double)r->commits / r->segundos : 0;
    return 0;
}

int
disco_medir(const char *dir, double segundos, struct disco_resultado *r,
            char *err, size_t errlen)
{
    static const char *const sql[3] = {
        "BEGIN IMMEDIATE", "INSERT INTO t(v) VALUES (?1)", "COMMIT" };
    sqlite3_stmt *st[3] = { NULL, NULL, NULL };
    char path[4096];
    sqlite3 *db = NULL;
    int rc = -1;

    memset(r, 0, sizeof *r);
    histo_init(&r->lat);
    snprintf(path, sizeof path, "%s/inventario-stress-disco-%ld.db", dir, (long)getpid());
    borrar(path);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "CREATE TABLE t(k INTEGER PRIMARY KEY, v INTEGER NOT NULL)",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    for (int i = 0; i < 3; i++)
        if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK)
            goto out;
    /* Unmeasured first: the new WAL file grows during its first commits,
     * which makes them dearer than the server's, whose WAL is reused. */
    rc = bucle(st, segundos * 0.2 < 0.5 ? segundos * 0.2 : 0.5, r);
    memset(r, 0, sizeof *r);
    histo_init(&r->lat);
    if (rc == 0)
        rc = bucle(st, segundos, r);
out:
    if (rc != 0)
        snprintf(err, errlen, "prueba de disco en %s: %s", path,
                 db ? sqlite3_errmsg(db) : "no se pudo abrir");
    for (int i = 0; i < 3; i++)
        sqlite3_finalize(st[i]);
    sqlite3_close(db);
    borrar(path);
    return rc;
}
