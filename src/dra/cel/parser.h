// Lexer and recursive-descent parser for CEL expressions (the grammar of cel-spec's
// CEL.g4), producing parse-level nodes in a ProgramData and expanding the macros (has, all,
// exists, exists_one, map, filter, cel.bind). Invariant: no node is deeper than
// `max_depth`, so every later recursive pass over the tree has bounded stack use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "dra/cel/program.h"

namespace tessera::dra::cel {

// Parses `data.expression` into `data.nodes` and returns the root node id. Errors are
// "column C: message" (or "line L, column C: message" for multi-line input), with C 1-based
// in code points.
Result<int32_t> Parse(ProgramData& data, int max_depth);

// "column C: message" for byte offset `pos` of `expression`.
std::string ErrorAt(std::string_view expression, uint32_t pos, std::string_view message);

}  // namespace tessera::dra::cel
