// Trace and scenario intake. Choices a reviewer should know about:
// - CSV: one pass over the file held in memory; fields are views into it (no per-field
//   allocation, no regex), integers go through std::from_chars. Columns are found by header
//   name. Lines end in LF or CRLF; a UTF-8 byte order mark is skipped; empty lines are
//   skipped; spaces around unquoted fields are trimmed. A field may be double-quoted
//   ("a,b", with "" for a quote) but may not span lines. A row with more or fewer fields
//   than the header is an error, so a stray comma cannot shift columns silently.
// - Errors stop at the first problem and read "file.csv:17: column gpu_milli: why": the
//   file and line go in the error's file part, the column in its field part.
// - Memory: O(file) for the text plus O(columns) per row; a 10 MB line is rejected by the
//   name check (names are DNS subdomains, at most 253 bytes) or the field count, never
//   copied. Names are checked for duplicates with a hash set of views into the text.
// - Scenario YAML goes through the same bounded YAML reader as manifests (alias bombs, deep
//   nesting and duplicate keys are errors) and then through internal::Field, so every error
//   carries a field path ("nodeGroups[1].memory").
#include "io/trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/quantity.h"
#include "io/internal/documents.h"
#include "io/internal/fields.h"
#include "io/internal/names.h"
#include "io/internal/queue_objects.h"

namespace tessera::io {
namespace {

namespace fs = std::filesystem;
using internal::Field;
using internal::Quote;

// ---------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Decimal digits needed to print `n` (n >= 0).
int DigitCount(int64_t n) {
  int digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

// Task and node names become Kubernetes object names: a DNS subdomain. "" when valid.
std::string CheckName(std::string_view name) {
  if (name.empty()) return "must not be empty";
  return internal::CheckDnsSubdomain(name);
}

// A GPU model ("A100", "V100M16", "H100-80GB"): it is written `|`-separated in gpu_spec
// and compared as a string, so keep it to a simple token. "" when valid.
std::string CheckGpuModel(std::string_view model) {
  auto ok = [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
           c == '.';
  };
  if (!model.empty() && model.size() <= 63 && std::all_of(model.begin(), model.end(), ok)) {
    return "";
  }
  return fmt::format(
      "{} is not a valid GPU model: must be 1 to 63 letters, digits, '-', '_' or '.'",
      Quote(model));
}

// The GPU-share rules of model::TraceTask as a message about the gpu_milli field, or ""
// when they hold. `count_field` names the GPU count in the caller's format.
std::string CheckGpuShare(int64_t num_gpu, int64_t gpu_milli, std::string_view count_field) {
  if (num_gpu == 0) {
    if (gpu_milli == 0) return "";
    return fmt::format("must be 0 when {} is 0 (a task without GPUs), got {}", count_field,
                       gpu_milli);
  }
  if (num_gpu == 1) {
    if (gpu_milli >= 1 && gpu_milli <= 1000) return "";
    return fmt::format("must be between 1 and 1000 when {} is 1, got {}", count_field, gpu_milli);
  }
  if (gpu_milli == 1000) return "";
  return fmt::format(
      "must be 1000 when {} is {} (only a task with one GPU may use part of it), got {}",
      count_field, num_gpu, gpu_milli);
}

// Sorts and de-duplicates GPU models in place.
void SortUnique(std::vector<std::string>& models) {
  std::sort(models.begin(), models.end());
  models.erase(std::unique(models.begin(), models.end()), models.end());
}

// Reads a whole file, refusing files above `max_bytes`. Errors name the file.
Result<std::string> ReadFile(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return NotFound("no such file").WithFile(path);
  if (fs::is_directory(status)) return InvalidArgument("is a folder, not a file").WithFile(path);
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > static_cast<uintmax_t>(max_bytes)) {
    return InvalidArgument(
               fmt::format("file is larger than the limit of {} bytes, got {}", max_bytes, size))
        .WithFile(path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open the file").WithFile(path);
  std::string text;
  char buffer[64 * 1024];
  while (in) {
    in.read(buffer, sizeof buffer);
    text.append(buffer, static_cast<size_t>(in.gcount()));
    // The size may have changed since it was checked (a growing file, a pipe).
    if (text.size() > static_cast<size_t>(max_bytes)) {
      return InvalidArgument(fmt::format("file is larger than the limit of {} bytes", max_bytes))
          .WithFile(path);
    }
  }
  if (in.bad()) return IoError("cannot read the file").WithFile(path);
  return text;
}

// Runs `parse` and turns an escaping exception (allocation failure, a library bug) into
// an internal error: nothing may throw out of io.
template <class F>
auto Guarded(std::string_view file, F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInternal, fmt::format("unexpected error while reading: {}", e.what()))
        .WithFile(file);
  } catch (...) {
    return Error(ErrorCode::kInternal, "unexpected error while reading").WithFile(file);
  }
}

// ---------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------

// A header with more columns than this is not a trace.
constexpr size_t kMaxCsvColumns = 256;

// Splits CSV text into rows of fields, tracking line numbers for messages. The views it
// hands out stay valid until the next call to Next(). Not thread-safe.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string_view file) : text_(text), file_(file) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  }

  // Reads the header line. `example` shows the expected columns in the empty-file error.
  Status ReadHeader(std::string_view example) {
    std::string_view line;
    if (!NextLine(line)) {
      return InvalidArgument(
                 fmt::format("empty file: expected a header line such as \"{}\"", example))
          .WithFile(file_);
    }
    header_line_ = line_;
    header_text_ = line;
    TESSERA_RETURN_IF_ERROR(Split(line, kMaxCsvColumns));
    header_.assign(fields_.begin(), fields_.end());
    for (size_t i = 0; i < header_.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (header_[i] == header_[j] && !header_[i].empty()) {
          return FailAt(header_line_, i, "appears twice in the header");
        }
      }
    }
    return OkStatus();
  }

  std::optional<size_t> Find(std::string_view column) const {
    for (size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == column) return i;
    }
    return std::nullopt;
  }

  Result<size_t> Require(std::string_view column) const {
    if (auto i = Find(column)) return *i;
    return InvalidArgument(
               fmt::format("missing from the header {}", Quote(Trim(TrimCr(header_text_)))))
        .UnderField(fmt::format("column {}", column))
        .WithFile(fmt::format("{}:{}", file_, header_line_));
  }

  // Moves to the next non-empty line and splits it into exactly as many fields as the
  // header has. false at the end of the text.
  Result<bool> Next() {
    std::string_view line;
    if (!NextLine(line)) return false;
    TESSERA_RETURN_IF_ERROR(Split(line, header_.size()));
    if (fields_.size() != header_.size()) {
      return FailLine(fmt::format("has {} field{}, but the header has {} columns", fields_.size(),
                                  fields_.size() == 1 ? "" : "s", header_.size()));
    }
    return true;
  }

  std::string_view at(size_t column) const { return fields_[column]; }
  size_t line() const { return line_; }
  std::string_view file() const { return file_; }

  // An upper bound on the rows left (newlines after the current position), for reserve().
  size_t RemainingLines() const {
    return static_cast<size_t>(
               std::count(text_.begin() + static_cast<ptrdiff_t>(pos_), text_.end(), '\n')) +
           1;
  }

  // "file:LINE: column NAME: message" for the current line.
  Error Fail(size_t column, std::string message) const {
    return FailAt(line_, column, std::move(message));
  }
  Error FailLine(std::string message) const {
    return InvalidArgument(std::move(message)).WithFile(fmt::format("{}:{}", file_, line_));
  }
  Error FailFile(std::string message) const {
    return InvalidArgument(std::move(message)).WithFile(file_);
  }

 private:
  static std::string_view TrimCr(std::string_view s) {
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
  }

  // The column as messages name it: its header name when that is short and plain.
  std::string ColumnLabel(size_t column) const {
    if (column < header_.size()) {
      const std::string& name = header_[column];
      const bool plain =
          !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
            return c > ' ' && c < 0x7f && c != '"' && c != '\\';
          });
      if (plain) return "column " + name;
    }
    return fmt::format("field {}", column + 1);
  }

  Error FailAt(size_t line, size_t column, std::string message) const {
    return InvalidArgument(std::move(message))
        .UnderField(ColumnLabel(column))
        .WithFile(fmt::format("{}:{}", file_, line));
  }

  // The next non-empty line without its line ending; false at the end.
  bool NextLine(std::string_view& out) {
    while (pos_ < text_.size()) {
      size_t end = text_.find('\n', pos_);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view line = TrimCr(text_.substr(pos_, end - pos_));
      // Past the newline, but never past the end: RemainingLines() reads from pos_.
      pos_ = end < text_.size() ? end + 1 : end;
      ++line_;
      if (!line.empty()) {
        out = line;
        return true;
      }
    }
    return false;
  }

  // Splits `line` into fields_, failing once it sees more than `max_fields` fields.
  Status Split(std::string_view line, size_t max_fields) {
    fields_.clear();
    if (unescaped_.size() < max_fields) unescaped_.resize(max_fields);
    size_t i = 0;
    const size_t n = line.size();
    while (true) {
      const size_t k = fields_.size();
      if (k == max_fields) {
        if (header_.empty()) {
          return FailLine(fmt::format("the header has more than {} columns", max_fields));
        }
        return FailLine(
            fmt::format("has more fields than the {} columns of the header", header_.size()));
      }
      size_t start = i;
      while (start < n && IsBlank(line[start])) ++start;
      if (start < n && line[start] == '"') {
        // The value is a view into the line unless it holds "" escapes; only then is it
        // copied (without them) into unescaped_[k].
        std::string& out = unescaped_[k];
        out.clear();
        bool escaped = false;
        size_t j = start + 1;
        bool closed = false;
        while (j < n) {
          const size_t quote = line.find('"', j);
          if (quote == std::string_view::npos) break;
          if (quote + 1 < n && line[quote + 1] == '"') {
            if (!escaped)
              out.assign(line.substr(start + 1, quote - start - 1));
            else
              out.append(line.substr(j, quote - j));
            out += '"';
            escaped = true;
            j = quote + 2;
            continue;
          }
          if (escaped)
            out.append(line.substr(j, quote - j));
          else
            fields_.push_back(line.substr(start + 1, quote - start - 1));
          j = quote + 1;
          closed = true;
          break;
        }
        if (!closed) {
          return FailAt(line_, k, "the quoted field is not closed (fields may not span lines)");
        }
        while (j < n && IsBlank(line[j])) ++j;
        if (j < n && line[j] != ',') {
          return FailAt(line_, k, "unexpected text after the closing quote");
        }
        if (escaped) fields_.push_back(out);
        i = j;
      } else {
        size_t end = line.find(',', start);
        if (end == std::string_view::npos) end = n;
        const std::string_view field = Trim(line.substr(start, end - start));
        if (field.find('"') != std::string_view::npos) {
          return FailAt(line_, k,
                        fmt::format("a quote inside an unquoted field: {}", Quote(field)));
        }
        fields_.push_back(field);
        i = end;
      }
      if (i >= n) break;
      ++i;  // the comma
    }
    return OkStatus();
  }

  std::string_view text_;
  std::string_view file_;
  size_t pos_ = 0;
  size_t line_ = 0;
  size_t header_line_ = 0;
  std::string_view header_text_;
  std::vector<std::string> header_;
  std::vector<std::string_view> fields_;
  std::vector<std::string> unescaped_;  // one per field; holds quoted fields with "" in them
};

