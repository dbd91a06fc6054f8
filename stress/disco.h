/* disco.h - how many durable SQLite commits per second the disk takes.
 *
 * What one durable commit costs on the disk under the database (WAL,
 * synchronous=FULL, the server's default): the ceiling for a writer alone,
 * which waits for its own sync.  Several writers at once can go past it,
 * since the server's group commit makes one sync for a batch of writes
 * (docs/benchmark.md compares the two).  Measured on a scratch file in the
 * same folder (the same disk), one small row per transaction (BEGIN
 * IMMEDIATE; INSERT; COMMIT), with the server's pragmas, after a short
 * unmeasured warm-up.  The scratch file is removed afterwards.
 */
#ifndef STRESS_DISCO_H
#define STRESS_DISCO_H

#include <stddef.h>
#include <stdint.h>

#include "histo.h"

struct disco_resultado {
    uint64_t     commits;
    double       segundos;
    double       commits_s;
    struct histo lat;           /* per commit */
};

/* Commits for 'segundos' (at most 10^6 of them, after a warm-up of up
 * to 0.5 s) in a scratch database in dir.  Returns 0, or -1 with a Spanish reason in err. */
int disco_medir(const char *dir, double segundos, struct disco_resultado *r,
                char *err, size_t errlen);

#endif
