{
  "variables": {
    "ffmpeg_check": "<!(node scripts/ffmpeg-check.mjs)"
  },
  "targets": [
    {
      "target_name": "ffnode",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.cc')).map(f => 'native/' + f).join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-Wall", "-Wno-deprecated-declarations", "<!@(pkg-config --cflags libavcodec libavformat libavutil libswscale libswresample libavdevice)"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "<!@(pkg-config --exists zimg && echo FFNODE_HAVE_ZIMG || true)"],
      "libraries": ["<!@(pkg-config --libs libavcodec libavformat libavutil libswscale libswresample)", "-ldl", "<!@(pkg-config --libs zimg 2>/dev/null || true)"]
    }
  ]
}
