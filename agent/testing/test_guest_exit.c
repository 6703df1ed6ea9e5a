/* np-exit CODE: leaves the VM through QEMU's isa-debug-exit device (port
 * 0x501, where Nanos writes), so that QEMU exits with (CODE << 1) | 1, as Nanos's debug_exit does.
 * Returns (and the guest's init powers off) when the device is absent. */
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char** argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  if (ioperm(0x501, 2, 1) != 0) {
    return 1;
  }
  outb((unsigned char)code, 0x501);
  return 2;
}
