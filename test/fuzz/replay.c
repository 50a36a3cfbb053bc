// Replays corpus files through one target (no libFuzzer needed): `replay FILE...`.
// Exit 0 when every input ends in a value or a clean error; a trap aborts.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int fuzz_one(const uint8_t *data, size_t size);

static const char *current = "";
static void on_abort(int sig) {
  (void)sig;
  const char *m = "replay: crash on input ";
  write(2, m, strlen(m));
  write(2, current, strlen(current));
  write(2, "\n", 1);
  _exit(134);
}

int main(int argc, char **argv) {
  int n = 0;
  signal(SIGABRT, on_abort);
  signal(SIGSEGV, on_abort);
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) { perror(argv[i]); return 1; }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
      if (len == cap) { cap = cap ? cap * 2 : 4096; buf = realloc(buf, cap); if (!buf) return 1; }
      got = fread(buf + len, 1, cap - len, f);
      len += got;
    } while (got > 0);
    fclose(f);
    current = argv[i];
    fuzz_one(buf, len);
    free(buf);
    n++;
  }
  printf("replayed %d inputs\n", n);
  return 0;
}
