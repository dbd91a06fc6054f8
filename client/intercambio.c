/* intercambio.c - the inventory in and out as one JSON file; see intercambio.h. */
#include "intercambio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "formato.h"
#include "operaciones.h"
#include "validar.h"

#define FRASE 1024

/* -- export ------------------------------------------------------------------ */

/* Writes j to ruta through a temporary file in the same folder, synced and
 * renamed over it, so a reader never sees half a file.  0 or an errno. */
static int
escribir_archivo(const char *ruta, const json_t *j)
{
    static const char sufijo[] = ".XXXXXX";
    size_t len = strlen(ruta);
    char *tmp = malloc(len + sizeof sufijo);
    int fd, err = 0;
    mode_t m;

    if (tmp == NULL)
        return ENOMEM;
    memcpy(tmp, ruta, len);
    memcpy(tmp + len, sufijo, sizeof sufijo);
    if ((fd = mkstemp(tmp)) < 0) {
        err = errno;
        goto out;
    }
    /* mkstemp makes it private; an export is as readable as any new file. */
    m = umask(0);
    umask(m);
    errno = 0;
    if (fchmod(fd, 0666 & ~m) < 0 || json_dumpfd(j, fd, JSON_INDENT(2)) < 0 ||
        write(fd, "\n", 1) != 1 || fsync(fd) < 0)
        err = errno != 0 ? errno : EIO;
    if (close(fd) < 0 && err == 0)
        err = errno;
    if (err == 0 && rename(tmp, ruta) < 0)
        err = errno;
    if (err != 0)
        unlink(tmp);
out:
    free(tmp);
    return err;
}

static enum resultado
exportar_a(const struct salida *s, const char *ruta, const json_t *j, size_t n)
{
    char frase[FRASE];
    int err;

    if ((err = escribir_archivo(ruta, j)) != 0) {
        snprintf(frase, sizeof frase, "No se pudo escribir %s: %s. No se ha "
                 "cambiado el archivo.", ruta, strerror(err));
        acciones_fallo(s, RES_ERROR_INTERNO, frase);
        return RES_ERROR_INTERNO;
    }
    if (s->json) {
        (void)formato_json(stdout, json_pack("{s:I, s:o}", "exportados", (json_int_t)n,
                                             "archivo", formato_json_cadena(ruta)), false);
    } else {
        printf("Exportados %zu %s a ", n, n == 1 ? "producto" : "productos");
        formato_texto(stdout, ruta);
        fputs(".\n", stdout);
    }
    fflush(stdout);
    return RES_OK;
}

enum resultado
accion_exportar(const struct salida *s, const char *ruta)
{
    struct ops_lista l;
    char frase[FRASE];
    json_t *j = NULL;
    enum resultado r = ops_listar(s->con, &l);

    if (r != RES_OK) {
        formato_fallo(frase, sizeof frase, r, OP_LISTAR, NULL, s->con);
        acciones_fallo(s, r, frase);
        return r;
    }
    if ((j = formato_json_productos(l.v, l.n)) == NULL) {
        r = RES_ERROR_INTERNO;
        acciones_fallo(s, r, "No hay memoria para exportar el inventario.");
    } else if (ruta != NULL && strcmp(ruta, "-") != 0) {
        r = exportar_a(s, ruta, j, l.n);
    } else if (json_dumpf(j, stdout, JSON_INDENT(2)) < 0 || fputc('\n', stdout) == EOF ||
               fflush(stdout) == EOF) {
        r = RES_ERROR_INTERNO;
        acciones_fallo(s, r, "No se pudo escribir el inventario en la salida estándar.");
    }
    json_decref(j);
    ops_lista_liberar(&l);
    return r;
}

/* -- import ------------------------------------------------------------------ */

/* What an import did, entry by entry, for the report. */
struct informe {
    const char *ruta;
    size_t      total, agregados, existian, invalidos, errores;
    json_t     *j_agregados, *j_existian, *j_invalidos, *j_errores;
};

