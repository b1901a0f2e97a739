// The exit statuses every tessera subcommand uses. Invariant: a valid input exits 0 even
// when pods are left unschedulable; "does not fit" is output, not failure.
#pragma once

namespace tessera::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalidInput = 1;  // bad manifests, unreadable files, write failure
inline constexpr int kExitUsage = 2;         // unknown flag, bad flag value, missing -f
inline constexpr int kExitInternal = 3;      // --check found a broken invariant (a bug of ours)

}  // namespace tessera::cli
