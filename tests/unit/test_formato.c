/* test_formato.c - what the client shows: widths, UTF-8, escapes, sentences. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "formato.h"

/* What f wrote, as a string (the caller frees it). */
struct captura {
    char  *buf;
    size_t len;
    FILE  *f;
};

static FILE *
abrir(struct captura *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    return c->f;
}

static char *
cerrar(struct captura *c)
{
    assert_int_equal(fclose(c->f), 0);
    return c->buf;
}

/* formato_texto(s) as a string. */
static char *
texto(const char *s)
{
    struct captura c;

    formato_texto(abrir(&c), s);
    return cerrar(&c);
}

/* The columns a terminal gives to s as it is (no escapes). */
static size_t
columnas(const char *s)
{
    wchar_t w[512];
    size_t n = mbstowcs(w, s, sizeof w / sizeof w[0]);

    assert_true(n != (size_t)-1);
    return (size_t)wcswidth(w, n);
}

/* formato_texto shows entrada as esperado, and formato_ancho counts the
 * columns of what it shows. */
#define ASSERT_TEXTO(entrada, esperado)                                       \
    do {                                                                      \
        char *t_ = texto(entrada);                                            \
        assert_string_equal(t_, esperado);                                    \
        assert_int_equal(formato_ancho(entrada), columnas(esperado));         \
        free(t_);                                                             \
    } while (0)

static void
test_anchos(void **state)
{
    (void)state;
    assert_int_equal(formato_ancho(""), 0);
    assert_int_equal(formato_ancho("Radio"), 5);
    assert_int_equal(formato_ancho("Cámara"), 6);             /* 7 bytes */
    assert_int_equal(formato_ancho("漢字"), 4);                /* 2 columns each */
    assert_int_equal(formato_ancho("e\xCC\x81"), 1);          /* e + combining acute */
    assert_int_equal(formato_ancho("\xF0\x9F\x93\xB7"), 2);   /* U+1F4F7, wide */
    /* Escapes take the columns of their text. */
    assert_int_equal(formato_ancho("a\xE2\x80\xAE" "b"), 8);   /* a\u202eb */
    assert_int_equal(formato_ancho("\\"), 2);
    assert_int_equal(formato_ancho("\xFF"), 4);
    assert_int_equal(formato_ancho("\xF3\xA0\x80\x81"), 10);  /* \U000e0001 */
}

static void
test_texto_visible_tal_cual(void **state)
{
    (void)state;
    ASSERT_TEXTO("Cámara réflex 漢字 \xF0\x9F\x93\xB7", "Cámara réflex 漢字 \xF0\x9F\x93\xB7");
    ASSERT_TEXTO("TV-55\" 4K", "TV-55\" 4K");
    ASSERT_TEXTO("e\xCC\x81", "e\xCC\x81");                   /* combining: visible */
}

static void
test_invisibles_y_bidi_escapados(void **state)
{
    (void)state;
    ASSERT_TEXTO("A\xE2\x80\xAE" "1", "A\\u202e1");            /* RIGHT-TO-LEFT OVERRIDE */
    ASSERT_TEXTO("A\xE2\x80\x8B" "1", "A\\u200b1");            /* ZERO WIDTH SPACE */
    ASSERT_TEXTO("\xEF\xBB\xBF" "A", "\\ufeffA");              /* BOM */
    ASSERT_TEXTO("A\xC2\xA0", "A\\u00a0");                     /* NO-BREAK SPACE */
    ASSERT_TEXTO("A\xE3\x80\x80" "B", "A\\u3000B");            /* IDEOGRAPHIC SPACE */
    ASSERT_TEXTO("A\xC2\xAD" "B", "A\\u00adB");                /* SOFT HYPHEN */
    ASSERT_TEXTO("A\xE2\x81\xA6" "B", "A\\u2066B");            /* LEFT-TO-RIGHT ISOLATE */
    ASSERT_TEXTO("A\xE2\x80\xA8" "B", "A\\u2028B");            /* LINE SEPARATOR */
    ASSERT_TEXTO("A\xEF\xB8\x8F", "A\\ufe0f");                 /* VARIATION SELECTOR-16 */
    ASSERT_TEXTO("A\xF3\xA0\x80\x81", "A\\U000e0001");         /* LANGUAGE TAG */
}

static void
test_controles_y_bytes_malos(void **state)
{
    struct captura c;
    char *t;

    (void)state;
    ASSERT_TEXTO("x\x1b[2J", "x\\u001b[2J");
    ASSERT_TEXTO("a\tb\n", "a\\u0009b\\u000a");
    ASSERT_TEXTO("\x7f", "\\u007f");
    ASSERT_TEXTO("\xC2\x85", "\\u0085");                       /* C1 NEL */
    ASSERT_TEXTO("a\xFF" "b", "a\\xffb");
    ASSERT_TEXTO("\xC0\xAF", "\\xc0\\xaf");                    /* overlong '/' */
    ASSERT_TEXTO("\xED\xA0\x80", "\\xed\\xa0\\x80");           /* a surrogate */
    ASSERT_TEXTO("\xE2\x80", "\\xe2\\x80");                    /* cut short */
    /* A backslash is doubled, so that no text can fake an escape. */
    ASSERT_TEXTO("A\\u202e1", "A\\\\u202e1");
    /* formato_texto_n sees a NUL byte. */
    formato_texto_n(abrir(&c), "a\0b", 3);
    t = cerrar(&c);
    assert_string_equal(t, "a\\u0000b");
    free(t);
}

