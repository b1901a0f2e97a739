// Kubernetes name and value rules (apimachinery validation), RFC 3339 timestamps and strict
// semantic versions, as checks that return a message. Each Check* returns an empty string
// when `value` is valid and otherwise the reason, with the value quoted and truncated, so a
// 5 MB name produces a short message. Callers add the field path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::io::internal {

// RFC 1123 DNS label: at most 63 of [a-z0-9-], alphanumeric at both ends ("gpu-0").
std::string CheckDnsLabel(std::string_view value);
// RFC 1123 DNS subdomain: at most `max_length` (253) characters, DNS labels joined by '.'.
std::string CheckDnsSubdomain(std::string_view value, size_t max_length = 253);
// A label (or taint/toleration/selector) key: optional DNS-subdomain prefix and '/', then a
// name of at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends ("app.kubernetes.io/name").
std::string CheckQualifiedName(std::string_view value);
// A label value: empty, or at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends.
std::string CheckLabelValue(std::string_view value);
// A DRA QualifiedName (attribute and capacity names): a C identifier of at most 32
// characters, optionally prefixed by a DNS subdomain of at most 63 and '/'.
std::string CheckDraQualifiedName(std::string_view value);
// A DRA FullyQualifiedName (constraints): like CheckDraQualifiedName, but the domain is
// required.
std::string CheckDraFullyQualifiedName(std::string_view value);
// A DRA pool name: at most 253 characters, DNS subdomains separated by '/'.
std::string CheckPoolName(std::string_view value);
// A strict semantic version 2.0.0 ("1.2.3", "1.0.0-rc.1+build.5"), at most 64 characters.
std::string CheckSemVer(std::string_view value);

// Seconds since the Unix epoch for an RFC 3339 date-time ("2024-05-01T12:00:00Z",
// "2024-05-01T14:00:00.5+02:00"); fractions of a second are dropped. nullopt if malformed.
std::optional<int64_t> ParseRfc3339(std::string_view text);

}  // namespace tessera::io::internal