// A non-negative decimal integer at most `max`; `max_note` explains the bound in messages.
// Message-only errors.
Result<int64_t> ParseCount(std::string_view text, int64_t max, std::string_view max_note) {
  if (text.empty()) return InvalidArgument("must be an integer, got an empty value");
  const bool negative = text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return InvalidArgument(fmt::format("must be an integer, got {}", Quote(text)));
  }
  if (negative) return InvalidArgument(fmt::format("must not be negative, got {}", Quote(text)));
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return InvalidArgument(fmt::format("{} does not fit in a 64-bit integer", Quote(text)));
  }
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return InvalidArgument(fmt::format("must be an integer, got {}", Quote(text)));
  }
  if (value > max) {
    return InvalidArgument(fmt::format("must be at most {}{}, got {}", max, max_note, value));
  }
  return value;
}

// The limits of each numeric column, for ParseCount.
struct Bound {
  int64_t max;
  std::string_view note;
};
constexpr Bound kCpuBound{kMaxCpuMilli, " (100,000 cores)"};
constexpr Bound kMemoryBound{kMaxMemoryMib, " (1 PiB)"};
constexpr Bound kGpuCountBound{kMaxGpusPerNode, ""};
constexpr Bound kGpuMilliBound{1000, " (a whole GPU)"};
constexpr Bound kTimeBound{kMaxTimeSeconds, " (100 years)"};

Result<int64_t> ReadInt(const CsvReader& csv, size_t column, Bound bound) {
  auto value = ParseCount(csv.at(column), bound.max, bound.note);
  if (!value.ok()) return csv.Fail(column, value.error().message());
  return *value;
}

// An optional time column: empty -> -1.
Result<int64_t> ReadTime(const CsvReader& csv, std::optional<size_t> column) {
  if (!column || csv.at(*column).empty()) return int64_t{-1};
  return ReadInt(csv, *column, kTimeBound);
}

Result<std::string> ReadName(const CsvReader& csv, size_t column) {
  const std::string_view name = csv.at(column);
  if (std::string why = CheckName(name); !why.empty()) return csv.Fail(column, std::move(why));
  return std::string(name);
}

// `|`-separated GPU models, sorted and unique; empty -> any model.
Result<std::vector<std::string>> ReadGpuSpec(const CsvReader& csv, size_t column) {
  std::vector<std::string> models;
  const std::string_view spec = csv.at(column);
  if (spec.empty()) return models;
  size_t start = 0;
  while (true) {
    const size_t bar = spec.find('|', start);
    const std::string_view model =
        spec.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    if (model.empty()) {
      return csv.Fail(column, fmt::format("empty model name in {}", Quote(spec)));
    }
    if (std::string why = CheckGpuModel(model); !why.empty()) {
      return csv.Fail(column, std::move(why));
    }
    models.emplace_back(model);
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  SortUnique(models);
  return models;
}

// Remembers names already seen with their line. The names are views into the text being
// read: a name that passed CheckName has no quote, so it never comes from unescaped_.
class SeenNames {
 public:
  explicit SeenNames(size_t expected) { lines_.reserve(expected); }

  // An AlreadyExists error naming the earlier line when `name` was seen before.
  Status Add(const CsvReader& csv, size_t column, std::string_view name, std::string_view what) {
    auto [it, inserted] = lines_.emplace(name, csv.line());
    if (inserted) return OkStatus();
    Error error = csv.Fail(
        column, fmt::format("duplicate {} {} (first on line {})", what, Quote(name), it->second));
    return Error(ErrorCode::kAlreadyExists, error.message())
        .UnderField(error.location().field)
        .WithFile(error.location().file);
  }

 private:
  std::unordered_map<std::string_view, size_t> lines_;
};

// The request columns shared by pod lists and arrival files.
struct TaskColumns {
  size_t cpu_milli = 0;
  size_t memory_mib = 0;
  size_t num_gpu = 0;
  size_t gpu_milli = 0;
  std::optional<size_t> gpu_spec;
};

Result<TaskColumns> RequireTaskColumns(const CsvReader& csv) {
  TaskColumns c;
  TESSERA_ASSIGN_OR_RETURN(c.cpu_milli, csv.Require("cpu_milli"));
  TESSERA_ASSIGN_OR_RETURN(c.memory_mib, csv.Require("memory_mib"));
  TESSERA_ASSIGN_OR_RETURN(c.num_gpu, csv.Require("num_gpu"));
  TESSERA_ASSIGN_OR_RETURN(c.gpu_milli, csv.Require("gpu_milli"));
  c.gpu_spec = csv.Find("gpu_spec");
  return c;
}

// Reads the request part of a task row into `task` (name and times are the caller's).
Status ReadTaskRequest(const CsvReader& csv, const TaskColumns& c, model::TraceTask& task) {
  TESSERA_ASSIGN_OR_RETURN(task.cpu_milli, ReadInt(csv, c.cpu_milli, kCpuBound));
  TESSERA_ASSIGN_OR_RETURN(task.memory_mib, ReadInt(csv, c.memory_mib, kMemoryBound));
  TESSERA_ASSIGN_OR_RETURN(const int64_t num_gpu, ReadInt(csv, c.num_gpu, kGpuCountBound));
  TESSERA_ASSIGN_OR_RETURN(const int64_t gpu_milli, ReadInt(csv, c.gpu_milli, kGpuMilliBound));
  if (std::string why = CheckGpuShare(num_gpu, gpu_milli, "num_gpu"); !why.empty()) {
    return csv.Fail(c.gpu_milli, std::move(why));
  }
  task.num_gpu = static_cast<int32_t>(num_gpu);
  task.gpu_milli = static_cast<int32_t>(gpu_milli);
  if (c.gpu_spec) {
    TESSERA_ASSIGN_OR_RETURN(task.gpu_models, ReadGpuSpec(csv, *c.gpu_spec));
    if (num_gpu == 0 && !task.gpu_models.empty()) {
      return csv.Fail(*c.gpu_spec, fmt::format("must be empty when num_gpu is 0 (a task "
                                               "without GPUs), got {}",
                                               Quote(csv.at(*c.gpu_spec))));
    }
  }
  return OkStatus();
}

Status CheckRowCount(const CsvReader& csv, size_t rows, int64_t max, std::string_view what) {
  if (static_cast<int64_t>(rows) < max) return OkStatus();
  return csv.FailLine(fmt::format("more than {} {}: split the file", max, what));
}

Result<std::vector<model::TraceNode>> ParseNodesCsv(std::string_view text, std::string_view file) {
  CsvReader csv(text, file);
  TESSERA_RETURN_IF_ERROR(csv.ReadHeader("sn,cpu_milli,memory_mib,gpu,model"));
  TESSERA_ASSIGN_OR_RETURN(const size_t sn, csv.Require("sn"));
  TESSERA_ASSIGN_OR_RETURN(const size_t cpu, csv.Require("cpu_milli"));
  TESSERA_ASSIGN_OR_RETURN(const size_t memory, csv.Require("memory_mib"));
  TESSERA_ASSIGN_OR_RETURN(const size_t gpu, csv.Require("gpu"));
  TESSERA_ASSIGN_OR_RETURN(const size_t model, csv.Require("model"));
  std::vector<model::TraceNode> nodes;
  const size_t expected = std::min(csv.RemainingLines(), static_cast<size_t>(kMaxTraceNodes));
  nodes.reserve(expected);
  SeenNames seen(expected);
  while (true) {
    TESSERA_ASSIGN_OR_RETURN(const bool more, csv.Next());
    if (!more) break;
    TESSERA_RETURN_IF_ERROR(CheckRowCount(csv, nodes.size(), kMaxTraceNodes, "nodes"));
    model::TraceNode node;
    TESSERA_ASSIGN_OR_RETURN(node.name, ReadName(csv, sn));
    TESSERA_RETURN_IF_ERROR(seen.Add(csv, sn, csv.at(sn), "node"));
    TESSERA_ASSIGN_OR_RETURN(node.cpu_milli, ReadInt(csv, cpu, kCpuBound));
    TESSERA_ASSIGN_OR_RETURN(node.memory_mib, ReadInt(csv, memory, kMemoryBound));
    TESSERA_ASSIGN_OR_RETURN(const int64_t gpus, ReadInt(csv, gpu, kGpuCountBound));
    node.gpus = static_cast<int32_t>(gpus);
    const std::string_view gpu_model = csv.at(model);
    if (gpus == 0 && !gpu_model.empty()) {
      return csv.Fail(model, fmt::format("must be empty when gpu is 0 (a machine without GPUs), "
                                         "got {}",
                                         Quote(gpu_model)));
    }
    if (gpus > 0) {
      if (gpu_model.empty()) {
        return csv.Fail(model, fmt::format("must name the GPU model when gpu is {}", gpus));
      }
      if (std::string why = CheckGpuModel(gpu_model); !why.empty()) {
        return csv.Fail(model, std::move(why));
      }
      node.gpu_model = std::string(gpu_model);
    }
    nodes.push_back(std::move(node));
  }
  if (nodes.empty()) return csv.FailFile("no nodes: the file has a header but no rows");
  return nodes;
}

Result<std::vector<model::TraceTask>> ParseTasksCsv(std::string_view text, std::string_view file) {
  CsvReader csv(text, file);
  TESSERA_RETURN_IF_ERROR(csv.ReadHeader("name,cpu_milli,memory_mib,num_gpu,gpu_milli"));
  TESSERA_ASSIGN_OR_RETURN(const size_t name, csv.Require("name"));
  TESSERA_ASSIGN_OR_RETURN(const TaskColumns columns, RequireTaskColumns(csv));
  const std::optional<size_t> creation = csv.Find("creation_time");
  const std::optional<size_t> deletion = csv.Find("deletion_time");
  std::vector<model::TraceTask> tasks;
  const size_t expected = std::min(csv.RemainingLines(), static_cast<size_t>(kMaxTraceTasks));
  tasks.reserve(expected);
  SeenNames seen(expected);
  while (true) {
    TESSERA_ASSIGN_OR_RETURN(const bool more, csv.Next());
    if (!more) break;
    TESSERA_RETURN_IF_ERROR(CheckRowCount(csv, tasks.size(), kMaxTraceTasks, "tasks"));
    model::TraceTask task;
    TESSERA_ASSIGN_OR_RETURN(task.name, ReadName(csv, name));
    TESSERA_RETURN_IF_ERROR(seen.Add(csv, name, csv.at(name), "task"));
    TESSERA_RETURN_IF_ERROR(ReadTaskRequest(csv, columns, task));
    TESSERA_ASSIGN_OR_RETURN(task.creation_s, ReadTime(csv, creation));
    TESSERA_ASSIGN_OR_RETURN(task.deletion_s, ReadTime(csv, deletion));
    if (task.creation_s >= 0 && task.deletion_s >= 0 && task.deletion_s < task.creation_s) {
      return csv.Fail(*deletion, fmt::format("must not be before creation_time ({}), got {}",
                                             task.creation_s, task.deletion_s));
    }
    tasks.push_back(std::move(task));
  }
  if (tasks.empty()) return csv.FailFile("no tasks: the file has a header but no rows");
  return tasks;
}

Result<std::vector<model::ArrivalRow>> ParseArrivalsCsv(std::string_view text,
                                                        std::string_view file) {
  CsvReader csv(text, file);
  TESSERA_RETURN_IF_ERROR(csv.ReadHeader(
      "arrival_idx,task,source_task,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec"));
  TESSERA_ASSIGN_OR_RETURN(const size_t index, csv.Require("arrival_idx"));
  TESSERA_ASSIGN_OR_RETURN(const size_t task_name, csv.Require("task"));
  TESSERA_ASSIGN_OR_RETURN(const size_t source, csv.Require("source_task"));
  TESSERA_ASSIGN_OR_RETURN(const TaskColumns columns, RequireTaskColumns(csv));
  const std::optional<size_t> fgd = csv.Find("fgd_node");
  const std::optional<size_t> bestfit = csv.Find("bestfit_node");
  std::vector<model::ArrivalRow> rows;
  const size_t expected = std::min(csv.RemainingLines(), static_cast<size_t>(kMaxTraceTasks));
  rows.reserve(expected);
  SeenNames seen(expected);
  // A node name, or FAILED when the policy dropped the task.
  auto read_node = [&csv](std::optional<size_t> column) -> Result<std::string> {
    if (!column) return std::string();
    const std::string_view node = csv.at(*column);
    if (node == "FAILED") return std::string(node);
    if (node.empty()) return csv.Fail(*column, "must name a node or be FAILED, got an empty value");
    if (std::string why = CheckName(node); !why.empty()) return csv.Fail(*column, std::move(why));
    return std::string(node);
  };
  while (true) {
    TESSERA_ASSIGN_OR_RETURN(const bool more, csv.Next());
    if (!more) break;
    TESSERA_RETURN_IF_ERROR(CheckRowCount(csv, rows.size(), kMaxTraceTasks, "arrivals"));
    TESSERA_ASSIGN_OR_RETURN(const int64_t idx, ReadInt(csv, index, {kMaxTraceTasks, ""}));
    if (idx != static_cast<int64_t>(rows.size())) {
      return csv.Fail(index, fmt::format("must be {} (rows are numbered 0, 1, 2, ... in arrival "
                                         "order), got {}",
                                         rows.size(), idx));
    }
    model::ArrivalRow row;
    TESSERA_ASSIGN_OR_RETURN(row.task.name, ReadName(csv, task_name));
    TESSERA_RETURN_IF_ERROR(seen.Add(csv, task_name, csv.at(task_name), "task"));
    TESSERA_ASSIGN_OR_RETURN(row.source_task, ReadName(csv, source));
    TESSERA_RETURN_IF_ERROR(ReadTaskRequest(csv, columns, row.task));
    TESSERA_ASSIGN_OR_RETURN(row.fgd_node, read_node(fgd));
    TESSERA_ASSIGN_OR_RETURN(row.bestfit_node, read_node(bestfit));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return csv.FailFile("no arrivals: the file has a header but no rows");
  return rows;
}

// ---------------------------------------------------------------------------------------
// Scenario YAML
// ---------------------------------------------------------------------------------------

constexpr int64_t kMaxShapes = 10'000;
constexpr double kMaxWeight = 1e9;
constexpr double kMaxArrivalsPerHour = 1e9;

// The Levenshtein distance between a and b, for "did you mean" hints (short keys only).
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      // Letters that differ only in case count as equal ("gpumodel" is "gpuModel").
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// Every key of the mapping `object` must be one of `known`; the error names the first that
// is not, with a suggestion when one known key is close.
Status CheckKeys(const Field& object, std::initializer_list<std::string_view> known) {
  TESSERA_ASSIGN_OR_RETURN(auto entries, object.Entries());
  for (const auto& [key, value] : entries) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string hint;
    if (key.size() <= 64) {
      size_t best = 3;  // at most two edits away
      for (std::string_view k : known) {
        const size_t d = EditDistance(key, k);
        if (d < best) {
          best = d;
          hint = fmt::format(" (did you mean \"{}\"?)", k);
        }
      }
    }
    std::string list;
    for (std::string_view k : known) {
      if (!list.empty()) list += ", ";
      list += k;
    }
    return value.Fail(fmt::format("unknown key{}; known keys here: {}", hint, list));
  }
  return OkStatus();
}

// A plain (unquoted) number, finite, within [min, max].
Result<double> AsNumber(const Field& field, double min, double max) {
  if (!field.is_scalar()) return field.WrongType("a number");
  const std::string& text = field.node().Scalar();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!internal::IsPlainScalar(field.node()) || text.empty() || ec != std::errc() ||
      end != text.data() + text.size() || !std::isfinite(value)) {
    return field.Fail(fmt::format("must be a number, got {}", Quote(text)));
  }
  if (value < min || value > max) {
    return field.Fail(fmt::format("must be between {} and {}, got {}", min, max, Quote(text)));
  }
  return value;
}

