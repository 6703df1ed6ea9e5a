/* np-exit CODE: leaves the VM through QEMU's isa-debug-exit device (port
 * 0xf4), so that QEMU exits with (CODE << 1) | 1, as Nanos's debug_exit does.
 * Returns (and the guest's init powers off) when the device is absent. */
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char** argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  if (ioperm(0xf4, 4, 1) != 0) {
    return 1;
  }
  outl((unsigned int)code, 0xf4);
  return 2;
}
