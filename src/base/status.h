// Error, Status and Result<T>: how the core reports "something the world did" (bad input,
// a missing object). Bugs in our own code use TESSERA_CHECK instead; "it does not fit" is a
// scheduling Decision, never an Error. The API mirrors std::expected so that a move to C++23
// is mechanical. Invariant: a Result holds exactly one of a value or an Error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tessera {

enum class ErrorCode {
  kInvalidArgument,  // the input is malformed or out of range
  kNotFound,         // a referenced object or file does not exist
  kAlreadyExists,    // a duplicate object
  kUnsupported,      // well-formed input that Tessera does not handle
  kIo,               // the file system said no
  kInternal,         // should not happen; prefer TESSERA_CHECK for our own bugs
};

std::string_view ErrorCodeName(ErrorCode code);

// Where an error happened. Every part is optional; ToString prints the parts present as
// `file: Kind namespace/name: field.path: message`.
struct ErrorLocation {
  std::string file;
  std::string kind;
  std::string name;   // "namespace/name" for namespaced objects, "name" otherwise
  std::string field;  // e.g. "spec.containers[0].resources.requests.cpu"

  bool operator==(const ErrorLocation&) const = default;
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const ErrorLocation& location() const { return location_; }

  // Builders used while an error travels outwards; each fills a part only if still empty,
  // so the innermost (most precise) location wins.
  Error& WithFile(std::string_view file);
  Error& WithObject(std::string_view kind, std::string_view name);
  // Prepends a parent path: an error at "cpu" under "resources.requests" becomes
  // "resources.requests.cpu"; an index segment "[2]" joins without a dot.
  Error& UnderField(std::string_view parent);

  // `file: Kind ns/name: field: message`, skipping absent parts.
  std::string ToString() const;

  bool operator==(const Error&) const = default;

 private:
  ErrorCode code_;
  std::string message_;
  ErrorLocation location_;
};

// Shorthand constructors.
Error InvalidArgument(std::string message);
Error NotFound(std::string message);
Error AlreadyExists(std::string message);
Error Unsupported(std::string message);
Error IoError(std::string message);

// Status: success, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error& error() & { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

inline Status OkStatus() { return Status(); }

// Result<T>: a value or an Error, like std::expected<T, Error>.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : data_(std::in_place_index<0>, value) {}             // NOLINT
  Result(T&& value) : data_(std::in_place_index<0>, std::move(value)) {}       // NOLINT
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}     // NOLINT
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Status>)
  Result(U&& value) : data_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool has_value() const { return data_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(data_); }
  Error& error() & { return std::get<1>(data_); }
  Error&& error() && { return std::get<1>(std::move(data_)); }

  Status status() const { return has_value() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> data_;
};

namespace internal {
inline Error&& TakeError(Status&& s) { return std::move(s).error(); }
template <class T>
Error&& TakeError(Result<T>&& r) {
  return std::move(r).error();
}
}  // namespace internal

}  // namespace tessera

#define TESSERA_INTERNAL_CONCAT2(a, b) a##b
#define TESSERA_INTERNAL_CONCAT(a, b) TESSERA_INTERNAL_CONCAT2(a, b)

// Returns the error of `expr` (a Status or Result) from the enclosing function.
#define TESSERA_RETURN_IF_ERROR(expr)                                       \
  do {                                                                      \
    auto tessera_status_ = (expr);                                          \
    if (!tessera_status_.ok()) {                                            \
      return ::tessera::internal::TakeError(std::move(tessera_status_));    \
    }                                                                       \
  } while (false)

// `TESSERA_ASSIGN_OR_RETURN(auto x, ParseX());` declares/assigns x or returns the error.
#define TESSERA_ASSIGN_OR_RETURN(lhs, expr) \
  TESSERA_INTERNAL_ASSIGN_OR_RETURN(TESSERA_INTERNAL_CONCAT(tessera_result_, __LINE__), lhs, expr)
#define TESSERA_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                      \
  if (!tmp.ok()) return std::move(tmp).error();           \
  lhs = std::move(tmp).value()