// A plain integer within [min, max].
Result<int64_t> AsIntIn(const Field& field, int64_t min, int64_t max) {
  TESSERA_ASSIGN_OR_RETURN(const int64_t value, field.AsInt());
  if (value < min) {
    if (min == 0) return field.Fail(fmt::format("must not be negative, got {}", value));
    return field.Fail(fmt::format("must be at least {}, got {}", min, value));
  }
  if (value > max) return field.Fail(fmt::format("must be at most {}, got {}", max, value));
  return value;
}

// A duration or point in time in seconds: a plain integer ("3600") or units d, h, m and s
// ("90s", "15m", "2h", "1d", "1h30m").
Result<int64_t> AsSeconds(const Field& field) {
  if (!field.is_scalar()) return field.WrongType("a duration");
  const std::string& text = field.node().Scalar();
  auto malformed = [&] {
    return field.Fail(
        fmt::format("must be a number of seconds or a duration such as \"90s\", "
                    "\"15m\", \"2h\", \"1d\" or \"1h30m\", got {}",
                    Quote(text)));
  };
  if (text.starts_with('-')) {
    return field.Fail(fmt::format("must not be negative, got {}", Quote(text)));
  }
  if (text.empty()) return malformed();
  int64_t total = 0;
  size_t i = 0;
  const bool plain_number = std::all_of(text.begin(), text.end(), IsDigit);
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == start) return malformed();
    int64_t amount = 0;
    const auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, amount);
    if (ec != std::errc() || amount > kMaxTimeSeconds) {
      return field.Fail(fmt::format("must be at most {} seconds (100 years), got {}",
                                    kMaxTimeSeconds, Quote(text)));
    }
    int64_t unit = 1;
    if (!plain_number) {
      if (i == text.size()) return malformed();
      switch (text[i]) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        default:
          return malformed();
      }
      ++i;
    }
    // amount <= kMaxTimeSeconds and unit <= 86400, so neither product nor sum overflows.
    total += amount * unit;
    if (total > kMaxTimeSeconds) {
      return field.Fail(fmt::format("must be at most {} seconds (100 years), got {}",
                                    kMaxTimeSeconds, Quote(text)));
    }
  }
  return total;
}

// CPU as a Kubernetes quantity ("96", "500m", "1.5"), in millicores.
Result<int64_t> AsCpuMilli(const Field& field) {
  TESSERA_ASSIGN_OR_RETURN(const std::string text, field.AsString());
  auto parsed = ParseQuantity(text, QuantityUnit::Milli());
  if (!parsed.ok()) return std::move(parsed).error().UnderField(field.path());
  const int64_t milli = parsed->value();
  if (milli < 0) return field.Fail(fmt::format("must not be negative, got {}", Quote(text)));
  if (milli > kMaxCpuMilli) {
    return field.Fail(fmt::format("must be at most 100000 (cores), got {}", Quote(text)));
  }
  return milli;
}

// Appends the entries of a label mapping (node-group labels, a flavor's nodeLabels) to `out`:
// qualified names for keys, label values for values (an absent value is "").
Status AppendLabels(const std::vector<std::pair<std::string, Field>>& entries,
                    model::Labels& out) {
  for (const auto& [key, value] : entries) {
    if (std::string why = internal::CheckQualifiedName(key); !why.empty()) {
      return value.Fail(std::move(why));
    }
    std::string text;
    if (value.present()) {
      TESSERA_ASSIGN_OR_RETURN(text, value.AsString());
    }
    if (std::string why = internal::CheckLabelValue(text); !why.empty()) {
      return value.Fail(std::move(why));
    }
    out.emplace_back(key, std::move(text));
  }
  return OkStatus();
}

// Memory as a Kubernetes quantity in bytes ("384Gi", "512Mi"), in MiB.
Result<int64_t> AsMemoryMib(const Field& field) {
  TESSERA_ASSIGN_OR_RETURN(const std::string text, field.AsString());
  auto parsed = ParseQuantity(text, QuantityUnit::Whole());
  if (!parsed.ok()) return std::move(parsed).error().UnderField(field.path());
  const int64_t bytes = parsed->value();
  if (bytes < 0) return field.Fail(fmt::format("must not be negative, got {}", Quote(text)));
  constexpr int64_t kMib = int64_t{1} << 20;
  if (bytes % kMib != 0) {
    return field.Fail(
        fmt::format("{} is not a whole number of MiB: write it in Mi, Gi or Ti "
                    "(a plain number counts bytes)",
                    Quote(text)));
  }
  if (bytes / kMib > kMaxMemoryMib) {
    return field.Fail(fmt::format("must be at most 1Pi, got {}", Quote(text)));
  }
  return bytes / kMib;
}

