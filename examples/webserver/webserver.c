/* A small HTTP server for the examples: answers every request with a greeting
 * ($GREETING, else "hello from nanoplane") and the name of the instance, and
 * /healthz with "ok". Static-linkable, no dependencies:
 *
 *   cc -static -O2 -o webserver webserver.c
 *   ./webserver -port 8080
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void reply(int fd, const char* status, const char* body) {
  char head[256];
  int n = snprintf(head, sizeof(head),
                   "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   status, strlen(body));
  if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) {
    perror("write");
  }
}

static void serve(int fd, const char* greeting, const char* host) {
  char request[2048];
  ssize_t n = read(fd, request, sizeof(request) - 1);
  if (n <= 0) {
    return;
  }
  request[n] = '\0';
  if (strncmp(request, "GET /healthz", 12) == 0) {
    reply(fd, "200 OK", "ok\n");
    return;
  }
  char body[512];
  snprintf(body, sizeof(body), "%s (%s)\n", greeting, host);
  reply(fd, "200 OK", body);
}

int main(int argc, char** argv) {
  int port = 8080;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "-port") == 0) {
      port = atoi(argv[i + 1]);
    }
  }
  const char* greeting = getenv("GREETING") ? getenv("GREETING") : "hello from nanoplane";
  char host[128] = "unknown";
  gethostname(host, sizeof(host) - 1);
  signal(SIGPIPE, SIG_IGN);

  int server = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(server, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(server, 64) != 0) {
    perror("listen");
    return 1;
  }
  printf("webserver: listening on port %d\n", port);
  fflush(stdout);
  for (;;) {
    int fd = accept(server, NULL, NULL);
    if (fd < 0) {
      continue;
    }
    serve(fd, greeting, host);
    close(fd);
  }
}
