/* lectura.c - reading a JSON file to import, in Spanish; see lectura.h. */
#include "lectura.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *
lectura_nombre(const char *ruta)
{
    return strcmp(ruta, "-") == 0 ? "entrada estándar" : ruta;
}

/* jansson's errors by the start of their English text (its load.c, 2.14),
 * and what they are in Spanish.  "']' expected" comes after an element
 * that is followed by anything but ',' or ']'. */
static const struct {
    const char *ingles, *espanol;
} sintaxis[] = {
    { "'[' or '{' expected", "se esperaba '[' o '{'" },
    { "string or '}' expected", "se esperaba un texto entre comillas o '}'" },
    { "':' expected", "se esperaba ':'" },
    { "'}' expected", "se esperaba ',' o '}'" },
    { "']' expected", "se esperaba ',' o ']'" },
    { "end of file expected", "sobra texto después del final" },
    { "unexpected newline", "salto de línea dentro de un texto" },
    { "premature end of input", "el texto acaba antes de tiempo" },
    { "control character", "carácter de control dentro de un texto" },
    { "invalid escape", "secuencia de escape no válida" },
    { "invalid Unicode", "escape Unicode no válido" },
    { "invalid UTF-8", "no es texto UTF-8 válido" },
    { "too big integer", "número entero demasiado grande" },
    { "too big negative integer", "número entero demasiado grande" },
    { "real number overflow", "número demasiado grande" },
    { "maximum parsing depth reached", "demasiados niveles anidados" },
    { "duplicate object key", "clave repetida en un objeto" },
    { "\\u0000 is not allowed", "carácter NUL no permitido" },
    { "NUL byte in object key", "carácter NUL en una clave" },
    { "invalid token", "símbolo no válido" },
    { "unexpected token", "símbolo inesperado" },
};

/* The Spanish for jansson's error e, with where it was ("cerca de 'x'",
 * "al final del archivo") when jansson said. */
static void
traducir(const json_error_t *e, char *buf, size_t n)
{
    const char *que = "error de sintaxis", *cerca = strstr(e->text, " near ");

    for (size_t i = 0; i < sizeof sintaxis / sizeof sintaxis[0]; i++)
        if (strncmp(e->text, sintaxis[i].ingles, strlen(sintaxis[i].ingles)) == 0) {
            que = sintaxis[i].espanol;
            break;
        }
    if (json_error_code(e) == json_error_out_of_memory)
        que = "no hay memoria";
    if (cerca == NULL)
        snprintf(buf, n, "%s", que);
    else if (strcmp(cerca, " near end of file") == 0)
        snprintf(buf, n, "%s, al final del archivo", que);
    else
        snprintf(buf, n, "%s, cerca de %s", que, cerca + strlen(" near "));
}

enum resultado
lectura_json(const char *ruta, json_t **j, char *frase, size_t n)
{
    bool entrada = strcmp(ruta, "-") == 0;
    const char *nombre = lectura_nombre(ruta);
    enum resultado r = RES_OK;
    json_error_t e;
    struct stat st;
    char que[256];
    FILE *f = entrada ? stdin : fopen(ruta, "r");

    *j = NULL;
    if (f == NULL) {
        snprintf(frase, n, "No se puede abrir %s: %s. No se importó nada.", nombre,
                 strerror(errno));
        return RES_ARCHIVO;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(frase, n, "%s es una carpeta, no un archivo. No se importó nada.",
                 nombre);
        r = RES_ARCHIVO;
        goto out;
    }
    errno = 0;
    *j = json_loadf(f, JSON_ALLOW_NUL, &e);
    if (ferror(f)) {
        snprintf(frase, n, "No se pudo leer %s: %s. No se importó nada.", nombre,
                 strerror(errno != 0 ? errno : EIO));
        r = RES_ARCHIVO;
    } else if (*j == NULL) {
        traducir(&e, que, sizeof que);
        snprintf(frase, n, "%s no es JSON válido: %s (línea %d, columna %d). No se "
                 "importó nada.", nombre, que, e.line, e.column);
        r = RES_INVALIDO;
    }
out:
    if (r != RES_OK) {
        json_decref(*j);
        *j = NULL;
    }
    if (!entrada)
        fclose(f);
    return r;
}
