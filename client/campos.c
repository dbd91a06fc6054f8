/* campos.c - checking typed fields; see campos.h. */
#include "campos.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validar.h"

bool
campo_texto(const char *campo, enum validar_error e, size_t len, size_t max,
            char *why, size_t n)
{
    if (e == VALIDO) {
        snprintf(why, n, "%s", "");
        return true;
    }
    if (e == V_LARGO)
        /* The limit is in bytes: say both figures, and why a shorter
         * looking text can be over it. */
        snprintf(why, n, "%s %s: como mucho %zu bytes; este tiene %zu (una letra "
                 "con tilde o una ñ ocupa 2 bytes, otros caracteres hasta 4).",
                 campo, validar_mensaje(e), max, len);
    else
        snprintf(why, n, "%s %s.", campo, validar_mensaje(e));
    return false;
}

/* "El id" + "no puede estar vacío" + "." */
static bool
decir(const char *campo, enum validar_error e, size_t len, size_t max, char *why,
      size_t n)
{
    return campo_texto(campo, e, len, max, why, n);
}

bool
campo_id(const char *s, char *why, size_t n)
{
    return decir("El id", validar_id(s, strlen(s)), strlen(s), VALIDAR_ID_MAX, why, n);
}

bool
campo_id_opcional(const char *s, char *why, size_t n)
{
    return decir("El id", validar_id_opcional(s, strlen(s)), strlen(s), VALIDAR_ID_MAX,
                 why, n);
}

bool
campo_nombre(const char *s, char *why, size_t n)
{
    return decir("El nombre", validar_nombre(s, strlen(s)), strlen(s),
                 VALIDAR_NOMBRE_MAX, why, n);
}

bool
campo_motivo(const char *s, char *why, size_t n)
{
    return decir("El motivo", validar_texto(s, strlen(s)), strlen(s), VALIDAR_TEXTO_MAX,
                 why, n);
}

bool
campo_clave(const char *s, char *why, size_t n)
{
    size_t len = strlen(s);

    return decir("El valor de --clave", len == 0 ? V_VACIO : validar_texto(s, len), len,
                 VALIDAR_TEXTO_MAX, why, n);
}

/*
 * The integer in s, blanks around it allowed, a sign allowed, nothing else:
 * strtoll alone would accept "12abc", an empty string or a hex prefix.
 * False if it is not one or falls outside [min, max].
 */
static bool
entero(const char *s, long long min, long long max, long long *out)
{
    const char *p = s;
    char *end;
    long long v;

    while (isblank((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    while (isblank((unsigned char)*end))
        end++;
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool
campo_stock(const char *s, int32_t *out, char *why, size_t n)
{
    long long v;

    if (!entero(s, 0, INT32_MAX, &v))
        return decir("El stock", V_RANGO, 0, 0, why, n);
    *out = (int32_t)v;
    return decir("El stock", VALIDO, 0, 0, why, n);
}

bool
campo_delta(const char *s, int32_t *out, char *why, size_t n)
{
    long long v;

    if (!entero(s, INT32_MIN, INT32_MAX, &v)) {
        snprintf(why, n, "La cantidad debe ser un número entero entre "
                 "-2147483648 y 2147483647 (positivo si entra mercancía, "
                 "negativo si sale).");
        return false;
    }
    *out = (int32_t)v;
    snprintf(why, n, "%s", "");
    return true;
}

bool
campo_seq(const char *s, uint64_t *out, char *why, size_t n)
{
    const char *p = s;
    char *end;
    unsigned long long v;

    while (isblank((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        goto mal;
    errno = 0;
    v = strtoull(p, &end, 10);
    while (isblank((unsigned char)*end))
        end++;
    if (errno != 0 || *end != '\0')
        goto mal;
    *out = (uint64_t)v;
    snprintf(why, n, "%s", "");
    return true;
mal:
    snprintf(why, n, "El número de movimiento debe ser un entero entre 0 y "
             "%" PRIu64 ".", UINT64_MAX);
    return false;
}

bool
campo_cuantos(const char *s, uint32_t *out, char *why, size_t n)
{
    long long v;

    if (!entero(s, 1, CAMPO_CUANTOS_MAX, &v)) {
        snprintf(why, n, "El número de movimientos debe ser un entero entre 1 y %d.",
                 CAMPO_CUANTOS_MAX);
        return false;
    }
    *out = (uint32_t)v;
    snprintf(why, n, "%s", "");
    return true;
}
