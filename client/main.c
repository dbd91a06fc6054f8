/* main.c - inventario-client: the command line, then the interactive menu or one order. */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comandos.h"
#include "conexion.h"
#include "entrada.h"
#include "formato.h"
#include "linea.h"
#include "menu.h"
#include "resultado.h"
#include "tls_ajustes.h"
#include "tls_client.h"

/* Notices from the conexion: with the menu's text, or out of the way of
 * a one-shot order's output. */
static void
aviso_menu(const char *frase)
{
    fputs("Aviso: ", stdout);
    formato_texto(stdout, frase);
    fputc('\n', stdout);
    fflush(stdout);
}

/* With --json, stderr carries JSON documents only, one a line: notices
 * as {"aviso": "..."}.  Set once in main, before any call; read by the
 * conexion's notice callback, which has no other context. */
static bool avisos_json;

static void
aviso_orden(const char *frase)
{
    if (avisos_json) {
        (void)formato_json(stderr, json_pack("{s:o}", "aviso",
                                             formato_json_cadena(frase)), true);
        return;
    }
    fputs("inventario-client: aviso: ", stderr);
    formato_texto(stderr, frase);
    fputc('\n', stderr);
}

/* Display widths need a UTF-8 LC_CTYPE; our text is UTF-8 whatever the
 * environment says.  Numbers are always read the C way ("0.5"). */
static void
idioma(void)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
        setlocale(LC_CTYPE, "C.UTF-8");
}

/* Runs the menu or the order of l, connected as it says. */
static int
ejecutar(const struct linea *l)
{
    bool menu = l->orden == NULL;
    struct conexion_opts co = { .host = l->host, .programa = l->programa,
                                .espera_ms = l->espera_ms,
                                .aviso = menu ? aviso_menu : aviso_orden };
    struct salida s = { .con = NULL, .json = l->json, .menu = menu };
    struct tls_client *tls = NULL;
    char err[512];
    int ret;

    /* help needs no connection. */
    if (!menu && (l->ayuda || strcmp(l->orden, "help") == 0))
        return comandos_ejecutar(&s, l);
    if (!tls_ajustes_cargar(&l->tls, &tls, err, sizeof err))
        return linea_mal_uso(l->json, "%s", err);
    co.tls = tls;
    if ((s.con = conexion_nueva(&co)) == NULL) {
        acciones_fallo(&s, RES_ERROR_INTERNO, "No hay memoria.");
        tls_client_free(tls);
        return resultado_salida(RES_ERROR_INTERNO);
    }
    /* Ctrl-C ends any wait for the server at once (RES_CANCELADO). */
    entrada_iniciar(menu);
    ret = menu ? menu_ejecutar(&s) : comandos_ejecutar(&s, l);
    /* Ctrl-C after the last answer came: still an interrupted order. */
    if (!menu && ret == 0 && entrada_senal() == SIGINT)
        ret = resultado_salida(RES_CANCELADO);
    conexion_liberar(s.con);
    tls_client_free(tls);
    return ret;
}

int
main(int argc, char **argv)
{
    struct linea l;
    int ret;

    idioma();
    /* A server that vanishes mid-write, or a pager the user quit, must
     * give an error, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    if ((ret = linea_leer(argc, argv, &l)) >= 0) {
        linea_liberar(&l);
        return ret;
    }
    if (l.version) {
        printf("inventario-client %s\n", INVENTARIO_VERSION);
        ret = 0;
    } else if (l.ayuda && l.orden == NULL) {
        comandos_uso(stdout);
        ret = 0;
    } else if (l.orden == NULL && (l.json || l.opciones != 0)) {
        ret = linea_mal_uso(l.json, l.json ? "--json solo se usa con una orden"
                                           : "esa opción solo se usa con una orden");
    } else {
        avisos_json = l.json;
        ret = ejecutar(&l);
    }
    linea_liberar(&l);
    return ret;
}
