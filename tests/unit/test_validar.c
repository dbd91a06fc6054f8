/* test_validar.c - the contract's input rules, byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "validar.h"

#define ID(lit) validar_id(lit, sizeof(lit) - 1)
#define NOMBRE(lit) validar_nombre(lit, sizeof(lit) - 1)
#define TEXTO(lit) validar_texto(lit, sizeof(lit) - 1)

static void
test_id_valid(void **state)
{
    (void)state;
    assert_int_equal(ID("a"), VALIDO);
    assert_int_equal(ID("TV-55\" 4K"), VALIDO);
    assert_int_equal(ID("cámara"), VALIDO);
    assert_int_equal(ID("a b"), VALIDO);                 /* inner space */
    assert_int_equal(ID("\xF0\x9F\x93\xB7"), VALIDO);    /* U+1F4F7, 4 bytes */
    assert_int_equal(ID("\xEF\xBF\xBD"), VALIDO);        /* U+FFFD */
    assert_int_equal(ID("\xF4\x8F\xBF\xBF"), VALIDO);    /* U+10FFFF */
    assert_int_equal(ID("x\xC2\xA0x"), VALIDO);          /* U+00A0 inside, not C1 */
    assert_int_equal(ID("a\xE2\x80\x83" "b"), VALIDO);       /* U+2003 inside */
    assert_int_equal(ID("\xD8\xA7"), VALIDO);              /* U+0627, Arabic alef */
}

static void
test_id_length(void **state)
{
    char buf[300];

    (void)state;
    assert_int_equal(validar_id("", 0), V_VACIO);
    assert_int_equal(validar_id(NULL, 0), V_VACIO);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(validar_id(buf, 64), VALIDO);
    assert_int_equal(validar_id(buf, 65), V_LARGO);
    assert_int_equal(validar_nombre(buf, 256), VALIDO);
    assert_int_equal(validar_nombre(buf, 257), V_LARGO);
    /* The limit is in bytes: 32 two-byte letters fit, 33 do not. */
    for (int i = 0; i < 33; i++)
        memcpy(buf + 2 * i, "\xC3\xA1", 2);
    assert_int_equal(validar_id(buf, 64), VALIDO);
    assert_int_equal(validar_id(buf, 66), V_LARGO);
}

static void
test_controls(void **state)
{
    (void)state;
    assert_int_equal(ID("a\0b"), V_CONTROL);              /* embedded NUL */
    assert_int_equal(ID("\0"), V_CONTROL);
    assert_int_equal(ID("a\tb"), V_CONTROL);
    assert_int_equal(ID("a\nb"), V_CONTROL);
    assert_int_equal(ID("a\x1F"), V_CONTROL);
    assert_int_equal(ID("a\x7F"), V_CONTROL);             /* DEL */
    assert_int_equal(ID("a\xC2\x80"), V_CONTROL);         /* U+0080, C1 */
    assert_int_equal(ID("a\xC2\x9F"), V_CONTROL);         /* U+009F, C1 */
    assert_int_equal(TEXTO("venta\r"), V_CONTROL);
    assert_int_equal(NOMBRE("x\x1B[31m"), V_CONTROL);     /* terminal escape */
}

static void
test_malformed_utf8(void **state)
{
    (void)state;
    assert_int_equal(ID("\xC0\xAF"), V_UTF8);             /* overlong '/' */
    assert_int_equal(ID("\xC1\xBF"), V_UTF8);             /* overlong */
    assert_int_equal(ID("\xE0\x80\xAF"), V_UTF8);         /* overlong 3-byte */
    assert_int_equal(ID("\xF0\x80\x80\xAF"), V_UTF8);     /* overlong 4-byte */
    assert_int_equal(ID("\xED\xA0\x80"), V_UTF8);         /* U+D800 surrogate */
    assert_int_equal(ID("\xED\xBF\xBF"), V_UTF8);         /* U+DFFF surrogate */
    assert_int_equal(ID("\xF4\x90\x80\x80"), V_UTF8);     /* past U+10FFFF */
    assert_int_equal(ID("\xF5\x80\x80\x80"), V_UTF8);
    assert_int_equal(ID("\xFF"), V_UTF8);
    assert_int_equal(ID("\x80"), V_UTF8);                 /* lone continuation */
    assert_int_equal(ID("a\xC3"), V_UTF8);                /* cut short */
    assert_int_equal(ID("a\xE2\x82"), V_UTF8);
    assert_int_equal(ID("\xC3\x28"), V_UTF8);             /* bad continuation */
}

static void
test_spaces(void **state)
{
    (void)state;
    assert_int_equal(ID(" a"), V_ESPACIOS);
    assert_int_equal(ID("a "), V_ESPACIOS);
    assert_int_equal(ID(" "), V_ESPACIOS);
    assert_int_equal(NOMBRE("Cámara 4K "), V_ESPACIOS);
    assert_int_equal(NOMBRE("\tCámara"), V_CONTROL);      /* tab: a control */
    assert_int_equal(NOMBRE("Cámara de fotos"), VALIDO);
    /* Free text may have them (only controls and bad UTF-8 are refused). */
    assert_int_equal(TEXTO(" venta "), VALIDO);
}

/* Format characters (Cf) anywhere, and non-ASCII spaces (Zs) at either
 * end, would let two ids look identical on screen. */