// Names the object an error is about, when it has a name.
Error InObject(Error error, std::string_view kind, const std::string& name) {
  if (name.empty()) return error;
  return std::move(error.WithObject(kind, name));
}

// The name of a list item for error messages, if it has a usable one: errors found before
// the name is validated still say which item they are about.
std::string BestEffortName(const Field& item, std::string_view key) {
  const Field name = item.Get(key);
  if (!name.is_scalar()) return "";
  const std::string& text = name.node().Scalar();
  return CheckName(text).empty() ? text : "";
}

// The request fields of a task or shape, checked together.
struct Request {
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t num_gpu = 0;
  int32_t gpu_milli = 0;
  std::vector<std::string> gpu_models;
};

class ScenarioParser {
 public:
  explicit ScenarioParser(std::string_view file) : file_(file) {}

  Result<model::Scenario> Parse(const Field& root) {
    if (!root.is_map()) {
      return root.Fail(
          fmt::format("a scenario must be a mapping (with nodeGroups and tasks or "
                      "a generator), got {}",
                      internal::Describe(root.node())));
    }
    TESSERA_RETURN_IF_ERROR(CheckKeys(root, {"apiVersion", "kind", "name", "description",
                                             "nodeGroups", "queues", "tasks", "generator"}));
    TESSERA_ASSIGN_OR_RETURN(auto api_version, root.GetString("apiVersion"));
    if (api_version && *api_version != "tessera/v1alpha1") {
      return root.Get("apiVersion")
          .Fail(fmt::format("must be tessera/v1alpha1, got {}", Quote(*api_version)));
    }
    TESSERA_ASSIGN_OR_RETURN(auto kind, root.GetString("kind"));
    if (kind && *kind != "Scenario") {
      return root.Get("kind").Fail(fmt::format("must be Scenario, got {}", Quote(*kind)));
    }
    TESSERA_ASSIGN_OR_RETURN(auto description, root.GetString("description"));
    (void)description;  // for readers of the file only

    model::Scenario scenario;
    scenario.source = std::string(file_);
    TESSERA_ASSIGN_OR_RETURN(auto name, root.GetString("name"));
    if (name) {
      if (name->empty() || name->size() > 253) {
        return root.Get("name").Fail(
            fmt::format("must be 1 to 253 characters, got {}", Quote(*name)));
      }
      scenario.name = *name;
    } else {
      scenario.name = fs::path(std::string(file_)).stem().string();
      if (scenario.name.empty()) scenario.name = "scenario";
    }

    const Field groups = root.Get("nodeGroups");
    if (!groups.present()) return groups.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> group_items, groups.Items());
    if (group_items.empty()) return groups.Fail("must list at least one node group");
    for (const Field& group : group_items) {
      const std::string label = BestEffortName(group, "prefix");
      Status parsed = ParseNodeGroup(group, scenario.nodes);
      if (!parsed.ok()) return InObject(std::move(parsed).error(), "node group", label);
    }

    const Field queues = root.Get("queues");
    if (queues.present()) {
      TESSERA_ASSIGN_OR_RETURN(model::ScenarioQueues parsed, ParseQueues(queues, scenario.nodes));
      scenario.queues = std::move(parsed);
    }

