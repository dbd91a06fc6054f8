/* recmark.h - RFC 5531 section 11 record marking: bytes in, whole records out.
 *
 * A record is one or more fragments, each a 4-byte big-endian header (top
 * bit: last fragment; low 31 bits: length) and that many bytes.  Any split
 * is valid, empty fragments included.  The reader copies fragment bodies
 * into one record buffer, allocated when a record starts and handed over
 * whole when it ends, so a connection between records holds no buffer.
 * A record whose total would pass 'max' is an error, and so is a record
 * that goes on past RECMARK_MAX_FRAGS fragments (an endless trickle of
 * empty fragments would otherwise never end).  Pure code: no I/O, no
 * locks; one reader per connection, used by one thread at a time.
 */
#ifndef INVENTARIO_RECMARK_H
#define INVENTARIO_RECMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECMARK_MAX_FRAGS 1024

struct recmark {
    uint32_t max;           /* record size cap, set by recmark_init */
    uint32_t frag_left;     /* body bytes of the current fragment still due */
    uint32_t frags;         /* fragments of the current record so far */
    uint8_t  hdr[4];        /* a fragment header being read */
    uint8_t  hdr_got;       /* bytes of it read; 4 while in a body */
    bool     last;          /* the current fragment ends the record */
    char    *buf;           /* the record so far (NULL between records) */
    size_t   len, cap;
};

enum recmark_rc {
    RECMARK_MORE,           /* every byte taken; the record is not whole yet */
    RECMARK_RECORD,         /* a record is whole: take it with recmark_take */
    RECMARK_ERROR           /* over-size, too many fragments, or no memory */
};

void recmark_init(struct recmark *r, uint32_t max);

/* Takes bytes from data[0..n) up to the end of the next whole record (never
 * past it) and stores how many in *used.  On RECMARK_RECORD the bytes after
 * *used are the next record's; on RECMARK_ERROR the connection must be
 * closed (the reader may be reset with recmark_free + recmark_init). */
enum recmark_rc recmark_feed(struct recmark *r, const char *data, size_t n,
                             size_t *used);

/* Hands the whole record over (the caller frees *buf; *buf may be NULL when
 * the record is empty) and readies the reader for the next one. */
void recmark_take(struct recmark *r, char **buf, size_t *len);

/* True while part of a record has arrived (its header or more). */
bool recmark_partial(const struct recmark *r);

/* Frees a record in progress. */
void recmark_free(struct recmark *r);

#endif
