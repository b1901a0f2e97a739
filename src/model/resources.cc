#include "model/resources.h"

namespace tessera::model {

QuantityUnit UnitForResource(std::string_view name) {
  return name == "cpu" ? QuantityUnit::Milli() : QuantityUnit::Whole();
}

bool IsExtendedResourceName(std::string_view name) {
  // Kubernetes: a name with a domain prefix that is not kubernetes.io (or a subdomain of
  // it), and not a native "requests." quota name. hugepages-* and attachable-volumes-* are
  // native resources without a prefix.
  auto slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view domain = name.substr(0, slash);
  if (domain == "kubernetes.io" || domain.ends_with(".kubernetes.io")) return false;
  return !name.starts_with("requests.");
}

}  // namespace tessera::model