static void
test_relleno(void **state)
{
    struct captura c;
    char *t;

    (void)state;
    formato_relleno(abrir(&c), "é", 3, false);
    t = cerrar(&c);
    assert_string_equal(t, "é  ");
    free(t);
    formato_relleno(abrir(&c), "漢", 4, true);
    t = cerrar(&c);
    assert_string_equal(t, "  漢");
    free(t);
    formato_relleno(abrir(&c), "a\xE2\x80\xAE", 8, true);       /* 7 columns shown */
    t = cerrar(&c);
    assert_string_equal(t, " a\\u202e");
    free(t);
    formato_relleno(abrir(&c), "larguísimo", 3, false);        /* never cut */
    t = cerrar(&c);
    assert_string_equal(t, "larguísimo");
    free(t);
}

static void
test_tabla_alineada_por_columnas(void **state)
{
    producto v[] = {
        { .id = "A1", .nombre = "Cámara", .stock = 3 },
        { .id = "B\xE2\x80\x8B" "2", .nombre = "漢字", .stock = 12 },
    };
    struct captura c;
    char *t;

    (void)state;
    formato_productos(abrir(&c), v, 2);
    t = cerrar(&c);
    assert_string_equal(t,
        "Id        Nombre  Stock\n"
        "--------  ------  -----\n"
        "A1        Cámara      3\n"
        "B\\u200b2  漢字       12\n"
        "2 productos.\n");
    free(t);
}

static void
test_frases_con_una_sola_causa(void **state)
{
    char buf[512];

    (void)state;
    formato_fallo_causa(buf, sizeof buf, RES_INVALIDO, OP_AJUSTAR, "A1", CAUSA_DESBORDA, "");
    assert_non_null(strstr(buf, "pasaría de 2147483647"));
    assert_null(strstr(buf, "clave"));
    formato_fallo_causa(buf, sizeof buf, RES_INVALIDO, OP_AJUSTAR, "A1", CAUSA_CLAVE_USADA,
                        "");
    assert_non_null(strstr(buf, "esa clave ya se usó en un ajuste distinto"));
    assert_null(strstr(buf, "2147483647"));
    formato_fallo_causa(buf, sizeof buf, RES_INVALIDO, OP_AJUSTAR, "A1",
                        CAUSA_DESCONOCIDA, "");
    assert_non_null(strstr(buf, "no se pudo averiguar cuál"));
    formato_fallo_causa(buf, sizeof buf, RES_ERROR_INTERNO, OP_AGREGAR, "A1",
                        CAUSA_ALMACEN_CAIDO, "");
    assert_non_null(strstr(buf, "ha perdido su base de datos"));
    formato_fallo_causa(buf, sizeof buf, RES_ERROR_INTERNO, OP_AGREGAR, "A1",
                        CAUSA_DESCONOCIDA, "");
    assert_non_null(strstr(buf, "disco lleno"));
    assert_non_null(strstr(buf, "conexión con ella perdida"));
    /* The transport's sentence wins: the server did not answer. */
    formato_fallo_causa(buf, sizeof buf, RES_ERROR_INTERNO, OP_AGREGAR, "A1",
                        CAUSA_DESCONOCIDA, "El servidor no responde.");
    assert_string_equal(buf, "El servidor no responde.");
}

static void
test_estado_con_el_almacen_caido(void **state)
{
    struct conexion_opts o = { .host = "localhost", .programa = 0x40000000,
                               .espera_ms = 1000 };
    struct conexion *con = conexion_nueva(&o);     /* no I/O here */
    estado_servidor e = { .release = "1.0.0", .productos = 0, .ultimo_seq = 42,
                          .almacen_ok = false };
    struct captura c;
    json_t *j;
    char *t;

    (void)state;
    assert_non_null(con);
    formato_estado(abrir(&c), &e, con);
    t = cerrar(&c);
    assert_non_null(strstr(t, "Productos:            desconocido\n"));
    assert_non_null(strstr(t, "Último movimiento:    42 (último dato conocido)\n"));
    assert_non_null(strstr(t, "NO RESPONDE"));
    free(t);
    j = formato_json_estado(&e, con);
    assert_true(json_is_null(json_object_get(j, "productos")));
    assert_int_equal(json_integer_value(json_object_get(j, "ultimo_seq")), 42);
    json_decref(j);
    e.almacen_ok = true;                            /* 0 is then a real 0 */
    formato_estado(abrir(&c), &e, con);
    t = cerrar(&c);
    assert_non_null(strstr(t, "Productos:            0\n"));
    free(t);
    conexion_liberar(con);
}

static void
test_json_exacto(void **state)
{
    json_t *j;

    (void)state;
    j = formato_json_cadena("A\xE2\x80\xAE" "1\\");             /* exact in JSON */
    assert_string_equal(json_string_value(j), "A\xE2\x80\xAE" "1\\");
    json_decref(j);
    j = formato_json_cadena("a\xFF" "b");                      /* bad bytes: '?' */
    assert_string_equal(json_string_value(j), "a?b");
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anchos),
        cmocka_unit_test(test_texto_visible_tal_cual),
        cmocka_unit_test(test_invisibles_y_bidi_escapados),
        cmocka_unit_test(test_controles_y_bytes_malos),
        cmocka_unit_test(test_relleno),
        cmocka_unit_test(test_tabla_alineada_por_columnas),
        cmocka_unit_test(test_frases_con_una_sola_causa),
        cmocka_unit_test(test_estado_con_el_almacen_caido),
        cmocka_unit_test(test_json_exacto),
    };

    /* Widths come from the locale, as in the client (main.c). */
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
