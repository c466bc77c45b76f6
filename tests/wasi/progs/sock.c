/* sock_*: on descriptors that are not sockets, and on a listening socket
 * the driver preopens as fd 3: accept a connection, receive "ping", send
 * "pong", shut down writing, see the peer close. */
#include "common.h"

int main(void) {
  __wasi_fd_t c = 0;
  EXPECT("sock_shutdown on stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  EXPECT("sock_accept on stdout", raw_sock_accept(1, 0, ADDR(&c)), __WASI_ERRNO_NOTSOCK);
  EXPECT("sock_shutdown bad fd", __wasi_sock_shutdown(99, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
  __wasi_fdstat_t fs;
  EXPECT("fdstat of the listener", __wasi_fd_fdstat_get(3, &fs), 0);
  CHECK("a stream socket", fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
  EXPECT("sock_accept bad flags", raw_sock_accept(3, 0x2, ADDR(&c)), __WASI_ERRNO_INVAL);
  EXPECT("sock_accept result out of bounds", raw_sock_accept(3, 0, (int32_t)mem_end()), __WASI_ERRNO_FAULT);
  EXPECT("sock_accept", __wasi_sock_accept(3, 0, &c), 0);
  char buf[16] = {0};
  __wasi_iovec_t iov = {(uint8_t *)buf, 4};
  __wasi_size_t n = 0;
  __wasi_roflags_t ro = 0;
  EXPECT("sock_recv peek", __wasi_sock_recv(c, &iov, 1, __WASI_RIFLAGS_RECV_PEEK | __WASI_RIFLAGS_RECV_WAITALL, &n, &ro), 0);
  EXPECT("sock_recv", __wasi_sock_recv(c, &iov, 1, __WASI_RIFLAGS_RECV_WAITALL, &n, &ro), 0);
  printf("received [%.*s]\n", (int)n, buf);
  __wasi_ciovec_t out = {(const uint8_t *)"pong", 4};
  EXPECT("sock_send", __wasi_sock_send(c, &out, 1, 0, &n), 0);
  CHECK("sent 4", n == 4);
  EXPECT("sock_send bad flags", __wasi_sock_send(c, &out, 1, 7, &n), __WASI_ERRNO_INVAL);
  EXPECT("sock_shutdown WR", __wasi_sock_shutdown(c, __WASI_SDFLAGS_WR), 0);
  EXPECT("sock_shutdown bad how", __wasi_sock_shutdown(c, 0), __WASI_ERRNO_INVAL);
  EXPECT("sock_recv after the peer closed", __wasi_sock_recv(c, &iov, 1, 0, &n, &ro), 0);
  CHECK("end of stream", n == 0);
  EXPECT("fd_close", __wasi_fd_close(c), 0);
  return finish();
}