/* The list in ruta ("-": stdin), or NULL having said why. */
static json_t *
cargar(const struct salida *s, const char *ruta)
{
    bool entrada = strcmp(ruta, "-") == 0;
    char frase[FRASE];
    json_error_t e;
    json_t *j;
    FILE *f = entrada ? stdin : fopen(ruta, "r");

    if (f == NULL) {
        snprintf(frase, sizeof frase, "No se puede abrir %s: %s.", ruta, strerror(errno));
        acciones_fallo(s, RES_INVALIDO, frase);
        return NULL;
    }
    /* NUL inside a string is allowed here so that it reaches validation,
     * which refuses that entry alone, instead of failing the whole file. */
    j = json_loadf(f, JSON_ALLOW_NUL, &e);
    if (!entrada)
        fclose(f);
    if (j == NULL) {
        snprintf(frase, sizeof frase, "%s no es JSON válido: %s (línea %d, "
                 "columna %d). No se importó nada.", ruta, e.text, e.line, e.column);
    } else if (!json_is_array(j)) {
        snprintf(frase, sizeof frase, "%s no contiene una lista de productos "
                 "([{\"id\": ..., \"nombre\": ..., \"stock\": ...}]). No se "
                 "importó nada.", ruta);
        json_decref(j);
        j = NULL;
    }
    if (j == NULL)
        acciones_fallo(s, RES_INVALIDO, frase);
    return j;
}

/* A text member of an entry, checked by rule (with its length, so an
 * embedded NUL is seen); false with the sentence in why. */
static bool
texto_valido(json_t *e, const char *clave, const char *campo,
             enum validar_error (*regla)(const char *, size_t), char *why, size_t n)
{
    json_t *v = json_object_get(e, clave);
    enum validar_error err;

    if (!json_is_string(v)) {
        snprintf(why, n, "%s falta o no es un texto.", campo);
        return false;
    }
    err = regla(json_string_value(v), json_string_length(v));
    if (err != VALIDO)
        snprintf(why, n, "%s %s.", campo, validar_mensaje(err));
    return err == VALIDO;
}

static bool
entrada_valida(json_t *e, int32_t *stock, char *why, size_t n)
{
    json_t *st = json_object_get(e, "stock");

    if (!json_is_object(e)) {
        snprintf(why, n, "no es un objeto {\"id\", \"nombre\", \"stock\"}.");
        return false;
    }
    if (!texto_valido(e, "id", "El id", validar_id, why, n) ||
        !texto_valido(e, "nombre", "El nombre", validar_nombre, why, n))
        return false;
    if (!json_is_integer(st) || validar_stock(json_integer_value(st)) != VALIDO) {
        snprintf(why, n, "El stock %s.", validar_mensaje(V_RANGO));
        return false;
    }
    *stock = (int32_t)json_integer_value(st);
    return true;
}

/* Notes a rejected entry: invalid (server or client) or failed. */
static void
anotar_rechazo(const struct salida *s, struct informe *inf, size_t i, json_t *id,
               const char *motivo, bool invalido)
{
    json_t *j = json_pack("{s:I, s:O?, s:o}", "entrada", (json_int_t)(i + 1),
                          "id", json_is_string(id) ? id : NULL,
                          "motivo", formato_json_cadena(motivo));

    json_array_append_new(invalido ? inf->j_invalidos : inf->j_errores, j);
    if (invalido)
        inf->invalidos++;
    else
        inf->errores++;
    if (s->json)
        return;
    printf("  %s, entrada %zu", invalido ? "inválida" : "con error", i + 1);
    if (json_is_string(id)) {
        fputs(" (", stdout);
        formato_texto_n(stdout, json_string_value(id), json_string_length(id));
        fputc(')', stdout);
    }
    fputs(": ", stdout);
    formato_texto(stdout, motivo);
    fputc('\n', stdout);
}

static void
anotar(const struct salida *s, struct informe *inf, json_t *id, bool nuevo)
{
    json_array_append(nuevo ? inf->j_agregados : inf->j_existian, id);
    if (nuevo)
        inf->agregados++;
    else
        inf->existian++;
    if (s->json)
        return;
    fputs(nuevo ? "  añadido: " : "  ya existía: ", stdout);
    formato_texto(stdout, json_string_value(id));
    fputs(nuevo ? "\n" : " (no se ha modificado)\n", stdout);
}

