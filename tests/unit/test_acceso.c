/* test_acceso.c - client network allow-lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_allows_all),
        cmocka_unit_test(test_networks),
        cmocka_unit_test(test_zero_prefix_and_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
