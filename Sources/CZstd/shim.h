// libzstd: streaming compression and decompression for `.safetensors.zst` files.
#pragma once
#include <zstd.h>