/* Imports entry i.  Returns RES_OK to carry on, or the transport's outcome
 * (nothing more can be done without the server). */
static enum resultado
importar_una(const struct salida *s, struct informe *inf, size_t i, json_t *e)
{
    json_t *id = json_object_get(e, "id");
    char why[FRASE];
    int32_t stock;
    enum resultado r;

    if (!entrada_valida(e, &stock, why, sizeof why)) {
        anotar_rechazo(s, inf, i, id, why, true);
        return RES_OK;
    }
    r = ops_agregar(s->con, json_string_value(id),
                    json_string_value(json_object_get(e, "nombre")), stock);
    if (r == RES_OK || r == RES_YA_EXISTE) {
        anotar(s, inf, id, r == RES_OK);
        return RES_OK;
    }
    formato_fallo(why, sizeof why, r, OP_AGREGAR, json_string_value(id), s->con);
    if (r == RES_INVALIDO || r == RES_ERROR_INTERNO) {
        anotar_rechazo(s, inf, i, id, why, r == RES_INVALIDO);
        return RES_OK;
    }
    return r;
}

static void
informar(const struct salida *s, const struct informe *inf, const char *detenida)
{
    if (s->json) {
        (void)formato_json(stdout, json_pack("{s:o, s:I, s:O, s:O, s:O, s:O, s:o?}",
            "archivo", formato_json_cadena(inf->ruta), "total", (json_int_t)inf->total,
            "agregados", inf->j_agregados, "ya_existian", inf->j_existian,
            "invalidos", inf->j_invalidos, "errores", inf->j_errores,
            "detenida", detenida ? formato_json_cadena(detenida) : NULL), false);
    } else {
        if (detenida != NULL) {
            formato_texto(stdout, detenida);
            fputc('\n', stdout);
        }
        printf("Importación de ");
        formato_texto(stdout, inf->ruta);
        printf("%s: %zu %s, %zu ya %s, %zu %s", detenida ? " (detenida)" : "",
               inf->agregados, inf->agregados == 1 ? "añadido" : "añadidos",
               inf->existian, inf->existian == 1 ? "existía" : "existían",
               inf->invalidos, inf->invalidos == 1 ? "inválido" : "inválidos");
        if (inf->errores > 0)
            printf(", %zu con error", inf->errores);
        printf(" (de %zu %s).\n", inf->total, inf->total == 1 ? "entrada" : "entradas");
    }
    fflush(stdout);
}

enum resultado
accion_importar(const struct salida *s, const char *ruta)
{
    struct informe inf = { .ruta = ruta };
    char frase[FRASE];
    enum resultado r = RES_OK;
    json_t *lista = cargar(s, ruta);
    size_t i;

    if (lista == NULL)
        return RES_INVALIDO;
    inf.total = json_array_size(lista);
    inf.j_agregados = json_array();
    inf.j_existian = json_array();
    inf.j_invalidos = json_array();
    inf.j_errores = json_array();
    if (!s->json) {
        fputs("Importando ", stdout);
        formato_texto(stdout, ruta);
        printf(" (%zu %s):\n", inf.total, inf.total == 1 ? "entrada" : "entradas");
    }
    for (i = 0; i < inf.total && r == RES_OK; i++)
        r = importar_una(s, &inf, i, json_array_get(lista, i));
    if (r != RES_OK) {
        char causa[FRASE - 128];

        formato_fallo(causa, sizeof causa, r, OP_AGREGAR, NULL, s->con);
        snprintf(frase, sizeof frase, "La importación se detuvo en la entrada %zu: %s",
                 i, causa);
    }
    informar(s, &inf, r != RES_OK ? frase : NULL);
    if (r == RES_OK)
        r = inf.invalidos > 0 ? RES_INVALIDO
            : inf.errores > 0 ? RES_ERROR_INTERNO : RES_OK;
    json_decref(inf.j_agregados);
    json_decref(inf.j_existian);
    json_decref(inf.j_invalidos);
    json_decref(inf.j_errores);
    json_decref(lista);
    return r;
}
