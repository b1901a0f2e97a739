#include "base/status.h"

namespace tessera {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Error& Error::WithFile(std::string_view file) {
  if (location_.file.empty()) location_.file = file;
  return *this;
}

Error& Error::WithObject(std::string_view kind, std::string_view name) {
  if (location_.kind.empty() && location_.name.empty()) {
    location_.kind = kind;
    location_.name = name;
  }
  return *this;
}

Error& Error::UnderField(std::string_view parent) {
  if (parent.empty()) return *this;
  if (location_.field.empty()) {
    location_.field = parent;
  } else if (location_.field.front() == '[') {
    location_.field = std::string(parent) + location_.field;
  } else {
    location_.field = std::string(parent) + "." + location_.field;
  }
  return *this;
}

std::string Error::ToString() const {
  std::string out;
  auto part = [&out](std::string_view s) {
    if (s.empty()) return;
    out.append(s);
    out.append(": ");
  };
  part(location_.file);
  if (!location_.kind.empty() || !location_.name.empty()) {
    std::string object = location_.kind;
    if (!location_.name.empty()) {
      if (!object.empty()) object += ' ';
      object += location_.name;
    }
    part(object);
  }
  part(location_.field);
  out += message_;
  return out;
}

Error InvalidArgument(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}
Error NotFound(std::string message) { return Error(ErrorCode::kNotFound, std::move(message)); }
Error AlreadyExists(std::string message) {
  return Error(ErrorCode::kAlreadyExists, std::move(message));
}
Error Unsupported(std::string message) {
  return Error(ErrorCode::kUnsupported, std::move(message));
}
Error IoError(std::string message) { return Error(ErrorCode::kIo, std::move(message)); }

}  // namespace tessera
