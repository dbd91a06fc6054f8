/* tls_cliente.c - drives the client's probe and TLS stream (common/tls_client.c)
 * against a test peer (test_sesiones.py).
 *
 *   tls_cliente CERT KEY CA NOMBRE PUERTO sonda|crudo MENSAJE
 *
 * Connects to 127.0.0.1:PUERTO; "sonda" sends the AUTH_TLS probe (program
 * 0x40000000 version 1), "crudo" the 8 bytes "STARTTLS" (tls_eco's stand-in
 * for it); then the handshake, with NOMBRE as the name the server's
 * certificate must carry; then sends MENSAJE and prints what comes back,
 * up to as many bytes as were sent plus one line ("eco: ...").
 * Exit status: 0 done, 3 the probe failed or TLS is not offered, 4 the
 * handshake failed, 5 the stream broke, 1 anything else; each failure's
 * Spanish sentence goes to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_client.h"

int
main(int argc, char **argv)
{
    struct tls_client_files f;
    struct tls_client *c = NULL;
    struct tls_stream *t = NULL;
    struct sockaddr_in a = { .sin_family = AF_INET };
    char err[512], buf[8192];
    size_t want, got = 0;
    int fd = -1, r, rc = 1;

    if (argc != 8) {
        fprintf(stderr, "uso: tls_cliente CERT KEY CA NOMBRE PUERTO sonda|crudo MENSAJE\n");
        return 1;
    }
    f = (struct tls_client_files){ argv[1], argv[2], argv[3] };
    if ((c = tls_client_new(&f, err, sizeof err)) == NULL) {
        fprintf(stderr, "credenciales: %s\n", err);
        goto out;
    }
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)atoi(argv[5]));
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        goto out;
    }
    if (strcmp(argv[6], "sonda") == 0) {
        uint32_t high;

        r = tls_client_probe(fd, 0x40000000u, 1, 5000, &high, err, sizeof err);
        if (r != TLS_CLIENT_PROBE_STARTTLS) {
            fprintf(stderr, "sonda %d: %s\n", r, err);
            rc = 3;
            goto out;
        }
    } else if (write(fd, "STARTTLS", 8) != 8) {
        perror("write");
        goto out;
    }
    if ((t = tls_stream_open(c, fd, argv[4], 10000, err, sizeof err)) == NULL) {
        fprintf(stderr, "saludo: %s\n", err);
        rc = 4;
        goto out;
    }
    rc = 5;
    want = strlen(argv[7]);
    if (tls_stream_write(t, argv[7], want, 10000) < 0) {
        fprintf(stderr, "escritura: %s\n", strerror(errno));
        goto out;
    }
    /* In "crudo", tls_eco's own line comes first: wait for the echo itself. */
    while (got < sizeof buf - 1) {
        ssize_t n = tls_stream_read(t, buf + got, sizeof buf - 1 - got, 10000);

        if (n < 0) {
            fprintf(stderr, "lectura: %s\n", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        if (got >= want && (strcmp(argv[6], "sonda") == 0 ||
                            strstr(buf, argv[7]) != NULL))
            break;
    }
    buf[got] = '\0';
    printf("eco: %s\n", buf);
    rc = 0;
out:
    tls_stream_close(t);
    if (fd >= 0)
        close(fd);
    tls_client_free(c);
    return rc;
}
