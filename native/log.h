// libav's log routed through ffnode: level filter, JS listener or stderr.
#pragma once
#include "common.h"

namespace ffnode {
/** Installs the av_log callback (once per process) and exports setLogLevel, onLog, logDropped. */
void InitLog(Napi::Env env, Napi::Object exports);
}  // namespace ffnode
