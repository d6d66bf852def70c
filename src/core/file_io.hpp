// bitforge core: whole-file I/O with the project's no-half-written-output rule.
//
// Every output bitforge writes goes through write_file_atomically: the bytes go to a
// temporary file in the destination's directory, which is renamed over the destination
// only once it is complete. A failure at any point leaves no file behind.
#pragma once

#include <string>
#include <string_view>

namespace bitforge {

std::string read_file(const std::string& path);  // throws Error naming the path
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace bitforge
