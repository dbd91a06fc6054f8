/* test_unidades.c - unit tests of inventario-stress's pure modules: histogram, mix, id table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "histo.h"
#include "mezcla.h"
#include "tabla.h"
#include "util.h"

/* The exact q-quantile of 1..n (rank rounded up), for comparison. */
static uint64_t
exacto(uint64_t n, double q)
{
    uint64_t r = (uint64_t)(q * (double)n);

    return r < q * (double)n ? r + 1 : (r ? r : 1);
}

static void
histo_percentiles_within_3_percent_never_below(void **state)
{
    static const double qs[] = { 0.5, 0.9, 0.95, 0.99, 0.999, 1.0 };
    struct histo *h = malloc(sizeof *h);
    const uint64_t n = 200000;

    (void)state;
    assert_non_null(h);
    histo_init(h);
    for (uint64_t v = 1; v <= n; v++)
        histo_anotar(h, v * 1000);          /* 1 us .. 200 ms */
    assert_int_equal(h->n, n);
    assert_int_equal(h->min, 1000);
    assert_int_equal(h->max, n * 1000);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        uint64_t want = exacto(n, qs[i]) * 1000, got = histo_percentil(h, qs[i]);

        assert_true(got >= want);
        assert_true((double)got <= (double)want * 1.035);
    }
    free(h);
}

static void
histo_small_values_are_exact_and_merge_adds(void **state)
{
    struct histo *a = malloc(sizeof *a), *b = malloc(sizeof *b);

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    histo_init(a);
    histo_init(b);
    assert_int_equal(histo_percentil(a, 0.99), 0);
    for (uint64_t v = 0; v < 10; v++)
        histo_anotar(a, v);
    histo_anotar(b, 5000000000ull);         /* 5 s, in a high bucket */
    histo_sumar(a, b);
    assert_int_equal(a->n, 11);
    assert_int_equal(a->min, 0);
    assert_int_equal(a->max, 5000000000ull);
    assert_int_equal(histo_percentil(a, 0.5), 5);
    assert_int_equal(histo_percentil(a, 1.0), 5000000000ull);
    histo_anotar(a, UINT64_MAX / 2);        /* past the range: last bucket */
    assert_int_equal(histo_percentil(a, 1.0), UINT64_MAX / 2);
    free(a);
    free(b);
}

static void
mezcla_parses_and_refuses(void **state)
{
    struct mezcla m;
    char err[160];

    (void)state;
    assert_true(mezcla_parse("obtener=60,actualizar=20,null=0", &m, err, sizeof err));
    assert_int_equal(m.total, 80);
    assert_int_equal(m.peso[OP_OBTENER], 60);
    assert_int_equal(mezcla_version(&m), 1);
    assert_true(mezcla_parse("ajustar=1", &m, err, sizeof err));
    assert_int_equal(mezcla_version(&m), 2);
    assert_false(mezcla_parse("obtener", &m, err, sizeof err));
    assert_false(mezcla_parse("volar=1", &m, err, sizeof err));
    assert_false(mezcla_parse("obtener=-1", &m, err, sizeof err));
    assert_false(mezcla_parse("obtener=1,obtener=2", &m, err, sizeof err));
    assert_false(mezcla_parse("obtener=0", &m, err, sizeof err));
    assert_false(mezcla_parse("", &m, err, sizeof err));
}

static void
mezcla_picks_in_proportion(void **state)
{
    struct mezcla m;
    struct azar a;
    unsigned cuenta[OP_N] = { 0 };
    char err[160];

    (void)state;
    assert_true(mezcla_parse("obtener=3,actualizar=1,eliminar=0", &m, err, sizeof err));
    azar_init(&a, 42);
    for (int i = 0; i < 40000; i++)
        cuenta[mezcla_elegir(&m, &a)]++;
    assert_int_equal(cuenta[OP_ELIMINAR], 0);
    assert_int_equal(cuenta[OP_OBTENER] + cuenta[OP_ACTUALIZAR], 40000);
    assert_in_range(cuenta[OP_OBTENER], 29000, 31000);
}

static void
tabla_grows_and_finds(void **state)
{
    struct tabla *t = tabla_nueva();
    char id[32];

    (void)state;
    assert_non_null(t);
    for (int i = 0; i < 5000; i++) {
        struct tabla_valor *v;

        snprintf(id, sizeof id, "p%05d", i);
        assert_non_null(v = tabla_entrada(t, id));
        v->presente = true;
        v->stock = i;
    }
    for (int i = 0; i < 5000; i++) {
        const struct tabla_valor *v;

        snprintf(id, sizeof id, "p%05d", i);
        assert_non_null(v = tabla_buscar(t, id));
        assert_int_equal(v->stock, i);
    }
    assert_null(tabla_buscar(t, "nunca"));
    tabla_libre(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(histo_percentiles_within_3_percent_never_below),
        cmocka_unit_test(histo_small_values_are_exact_and_merge_adds),
        cmocka_unit_test(mezcla_parses_and_refuses),
        cmocka_unit_test(mezcla_picks_in_proportion),
        cmocka_unit_test(tabla_grows_and_finds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