    const Field tasks = root.Get("tasks");
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> task_items, tasks.Items());
    if (static_cast<int64_t>(task_items.size()) > kMaxTraceTasks) {
      return tasks.Fail(
          fmt::format("lists {} tasks; at most {} are allowed", task_items.size(), kMaxTraceTasks));
    }
    scenario.tasks.reserve(task_items.size());
    std::unordered_map<std::string, size_t> task_index;
    int64_t total_pods = 0;
    for (size_t i = 0; i < task_items.size(); ++i) {
      const Field& item = task_items[i];
      const std::string label = BestEffortName(item, "name");
      auto task = ParseTask(item);
      if (!task.ok()) return InObject(std::move(task).error(), "task", label);
      // `count: N` lists N copies named <name>-0 .. <name>-(N-1) (a burst of alike tasks).
      int64_t copies = 1;
      const Field count = item.Get("count");
      if (count.present()) {
        auto n = AsIntIn(count, 1, kMaxTraceTasks);
        if (!n.ok()) return InObject(std::move(n).error(), "task", label);
        copies = *n;
        if (static_cast<int64_t>(scenario.tasks.size()) + copies > kMaxTraceTasks) {
          return InObject(
              count.Fail(fmt::format("the scenario would have more than {} tasks", kMaxTraceTasks)),
              "task", label);
        }
      }
      // copies <= kMaxTraceTasks and pods <= kMaxPodsPerTask: the product fits.
      total_pods += copies * task->pods;
      if (total_pods > model::kMaxTenantPods) {
        return InObject(item.Get(task->pods > 1 ? "pods" : "count")
                            .Fail(fmt::format("the tasks would have more than {} pods in all",
                                              model::kMaxTenantPods)),
                        "task", label);
      }
      for (int64_t k = 0; k < copies; ++k) {
        model::TraceTask copy = *task;
        if (count.present()) {
          copy.name = fmt::format("{}-{}", task->name, k);
          if (std::string why = CheckName(copy.name); !why.empty()) {
            return InObject(item.Get("name").Fail(std::move(why)), "task", label);
          }
        }
        auto [it, inserted] = task_index.emplace(copy.name, i);
        if (!inserted) {
          return Error(ErrorCode::kAlreadyExists,
                       fmt::format("duplicate task {} (first defined at tasks[{}])",
                                   Quote(copy.name), it->second))
              .UnderField(item.Get("name").path())
              .WithObject("task", copy.name);
        }
        scenario.tasks.push_back(std::move(copy));
      }
    }

    const Field generator = root.Get("generator");
    if (generator.present()) {
      TESSERA_ASSIGN_OR_RETURN(model::GeneratedWorkload generated, ParseGenerator(generator));
      const int64_t total = static_cast<int64_t>(scenario.tasks.size()) + generated.count;
      if (total > kMaxTraceTasks) {
        return generator.Get("count").Fail(
            fmt::format("the scenario would have {} tasks ({} listed + {} generated); at most {} "
                        "are allowed",
                        total, scenario.tasks.size(), generated.count, kMaxTraceTasks));
      }
      scenario.generated = std::move(generated);
    }
    if (scenario.tasks.empty() && !scenario.generated) {
      return InvalidArgument("no workload: give tasks, a generator, or both");
    }
    return scenario;
  }

 private:
  Status ParseNodeGroup(const Field& group, std::vector<model::TraceNode>& nodes) {
    if (!group.is_map()) return group.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(CheckKeys(
        group, {"prefix", "count", "gpuModel", "gpusPerNode", "cpu", "memory", "labels", "racks"}));
    TESSERA_ASSIGN_OR_RETURN(const std::string prefix, group.GetRequiredString("prefix"));
    const Field count_field = group.Get("count");
    if (!count_field.present()) return count_field.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(const int64_t count, AsIntIn(count_field, 1, kMaxTraceNodes));
    const int width = DigitCount(count - 1);
    // Names are prefix-<digits>, so distinct prefixes give distinct names.
    if (std::string why = internal::CheckDnsSubdomain(prefix, 253 - 1 - static_cast<size_t>(width));
        !why.empty()) {
      return group.Get("prefix").Fail(std::move(why));
    }
    if (!prefixes_.emplace(prefix, group.path()).second) {
      return Error(ErrorCode::kAlreadyExists,
                   fmt::format("duplicate prefix {} (first used by {}): node names would repeat",
                               Quote(prefix), prefixes_[prefix]))
          .UnderField(group.Get("prefix").path());
    }
    if (total_nodes_ + count > kMaxTraceNodes) {
      return count_field.Fail(
          fmt::format("the scenario would have {} nodes; at most {} are allowed",
                      total_nodes_ + count, kMaxTraceNodes));
    }
    total_nodes_ += count;

    model::TraceNode node;
    const Field gpus_field = group.Get("gpusPerNode");
    if (gpus_field.present()) {
      TESSERA_ASSIGN_OR_RETURN(const int64_t gpus, AsIntIn(gpus_field, 0, kMaxGpusPerNode));
      node.gpus = static_cast<int32_t>(gpus);
    }
    TESSERA_ASSIGN_OR_RETURN(auto model, group.GetString("gpuModel"));
    if (node.gpus > 0) {
      if (!model) return group.Get("gpuModel").Fail("required when gpusPerNode is above 0");
      if (std::string why = CheckGpuModel(*model); !why.empty()) {
        return group.Get("gpuModel").Fail(std::move(why));
      }
      node.gpu_model = *model;
      gpu_models_.push_back(*model);
    } else if (model) {
      return group.Get("gpuModel")
          .Fail(
              fmt::format("set to {}, but gpusPerNode is 0: give gpusPerNode too", Quote(*model)));
    }
    const Field cpu = group.Get("cpu");
    if (!cpu.present()) return cpu.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(node.cpu_milli, AsCpuMilli(cpu));
    if (node.cpu_milli == 0) return cpu.Fail("must be above 0");
    const Field memory = group.Get("memory");
    if (!memory.present()) return memory.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(node.memory_mib, AsMemoryMib(memory));
    if (node.memory_mib == 0) return memory.Fail("must be above 0");

    const Field labels = group.Get("labels");
    TESSERA_ASSIGN_OR_RETURN(auto label_entries, labels.Entries());
    TESSERA_RETURN_IF_ERROR(AppendLabels(label_entries, node.labels));

    std::string rack_label;
    int64_t nodes_per_rack = 0;
    const Field racks = group.Get("racks");
    if (racks.present()) {
      if (!racks.is_map()) return racks.WrongType("a mapping");
      TESSERA_RETURN_IF_ERROR(CheckKeys(racks, {"label", "nodesPerRack"}));
      TESSERA_ASSIGN_OR_RETURN(rack_label, racks.GetRequiredString("label"));
      if (std::string why = internal::CheckQualifiedName(rack_label); !why.empty()) {
        return racks.Get("label").Fail(std::move(why));
      }
      for (const auto& [key, value] : node.labels) {
        if (key == rack_label) {
          return racks.Get("label").Fail(
              fmt::format("{} is also set in labels; set it in one place", Quote(key)));
        }
      }
      const Field per_rack = racks.Get("nodesPerRack");
      if (!per_rack.present()) return per_rack.Fail("required field is missing");
      TESSERA_ASSIGN_OR_RETURN(nodes_per_rack, AsIntIn(per_rack, 1, kMaxTraceNodes));
      // The value is <prefix>-rack-<j>, a label value of at most 63 characters.
      const int64_t num_racks = (count + nodes_per_rack - 1) / nodes_per_rack;
      const std::string longest =
          fmt::format("{}-rack-{:0{}}", prefix, num_racks - 1, DigitCount(num_racks - 1));
      if (std::string why = internal::CheckLabelValue(longest); !why.empty()) {
        return racks.Fail(fmt::format("the rack label values would be invalid: {}", why));
      }
    }

    nodes.reserve(nodes.size() + static_cast<size_t>(count));
    const int64_t num_racks =
        nodes_per_rack > 0 ? (count + nodes_per_rack - 1) / nodes_per_rack : 0;
    for (int64_t i = 0; i < count; ++i) {
      model::TraceNode n = node;
      n.name = fmt::format("{}-{:0{}}", prefix, i, width);
      if (nodes_per_rack > 0) {
        n.labels.emplace_back(rack_label, fmt::format("{}-rack-{:0{}}", prefix, i / nodes_per_rack,
                                                      DigitCount(num_racks - 1)));
      }
      nodes.push_back(std::move(n));
    }
    return OkStatus();
  }

  // cpu, memory, gpus, gpuMilli and gpuModels of a task or shape.
  Result<Request> ParseRequest(const Field& item) {
    Request r;
    if (item.Has("cpu")) {
      TESSERA_ASSIGN_OR_RETURN(r.cpu_milli, AsCpuMilli(item.Get("cpu")));
    }
    if (item.Has("memory")) {
      TESSERA_ASSIGN_OR_RETURN(r.memory_mib, AsMemoryMib(item.Get("memory")));
    }
    int64_t gpus = 0;
    if (item.Has("gpus")) {
      TESSERA_ASSIGN_OR_RETURN(gpus, AsIntIn(item.Get("gpus"), 0, kMaxGpusPerNode));
    }
    int64_t gpu_milli = gpus > 0 ? 1000 : 0;
    const Field milli = item.Get("gpuMilli");
    if (milli.present()) {
      TESSERA_ASSIGN_OR_RETURN(gpu_milli, AsIntIn(milli, 0, 1000));
      if (std::string why = CheckGpuShare(gpus, gpu_milli, "gpus"); !why.empty()) {
        return milli.Fail(std::move(why));
      }
    }
    r.num_gpu = static_cast<int32_t>(gpus);
    r.gpu_milli = static_cast<int32_t>(gpu_milli);
    const Field models = item.Get("gpuModels");
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> model_items, models.Items());
    if (!model_items.empty() && gpus == 0) {
      return models.Fail("must be empty for a task without GPUs (gpus is 0)");
    }
    for (const Field& m : model_items) {
      TESSERA_ASSIGN_OR_RETURN(std::string model, m.AsString());
      if (std::string why = CheckGpuModel(model); !why.empty()) return m.Fail(std::move(why));
      if (std::find(gpu_models_.begin(), gpu_models_.end(), model) == gpu_models_.end()) {
        std::string known;
        std::vector<std::string> sorted = gpu_models_;
        SortUnique(sorted);
        for (const std::string& k : sorted) {
          if (!known.empty()) known += ", ";
          known += k;
        }
        return m.Fail(fmt::format("{} is not the gpuModel of any node group (known: {})",
                                  Quote(model), known.empty() ? "none" : known));
      }
      r.gpu_models.push_back(std::move(model));
    }
    SortUnique(r.gpu_models);
    return r;
  }

  Result<model::TraceTask> ParseTask(const Field& item) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(
        CheckKeys(item, {"name", "count", "cpu", "memory", "gpus", "gpuMilli", "gpuModels",
                         "arrival", "duration", "queue", "priority", "pods"}));
    model::TraceTask task;
    TESSERA_ASSIGN_OR_RETURN(task.name, item.GetRequiredString("name"));
    if (std::string why = CheckName(task.name); !why.empty()) {
      return item.Get("name").Fail(std::move(why));
    }
    TESSERA_RETURN_IF_ERROR(ParseQueueRef(item, task.queue, task.priority_class));
    TESSERA_ASSIGN_OR_RETURN(task.pods, ParsePods(item));
    TESSERA_ASSIGN_OR_RETURN(Request r, ParseRequest(item));
    task.cpu_milli = r.cpu_milli;
    task.memory_mib = r.memory_mib;
    task.num_gpu = r.num_gpu;
    task.gpu_milli = r.gpu_milli;
    task.gpu_models = std::move(r.gpu_models);
    task.creation_s = 0;
    if (item.Has("arrival")) {
      TESSERA_ASSIGN_OR_RETURN(task.creation_s, AsSeconds(item.Get("arrival")));
    }
    if (item.Has("duration")) {
      TESSERA_ASSIGN_OR_RETURN(const int64_t duration, AsSeconds(item.Get("duration")));
      task.deletion_s = task.creation_s + duration;  // both <= kMaxTimeSeconds
    }
    return task;
  }

  Result<model::GeneratedWorkload> ParseGenerator(const Field& generator) {
    if (!generator.is_map()) return generator.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(CheckKeys(generator, {"count", "arrivalsPerHour", "shapes"}));
    model::GeneratedWorkload out;
    const Field count = generator.Get("count");
    if (!count.present()) return count.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(out.count, AsIntIn(count, 1, kMaxTraceTasks));
    const Field rate = generator.Get("arrivalsPerHour");
    if (rate.present()) {
      TESSERA_ASSIGN_OR_RETURN(out.arrivals_per_hour, AsNumber(rate, 0, kMaxArrivalsPerHour));
    }
    const Field shapes = generator.Get("shapes");
    if (!shapes.present()) return shapes.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> items, shapes.Items());
    if (items.empty()) return shapes.Fail("must list at least one shape");
    if (static_cast<int64_t>(items.size()) > kMaxShapes) {
      return shapes.Fail(
          fmt::format("lists {} shapes; at most {} are allowed", items.size(), kMaxShapes));
    }
    std::unordered_map<std::string, size_t> seen;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string label = BestEffortName(items[i], "name");
      auto shape = ParseShape(items[i]);
      if (!shape.ok()) return InObject(std::move(shape).error(), "shape", label);
      auto [it, inserted] = seen.emplace(shape->name, i);
      if (!inserted) {
        return Error(ErrorCode::kAlreadyExists,
                     fmt::format("duplicate shape {} (first defined at {})", Quote(shape->name),
                                 internal::IndexPath(shapes.path(), it->second)))
            .UnderField(items[i].Get("name").path())
            .WithObject("shape", shape->name);
      }
      out.shapes.push_back(std::move(*shape));
    }
    return out;
  }

  Result<model::TaskShape> ParseShape(const Field& item) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(
        CheckKeys(item, {"name", "weight", "cpu", "memory", "gpus", "gpuMilli", "gpuModels",
                         "duration", "durationMin", "durationMax", "queue", "priority", "pods"}));
    model::TaskShape shape;
    TESSERA_ASSIGN_OR_RETURN(shape.name, item.GetRequiredString("name"));
    if (std::string why = CheckName(shape.name); !why.empty()) {
      return item.Get("name").Fail(std::move(why));
    }
    TESSERA_RETURN_IF_ERROR(ParseQueueRef(item, shape.queue, shape.priority_class));
    TESSERA_ASSIGN_OR_RETURN(shape.pods, ParsePods(item));
    const Field weight = item.Get("weight");
    if (weight.present()) {
      TESSERA_ASSIGN_OR_RETURN(shape.weight, AsNumber(weight, 0, kMaxWeight));
      if (shape.weight <= 0) return weight.Fail("must be above 0");
    }
    TESSERA_ASSIGN_OR_RETURN(Request r, ParseRequest(item));
    shape.cpu_milli = r.cpu_milli;
    shape.memory_mib = r.memory_mib;
    shape.num_gpu = r.num_gpu;
    shape.gpu_milli = r.gpu_milli;
    shape.gpu_models = std::move(r.gpu_models);
    const bool has_min = item.Has("durationMin");
    const bool has_max = item.Has("durationMax");
    if (item.Has("duration")) {
      if (has_min || has_max) {
        return item.Get(has_min ? "durationMin" : "durationMax")
            .Fail("give either duration or durationMin and durationMax, not both");
      }
      TESSERA_ASSIGN_OR_RETURN(shape.duration_min_s, AsSeconds(item.Get("duration")));
      shape.duration_max_s = shape.duration_min_s;
    } else if (has_min || has_max) {
      if (!has_min) return item.Get("durationMin").Fail("required when durationMax is set");
      if (!has_max) return item.Get("durationMax").Fail("required when durationMin is set");
      TESSERA_ASSIGN_OR_RETURN(shape.duration_min_s, AsSeconds(item.Get("durationMin")));
      TESSERA_ASSIGN_OR_RETURN(shape.duration_max_s, AsSeconds(item.Get("durationMax")));
      if (shape.duration_max_s < shape.duration_min_s) {
        return item.Get("durationMax")
            .Fail(fmt::format("must not be less than durationMin ({} s), got {} s",
                              shape.duration_min_s, shape.duration_max_s));
      }
    }
    return shape;
  }

  // --- queues (docs/scenario-format.md, "Queues") ---------------------------------------

  // `queue` and `priority` of a task or shape: names of a ClusterQueue and a priority class
  // of the scenario's queues section, which the scenario must have (queue is then required).
  Status ParseQueueRef(const Field& item, std::string& queue, std::string& priority_class) {
    const Field q = item.Get("queue");
    const Field p = item.Get("priority");
    if (!queues_read_) {
      if (q.present()) return q.Fail("the scenario has no queues section");
      if (p.present()) return p.Fail("the scenario has no queues section");
      return OkStatus();
    }
    if (!q.present()) {
      return q.Fail("required when the scenario has queues: name one of its clusterQueues");
    }
    TESSERA_ASSIGN_OR_RETURN(queue, q.AsString());
    if (std::find(cluster_queue_names_.begin(), cluster_queue_names_.end(), queue) ==
        cluster_queue_names_.end()) {
      return q.Fail(fmt::format("{} is not one of the scenario's clusterQueues ({})", Quote(queue),
                                Join(cluster_queue_names_)));
    }
    if (p.present()) {
      TESSERA_ASSIGN_OR_RETURN(priority_class, p.AsString());
      if (std::find(priority_names_.begin(), priority_names_.end(), priority_class) ==
          priority_names_.end()) {
        return p.Fail(fmt::format("{} is not one of the scenario's priorityClasses ({})",
                                  Quote(priority_class),
                                  priority_names_.empty() ? "none" : Join(priority_names_)));
      }
    }
    return OkStatus();
  }

  // `pods` of a task or shape: one PodSet of that many pods, which only the tenant replay
  // (a scenario with queues) runs.
  Result<int32_t> ParsePods(const Field& item) {
    const Field pods = item.Get("pods");
    if (!pods.present()) return 1;
    if (!queues_read_) {
      return pods.Fail(
          "the scenario has no queues section: tasks of several pods are replayed with queues "
          "only (the plain replay and fill experiments run one pod per task)");
    }
    TESSERA_ASSIGN_OR_RETURN(const int64_t n, AsIntIn(pods, 1, model::kMaxPodsPerTask));
    return static_cast<int32_t>(n);
  }

  // The first few of `names` for a message (a scenario may have 64 flavors of 253
  // characters each).
  static std::string JoinFew(const std::vector<std::string>& names) {
    constexpr size_t kShown = 8;
    std::string out;
    for (size_t i = 0; i < names.size() && i < kShown; ++i) {
      if (!out.empty()) out += ", ";
      out += names[i];
    }
    if (names.size() > kShown) out += fmt::format(" and {} more", names.size() - kShown);
    return out;
  }

  static std::string Join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
      if (!out.empty()) out += ", ";
      out += n;
    }
    return out;
  }

  // One amount of a quota mapping ({cpu: 64, memory: 256Gi, gpu: 8}) in the resource's
  // quota unit: millicores, bytes, milli-GPU.
  Result<int64_t> ParseQuotaAmount(const std::string& resource, const Field& value) {
    if (resource == "cpu") return AsCpuMilli(value);
    if (resource == "memory") {
      TESSERA_ASSIGN_OR_RETURN(const int64_t mib, AsMemoryMib(value));
      return mib << 20;
    }
    // gpu: whole GPUs or a decimal with at most three places ("2.5"), in milli-GPU.
    TESSERA_ASSIGN_OR_RETURN(const std::string text, value.AsString());
    auto parsed = ParseQuantity(text, QuantityUnit::Milli());
    if (!parsed.ok()) return std::move(parsed).error().UnderField(value.path());
    const int64_t milli = parsed->value();
    if (milli < 0) return value.Fail(fmt::format("must not be negative, got {}", Quote(text)));
    constexpr int64_t kMaxGpuMilli = kMaxTraceNodes * kMaxGpusPerNode * 1000;
    if (milli > kMaxGpuMilli) {
      return value.Fail(
          fmt::format("must be at most {} (GPUs), got {}", kMaxGpuMilli / 1000, Quote(text)));
    }
    return milli;
  }

  // A mapping of resource -> amount; keys must be cpu, memory or gpu.
  Result<std::vector<std::pair<std::string, int64_t>>> ParseQuotaMap(const Field& map) {
    std::vector<std::pair<std::string, int64_t>> out;
    if (!map.present()) return out;
    if (!map.is_map()) return map.WrongType("a mapping of cpu, memory and gpu to amounts");
    TESSERA_RETURN_IF_ERROR(CheckKeys(map, {"cpu", "memory", "gpu"}));
    TESSERA_ASSIGN_OR_RETURN(auto entries, map.Entries());
    for (const auto& [key, value] : entries) {
      TESSERA_ASSIGN_OR_RETURN(const int64_t amount, ParseQuotaAmount(key, value));
      out.emplace_back(key, amount);
      used_resources_[ResourceRank(key)] = true;
    }
    return out;
  }

  static size_t ResourceRank(std::string_view r) { return r == "cpu" ? 0 : r == "memory" ? 1 : 2; }

  struct QuotaFields {
    std::vector<std::pair<std::string, int64_t>> nominal, borrowing, lending;
  };

  // quota, borrowingLimit and lendingLimit of a ClusterQueue or cohort. Limits need a parent
  // to borrow from or lend to (Kueue's rule); a lendingLimit may not exceed the nominal quota.
  Result<QuotaFields> ParseQuotaFields(const Field& item, bool has_parent,
                                       std::string_view parent_field) {
    QuotaFields q;
    TESSERA_ASSIGN_OR_RETURN(q.nominal, ParseQuotaMap(item.Get("quota")));
    TESSERA_ASSIGN_OR_RETURN(q.borrowing, ParseQuotaMap(item.Get("borrowingLimit")));
    TESSERA_ASSIGN_OR_RETURN(q.lending, ParseQuotaMap(item.Get("lendingLimit")));
    for (const char* limit : {"borrowingLimit", "lendingLimit"}) {
      if (item.Has(limit) && !has_parent) {
        return item.Get(limit).Fail(
            fmt::format("needs {}: there is nothing to {} without one", parent_field,
                        std::string_view(limit) == "borrowingLimit" ? "borrow from" : "lend to"));
      }
    }
    for (const auto& [resource, amount] : q.lending) {
      int64_t nominal = 0;
      for (const auto& [r, a] : q.nominal) {
        if (r == resource) nominal = a;
      }
      if (amount > nominal) {
        return item.Get("lendingLimit")
            .Get(resource)
            .Fail(fmt::format("must not exceed the nominal quota of {}", resource));
      }
    }
    return q;
  }

  // A quota, borrowingLimit and lendingLimit per ResourceFlavor, in preference order.
  using FlavorQuotas = std::vector<std::pair<std::string, QuotaFields>>;

  // The quotas of a ClusterQueue or cohort: with queues.flavors, its `flavors` list
  // ([{name, quota, borrowingLimit, lendingLimit}], required for a ClusterQueue); without,
  // the flat quota, borrowingLimit and lendingLimit of the one flavor kScenarioFlavor.
  Result<FlavorQuotas> ParseFlavorQuotas(const Field& item, bool has_parent,
                                         std::string_view parent_field, bool is_cluster_queue) {
    const Field flavors = item.Get("flavors");
    if (flavor_names_.empty()) {
      if (flavors.present()) {
        return flavors.Fail(
            "needs queues.flavors: list the ResourceFlavors there (without it, the flat quota, "
            "borrowingLimit and lendingLimit are the one flavor \"default\")");
      }
      TESSERA_ASSIGN_OR_RETURN(QuotaFields q, ParseQuotaFields(item, has_parent, parent_field));
      FlavorQuotas out;
      out.emplace_back(std::string(model::kScenarioFlavor), std::move(q));
      return out;
    }
    for (const char* flat : {"quota", "borrowingLimit", "lendingLimit"}) {
      if (item.Has(flat)) {
        return item.Get(flat).Fail(
            "queues.flavors is given: set quotas per flavor under flavors "
            "([{name, quota, borrowingLimit, lendingLimit}])");
      }
    }
    FlavorQuotas out;
    if (!flavors.present()) {
      if (!is_cluster_queue) return out;
      return flavors.Fail(fmt::format(
          "required when queues.flavors is given: list the flavors ({}) this ClusterQueue "
          "has quota in, in order of preference",
          JoinFew(flavor_names_)));
    }
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> items, flavors.Items());
    if (items.empty()) return flavors.Fail("must list at least one flavor");
    // Kueue's limit on the flavors of one resource group.
    constexpr size_t kMaxFlavorsPerGroup = 16;
    if (items.size() > kMaxFlavorsPerGroup) {
      return flavors.Fail(fmt::format("lists {} flavors; at most {} are allowed", items.size(),
                                      kMaxFlavorsPerGroup));
    }
    for (const Field& f : items) {
      if (!f.is_map()) return f.WrongType("a mapping");
      TESSERA_RETURN_IF_ERROR(CheckKeys(f, {"name", "quota", "borrowingLimit", "lendingLimit"}));
      TESSERA_ASSIGN_OR_RETURN(std::string name, f.GetRequiredString("name"));
      if (std::find(flavor_names_.begin(), flavor_names_.end(), name) == flavor_names_.end()) {
        return f.Get("name").Fail(fmt::format("{} is not one of queues.flavors ({})", Quote(name),
                                              JoinFew(flavor_names_)));
      }
      for (const auto& seen : out) {
        if (seen.first == name) {
          return f.Get("name").Fail(
              fmt::format("duplicate flavor {}: list each flavor once", Quote(name)));
        }
      }
      TESSERA_ASSIGN_OR_RETURN(QuotaFields q, ParseQuotaFields(f, has_parent, parent_field));
      out.emplace_back(std::move(name), std::move(q));
    }
    return out;
  }

  // queues.flavors: [{name, nodeLabels: {k: v}}]. Each flavor's labels must be those of
  // some node (labels of the node groups, and their rack labels).
  Status ParseFlavors(const Field& flavors, const std::vector<model::TraceNode>& nodes,
                      model::QueueObjects& o) {
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> items, flavors.Items());
    if (items.empty()) return flavors.Fail("must list at least one flavor");
    constexpr size_t kMaxFlavors = 64;
    if (items.size() > kMaxFlavors) {
      return flavors.Fail(
          fmt::format("lists {} flavors; at most {} are allowed", items.size(), kMaxFlavors));
    }
    for (const Field& item : items) {
      const std::string label = BestEffortName(item, "name");
      Status parsed = ParseFlavor(item, nodes, o);
      if (!parsed.ok()) return InObject(std::move(parsed).error(), "ResourceFlavor", label);
    }
    return OkStatus();
  }

  Status ParseFlavor(const Field& item, const std::vector<model::TraceNode>& nodes,
                     model::QueueObjects& o) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(CheckKeys(item, {"name", "nodeLabels"}));
    model::ResourceFlavorSpec f{.name = "", .source = std::string(file_)};
    TESSERA_ASSIGN_OR_RETURN(f.name, item.GetRequiredString("name"));
    if (std::string why = CheckName(f.name); !why.empty()) {
      return item.Get("name").Fail(std::move(why));
    }
    if (std::find(flavor_names_.begin(), flavor_names_.end(), f.name) != flavor_names_.end()) {
      return item.Get("name").Fail(fmt::format("duplicate flavor {}", Quote(f.name)));
    }
    const Field labels = item.Get("nodeLabels");
    if (labels.present() && !labels.is_map()) return labels.WrongType("a mapping of labels");
    TESSERA_ASSIGN_OR_RETURN(auto entries, labels.Entries());
    // Kueue's limit on a ResourceFlavor's nodeLabels; it also bounds the match below
    // (nodes x labels).
    constexpr size_t kMaxNodeLabels = 8;
    if (entries.size() > kMaxNodeLabels) {
      return labels.Fail(
          fmt::format("has {} labels; at most {} are allowed", entries.size(), kMaxNodeLabels));
    }
    TESSERA_RETURN_IF_ERROR(AppendLabels(entries, f.node_labels));
    const bool matches =
        std::any_of(nodes.begin(), nodes.end(), [&f](const model::TraceNode& node) {
          return std::all_of(f.node_labels.begin(), f.node_labels.end(),
                             [&node](const std::pair<std::string, std::string>& want) {
                               return std::find(node.labels.begin(), node.labels.end(), want) !=
                                      node.labels.end();
                             });
        });
    if (!matches) {
      std::string wanted;
      for (const auto& [key, value] : f.node_labels) {
        if (!wanted.empty()) wanted += ", ";
        wanted += key + "=" + value;
      }
      return labels.Fail(fmt::format(
          "no node of the scenario has {}: the flavor's workloads could never run (set labels "
          "on a node group)",
          f.node_labels.size() == 1 ? wanted : "all of " + wanted));
    }
    flavor_names_.push_back(f.name);
    o.flavors.push_back(std::move(f));
    return OkStatus();
  }

  Result<model::ScenarioQueues> ParseQueues(const Field& queues,
                                            const std::vector<model::TraceNode>& nodes) {
    if (!queues.is_map()) return queues.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(CheckKeys(queues, {"fairSharing", "agingSeconds", "flavors", "cohorts",
                                               "clusterQueues", "priorityClasses"}));
    model::ScenarioQueues out;
    model::QueueObjects& o = out.objects;
    const std::string source(file_);
    // fairSharing: a bool, or Kueue's Configuration section {enable, preemptionStrategies}
    // (present means on unless enable is false, as in config.kueue.x-k8s.io/v1beta2).
    const Field fair = queues.Get("fairSharing");
    if (fair.is_map()) {
      TESSERA_ASSIGN_OR_RETURN(auto spec,
                               internal::ParseKueueFairSharing(queues, /*v1beta2=*/true, source));
      if (spec) {
        out.fair_sharing = spec->enabled;
        o.kueue_fair_sharing = std::move(*spec);
      }
    } else if (fair.present() && !fair.is_scalar()) {
      return fair.WrongType("true, false or a mapping {enable, preemptionStrategies}");
    } else {
      TESSERA_ASSIGN_OR_RETURN(auto on, queues.GetBool("fairSharing"));
      out.fair_sharing = on.value_or(false);
    }
    const Field aging = queues.Get("agingSeconds");
    if (aging.present()) {
      TESSERA_ASSIGN_OR_RETURN(out.aging_seconds, AsIntIn(aging, 0, kMaxTimeSeconds));
    }
    const Field flavors = queues.Get("flavors");
    if (flavors.present()) {
      TESSERA_RETURN_IF_ERROR(ParseFlavors(flavors, nodes, o));
    } else {
      o.flavors.push_back({.name = std::string(model::kScenarioFlavor), .source = source});
    }

    // Priority classes.
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> classes,
                             queues.Get("priorityClasses").Items());
    for (const Field& item : classes) {
      const std::string label = BestEffortName(item, "name");
      auto parsed = ParsePriorityClass(item);
      if (!parsed.ok()) return InObject(std::move(parsed).error(), "priority class", label);
      o.workload_priority_classes.push_back(std::move(*parsed));
    }

    // Cohorts: names first (a parent may be listed after its child), then the fields.
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> cohorts, queues.Get("cohorts").Items());
    std::vector<std::string> cohort_names;
    for (const Field& item : cohorts) {
      if (!item.is_map()) return item.WrongType("a mapping");
      TESSERA_ASSIGN_OR_RETURN(std::string name, item.GetRequiredString("name"));
      if (std::string why = CheckName(name); !why.empty()) {
        return InObject(item.Get("name").Fail(std::move(why)), "cohort", "");
      }
      if (std::find(cohort_names.begin(), cohort_names.end(), name) != cohort_names.end()) {
        return InObject(item.Get("name").Fail(fmt::format("duplicate cohort {}", Quote(name))),
                        "cohort", name);
      }
      cohort_names.push_back(std::move(name));
    }
    QuotaFieldsByName cohort_quotas;
    for (size_t i = 0; i < cohorts.size(); ++i) {
      const Field& item = cohorts[i];
      const std::string& name = cohort_names[i];
      auto parsed = ParseCohort(item, name, cohort_names, cohort_quotas);
      if (!parsed.ok()) return InObject(std::move(parsed).error(), "cohort", name);
      o.cohorts.push_back(std::move(*parsed));
    }
    // A parent chain that comes back to where it started.
    for (size_t i = 0; i < o.cohorts.size(); ++i) {
      std::string at = o.cohorts[i].parent;
      std::string chain = o.cohorts[i].name;
      for (size_t steps = 0; !at.empty() && steps <= o.cohorts.size(); ++steps) {
        chain += " -> " + at;
        if (at == o.cohorts[i].name) {
          return InObject(cohorts[i].Get("parent").Fail(fmt::format("cycle {}", chain)), "cohort",
                          o.cohorts[i].name);
        }
        std::string next;
        for (const model::CohortSpec& c : o.cohorts) {
          if (c.name == at) next = c.parent;
        }
        at = std::move(next);
      }
    }

    // ClusterQueues.
    const Field cqs = queues.Get("clusterQueues");
    if (!cqs.present()) return cqs.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(const std::vector<Field> cq_items, cqs.Items());
    if (cq_items.empty()) return cqs.Fail("must list at least one ClusterQueue");
    constexpr size_t kMaxClusterQueues = 10'000;
    if (cq_items.size() > kMaxClusterQueues) {
      return cqs.Fail(fmt::format("lists {} ClusterQueues; at most {} are allowed", cq_items.size(),
                                  kMaxClusterQueues));
    }
    QuotaFieldsByName cq_quotas;
    for (const Field& item : cq_items) {
      const std::string label = BestEffortName(item, "name");
      auto parsed = ParseClusterQueue(item, cohort_names, cq_quotas);
      if (!parsed.ok()) return InObject(std::move(parsed).error(), "ClusterQueue", label);
      cluster_queue_names_.push_back(parsed->name);
      o.local_queues.push_back({.namespace_name = std::string(model::kScenarioNamespace),
                                .name = parsed->name,
                                .source = source,
                                .cluster_queue = parsed->name});
      o.cluster_queues.push_back(std::move(*parsed));
    }

    // Every ClusterQueue covers the resources some quota names, in one group of the one
    // flavor; a resource a ClusterQueue does not name has nominal quota 0 there.
    const char* kResources[3] = {"cpu", "memory", "gpu"};
    for (size_t r = 0; r < 3; ++r) {
      if (used_resources_[r]) out.resources.emplace_back(kResources[r]);
    }
    if (out.resources.empty()) {
      return cq_items.front()
          .Get(flavor_names_.empty() ? "quota" : "flavors")
          .Fail("no ClusterQueue or cohort sets a quota: give at least one of cpu, memory, gpu");
    }
    // One resource group: the flavors in the order listed, each covering every resource.
    auto group = [&](const FlavorQuotas& flavor_quotas) {
      model::ResourceGroupSpec g{.covered_resources = out.resources, .flavors = {}};
      for (const auto& [flavor, q] : flavor_quotas) {
        model::FlavorQuotasSpec f{.flavor = flavor, .resources = {}};
        for (const std::string& r : out.resources) {
          model::ResourceQuotaSpec spec{.name = r, .nominal_quota = Quantity(0)};
          for (const auto& [name, amount] : q.nominal) {
            if (name == r) spec.nominal_quota = Quantity(amount);
          }
          for (const auto& [name, amount] : q.borrowing) {
            if (name == r) spec.borrowing_limit = Quantity(amount);
          }
          for (const auto& [name, amount] : q.lending) {
            if (name == r) spec.lending_limit = Quantity(amount);
          }
          f.resources.push_back(std::move(spec));
        }
        g.flavors.push_back(std::move(f));
      }
      return g;
    };
    for (model::ClusterQueueSpec& cq : o.cluster_queues) {
      cq.resource_groups = {group(cq_quotas[cq.name])};
    }
    for (model::CohortSpec& c : o.cohorts) {
      const FlavorQuotas& fq = cohort_quotas[c.name];
      bool any = !flavor_names_.empty() && !fq.empty();
      for (const auto& entry : fq) {
        const QuotaFields& q = entry.second;
        any = any || !q.nominal.empty() || !q.borrowing.empty() || !q.lending.empty();
      }
      if (any) c.resource_groups = {group(fq)};
    }
    for (const model::WorkloadPriorityClassSpec& p : o.workload_priority_classes) {
      priority_names_.push_back(p.name);
    }
    queues_read_ = true;
    return out;
  }

  using QuotaFieldsByName = std::unordered_map<std::string, FlavorQuotas>;

  Result<model::WorkloadPriorityClassSpec> ParsePriorityClass(const Field& item) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(CheckKeys(item, {"name", "value"}));
    model::WorkloadPriorityClassSpec p{.source = std::string(file_)};
    TESSERA_ASSIGN_OR_RETURN(p.name, item.GetRequiredString("name"));
    if (std::string why = CheckName(p.name); !why.empty()) {
      return item.Get("name").Fail(std::move(why));
    }
    for (const std::string& seen : priority_names_seen_) {
      if (seen == p.name) {
        return item.Get("name").Fail(fmt::format("duplicate priority class {}", Quote(p.name)));
      }
    }
    priority_names_seen_.push_back(p.name);
    const Field value = item.Get("value");
    if (!value.present()) return value.Fail("required field is missing");
    // Kubernetes bounds user priorities at one billion.
    TESSERA_ASSIGN_OR_RETURN(const int64_t v, AsIntIn(value, -1'000'000'000, 1'000'000'000));
    p.value = static_cast<int32_t>(v);
    return p;
  }

  Result<model::CohortSpec> ParseCohort(const Field& item, const std::string& name,
                                        const std::vector<std::string>& cohort_names,
                                        QuotaFieldsByName& quotas) {
    TESSERA_RETURN_IF_ERROR(CheckKeys(
        item, {"name", "parent", "weight", "quota", "borrowingLimit", "lendingLimit", "flavors"}));
    model::CohortSpec c{.name = name, .source = std::string(file_)};
    TESSERA_ASSIGN_OR_RETURN(auto parent, item.GetString("parent"));
    if (parent) {
      if (std::find(cohort_names.begin(), cohort_names.end(), *parent) == cohort_names.end()) {
        return item.Get("parent").Fail(fmt::format("{} is not one of the scenario's cohorts ({})",
                                                   Quote(*parent), Join(cohort_names)));
      }
      c.parent = *parent;
    }
    TESSERA_ASSIGN_OR_RETURN(c.fair_sharing_weight, ParseWeight(item));
    TESSERA_ASSIGN_OR_RETURN(quotas[name],
                             ParseFlavorQuotas(item, parent.has_value(), "parent", false));
    return c;
  }

  // fairSharing weight: a number above 0; default 1. (Kueue also allows 0, "borrow only
  // what nobody else wants"; its share would be infinite, which the fairness index cannot use.)
  Result<double> ParseWeight(const Field& item) {
    const Field weight = item.Get("weight");
    if (!weight.present()) return 1.0;
    TESSERA_ASSIGN_OR_RETURN(const double w, AsNumber(weight, 0, kMaxWeight));
    if (w <= 0) return weight.Fail("must be above 0");
    return w;
  }

  static Result<model::PreemptionPolicy> ParsePolicy(
      const Field& field,
      std::initializer_list<std::pair<std::string_view, model::PreemptionPolicy>> allowed) {
    TESSERA_ASSIGN_OR_RETURN(const std::string text, field.AsString());
    std::string names;
    for (const auto& [name, policy] : allowed) {
      if (name == text) return policy;
      if (!names.empty()) names += ", ";
      names += name;
    }
    return field.Fail(fmt::format("must be one of {}, got {}", names, Quote(text)));
  }

  Result<model::PreemptionSpec> ParsePreemption(const Field& p) {
    using PP = model::PreemptionPolicy;
    model::PreemptionSpec out;
    if (!p.present()) return out;
    if (!p.is_map()) return p.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(CheckKeys(p, {"withinClusterQueue", "reclaimWithinCohort",
                                          "borrowWithinCohort", "maxPriorityThreshold"}));
    if (p.Has("withinClusterQueue")) {
      TESSERA_ASSIGN_OR_RETURN(
          out.within_cluster_queue,
          ParsePolicy(p.Get("withinClusterQueue"),
                      {{"Never", PP::kNever},
                       {"LowerPriority", PP::kLowerPriority},
                       {"LowerOrNewerEqualPriority", PP::kLowerOrNewerEqualPriority}}));
    }
    if (p.Has("reclaimWithinCohort")) {
      TESSERA_ASSIGN_OR_RETURN(
          out.reclaim_within_cohort,
          ParsePolicy(
              p.Get("reclaimWithinCohort"),
              {{"Never", PP::kNever}, {"LowerPriority", PP::kLowerPriority}, {"Any", PP::kAny}}));
    }
    if (p.Has("borrowWithinCohort")) {
      TESSERA_ASSIGN_OR_RETURN(
          out.borrow_within_cohort,
          ParsePolicy(p.Get("borrowWithinCohort"),
                      {{"Never", PP::kNever}, {"LowerPriority", PP::kLowerPriority}}));
    }
    if (p.Has("maxPriorityThreshold")) {
      if (out.borrow_within_cohort == PP::kNever) {
        return p.Get("maxPriorityThreshold").Fail("needs borrowWithinCohort: LowerPriority");
      }
      TESSERA_ASSIGN_OR_RETURN(
          const int64_t v, AsIntIn(p.Get("maxPriorityThreshold"), -1'000'000'000, 1'000'000'000));
      out.borrow_max_priority_threshold = static_cast<int32_t>(v);
    }
    return out;
  }

  // flavorFungibility: {whenCanBorrow, whenCanPreempt}, each MayStopSearch or TryNextFlavor
  // (Kueue's defaults: MayStopSearch and TryNextFlavor).
  static Result<model::FlavorFungibilitySpec> ParseFungibility(const Field& f) {
    model::FlavorFungibilitySpec out;
    if (!f.present()) return out;
    if (!f.is_map()) return f.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(CheckKeys(f, {"whenCanBorrow", "whenCanPreempt"}));
    for (const char* key : {"whenCanBorrow", "whenCanPreempt"}) {
      const Field when = f.Get(key);
      if (!when.present()) continue;
      TESSERA_ASSIGN_OR_RETURN(const std::string text, when.AsString());
      if (text != "MayStopSearch" && text != "TryNextFlavor") {
        return when.Fail(
            fmt::format("must be MayStopSearch or TryNextFlavor, got {}", Quote(text)));
      }
      const bool try_next = text == "TryNextFlavor";
      if (std::string_view(key) == "whenCanBorrow") {
        out.when_can_borrow_try_next = try_next;
      } else {
        out.when_can_preempt_try_next = try_next;
      }
    }
    return out;
  }

  Result<model::ClusterQueueSpec> ParseClusterQueue(const Field& item,
                                                    const std::vector<std::string>& cohort_names,
                                                    QuotaFieldsByName& quotas) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_RETURN_IF_ERROR(
        CheckKeys(item, {"name", "cohort", "weight", "queueingStrategy", "quota", "borrowingLimit",
                         "lendingLimit", "flavors", "flavorFungibility", "preemption"}));
    model::ClusterQueueSpec cq{.source = std::string(file_)};
    TESSERA_ASSIGN_OR_RETURN(cq.name, item.GetRequiredString("name"));
    if (std::string why = CheckName(cq.name); !why.empty()) {
      return item.Get("name").Fail(std::move(why));
    }
    if (std::find(cluster_queue_names_.begin(), cluster_queue_names_.end(), cq.name) !=
        cluster_queue_names_.end()) {
      return item.Get("name").Fail(fmt::format("duplicate ClusterQueue {}", Quote(cq.name)));
    }
    if (std::find(cohort_names.begin(), cohort_names.end(), cq.name) != cohort_names.end()) {
      return item.Get("name").Fail(fmt::format(
          "{} is also a cohort's name; give queues and cohorts distinct names", Quote(cq.name)));
    }
    TESSERA_ASSIGN_OR_RETURN(auto cohort, item.GetString("cohort"));
    if (cohort) {
      if (std::string why = CheckName(*cohort); !why.empty()) {
        return item.Get("cohort").Fail(std::move(why));
      }
      if (std::find(cluster_queue_names_.begin(), cluster_queue_names_.end(), *cohort) !=
          cluster_queue_names_.end()) {
        return item.Get("cohort").Fail(
            fmt::format("{} is a ClusterQueue, not a cohort", Quote(*cohort)));
      }
      cq.cohort = *cohort;  // a cohort not listed under cohorts is an implicit root
    }
    TESSERA_ASSIGN_OR_RETURN(cq.fair_sharing_weight, ParseWeight(item));
    TESSERA_ASSIGN_OR_RETURN(auto strategy, item.GetString("queueingStrategy"));
    if (strategy) {
      if (*strategy == "StrictFIFO") {
        cq.queueing_strategy = model::QueueingStrategy::kStrictFIFO;
      } else if (*strategy != "BestEffortFIFO") {
        return item.Get("queueingStrategy")
            .Fail(fmt::format("must be BestEffortFIFO or StrictFIFO, got {}", Quote(*strategy)));
      }
    }
    TESSERA_ASSIGN_OR_RETURN(cq.preemption, ParsePreemption(item.Get("preemption")));
    TESSERA_ASSIGN_OR_RETURN(cq.flavor_fungibility,
                             ParseFungibility(item.Get("flavorFungibility")));
    TESSERA_ASSIGN_OR_RETURN(quotas[cq.name],
                             ParseFlavorQuotas(item, cohort.has_value(), "cohort", true));
    // Every namespace: the scenario has one, and its LocalQueues are the ClusterQueues' names.
    cq.namespace_selector = model::LabelSelectorSpec{};
    return cq;
  }

  std::string_view file_;
  int64_t total_nodes_ = 0;
  std::unordered_map<std::string, std::string> prefixes_;  // prefix -> "nodeGroups[i]"
  std::vector<std::string> gpu_models_;                    // of the node groups read so far
  bool queues_read_ = false;
  std::vector<std::string> cluster_queue_names_;
  std::vector<std::string> flavor_names_;           // queues.flavors; empty: the flat quota form
  std::vector<std::string> priority_names_;         // once the queues section is read
  std::vector<std::string> priority_names_seen_;    // while it is read
  bool used_resources_[3] = {false, false, false};  // cpu, memory, gpu named by some quota
};

