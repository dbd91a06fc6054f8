/* uniones.h - room for the arguments, or the result, of any one procedure
 * of inventario.x (both versions).
 *
 * What code that decodes a call needs before it knows which procedure it
 * has: the server's dispatch, and the fuzz harnesses that decode as it does.
 * Add the new type here when the contract gets a procedure with an
 * argument or result type of its own.
 */
#ifndef INVENTARIO_UNIONES_H
#define INVENTARIO_UNIONES_H

#include "inventario.h"

union inventario_args {
    producto         producto;
    id_arg           id;
    stock_args       stock;
    ajustar_args     ajustar;
    movimientos_args movimientos;
    pagina_args      pagina;
    esperar_args     esperar;
};

union inventario_res {
    estado          e;
    producto_res    producto;
    lista_res       lista;
    movimientos_res movimientos;
    pagina_res      pagina;
    estado_servidor estado;
};

#endif
