/* test_acceso.c - client network allow-lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "acceso.h"

static bool
permite(const struct acceso_lista *l, const char *addr)
{
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;

    memset(&s4, 0, sizeof s4);
    memset(&s6, 0, sizeof s6);
    if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
        s4.sin_family = AF_INET;
        return acceso_permite(l, (struct sockaddr *)&s4, sizeof s4);
    }
    assert_int_equal(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
    s6.sin6_family = AF_INET6;
    return acceso_permite(l, (struct sockaddr *)&s6, sizeof s6);
}

static void
test_empty_allows_all(void **state)
{
    struct acceso_lista l = { .n = 0 };

    (void)state;
    assert_true(permite(&l, "203.0.113.9"));
    assert_true(permite(&l, "2001:db8::1"));
}

static void
test_networks(void **state)
{
    struct acceso_lista l = { .n = 0 };

    (void)state;
    assert_true(acceso_agregar(&l, "192.168.1.0/24"));
    assert_true(acceso_agregar(&l, "10.1.2.3"));
    assert_true(acceso_agregar(&l, "fd00::/8"));
    assert_true(acceso_agregar(&l, "172.16.0.0/12"));
    assert_true(permite(&l, "192.168.1.0"));
    assert_true(permite(&l, "192.168.1.255"));
    assert_false(permite(&l, "192.168.2.1"));
    assert_true(permite(&l, "10.1.2.3"));
    assert_false(permite(&l, "10.1.2.4"));
    assert_true(permite(&l, "fd12:3456::1"));
    assert_false(permite(&l, "fe80::1"));
    assert_true(permite(&l, "172.31.255.255"));    /* /12: bits, not bytes */
    assert_false(permite(&l, "172.32.0.0"));
    assert_false(permite(&l, "127.0.0.1"));
    assert_true(permite(&l, "::ffff:192.168.1.7")); /* IPv4-mapped */
    assert_false(permite(&l, "::ffff:127.0.0.1"));
}

static void
test_zero_prefix_and_bad_input(void **state)
{
    struct acceso_lista l = { .n = 0 };

    (void)state;
    assert_true(acceso_agregar(&l, "0.0.0.0/0"));
    assert_true(permite(&l, "198.51.100.1"));
    assert_false(permite(&l, "::1"));              /* an IPv4 net holds no IPv6 */
    assert_false(acceso_agregar(&l, "10.0.0.0/33"));
    assert_false(acceso_agregar(&l, "::/129"));
    assert_false(acceso_agregar(&l, "10.0.0.0/"));
    assert_false(acceso_agregar(&l, "10.0.0.0/8x"));
    assert_false(acceso_agregar(&l, "localhost"));
    assert_false(acceso_agregar(&l, ""));
    assert_false(acceso_agregar(&l, "10.0.0.0/-1"));
    for (size_t i = l.n; i < ACCESO_MAX; i++)
        assert_true(acceso_agregar(&l, "10.0.0.1"));
    assert_false(acceso_agregar(&l, "10.0.0.1"));  /* full */
}

static bool
permite_a(const struct acceso_lista *l, const char *addr, const char *identidad)
{
    struct sockaddr_in s4;

    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, addr, &s4.sin_addr), 1);
    return acceso_permite_llamada(l, (struct sockaddr *)&s4, sizeof s4, identidad);
}

static void
test_identities(void **state)
{
    struct acceso_lista l;
    char largo[80];

    (void)state;
    memset(&l, 0, sizeof l);
    assert_true(acceso_vacia(&l));
    assert_true(permite_a(&l, "10.0.0.1", NULL));
    assert_true(acceso_agregar(&l, "tls:sucursal-norte"));
    assert_true(acceso_agregar(&l, "tls:spiffe://tecnomarket/sur"));
    assert_false(acceso_vacia(&l));
    /* Only identities: no address is enough, and clear text is refused. */
    assert_false(permite(&l, "127.0.0.1"));
    assert_false(permite_a(&l, "127.0.0.1", NULL));
    assert_false(permite_a(&l, "127.0.0.1", ""));
    assert_true(permite_a(&l, "127.0.0.1", "sucursal-norte"));
    assert_true(permite_a(&l, "127.0.0.1", "spiffe://tecnomarket/sur"));
    assert_false(permite_a(&l, "127.0.0.1", "sucursal-nort"));
    assert_false(permite_a(&l, "127.0.0.1", "sucursal-norte2"));
    /* Networks and identities together: either one is enough. */
    assert_true(acceso_agregar(&l, "192.168.0.0/16"));
    assert_true(permite_a(&l, "192.168.3.4", NULL));
    assert_true(permite_a(&l, "10.0.0.1", "sucursal-norte"));
    assert_false(permite_a(&l, "10.0.0.1", "sucursal-este"));
    /* Not identities: empty, spaces, control characters, too long, bare. */
    assert_false(acceso_agregar(&l, "tls:"));
    assert_false(acceso_agregar(&l, "tls:dos palabras"));
    assert_false(acceso_agregar(&l, "tls:a\tb"));
    memset(largo, 'x', sizeof largo);
    memcpy(largo, "tls:", 4);
    largo[69] = '\0';
    assert_false(acceso_agregar(&l, largo));
    largo[68] = '\0';
    assert_true(acceso_agregar(&l, largo));       /* 64 is the limit */
    assert_false(acceso_agregar(&l, "sucursal-norte"));
    acceso_liberar(&l);
    assert_int_equal(l.nidentidades, 0);
}

static void
test_file(void **state)
{
    char ruta[] = "/tmp/test_acceso_XXXXXX", err[256];
    struct acceso_lista l;
    FILE *f;
    int fd;

    (void)state;
    memset(&l, 0, sizeof l);
    fd = mkstemp(ruta);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("# sucursales que escriben\n\n  tls:sucursal-norte  \n"
          "tls:sucursal-sur\r\n10.0.0.0/8\n", f);
    fclose(f);
    assert_true(acceso_agregar_archivo(&l, ruta, err, sizeof err));
    assert_int_equal(l.nidentidades, 2);
    assert_int_equal(l.n, 1);
    assert_true(permite_a(&l, "172.16.0.1", "sucursal-sur"));
    assert_true(permite_a(&l, "10.1.1.1", NULL));
    f = fopen(ruta, "a");
    fputs("sucursal-este\n", f);
    fclose(f);
    assert_false(acceso_agregar_archivo(&l, ruta, err, sizeof err));
    assert_non_null(strstr(err, "línea 6"));
    assert_non_null(strstr(err, "sucursal-este"));
    unlink(ruta);
    assert_false(acceso_agregar_archivo(&l, ruta, err, sizeof err));
    assert_non_null(strstr(err, "no se puede leer"));
    acceso_liberar(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_allows_all),
        cmocka_unit_test(test_networks),
        cmocka_unit_test(test_zero_prefix_and_bad_input),
        cmocka_unit_test(test_identities),
        cmocka_unit_test(test_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
