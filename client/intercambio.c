/* intercambio.c - the inventory in and out as one JSON file; see intercambio.h. */
#include "intercambio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "campos.h"
#include "formato.h"
#include "lectura.h"
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
        acciones_fallo(s, RES_ARCHIVO, frase);
        return RES_ARCHIVO;
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
        acciones_frase(s, frase, sizeof frase, r, OP_LISTAR, NULL);
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
        r = RES_ARCHIVO;
        acciones_fallo(s, r, "No se pudo escribir el inventario en la salida estándar.");
    }
    json_decref(j);
    ops_lista_liberar(&l);
    return r;
}

/* -- import ------------------------------------------------------------------ */

/* What happened to one entry, for the report. */
enum destino {
    D_AGREGADO,         /* new: added */
    D_ACTUALIZADO,      /* existed, --actualizar: its stock set */
    D_IGUAL,            /* existed, --actualizar: nothing to change */
    D_EXISTIA,          /* existed: left as it was */
    D_INVALIDO,         /* refused by the rules, here or by the server */
    D_ERROR,            /* the server failed on it */
    D_CUANTOS
};

static const struct {
    const char *json;           /* the report's member */
    const char *linea;          /* the line about one entry */
} destinos[D_CUANTOS] = {
    [D_AGREGADO]    = { "agregados",    "añadido" },
    [D_ACTUALIZADO] = { "actualizados", "actualizado" },
    [D_IGUAL]       = { "sin_cambios",  "ya estaba igual" },
    [D_EXISTIA]     = { "ya_existian",  "ya existía" },
    [D_INVALIDO]    = { "invalidos",    "inválida" },
    [D_ERROR]       = { "errores",      "con error" },
};

/* What an import did, entry by entry. */
struct informe {
    const char *ruta;
    bool        actualizar;
    size_t      total, n[D_CUANTOS], nombres;
    json_t     *j[D_CUANTOS];
    json_t     *j_nombres;      /* existing products whose name differs */
};

/* A text member of an entry, checked by rule (with its length, so an
 * embedded NUL is seen); false with the sentence in why. */
static bool
texto_valido(json_t *e, const char *clave, const char *campo,
             enum validar_error (*regla)(const char *, size_t), size_t max,
             char *why, size_t n)
{
    json_t *v = json_object_get(e, clave);

    if (!json_is_string(v)) {
        snprintf(why, n, "%s falta o no es un texto.", campo);
        return false;
    }
    return campo_texto(campo, regla(json_string_value(v), json_string_length(v)),
                       json_string_length(v), max, why, n);
}

static bool
entrada_valida(json_t *e, int32_t *stock, char *why, size_t n)
{
    json_t *st = json_object_get(e, "stock");

    if (!json_is_object(e)) {
        snprintf(why, n, "no es un objeto {\"id\", \"nombre\", \"stock\"}.");
        return false;
    }
    if (!texto_valido(e, "id", "El id", validar_id, VALIDAR_ID_MAX, why, n) ||
        !texto_valido(e, "nombre", "El nombre", validar_nombre, VALIDAR_NOMBRE_MAX,
                      why, n))
        return false;
    if (!json_is_integer(st) || validar_stock(json_integer_value(st)) != VALIDO) {
        snprintf(why, n, "El stock %s.", validar_mensaje(V_RANGO));
        return false;
    }
    *stock = (int32_t)json_integer_value(st);
    return true;
}

/* Notes entry i (id may be NULL or not a string) as d, with a sentence
 * for invalid and failed ones. */
static void
anotar(const struct salida *s, struct informe *inf, size_t i, json_t *id,
       enum destino d, const char *motivo)
{
    json_t *j;

