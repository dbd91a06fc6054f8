/* campos.c - checking typed fields; see campos.h. */
#include "campos.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validar.h"

/* "El id" + "no puede estar vacío" + "." */
static bool
decir(const char *campo, enum validar_error e, char *why, size_t n)
{
    if (e == VALIDO) {
        snprintf(why, n, "%s", "");
        return true;
    }
    snprintf(why, n, "%s %s.", campo, validar_mensaje(e));
    return false;
}

bool
campo_id(const char *s, char *why, size_t n)
{
    return decir("El id", validar_id(s, strlen(s)), why, n);
}

bool
campo_id_opcional(const char *s, char *why, size_t n)
{
    return decir("El id", validar_id_opcional(s, strlen(s)), why, n);
}

bool
campo_nombre(const char *s, char *why, size_t n)
{
    return decir("El nombre", validar_nombre(s, strlen(s)), why, n);
}

bool
campo_motivo(const char *s, char *why, size_t n)
{
    return decir("El motivo", validar_texto(s, strlen(s)), why, n);
}

bool
campo_clave(const char *s, char *why, size_t n)
{
    size_t len = strlen(s);

    return decir("El valor de --clave", len == 0 ? V_VACIO : validar_texto(s, len), why, n);
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
        return decir("El stock", V_RANGO, why, n);
    *out = (int32_t)v;
    return decir("El stock", VALIDO, why, n);
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