Result<model::Scenario> ParseScenarioText(std::string_view text, std::string_view file) {
  auto fail = [file](Error e) { return std::move(e.WithFile(file)); };
  if (static_cast<int64_t>(text.size()) > kMaxScenarioFileBytes) {
    return fail(InvalidArgument(
        fmt::format("file is larger than the limit of {} bytes", kMaxScenarioFileBytes)));
  }
  auto docs = internal::ParseYamlStream(std::string(text));
  if (!docs.ok()) return fail(std::move(docs).error());
  std::vector<const internal::RawDocument*> present;
  for (const internal::RawDocument& doc : *docs) {
    if (doc.root.IsDefined() && !doc.root.IsNull()) present.push_back(&doc);
  }
  if (present.empty()) {
    return fail(InvalidArgument(
        "empty file: expected a scenario (a mapping with nodeGroups and tasks or a generator)"));
  }
  if (present.size() > 1) {
    return fail(InvalidArgument(
        fmt::format("holds {} YAML documents; a scenario file holds exactly one", present.size())));
  }
  Status bounded = internal::CheckDocumentBounds(present.front()->root,
                                                 internal::kBaseNodeVisitBudget + text.size());
  if (!bounded.ok()) return fail(std::move(bounded).error());
  ScenarioParser parser(file);
  auto scenario = parser.Parse(Field(present.front()->root, ""));
  if (!scenario.ok()) return fail(std::move(scenario).error());
  return scenario;
}

}  // namespace

