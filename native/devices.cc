#include "devices.h"

#include <dlfcn.h>

#include <atomic>
#include <mutex>

extern "C" {
#include <libavdevice/version.h>
#include <libavutil/macros.h>
}

namespace ffnode {

namespace {
std::once_flag once;
std::atomic<bool> loaded{false};
}  // namespace

bool EnsureDevices() {
  std::call_once(once, [] {
    // The soname of the major version we were compiled against: same ABI.
    void* lib = dlopen("libavdevice.so." AV_STRINGIFY(LIBAVDEVICE_VERSION_MAJOR), RTLD_NOW | RTLD_GLOBAL);
    if (!lib) return;
    auto reg = reinterpret_cast<void (*)()>(dlsym(lib, "avdevice_register_all"));
    if (!reg) return;
    reg();
    loaded = true;  // the handle stays open for the life of the process
  });
  return loaded;
}

bool DevicesLoaded() { return loaded; }

const char* DevicesVersion() { return AV_STRINGIFY(LIBAVDEVICE_VERSION); }

}  // namespace ffnode
