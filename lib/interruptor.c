/* interruptor.c - the self-pipe of Ctrl-C; see interruptor.h. */
#include "interruptor.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* tubo[0] is read (polled, drained), tubo[1] written by signal handlers.
 * Set once by interruptor_iniciar, before handlers that use it are
 * installed; never changed afterwards. */
static int tubo[2] = { -1, -1 };

bool
interruptor_iniciar(void)
{
    if (tubo[0] >= 0)
        return true;
    return pipe2(tubo, O_NONBLOCK | O_CLOEXEC) == 0;
}

void
interruptor_disparar(void)
{
    int guardado = errno;
    char b = 1;

    /* A full pipe is readable already: EAGAIN loses nothing. */
    if (tubo[1] >= 0)
        (void)!write(tubo[1], &b, 1);
    errno = guardado;
}

void
interruptor_rearmar(void)
{
    char buf[64];

    if (tubo[0] < 0)
        return;
    while (read(tubo[0], buf, sizeof buf) > 0)
        ;
}

int
interruptor_fd(void)
{
    return tubo[0];
}
