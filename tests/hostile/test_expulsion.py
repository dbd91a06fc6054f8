"""No connection is destroyed behind a worker's back.

History: the server used to run on libtirpc's svc_vc, whose own eviction
is described below; the server now owns its connections (loop.c) and
evicts only at its own limits, never a connection with a call running.
The test stays: with the per-address limit above the connections it
opens, nothing accepted may be closed, and the server must live.

libtirpc 1.3.3's rendezvous_request (the accept, which our poller runs)
counts the transports it holds after each accept and, once they reach 4/5
of its fd table (_rpc_dtablesize(): the RLIMIT_NOFILE the server raised),
destroys the connections idle for 15 s or else the least active one, under
its own lock but without knowing that one of our workers may be serving
that very connection.  The worker then goes on with a freed transport and
destroys it again: a double free (AddressSanitizer: "attempting
double-free", freed by the poller in svc_getreq_common <- poll_loop, freed
again by a worker in svc_getreq_common <- worker).

The server must keep its connection cap below that threshold.  This test
starts it under the most common limit (soft 1024, as systemd and login
shells give; the server raises it) with the default --max-conns, keeps one
worker busy writing a large reply to a client that does not read (it is
then the least active connection), and opens 950 idle connections.  With
the cap above libtirpc's threshold the server destroys connections it had
accepted (seen here: about one in twelve) and, with AddressSanitizer, dies
of the double free; below it, every accepted connection stays open, the
rest wait in the backlog, and the server lives.
"""
import resource
import socket
import time
import unittest

import harness
import rpc


class Limitado(harness.Server):
    """A server started with RLIMIT_NOFILE soft 1024, hard 4096."""

    def command(self):
        return ["prlimit", "--nofile=1024:4096", "--"] + super().command()


class Expulsion(unittest.TestCase):
    def setUp(self):
        # This process holds about a thousand sockets itself.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))

    def test_no_accepted_connection_is_destroyed_under_the_default_cap(self):
        with Limitado(threads=4, args=["--max-conns-per-addr", "2000"]) as srv:
            srv.prefill(("p%05d" % i, "n" * 200, i) for i in range(3000))
            port = rpc.getport(srv.program, 1)
            for attempt in range(2):
                # A worker busy for up to 2 s writing 30 listings of 700 KB
                # to a client that reads nothing.
                hog = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                hog.connect(("127.0.0.1", port))
                hog.setblocking(False)
                try:
                    for _ in range(30):
                        hog.send(rpc.record(rpc.call_header(7, srv.program, 1, 4)))
                except OSError:
                    pass
                time.sleep(0.3)
                idle = []
                try:
                    for _ in range(950):
                        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                        s.settimeout(5)
                        s.connect(("127.0.0.1", port))
                        idle.append(s)
                    time.sleep(2.5)
                    self.assertIsNone(srv.proc.poll(),
                                      "the server died:\n" + srv.log()[-6000:])
                    # An idle connection the server closed reads as EOF (or a
                    # reset); one still open, accepted or in the backlog,
                    # has nothing to read.
                    closed = 0
                    for s in idle:
                        s.setblocking(False)
                        try:
                            if s.recv(1) == b"":
                                closed += 1
                        except BlockingIOError:
                            pass
                        except OSError:
                            closed += 1
                    self.assertEqual(closed, 0, "attempt %d: the server destroyed %d "
                                     "idle connections it had accepted" % (attempt, closed))
                finally:
                    for s in idle:
                        s.close()
                    hog.close()
                time.sleep(1)
            with srv.client(2, timeout=15) as c:
                self.assertEqual(c.estado()["almacen_ok"], True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