    if (d == D_INVALIDO || d == D_ERROR)
        j = json_pack("{s:I, s:O?, s:o}", "entrada", (json_int_t)(i + 1),
                      "id", json_is_string(id) ? id : NULL,
                      "motivo", formato_json_cadena(motivo));
    else
        j = json_incref(id);
    json_array_append_new(inf->j[d], j);
    inf->n[d]++;
    if (s->json)
        return;
    if (d == D_INVALIDO || d == D_ERROR) {
        printf("  %s, entrada %zu", destinos[d].linea, i + 1);
        if (json_is_string(id)) {
            fputs(" (", stdout);
            formato_texto_n(stdout, json_string_value(id), json_string_length(id));
            fputc(')', stdout);
        }
        fputs(": ", stdout);
        formato_texto(stdout, motivo);
    } else {
        printf("  %s: ", destinos[d].linea);
        formato_texto(stdout, json_string_value(id));
        if (d == D_EXISTIA)
            fputs(" (no se ha modificado)", stdout);
    }
    fputc('\n', stdout);
}

/* An existing product, with --actualizar: sets its stock if it differs
 * (ACTUALIZAR_STOCK: one write, one movement).  The contract has no call
 * that renames a product, so a different name is reported and left. */
static enum resultado
actualizar_una(const struct salida *s, struct informe *inf, size_t i, json_t *id,
               const char *nombre, int32_t stock)
{
    const char *pid = json_string_value(id);
    producto_res res;
    char why[FRASE];
    bool mismo_nombre, mismo_stock;
    enum resultado r = ops_obtener(s->con, pid, &res);

    if (r == RES_NO_ENCONTRADO) {       /* deleted meanwhile: add it after all */
        if ((r = ops_agregar(s->con, pid, nombre, stock)) == RES_OK) {
            anotar(s, inf, i, id, D_AGREGADO, NULL);
            return RES_OK;
        }
    }
    if (r != RES_OK)
        goto fallo;
    mismo_nombre = strcmp(res.producto_res_u.p.nombre, nombre) == 0;
    mismo_stock = res.producto_res_u.p.stock == stock;
    ops_producto_liberar(&res);
    if (!mismo_nombre) {
        json_array_append(inf->j_nombres, id);
        inf->nombres++;
        if (!s->json) {
            fputs("  aviso: ", stdout);
            formato_texto(stdout, pid);
            fputs(" tiene otro nombre en el servidor; el nombre no se puede cambiar "
                  "(el protocolo no tiene esa operación) y se deja como está\n", stdout);
        }
    }
    if (mismo_stock) {
        anotar(s, inf, i, id, D_IGUAL, NULL);
        return RES_OK;
    }
    if ((r = ops_actualizar(s->con, pid, stock)) == RES_OK) {
        anotar(s, inf, i, id, D_ACTUALIZADO, NULL);
        return RES_OK;
    }
fallo:
    acciones_frase(s, why, sizeof why, r, OP_ACTUALIZAR, pid);
    if (r == RES_INVALIDO || r == RES_ERROR_INTERNO || r == RES_NO_ENCONTRADO) {
        anotar(s, inf, i, id, r == RES_INVALIDO ? D_INVALIDO : D_ERROR, why);
        return RES_OK;
    }
    return r;
}

/* Imports entry i.  Returns RES_OK to carry on, or the transport's outcome
 * (nothing more can be done without the server). */
static enum resultado
importar_una(const struct salida *s, struct informe *inf, size_t i, json_t *e)
{
    json_t *id = json_object_get(e, "id");
    const char *nombre;
    char why[FRASE];
    int32_t stock;
    enum resultado r;

    if (!entrada_valida(e, &stock, why, sizeof why)) {
        anotar(s, inf, i, id, D_INVALIDO, why);
        return RES_OK;
    }
    nombre = json_string_value(json_object_get(e, "nombre"));
    r = ops_agregar(s->con, json_string_value(id), nombre, stock);
    if (r == RES_YA_EXISTE && inf->actualizar)
        return actualizar_una(s, inf, i, id, nombre, stock);
    if (r == RES_OK || r == RES_YA_EXISTE) {
        anotar(s, inf, i, id, r == RES_OK ? D_AGREGADO : D_EXISTIA, NULL);
        return RES_OK;
    }
    acciones_frase(s, why, sizeof why, r, OP_AGREGAR, json_string_value(id));
    if (r == RES_INVALIDO || r == RES_ERROR_INTERNO) {
        anotar(s, inf, i, id, r == RES_INVALIDO ? D_INVALIDO : D_ERROR, why);
        return RES_OK;
    }
    return r;
}

