/* test_wal_guard.c - the WAL guard on real SQLite files, over a VFS that
 * fails syncs of the WAL on demand.
 *
 * The layer below the guard is the default unix VFS with one change: the
 * WAL's xSync can be told to fail (as a disk's fdatasync answering EIO
 * would, with the data left in the page cache).  The guard itself is the
 * real one.  A "crash" is simulated by copying the database and its -wal
 * as they stand (page cache included) to a new folder, without the -shm,
 * and opening the copy: SQLite then recovers from the WAL exactly as it
 * would after kill -9.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "wal_guard.h"

/* ---- the failing layer below the guard -------------------------------- */

/* Syncs of a WAL file still allowed before they fail; -1: never fail. */
static int syncs_left = -1;
static sqlite3_vfs *unix_vfs;
static const sqlite3_io_methods *unix_methods;   /* of the WAL files */
static sqlite3_io_methods failing_methods;
static sqlite3_vfs failing_vfs;

static int
failing_sync(sqlite3_file *f, int flags)
{
    if (syncs_left == 0)
        return SQLITE_IOERR_FSYNC;
    if (syncs_left > 0)
        syncs_left--;
    return unix_methods->xSync(f, flags);
}

/* Opens with the unix VFS; WAL files get the unix methods with xSync
 * replaced. */
static int
failing_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
             int *out_flags)
{
    int rc = unix_vfs->xOpen(unix_vfs, name, f, flags, out_flags);

    (void)vfs;
    if (rc != SQLITE_OK || !(flags & SQLITE_OPEN_WAL))
        return rc;
    if (unix_methods == NULL) {
        unix_methods = f->pMethods;
        failing_methods = *unix_methods;
        failing_methods.xSync = failing_sync;
    }
    assert_ptr_equal(f->pMethods, unix_methods);
    f->pMethods = &failing_methods;
    return rc;
}

/* Makes the failing VFS the default, so that the guard wraps it when it
 * registers (on its first use, which is after this). */