Result<std::vector<model::TraceNode>> ParseTraceNodes(std::string_view text,
                                                      std::string_view file_name) {
  return Guarded(file_name, [&] { return ParseNodesCsv(text, file_name); });
}

Result<std::vector<model::TraceTask>> ParseTraceTasks(std::string_view text,
                                                      std::string_view file_name) {
  return Guarded(file_name, [&] { return ParseTasksCsv(text, file_name); });
}

Result<std::vector<model::ArrivalRow>> ParseArrivals(std::string_view text,
                                                     std::string_view file_name) {
  return Guarded(file_name, [&] { return ParseArrivalsCsv(text, file_name); });
}

Result<model::Scenario> ParseScenario(std::string_view text, std::string_view file_name) {
  return Guarded(file_name, [&] { return ParseScenarioText(text, file_name); });
}

Result<std::vector<model::TraceNode>> LoadTraceNodes(const std::string& path) {
  TESSERA_ASSIGN_OR_RETURN(const std::string text, ReadFile(path, kMaxTraceFileBytes));
  return ParseTraceNodes(text, path);
}

Result<std::vector<model::TraceTask>> LoadTraceTasks(const std::string& path) {
  TESSERA_ASSIGN_OR_RETURN(const std::string text, ReadFile(path, kMaxTraceFileBytes));
  return ParseTraceTasks(text, path);
}

Result<std::vector<model::ArrivalRow>> LoadArrivals(const std::string& path) {
  TESSERA_ASSIGN_OR_RETURN(const std::string text, ReadFile(path, kMaxTraceFileBytes));
  return ParseArrivals(text, path);
}

Result<model::Scenario> LoadScenario(const std::string& path) {
  TESSERA_ASSIGN_OR_RETURN(const std::string text, ReadFile(path, kMaxScenarioFileBytes));
  return ParseScenario(text, path);
}

}  // namespace tessera::io