/* "3 productos", "1 producto": n and the noun in singular or plural. */
static void
cuenta(size_t n, const char *uno, const char *varios)
{
    printf("%zu %s", n, n == 1 ? uno : varios);
}

static void
informar_texto(const struct informe *inf, const char *detenida)
{
    if (detenida != NULL) {
        formato_texto(stdout, detenida);
        fputc('\n', stdout);
    }
    fputs("Importación de ", stdout);
    formato_texto(stdout, lectura_nombre(inf->ruta));
    fputs(detenida ? " (detenida): " : ": ", stdout);
    cuenta(inf->n[D_AGREGADO], "producto añadido", "productos añadidos");
    if (inf->actualizar) {
        fputs(", ", stdout);
        cuenta(inf->n[D_ACTUALIZADO], "actualizado", "actualizados");
        fputs(", ", stdout);
        cuenta(inf->n[D_IGUAL], "ya estaba igual", "ya estaban iguales");
    } else {
        fputs(", ", stdout);
        cuenta(inf->n[D_EXISTIA], "ya existía y no se ha modificado",
               "ya existían y no se han modificado");
    }
    fputs(", ", stdout);
    cuenta(inf->n[D_INVALIDO], "entrada inválida", "entradas inválidas");
    if (inf->n[D_ERROR] > 0) {
        fputs(", ", stdout);
        cuenta(inf->n[D_ERROR], "con error", "con error");
    }
    printf(" (de %zu %s).\n", inf->total, inf->total == 1 ? "entrada" : "entradas");
    if (inf->nombres > 0)
        printf("%zu %s otro nombre en el servidor, que no se ha cambiado.\n",
               inf->nombres, inf->nombres == 1 ? "producto tenía" : "productos tenían");
    if (!inf->actualizar && inf->n[D_EXISTIA] > 0)
        fputs("Con --actualizar se fija el stock de los que ya existen.\n", stdout);
}

static void
informar(const struct salida *s, const struct informe *inf, const char *detenida)
{
    json_t *j;

    if (!s->json) {
        informar_texto(inf, detenida);
        fflush(stdout);
        return;
    }
    j = json_pack("{s:o, s:I, s:O, s:o?}", "archivo",
                  formato_json_cadena(lectura_nombre(inf->ruta)),
                  "total", (json_int_t)inf->total, "nombres_distintos", inf->j_nombres,
                  "detenida", detenida ? formato_json_cadena(detenida) : NULL);
    for (int d = 0; j != NULL && d < D_CUANTOS; d++)
        if (inf->actualizar ? d != D_EXISTIA : d != D_ACTUALIZADO && d != D_IGUAL)
            json_object_set(j, destinos[d].json, inf->j[d]);
    (void)formato_json(stdout, j, false);
    fflush(stdout);
}

enum resultado
accion_importar(const struct salida *s, const char *ruta, bool actualizar)
{
    struct informe inf = { .ruta = ruta, .actualizar = actualizar };
    char frase[FRASE];
    json_t *lista;
    enum resultado r = lectura_json(ruta, &lista, frase, sizeof frase);
    size_t i;

    if (r != RES_OK) {
        acciones_fallo(s, r, frase);
        return r;
    }
    if (!json_is_array(lista)) {
        snprintf(frase, sizeof frase, "%s no contiene una lista de productos "
                 "([{\"id\": ..., \"nombre\": ..., \"stock\": ...}]). No se "
                 "importó nada.", lectura_nombre(ruta));
        acciones_fallo(s, RES_INVALIDO, frase);
        json_decref(lista);
        return RES_INVALIDO;
    }
    inf.total = json_array_size(lista);
    for (int d = 0; d < D_CUANTOS; d++)
        inf.j[d] = json_array();
    inf.j_nombres = json_array();
    if (!s->json) {
        fputs("Importando ", stdout);
        formato_texto(stdout, lectura_nombre(ruta));
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
        r = inf.n[D_INVALIDO] > 0 ? RES_INVALIDO
            : inf.n[D_ERROR] > 0 ? RES_ERROR_INTERNO : RES_OK;
    for (int d = 0; d < D_CUANTOS; d++)
        json_decref(inf.j[d]);
    json_decref(inf.j_nombres);
    json_decref(lista);
    return r;
}