static int
group_setup(void **state)
{
    (void)state;
    if ((unix_vfs = sqlite3_vfs_find("unix")) == NULL)
        return -1;
    failing_vfs = *unix_vfs;
    failing_vfs.zName = "prueba-falla-sync";
    failing_vfs.pNext = NULL;
    failing_vfs.xOpen = failing_open;
    return sqlite3_vfs_register(&failing_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* ---- fixture: a database opened through the guard --------------------- */

struct fixture {
    char     dir[64];
    char     path[128];
    char     wal[136];
    sqlite3 *db;
    int      crashes;       /* copies made so far */
};

static void
exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    const char *vfs = wal_guard_vfs();

    if (f == NULL || vfs == NULL)
        return -1;
    syncs_left = -1;
    strcpy(f->dir, "/tmp/inventario-wal-guard-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/g.db", f->dir);
    snprintf(f->wal, sizeof f->wal, "%s-wal", f->path);
    if (sqlite3_open_v2(f->path, &f->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK)
        return -1;
    sqlite3_extended_result_codes(f->db, 1);
    exec_ok(f->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                   "CREATE TABLE t(x INTEGER PRIMARY KEY);");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];

    syncs_left = -1;
    if (sqlite3_close(f->db) != SQLITE_OK)
        return -1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static long long
file_size(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static void
copy_file(const char *from, const char *to)
{
    char buf[8192];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    size_t n;

    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    assert_int_equal(fclose(in), 0);
    assert_int_equal(fclose(out), 0);
}

/* What a restart after kill -9 now would find in t, as "1,3": the database
 * and its WAL copied as they are, opened without the -shm, which makes
 * SQLite recover from the WAL. */
static void
after_crash(struct fixture *f, char *rows, size_t len)
{
    char path[160], wal[170];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t used = 0;

    snprintf(path, sizeof path, "%s/crash%d.db", f->dir, f->crashes++);
    snprintf(wal, sizeof wal, "%s-wal", path);
    copy_file(f->path, path);
    if (file_size(f->wal) >= 0)
        copy_file(f->wal, wal);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, "unix"),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM t ORDER BY x", -1,
                                        &st, NULL), SQLITE_OK);
    rows[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        int n = snprintf(rows + used, len - used, "%s%d", used ? "," : "",
                         sqlite3_column_int(st, 0));
        assert_true(n > 0 && (size_t)n < len - used);
        used += (size_t)n;
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static long long
page_size(struct fixture *f)
{
    sqlite3_stmt *st = NULL;
    long long n;

    assert_int_equal(sqlite3_prepare_v2(f->db, "PRAGMA page_size", -1, &st,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int
insert(struct fixture *f, int x)
{
    char sql[64];

    snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d)", x);
    return sqlite3_exec(f->db, sql, NULL, NULL, NULL);
}

/* ---- the tests -------------------------------------------------------- */

/* The commit's sync fails: the refused frames leave the WAL, the committed
 * ones stay, and the next commit goes where the refused one was. */
static void
test_failed_commit_leaves_the_wal_as_before(void **state)
{
    struct fixture *f = *state;
    char rows[64];
    long long before;

    assert_int_equal(insert(f, 1), SQLITE_OK);
    before = file_size(f->wal);
    assert_true(before > 32);

    syncs_left = 0;
    assert_int_equal(insert(f, 2), SQLITE_IOERR_FSYNC);
    assert_int_equal(file_size(f->wal), before);
    after_crash(f, rows, sizeof rows);
    assert_string_equal(rows, "1");

    syncs_left = -1;
    assert_int_equal(insert(f, 3), SQLITE_OK);
    /* One frame more: the table's one page, with its 24-byte header. */
    assert_int_equal(file_size(f->wal), before + 24 + page_size(f));
    after_crash(f, rows, sizeof rows);
    assert_string_equal(rows, "1,3");
}

/* A checkpoint syncs the WAL before copying it: when that sync fails with
 * nothing written since the last good one, every committed frame stays. */
static void
test_failed_sync_with_nothing_written_keeps_the_wal(void **state)
{
    struct fixture *f = *state;
    char rows[64];
    long long before;

    assert_int_equal(insert(f, 1), SQLITE_OK);
    assert_int_equal(insert(f, 2), SQLITE_OK);
    before = file_size(f->wal);

    syncs_left = 0;
    assert_int_equal(sqlite3_wal_checkpoint_v2(f->db, NULL,
                                               SQLITE_CHECKPOINT_PASSIVE,
                                               NULL, NULL), SQLITE_IOERR_FSYNC);
    assert_int_equal(file_size(f->wal), before);
    after_crash(f, rows, sizeof rows);
    assert_string_equal(rows, "1,2");
}

/* After a checkpoint has copied everything, the next commit restarts the
 * WAL from its header.  If the header's own sync fails, or the commit's,
 * the WAL is cut to nothing or to the new header: everything committed is
 * in the database file already. */
static void
test_failed_commit_after_a_restart(void **state)
{
    struct fixture *f = *state;
    char rows[64];

    for (int syncs = 0; syncs <= 1; syncs++) {  /* header's sync; commit's */
        int x = 10 + syncs;

        assert_int_equal(insert(f, x), SQLITE_OK);
        assert_int_equal(sqlite3_wal_checkpoint_v2(f->db, NULL,
                                                   SQLITE_CHECKPOINT_RESTART,
                                                   NULL, NULL), SQLITE_OK);
        assert_true(file_size(f->wal) > 32);        /* RESTART keeps the file */

        syncs_left = syncs;
        assert_int_equal(insert(f, 100 + x), SQLITE_IOERR_FSYNC);
        assert_int_equal(file_size(f->wal), syncs == 0 ? 0 : 32);
        after_crash(f, rows, sizeof rows);
        assert_string_equal(rows, syncs == 0 ? "10" : "10,11");
        syncs_left = -1;
    }
    assert_int_equal(insert(f, 12), SQLITE_OK);
    after_crash(f, rows, sizeof rows);
    assert_string_equal(rows, "10,11,12");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_commit_leaves_the_wal_as_before,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_sync_with_nothing_written_keeps_the_wal,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_after_a_restart,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
