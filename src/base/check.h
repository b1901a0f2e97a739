// TESSERA_CHECK: for bugs in our own code. A failed check prints the condition, the place
// and any streamed context, then aborts; it is never used for bad input (that is an Error).
#pragma once

#include <sstream>

namespace tessera::internal {

class CheckFailure {
 public:
  CheckFailure(const char* condition, const char* file, int line);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;

  template <class T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets `TESSERA_CHECK(c) << x;` be a statement whose stream only runs on failure.
struct Voidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace tessera::internal

#define TESSERA_CHECK(cond)                   \
  (cond) ? (void)0                            \
         : ::tessera::internal::Voidify() &   \
               ::tessera::internal::CheckFailure(#cond, __FILE__, __LINE__)

#ifdef NDEBUG
#define TESSERA_DCHECK(cond) \
  true ? (void)0 : ::tessera::internal::Voidify() & ::tessera::internal::CheckFailure(#cond, __FILE__, __LINE__)
#else
#define TESSERA_DCHECK(cond) TESSERA_CHECK(cond)
#endif
