// Files that are either wholly written or not changed at all: checkpoints, plots.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ember::io {

// Writes the chunks, in order, to a temporary file beside path, flushes it to disk and
// renames it over path. On any failure the temporary file is removed, path is untouched
// and ember::Error names op, the file and the reason.
void write_file_atomically(const std::string& path, const std::vector<std::string_view>& chunks,
                           const char* op);

// The whole content of a file; ember::Error naming op when it cannot be read.
std::string read_file(const std::string& path, const char* op);

}  // namespace ember::io
