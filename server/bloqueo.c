/* bloqueo.c - the store's lock and the liveness of a registered server; see bloqueo.h. */
#include "bloqueo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpcb_clnt.h>

#include "log.h"
#include "xdrproc.h"

char *
bloqueo_ruta(const char *db)
{
    size_t n = strlen(db) + sizeof "-lock";
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s-lock", db);
    return p;
}

/* The PID the holder wrote into the lock file, or 0.  The holder writes it
 * right after it takes the lock, so an empty file is read again for a
 * moment before giving up. */
static long
holder_pid(int fd)
{
    for (int tries = 0; tries < 20; tries++) {
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        long pid;

        if (n > 0) {
            buf[n] = '\0';
            if (sscanf(buf, "%ld", &pid) == 1 && pid > 0)
                return pid;
        }
        nanosleep(&ts, NULL);
    }
    return 0;
}

static bool
write_pid(int fd)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());

    return ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n;
}

int
bloqueo_almacen(const char *db, char *err, size_t errlen)
{
    char *path = bloqueo_ruta(db);
    int fd = -1;
    long pid;

    if (path == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto out;
    }
    /* Never truncated on open: the file holds the holder's PID. */
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
        snprintf(err, errlen, "no se puede abrir el archivo de bloqueo %s: %s "
                 "(el directorio de la base de datos debe admitir escritura)",
                 path, strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK) {
            snprintf(err, errlen, "no se puede bloquear %s: %s", path,
                     strerror(errno));
        } else if ((pid = holder_pid(fd)) > 0) {
            snprintf(err, errlen, "otro servidor (PID %ld) ya usa la base de "
                     "datos %s; deténgalo o use otra --db", pid, db);
        } else {
            snprintf(err, errlen, "otro proceso ya usa la base de datos %s "
                     "(tiene bloqueado %s); deténgalo o use otra --db", db, path);
        }
        close(fd);
        fd = -1;
        goto out;
    }
    /* The lock is ours all the same; only our name for others is lost. */
    if (!write_pid(fd))
        log_warn("bloqueo: escribir el PID en %s", path);
out:
    free(path);
    return fd;
}

/* The TCP port of a universal address: "h1.h2.h3.h4.p1.p2" (tcp) or
 * "addr6.p1.p2" (tcp6); 0 if it is not one. */
static unsigned
uaddr_port(const char *uaddr)
{
    const char *p2 = strrchr(uaddr, '.');
    const char *p1;
    unsigned hi, lo;

    if (p2 == NULL || p2 == uaddr)
        return 0;
    for (p1 = p2 - 1; p1 > uaddr && *p1 != '.'; p1--)
        continue;
    if (*p1 != '.' || sscanf(p1 + 1, "%u", &hi) != 1 ||
        sscanf(p2 + 1, "%u", &lo) != 1 || hi > 255 || lo > 255)
        return 0;
    return hi * 256 + lo;
}

/* The inode of a socket listening on TCP 'port' in /proc/net/'table'
 * (tcp or tcp6), or 0 if there is none. */
static unsigned long
listener_inode(const char *table, unsigned port)
{
    char path[64], line[512];
    unsigned long inode = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/net/%s", table);
    if ((f = fopen(path, "re")) == NULL)
        return 0;
    while (inode == 0 && fgets(line, sizeof line, f) != NULL) {
        char local[64];
        unsigned lport, st;
        unsigned long ino;
        const char *colon;

        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*s %63s %*s %x %*s %*s %*s %*s %*s %lu",
                   local, &st, &ino) != 3)
            continue;
        if ((colon = strrchr(local, ':')) == NULL ||
            sscanf(colon + 1, "%x", &lport) != 1)
            continue;
        if (lport == port && st == 0x0A /* TCP_LISTEN */)
            inode = ino != 0 ? ino : 1;
    }
    fclose(f);
    return inode;
}

/* The PID of a process holding socket 'inode', or 0 if none can be seen. */
static long
socket_owner(unsigned long inode)
{
    char want[64];
    DIR *proc = opendir("/proc");
    struct dirent *e;
    long found = 0;

    if (proc == NULL)
        return 0;
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    while (found == 0 && (e = readdir(proc)) != NULL) {
        char dir[300];
        long pid = strtol(e->d_name, NULL, 10);
        DIR *fds;
        struct dirent *f;

        if (pid <= 0)
            continue;
        snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
        if ((fds = opendir(dir)) == NULL)
            continue;
        while (found == 0 && (f = readdir(fds)) != NULL) {
            char link[600], target[64];
            ssize_t n;

            snprintf(link, sizeof link, "%s/%s", dir, f->d_name);
            n = readlink(link, target, sizeof target - 1);
            if (n > 0) {
                target[n] = '\0';
                if (strcmp(target, want) == 0)
                    found = pid;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    return found;
}

/*
 * A server's listening socket lives exactly as long as the server: the
 * kernel closes it when the process dies, and keeps it while the process
 * is stopped or busy.  So a registered address that something on this host
 * still listens on is a live holder, however long its NULL takes; rpcbind
 * only takes registrations from this host.
 */
bool
bloqueo_titular_vivo(rpcprog_t prog, rpcvers_t vers, long *pid)
{
    struct netconfig *nconf = getnetconfigent("tcp");
    rpcblist_ptr head, e;
    unsigned long inode = 0;

    *pid = 0;
    if (nconf == NULL)
        return false;
    head = rpcb_getmaps(nconf, "127.0.0.1");
    for (e = head; e != NULL && inode == 0; e = e->rpcb_next) {
        const rpcb *r = &e->rpcb_map;
        unsigned port;

        if (r->r_prog != prog || r->r_vers != vers || r->r_netid == NULL ||
            r->r_addr == NULL || (port = uaddr_port(r->r_addr)) == 0)
            continue;
        if (strcmp(r->r_netid, "tcp") == 0)
            inode = listener_inode("tcp", port);
        else if (strcmp(r->r_netid, "tcp6") == 0)
            inode = listener_inode("tcp6", port);
    }
    xdr_free(XDRPROC(xdr_rpcblist_ptr), (char *)&head);
    freenetconfigent(nconf);
    if (inode > 1)
        *pid = socket_owner(inode);
    return inode != 0;
}
