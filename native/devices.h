// Capture devices (lavfi, v4l2, x11grab, alsa, pulse, ...) live in libavdevice,
// which drags in libavfilter, SDL2, PulseAudio and X11 client libraries: about
// 17 MiB of resident memory in every process that loads it. Few programs read
// from devices, so the addon doesn't link it; EnsureDevices() loads it the
// first time an input format isn't found without it.
#pragma once

namespace ffnode {

// Loads libavdevice and registers its devices, once per process; thread-safe.
// False when the library can't be loaded (then device formats stay unknown).
bool EnsureDevices();
// Whether libavdevice is loaded into this process now.
bool DevicesLoaded();
// "major.minor.micro" of the libavdevice this addon was built against.
const char* DevicesVersion();

}  // namespace ffnode
