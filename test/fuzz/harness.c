// libFuzzer entry (clang -fsanitize=fuzzer).
#include <stddef.h>
#include <stdint.h>
int fuzz_one(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { fuzz_one(data, size); return 0; }
