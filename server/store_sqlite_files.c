/* store_sqlite_files.c - the SQLite store's files: writable at start, and
 * still the ones served while serving; see store_sqlite.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_sqlite.h"

/* ---- the files under us ------------------------------------------------- */

bool
sq_watch(struct watched *f, const char *path, char *err, size_t errlen)
{
    struct stat sb;

    f->fd = -1;
    if ((f->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        return false;
    }
    /* Never closed while the store is open: closing any descriptor of a
     * SQLite file would drop the POSIX locks SQLite holds on it. */
    if ((f->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(f->fd, &sb) < 0) {
        snprintf(err, errlen, "no se puede abrir %s: %s", path, strerror(errno));
        return false;
    }
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    return true;
}

/* False, with what happened in why, if the file was deleted (no link left)
 * or its path now names another file. */
static bool
still_there(const struct watched *f, char *why, size_t len)
{
    struct stat sb;

    if (fstat(f->fd, &sb) < 0 || sb.st_nlink == 0) {
        snprintf(why, len, "%s fue borrado", f->path);
        return false;
    }
    if (stat(f->path, &sb) < 0 || sb.st_dev != f->dev || sb.st_ino != f->ino) {
        snprintf(why, len, "%s fue sustituido por otro archivo", f->path);
        return false;
    }
    return true;
}

/*
 * Everything committed is still readable through our open descriptors.
 * If the WAL went, a checkpoint copies it into the database file (still
 * linked), which then holds every acknowledged write; if the database went
 * or was replaced, VACUUM INTO writes a complete copy beside it.  Either
 * way the log says what the operator does next; writes stay refused until
 * the server restarts on a sound file.  Store's lock held.
 */
static void
save_what_was_committed(struct backend *b, const char *why)
{
    char copy[4096];
    char *sql;
    int r;

    log_warnx("almacén: %s mientras el servidor lo usaba; no se aceptan más "
              "escrituras", why);
    if (still_there(&b->files[0], copy, sizeof copy)) {
        r = sqlite3_wal_checkpoint_v2(b->w.db, NULL, SQLITE_CHECKPOINT_FULL,
                                      NULL, NULL);
        if (r == SQLITE_OK) {
            log_warnx("almacén: todas las escrituras confirmadas están ya en "
                      "%s; reinicie el servidor para seguir escribiendo", b->path);
            return;
        }
        sq_warn(&b->w, "copiar el WAL borrado en la base de datos");
    }
    snprintf(copy, sizeof copy, "%s.recuperado-%ld", b->path, (long)time(NULL));
    sql = sqlite3_mprintf("VACUUM INTO %Q", copy);
    r = sql != NULL ? sqlite3_exec(b->w.db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (r == SQLITE_OK)
        log_warnx("almacén: copia completa de lo confirmado en %s; detenga el "
                  "servidor, borre %s-wal y %s-shm, ponga esa copia en %s y "
                  "arranque de nuevo", copy, b->path, b->path, b->path);
    else
        log_warnx("almacén: no se pudo guardar una copia en %s (%s); no detenga "
                  "el servidor: sus datos siguen en /proc/%ld/fd/%d",
                  copy, sqlite3_errmsg(b->w.db), (long)getpid(), b->files[0].fd);
}

/* True while the database and WAL are the files opened at start; the first
 * time they are not, saves what was committed and logs it once.  Store's
 * lock held. */
bool
sq_files_ok(struct backend *b)
{
    char why[4200];

    if (atomic_load(&b->lost))
        return false;
    for (int i = 0; i < 2; i++) {
        if (!still_there(&b->files[i], why, sizeof why)) {
            atomic_store(&b->lost, true);
            save_what_was_committed(b, why);
            return false;
        }
    }
    return true;
}

bool
sq_healthy(struct backend *b)
{
    char why[4200];

    return !atomic_load(&b->lost) &&
           still_there(&b->files[0], why, sizeof why) &&
           still_there(&b->files[1], why, sizeof why);
}

/* False, with why in err, if this process could not write 'path' (or, for
 * a directory, create files in it).  A file with no write bit at all is
 * refused even for root, who could write it: someone made it read-only on
 * purpose.  'must_exist' false lets a missing file pass. */
static bool
writable(const char *path, bool dir, bool must_exist, char *err, size_t errlen)
{
    struct stat sb;
    int fd;

    if (stat(path, &sb) < 0) {
        if (errno == ENOENT && !must_exist)
            return true;
        snprintf(err, errlen, "no se puede acceder a %s: %s", path, strerror(errno));
        return false;
    }
    if ((sb.st_mode & 0222) == 0) {
        snprintf(err, errlen, "%s no tiene permiso de escritura (modo %04o); "
                 "el servidor necesita escribir en él", path,
                 (unsigned)(sb.st_mode & 07777));
        return false;
    }
    if (dir) {
        if (access(path, W_OK | X_OK) == 0)
            return true;
    } else if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)) >= 0) {
        close(fd);
        return true;
    }
    snprintf(err, errlen, "el servidor no puede escribir en %s: %s%s", path,
             strerror(errno), errno == EPERM ? " (¿inmutable? véalo con lsattr)"
                                             : "");
    return false;
}

/* The database file, its folder and any WAL or shared-memory file left
 * beside it must be writable: a store that cannot write would start, say
 * it is fine, and refuse every write. */
bool
sq_store_writable(const char *path, char *err, size_t errlen)
{
    char side[4096], *copy = strdup(path);
    bool ok;

    if (copy == NULL) {
        snprintf(err, errlen, "sin memoria");
        return false;
    }
    ok = writable(dirname(copy), true, true, err, errlen) &&
         writable(path, false, false, err, errlen);
    free(copy);
    for (int i = 0; ok && i < 2; i++) {
        snprintf(side, sizeof side, "%s%s", path, i == 0 ? "-wal" : "-shm");
        ok = writable(side, false, false, err, errlen);
    }
    return ok;
}

/* The memory the store will take, said once at start: the map is shared by
 * every connection and counts in the server's RSS as pages are read. */
void
sq_log_memory(const struct backend *b)
{
    struct stat sb;
    long long mib = fstat(b->files[0].fd, &sb) == 0
                        ? (long long)sb.st_size / (1024 * 1024) : -1;
    long long map = (long long)(b->mmap_bytes / (1024 * 1024));

    if (b->mmap_bytes == 0)
        log_info("almacén: %s ocupa %lld MiB; sin proyección en memoria "
                 "(--mmap=0): cada conexión lee a través de su caché de 2 MiB",
                 b->path, mib);
    else
        log_info("almacén: %s ocupa %lld MiB; se leen hasta %lld MiB a través "
                 "de una proyección en memoria compartida por todas las "
                 "conexiones: el RSS del servidor crece hasta %lld MiB a medida "
                 "que se lee", b->path, mib, map, mib < map ? mib : map);
}
