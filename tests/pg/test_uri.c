/* test_uri.c - which --db targets are PostgreSQL, and how they are shown in logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "store_backend.h"

static void
test_is_uri(void **state)
{
    (void)state;
    assert_true(pg_target_is_uri("postgresql://db1/inventario"));
    assert_true(pg_target_is_uri("postgres:///inventario?host=/tmp"));
    assert_false(pg_target_is_uri("inventario.db"));
    assert_false(pg_target_is_uri("/var/lib/inventario/postgresql://x"));
    assert_false(pg_target_is_uri("postgresql:/x"));
    assert_false(pg_target_is_uri("PostgreSQL://db1/x"));     /* a file name */
}

static void
shown(const char *uri, const char *want)
{
    char *got = pg_target_shown(uri);

    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void
test_shown_hides_passwords_only(void **state)
{
    (void)state;
    shown("postgresql://db1/inventario", "postgresql://db1/inventario");
    shown("postgresql://inventario@db1:5433/inv", "postgresql://inventario@db1:5433/inv");
    shown("postgresql://inventario:secreto@db1/inv", "postgresql://inventario:***@db1/inv");
    shown("postgresql://inventario:@db1/inv", "postgresql://inventario:***@db1/inv");
    /* The authority ends at the last '@'; a port's ':' is not a password. */
    shown("postgresql://u:p%40ss@[::1]:5432/inv?sslmode=require",
          "postgresql://u:***@[::1]:5432/inv?sslmode=require");
    shown("postgresql://[::1]:5432/inv", "postgresql://[::1]:5432/inv");
    shown("postgresql://u:p@db1,db2/inv?target_session_attrs=read-write",
          "postgresql://u:***@db1,db2/inv?target_session_attrs=read-write");
    shown("postgresql:///inv?host=/tmp&password=secreto&user=u",
          "postgresql:///inv?host=/tmp&password=***&user=u");
    shown("postgres://x?password=a&password=b", "postgres://x?password=***&password=***");
    shown("postgresql://", "postgresql://");
    shown("postgresql://u:p@", "postgresql://u:***@");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_uri),
        cmocka_unit_test(test_shown_hides_passwords_only),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
