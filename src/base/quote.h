// Quoting user input inside error messages, so that a 5 MB string or a control byte in a
// manifest cannot flood or garble the terminal. Invariant: the result is at most about
// kMaxQuotedBytes * 4 + 32 bytes, whatever the input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera {

inline constexpr size_t kMaxQuotedBytes = 64;

// `text` in double quotes: `"` and `\` escaped, bytes outside printable ASCII as \xNN, and a
// long value cut after kMaxQuotedBytes with its length noted: "aaaa..." (5242880 bytes).
std::string Quote(std::string_view text);

}  // namespace tessera