static void
test_invisible(void **state)
{
    (void)state;
    assert_int_equal(ID("a\xE2\x80\xAE" "b"), V_INVISIBLE);   /* U+202E RLO */
    assert_int_equal(ID("\xE2\x80\xAE" "abc"), V_INVISIBLE);
    assert_int_equal(ID("a\xE2\x80\x8B" "b"), V_INVISIBLE);   /* U+200B ZWSP */
    assert_int_equal(ID("\xEF\xBB\xBF" "a"), V_INVISIBLE); /* U+FEFF BOM */
    assert_int_equal(ID("a\xEF\xBB\xBF"), V_INVISIBLE);
    assert_int_equal(ID("a\xC2\xAD" "b"), V_INVISIBLE);        /* U+00AD soft hyphen */
    assert_int_equal(ID("a\xE2\x81\xA0" "b"), V_INVISIBLE);   /* U+2060 word joiner */
    assert_int_equal(ID("a\xE2\x81\xA6" "b"), V_INVISIBLE);   /* U+2066 LRI */
    assert_int_equal(ID("a\xE2\x80\x8F" "b"), V_INVISIBLE);   /* U+200F RLM */
    assert_int_equal(ID("a\xF3\xA0\x80\x81"), V_INVISIBLE); /* U+E0001 tag */
    assert_int_equal(NOMBRE("Cámara\xE2\x80\x8D" "4K"), V_INVISIBLE); /* ZWJ */
    assert_int_equal(validar_id_opcional("\xE2\x80\xAE", 3), V_INVISIBLE);
    /* Free text is not shown as an id: only controls are refused there. */
    assert_int_equal(TEXTO("a\xE2\x80\x8B" "b"), VALIDO);
}

static void
test_unicode_spaces(void **state)
{
    (void)state;
    assert_int_equal(ID("a\xC2\xA0"), V_ESPACIOS);          /* trailing U+00A0 */
    assert_int_equal(ID("\xC2\xA0" "a"), V_ESPACIOS);       /* leading U+00A0 */
    assert_int_equal(ID("a\xE2\x80\x80"), V_ESPACIOS);     /* U+2000 */
    assert_int_equal(ID("a\xE2\x80\x8A"), V_ESPACIOS);     /* U+200A */
    assert_int_equal(ID("\xE3\x80\x80" "a"), V_ESPACIOS);  /* U+3000 */
    assert_int_equal(ID("\xE2\x80\xAF" "a"), V_ESPACIOS);  /* U+202F */
    assert_int_equal(ID("\xC2\xA0"), V_ESPACIOS);
    assert_int_equal(NOMBRE("Cámara\xC2\xA0"), V_ESPACIOS);
    assert_int_equal(validar_id_opcional("x\xC2\xA0", 3), V_ESPACIOS);
}

static void
test_texto(void **state)
{
    char buf[65];

    (void)state;
    assert_int_equal(validar_texto("", 0), VALIDO);
    assert_int_equal(validar_texto(NULL, 0), VALIDO);
    memset(buf, 'k', sizeof buf);
    assert_int_equal(validar_texto(buf, 64), VALIDO);
    assert_int_equal(validar_texto(buf, 65), V_LARGO);
    assert_int_equal(TEXTO("devolución"), VALIDO);
    assert_int_equal(TEXTO("\xC0\x80"), V_UTF8);
    assert_int_equal(validar_id_opcional("", 0), VALIDO);
    assert_int_equal(validar_id_opcional(" x", 2), V_ESPACIOS);
    assert_int_equal(validar_id_opcional("x", 1), VALIDO);
}

static void
test_stock(void **state)
{
    (void)state;
    assert_int_equal(validar_stock(0), VALIDO);
    assert_int_equal(validar_stock(2147483647), VALIDO);
    assert_int_equal(validar_stock(-1), V_RANGO);
    assert_int_equal(validar_stock(2147483648LL), V_RANGO);
    assert_int_equal(validar_stock(INT64_MIN), V_RANGO);
}

static void
test_corte_utf8(void **state)
{
    const char *s = "ab\xC3\xA1" "cd";          /* "abácd", á at bytes 2-3 */

    (void)state;
    assert_int_equal(validar_corte_utf8(s, 6, 10), 6);
    assert_int_equal(validar_corte_utf8(s, 6, 4), 4);
    assert_int_equal(validar_corte_utf8(s, 6, 3), 2);   /* not inside á */
    assert_int_equal(validar_corte_utf8(s, 6, 2), 2);
    assert_int_equal(validar_corte_utf8(s, 6, 0), 0);
}

static void
test_messages(void **state)
{
    (void)state;
    assert_string_equal(validar_mensaje(V_VACIO), "no puede estar vacío");
    assert_string_equal(validar_mensaje(V_CONTROL), "contiene caracteres de control");
    assert_non_null(validar_mensaje((enum validar_error)999));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_id_length),
        cmocka_unit_test(test_controls),
        cmocka_unit_test(test_malformed_utf8),
        cmocka_unit_test(test_spaces),
        cmocka_unit_test(test_invisible),
        cmocka_unit_test(test_unicode_spaces),
        cmocka_unit_test(test_texto),
        cmocka_unit_test(test_stock),
        cmocka_unit_test(test_corte_utf8),
        cmocka_unit_test(test_messages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
