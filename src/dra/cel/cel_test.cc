#include "dra/cel/cel.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "dra/cel/cel_test_fixture.h"

namespace tessera::dra::cel {
namespace {

using testing::BuildCelFixture;
using testing::FixtureDevice;

// Expected outcome: "true", "false", or "error:<substring of the message>".
struct Case {
  const char* expression;
  const char* device;
  const char* expected;
};

std::string Outcome(const Result<bool>& r) {
  if (r.ok()) return *r ? "true" : "false";
  return "error:" + r.error().message();
}

bool Matches(const std::string& got, std::string_view expected) {
  if (expected.substr(0, 6) == "error:") {
    return got.substr(0, 6) == "error:" && got.find(expected.substr(6)) != std::string::npos;
  }
  return got == expected;
}

class CelTest : public ::testing::Test {
 protected:
  CelTest() : snapshot_(BuildCelFixture()) {}

  std::string Run(std::string_view expression, std::string_view device) {
    Result<Program> program = Compile(expression, snapshot_);
    if (!program.ok()) return "compile error:" + program.error().message();
    return Outcome(Evaluate(*program, snapshot_, FixtureDevice(snapshot_, device), scratch_));
  }
  std::string CompileError(std::string_view expression, const CompileOptions& options = {}) {
    Result<Program> program = Compile(expression, snapshot_, options);
    if (program.ok()) return "compiled";
    return program.error().message();
  }

  model::Snapshot snapshot_;
  EvalScratch scratch_;
};

// clang-format off
const Case kCases[] = {
    // --- the DRA environment
    {"device.driver == 'gpu.nvidia.com'", "gpu-0", "true"},
    {"device.driver == 'gpu.nvidia.com'", "ex-0", "false"},
    {"device.driver != 'gpu.nvidia.com'", "ex-0", "true"},
    {"device.driver == \"gpu.nvidia.com\" && device.attributes[\"gpu.nvidia.com\"].type == \"gpu\"", "gpu-0", "true"},
    {"device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'", "mig-0", "false"},
    {"device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'", "ex-0", "false"},
    {"device.attributes['gpu.nvidia.com'].type == 'gpu'", "ex-0", "error:no such key: type"},
    {"device.attributes['gpu.nvidia.com']['type'] == 'mig'", "mig-0", "true"},
    {"device.attributes['gpu.nvidia.com'].index == 0", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].index == 1", "gpu-1", "true"},  // published qualified
    {"device.attributes['gpu.nvidia.com'].index == 0", "mig-0", "error:no such key: index"},
    {"device.attributes['resource.kubernetes.io'].pcieRoot == 'pci0000:00'", "gpu-0", "true"},
    {"device.attributes['resource.kubernetes.io'].pcieRoot == 'pci0000:00'", "gpu-1", "false"},
    {"device.attributes['nosuch.domain'].size() == 0", "gpu-0", "true"},
    {"size(device.attributes['nosuch.domain']) == 0", "gpu-0", "true"},
    {"device.attributes['nosuch.domain'].x == 1", "gpu-0", "error:no such key: x"},
    {"device.attributes['gpu.nvidia.com'].nosuchattribute == 1", "gpu-0", "error:no such key: nosuchattribute"},
    {"device.allowMultipleAllocations", "share-0", "true"},
    {"device.allowMultipleAllocations", "gpu-0", "false"},
    {"device.allowMultipleAllocations == true", "share-0", "true"},
    {"device.attributes['test-driver.cdi.k8s.io'].preallocate", "share-0", "true"},
    {"device.attributes['dra.example.com'].slice == 3", "share-0", "true"},
    {"device.attributes['dra.example.com'].numa == 1", "dra-0", "true"},
    {"device.attributes['gpu.nvidia.com'].size() == 10", "gpu-0", "true"},
    {"device.attributes.size() == 2", "gpu-0", "true"},
    {"device.capacity.size() == 1", "gpu-0", "true"},
    {"size(device.capacity['gpu.nvidia.com']) == 3", "mig-0", "true"},
    {"'gpu.nvidia.com' in device.attributes", "gpu-0", "true"},
    {"'gpu.example.com' in device.attributes", "gpu-0", "false"},
    // --- guards: in, has(), optionals
    {"'profile' in device.attributes['gpu.nvidia.com']", "mig-0", "true"},
    {"'profile' in device.attributes['gpu.nvidia.com']", "gpu-0", "false"},
    {"'profile' in device.attributes['gpu.nvidia.com'] && device.attributes['gpu.nvidia.com'].profile == '1g.5gb'", "gpu-0", "false"},
    {"has(device.attributes['gpu.nvidia.com'].profile)", "mig-0", "true"},
    {"has(device.attributes['gpu.nvidia.com'].profile)", "gpu-0", "false"},
    {"has(device.attributes['nosuch.domain'].profile)", "gpu-0", "false"},
    {"has(device.capacity['gpu.nvidia.com'].multiprocessors)", "mig-0", "true"},
    {"has(device.driver)", "gpu-0", "true"},
    {"cel.bind(a, device.attributes, has(a.x) || !has(a.y))", "gpu-0", "true"},
    {"cel.bind(d, device, d.driver == 'gpu.nvidia.com' && d.attributes['gpu.nvidia.com'].index == 0)", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].?profile.orValue('none') == 'none'", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].?profile.orValue('none') == '1g.5gb'", "mig-0", "true"},
    {"device.attributes['gpu.nvidia.com'].?profile.hasValue()", "mig-0", "true"},
    {"device.attributes['gpu.nvidia.com'].?profile.hasValue()", "gpu-0", "false"},
    {"device.attributes['gpu.nvidia.com'][?'index'].orValue(-1) == 0", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'][?'index'].orValue(-1) == -1", "mig-0", "true"},
    {"device.attributes['gpu.nvidia.com'].?profile.value() == '1g.5gb'", "mig-0", "true"},
    {"device.attributes['gpu.nvidia.com'].?profile.value() == '1g.5gb'", "gpu-0", "error:optional.none()"},
    {"optional.of(1).orValue(2) == 1", "gpu-0", "true"},
    {"optional.none().orValue(2) == 2", "gpu-0", "true"},
    {"device.attributes[?'gpu.nvidia.com'].hasValue()", "gpu-0", "true"},
    // --- CEL's commutative && / || error semantics
    {"false && device.attributes['gpu.nvidia.com'].nosuch == 1", "gpu-0", "false"},
    {"device.attributes['gpu.nvidia.com'].nosuch == 1 && false", "gpu-0", "false"},
    {"true || device.attributes['gpu.nvidia.com'].nosuch == 1", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].nosuch == 1 || true", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].nosuch == 1 && true", "gpu-0", "error:no such key: nosuch"},
    {"false || device.attributes['gpu.nvidia.com'].nosuch == 1", "gpu-0", "error:no such key"},
    {"device.attributes['gpu.nvidia.com'].type == 'mig' && device.attributes['gpu.nvidia.com'].profile == '1g.5gb'", "gpu-0", "false"},
    {"device.attributes['gpu.nvidia.com'].type == 'gpu' || device.attributes['gpu.nvidia.com'].profile == 'x'", "gpu-0", "true"},
    {"!(device.driver == 'gpu.nvidia.com')", "gpu-0", "false"},
    {"!!true", "gpu-0", "true"},
    {"device.driver == 'gpu.nvidia.com' ? device.attributes['gpu.nvidia.com'].type == 'gpu' : false", "ex-0", "false"},
    {"device.driver == 'gpu.nvidia.com' ? device.attributes['gpu.nvidia.com'].type == 'gpu' : false", "gpu-1", "true"},
    // --- literals and arithmetic
    {"1 + 2 == 3", "gpu-0", "true"},
    {"7 / 2 == 3 && 7 % 2 == 1 && -7 / 2 == -3", "gpu-0", "true"},
    {"2 * 3 - 10 == -4", "gpu-0", "true"},
    {"0x10 == 16 && 0XfF == 255", "gpu-0", "true"},
    {"1u == 1", "gpu-0", "true"},
    {"-9223372036854775808 < 0", "gpu-0", "true"},
    {"9223372036854775807 + 1 > 0", "gpu-0", "error:integer overflow"},
    {"-9223372036854775808 - 1 < 0", "gpu-0", "error:integer overflow"},
    {"9223372036854775807 * 2 > 0", "gpu-0", "error:integer overflow"},
    {"-(-9223372036854775808) > 0", "gpu-0", "error:integer overflow"},
    {"-9223372036854775808 / -1 > 0", "gpu-0", "error:integer overflow"},
    {"1 / 0 == 0", "gpu-0", "error:division by zero"},
    {"1 % 0 == 0", "gpu-0", "error:modulus by zero"},
    {"null == null", "gpu-0", "true"},
    {"true != false", "gpu-0", "true"},
    {"false < true", "gpu-0", "true"},
    {"'abc' < 'abd' && 'b' > 'abc' && 'a' <= 'a' && 'b' >= 'a'", "gpu-0", "true"},
    {"'a' + 'b' == 'ab'", "gpu-0", "true"},
    {"device.driver + '/x' == 'gpu.nvidia.com/x'", "gpu-0", "true"},
    {"'it\\'s' == \"it's\"", "gpu-0", "true"},
    {"'\\x41\\u0042\\103' == 'ABC'", "gpu-0", "true"},
    {"r'\\d' == '\\\\d'", "gpu-0", "true"},
    {"'''a'b''' == \"a'b\"", "gpu-0", "true"},
    {"'tab\\there'.size() == 8", "gpu-0", "true"},
    {"'héllo'.size() == 5", "gpu-0", "true"},
    // --- lists
    {"[1, 2, 3].size() == 3", "gpu-0", "true"},
    {"2 in [1, 2, 3]", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].index in [0, 2, 4, 6]", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].index in [0, 2, 4, 6]", "gpu-1", "false"},
    {"device.attributes['gpu.nvidia.com'].type in ['gpu', 'vfio']", "mig-0", "false"},
    {"[1, 2] + [3] == [1, 2, 3]", "gpu-0", "true"},
    {"[1, 2][1] == 2", "gpu-0", "true"},
    {"[1, 2][2] == 2", "gpu-0", "error:index out of range: 2"},
    {"[[1], [2, 3]][1].size() == 2", "gpu-0", "true"},
    {"[1, 'a'] == [1, 'a']", "gpu-0", "true"},
    {"[] == []", "gpu-0", "true"},
    // --- macros
    {"[1, 2, 3].all(x, x > 0)", "gpu-0", "true"},
    {"[1, 2, 3].all(x, x > 1)", "gpu-0", "false"},
    {"[1, 2, 3].exists(x, x == 2)", "gpu-0", "true"},
    {"[1, 2, 3].exists_one(x, x > 1)", "gpu-0", "false"},
    {"[1, 2, 3].exists_one(x, x > 2)", "gpu-0", "true"},
    {"[1, 2, 3].map(x, x * 2) == [2, 4, 6]", "gpu-0", "true"},
    {"[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]", "gpu-0", "true"},
    {"[1, 2, 3].filter(x, x % 2 == 1) == [1, 3]", "gpu-0", "true"},
    {"[0, 1].exists(x, 1 / x == 1)", "gpu-0", "true"},  // error absorbed by a true
    {"[0, 1].all(x, 1 / x == 1)", "gpu-0", "error:division by zero"},
    {"[0, 2].all(x, 1 / x == 1)", "gpu-0", "false"},  // error absorbed by a false
    {"[[1, 2], [3]].all(l, l.all(x, x > 0))", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].exists(k, k == 'index')", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].exists(k, k == 'index')", "mig-0", "false"},
    {"device.attributes['gpu.nvidia.com'].exists_one(k, k.startsWith('cuda'))", "gpu-0", "false"},
    {"device.attributes['gpu.nvidia.com'].exists_one(k, k == 'profile')", "mig-0", "true"},
    {"device.attributes['gpu.nvidia.com'].all(k, k != 'profile')", "gpu-0", "true"},
    {"device.attributes.exists(d, d == 'resource.kubernetes.io')", "gpu-0", "true"},
    {"device.attributes.all(d, d.endsWith('.com') || d.endsWith('.io'))", "gpu-0", "true"},
    {"device.capacity['gpu.nvidia.com'].filter(k, k.startsWith('m')).size() == 2", "mig-0", "true"},
    {"device.capacity['gpu.nvidia.com'].map(k, k).size() == 3", "mig-0", "true"},
    {"device.attributes['gpu.nvidia.com'].exists(k, device.attributes['gpu.nvidia.com'][k] == 'Ampere')", "gpu-0", "true"},
    {"cel.bind(dra, device.attributes['dra.example.com'], dra.a && dra.b)", "dra-0", "false"},
    {"cel.bind(dra, device.attributes['dra.example.com'], dra.a && !dra.b)", "dra-0", "true"},
    {"cel.bind(x, 2, x * x == 4)", "gpu-0", "true"},
    {"cel.bind(n, device.attributes['gpu.nvidia.com'], n.type == 'gpu' && n.index == 0)", "gpu-0", "true"},
    {"cel.bind(m, device.attributes['gpu.nvidia.com'], [1].all(i, m.type == 'mig'))", "mig-0", "true"},
    // --- strings
    {"device.attributes['gpu.nvidia.com'].productName.startsWith('NVIDIA A100')", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].productName.endsWith('40GB')", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].productName.contains('H100')", "gpu-1", "true"},
    {"device.attributes['gpu.nvidia.com'].productName.contains('H100')", "gpu-0", "false"},
    {"device.attributes['gpu.nvidia.com'].productName.lowerAscii() == 'nvidia a100-sxm4-40gb'", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].brand.upperAscii() == 'NVIDIA'", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].productName.lowerAscii().matches('^.*a100.*$')", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].productName.lowerAscii().matches('^.*a100.*$')", "gpu-1", "false"},
    {"device.attributes['gpu.nvidia.com'].productName.matches('A1[0-9]{2}')", "gpu-0", "true"},
    {"matches(device.driver, 'nvidia')", "gpu-0", "true"},
    {"device.driver.matches('^gpu\\\\.')", "gpu-0", "true"},
    {"device.driver.matches(device.attributes['gpu.nvidia.com'].brand.lowerAscii())", "gpu-0", "true"},
    {"size(device.driver) == 14 && device.driver.size() == 14", "gpu-0", "true"},
    {"'  x '.trim() == 'x'", "gpu-0", "true"},
    {"'abcabc'.indexOf('ca') == 2", "gpu-0", "true"},
    {"string(42) == '42' && int('-7') == -7", "gpu-0", "true"},
    {"int('x7') == 7", "gpu-0", "error:cannot convert"},
    {"string(device.attributes['gpu.nvidia.com'].index) == '1'", "gpu-1", "true"},
    {"device.attributes['gpu.nvidia.com'].uuid == device.attributes['gpu.nvidia.com'].parentUUID", "mig-0", "error:no such key: uuid"},
    // --- type errors dyn let through
    {"device.attributes['gpu.nvidia.com'].productName > 3", "gpu-0", "error:no such overload"},
    {"device.attributes['gpu.nvidia.com'].index.startsWith('0')", "gpu-0", "error:no such overload"},
    {"device.attributes['gpu.nvidia.com'].index == '0'", "gpu-0", "false"},
    {"device.attributes['gpu.nvidia.com'].type", "gpu-0", "error:did not evaluate to bool"},
    {"device.attributes['dra.example.com'].a", "dra-0", "true"},
    // --- quantities
    {"device.capacity['gpu.nvidia.com'].memory == quantity('40Gi')", "gpu-0", "true"},
    {"device.capacity['gpu.nvidia.com'].memory == quantity('42949672960')", "gpu-0", "true"},
    {"device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('40Gi')) == 0", "gpu-0", "true"},
    {"device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('4Gi')) >= 0", "mig-0", "true"},
    {"device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('5Gi')) == -1", "mig-0", "true"},
    {"device.capacity['gpu.nvidia.com'].memory.isGreaterThan(quantity('10Gi'))", "gpu-1", "true"},
    {"device.capacity['gpu.nvidia.com'].memory.isLessThan(quantity('40G'))", "gpu-0", "false"},
    {"device.capacity['gpu.nvidia.com'].multiprocessors.isLessThan(quantity('30'))", "mig-0", "true"},
    {"device.capacity['gpu.nvidia.com'].multiprocessors.isLessThan(quantity('30'))", "gpu-0", "error:no such key: multiprocessors"},
    {"device.capacity['gpu.nvidia.com'].?multiprocessors.orValue(quantity('0')).isLessThan(quantity('30'))", "gpu-0", "true"},
    {"quantity('1500m').isInteger()", "gpu-0", "false"},
    {"quantity('1500m').add(quantity('500m')) == quantity('2')", "gpu-0", "true"},
    {"quantity('1500m').add(quantity('500m')).asInteger() == 2", "gpu-0", "true"},
    {"quantity('1500m').asInteger() == 1", "gpu-0", "error:not an integer"},
    {"quantity('1k').sub(1) == quantity('999')", "gpu-0", "true"},
    {"quantity('1').sub(2).sign() == -1 && quantity('0').sign() == 0", "gpu-0", "true"},
    {"quantity('1Ki') == quantity('1024') && quantity('1e3') == quantity('1k')", "gpu-0", "true"},
    {"quantity('1E').compareTo(quantity('1Ei')) == -1", "gpu-0", "true"},
    {"quantity('7Ei').add(quantity('7Ei')).sign() == 1", "gpu-0", "error:quantity overflow"},
    {"quantity('1n').isGreaterThan(quantity('0'))", "gpu-0", "true"},
    {"isQuantity('10Gi') && !isQuantity('10GB')", "gpu-0", "true"},
    {"quantity(device.attributes['gpu.nvidia.com'].brand).sign() == 1", "gpu-0", "error:invalid quantity"},
    {"device.capacity['gpu.example.com'].compute.asInteger() == 100", "ex-0", "true"},
    // --- semver
    {"device.attributes['gpu.nvidia.com'].driverVersion.major() == 550", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].driverVersion.minor() == 54 && device.attributes['gpu.nvidia.com'].driverVersion.patch() == 15", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].cudaComputeCapability.isGreaterThan(semver('7.5.0'))", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].cudaComputeCapability.compareTo(semver('9.0.0')) >= 0", "gpu-0", "false"},
    {"device.attributes['gpu.nvidia.com'].cudaComputeCapability.compareTo(semver('9.0.0')) >= 0", "gpu-1", "true"},
    {"device.attributes['gpu.nvidia.com'].cudaComputeCapability == semver('8.0.0')", "mig-0", "true"},
    {"device.attributes['gpu.example.com'].driverVersion.isLessThan(semver('1.2.3'))", "ex-0", "true"},
    {"device.attributes['gpu.example.com'].driverVersion.isGreaterThan(semver('1.2.3-beta.11'))", "ex-0", "true"},
    {"semver('1.0.0-alpha').isLessThan(semver('1.0.0-alpha.1'))", "gpu-0", "true"},
    {"semver('1.0.0-alpha.1').isLessThan(semver('1.0.0-alpha.beta'))", "gpu-0", "true"},
    {"semver('1.0.0-beta.2').isLessThan(semver('1.0.0-beta.11'))", "gpu-0", "true"},
    {"semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))", "gpu-0", "true"},
    {"semver('1.0.0+build.1') == semver('1.0.0+build.2')", "gpu-0", "true"},
    {"semver('v1.2', true) == semver('1.2.0')", "gpu-0", "true"},
    {"semver('v01.02.03', true).minor() == 2", "gpu-0", "true"},
    {"isSemver('1.2.3') && !isSemver('1.2') && isSemver('v1.2', true) && !isSemver('01.2.3')", "gpu-0", "true"},
    {"semver(device.attributes['gpu.nvidia.com'].brand).major() == 1", "gpu-0", "error:invalid semver"},
    {"device.attributes['test-driver.cdi.k8s.io'].driverVersion.major() >= 1", "share-0", "true"},
    {"device.attributes['gpu.nvidia.com'].driverVersion == device.attributes['gpu.nvidia.com'].driverVersion", "gpu-0", "true"},
    {"device.attributes['gpu.nvidia.com'].driverVersion.compareTo(quantity('1')) == 0", "gpu-0", "error:no such overload"},
};
// clang-format on

TEST_F(CelTest, KnownAnswerTable) {
  ASSERT_GE(std::size(kCases), 120u);
  for (const Case& c : kCases) {
    std::string got = Run(c.expression, c.device);
    EXPECT_TRUE(Matches(got, c.expected))
        << c.expression << "\n  on " << c.device << "\n  got " << got << "\n  want " << c.expected;
  }
}

TEST_F(CelTest, ShortCircuitedSelectorsCostLittle) {
  Result<Program> p = Compile(
      "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'",
      snapshot_);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_LT(p->estimated_cost(), 50u);
  ASSERT_TRUE(Evaluate(*p, snapshot_, FixtureDevice(snapshot_, "gpu-0"), scratch_).ok());
  EXPECT_GT(scratch_.last_cost(), 0u);
  EXPECT_LE(scratch_.last_cost(), p->estimated_cost());
}

struct ErrorCase {
  const char* expression;
  const char* message;
};

// clang-format off
const ErrorCase kCompileErrors[] = {
    {"device.driver == devce.driver", "column 18: undeclared reference to \"devce\""},
    {"device.driver > 3", "column 15: found no matching overload for '_>_' applied to '(string, int)'"},
    {"\"a\" + 1 == \"a1\"", "column 5: found no matching overload for '_+_' applied to '(string, int)'"},
    {"device.foo == 1", "column 7: undefined field 'foo'"},
    {"unknownFn(1)", "column 1: undeclared reference to \"unknownFn\""},
    {"device.driver.startsWith()", "column 15: found no matching overload for 'startsWith' applied to 'string.()'"},
    {"device.driver == 'a", "column 18: syntax error: unterminated string literal"},
    {"device.driver == 1.5", "column 18: floating point is not supported"},
    {"device.driver.matches('[')", "column 23: invalid regular expression: missing ]: ["},
    {"quantity('10Gx') == quantity('1')", "column 10: invalid quantity \"10Gx\""},
    {"device.driver == ", "column 18: syntax error: unexpected end of expression"},
    {"(device.driver == 'a'", "column 22: syntax error: expected ')' before end of expression"},
    {"device.driver", "column 7: expression must evaluate to bool, got 'string'"},
    {"1 + 2", "column 3: expression must evaluate to bool, got 'int'"},
    {"{'a': 1} == {'a': 1}", "column 1: map and message literals are not supported"},
    {"device.attributes['d'].all(x)", "column 24: all() macro requires 2 arguments"},
    {"[1, 2].all(1, true)", "column 12: all() variable name must be a simple identifier"},
    {"has(device)", "column 5: invalid argument to has() macro"},
    {"99999999999999999999 > 1", "column 1: integer literal out of range"},
    {"device.driver == 'a' && 1", "column 22: found no matching overload for '_&&_' applied to '(bool, int)'"},
    {"semver('1.2') == semver('1.2.3')", "column 8: invalid semver \"1.2\""},
    {"device.driver == if", "column 18: reserved identifier 'if'"},
    {"device.driver == \"a\"\n  && devce", "line 2, column 6: undeclared reference to \"devce\""},
    {"device.allowMultipleAllocations == 'yes'", "column 33: found no matching overload for '_==_' applied to '(bool, string)'"},
    {"device.capacity['x'].memory.asApproximateFloat() > 1", "column 29: floating point is not supported"},
    {"device.driver == b'x'", "column 18: bytes literals are not supported"},
    {"device.driver = 'a'", "column 15: syntax error: unexpected character '='"},
    {"device.driver == 'a' @", "column 22: syntax error: unexpected character '@'"},
    {"device.driver.size(1) == 1", "column 15: found no matching overload for 'size' applied to 'string.(int)'"},
    {"'x'.all(c, true)", "column 5: expression of type 'string' cannot be the range of a comprehension (must be list or map)"},
    {"[1].map(x, x) == true", "column 15: found no matching overload for '_==_' applied to '(list(int), bool)'"},
    {"device.capacity['x'].memory > quantity('1')", "column 29: found no matching overload for '_>_' applied to '(Quantity, Quantity)'"},
    {"device.driver.", "column 15: syntax error: unexpected end of expression"},
    {"", "column 1: syntax error: unexpected end of expression"},
};
// clang-format on

TEST_F(CelTest, CompileErrorsNameTheColumn) {
  ASSERT_GE(std::size(kCompileErrors), 15u);
  for (const ErrorCase& c : kCompileErrors) {
    EXPECT_EQ(CompileError(c.expression), c.message) << c.expression;
  }
}

TEST_F(CelTest, RejectsExpressionsLongerThan10KiB) {
  std::string long_literal = "device.driver == '" + std::string(10 * 1024 - 20, 'a') + "'";
  ASSERT_LE(long_literal.size(), 10u * 1024);
  EXPECT_EQ(CompileError(long_literal), "compiled");
  std::string too_long = "device.driver == '" + std::string(10 * 1024, 'a') + "'";
  EXPECT_EQ(CompileError(too_long), "expression is 10259 bytes, longer than the limit of 10240");
}

TEST_F(CelTest, DeepNestingIsACompileErrorNotACrash) {
  std::string parens = std::string(10000, '(') + "true" + std::string(10000, ')');
  EXPECT_NE(CompileError(parens, {.max_expression_bytes = 1 << 20}).find("maximum depth of 250"),
            std::string::npos);
  std::string nots = std::string(10000, '!') + "true";
  EXPECT_NE(CompileError(nots).find("maximum depth of 250"), std::string::npos);
  std::string negs = std::string(5000, '-') + "1 == 1";
  EXPECT_NE(CompileError(negs).find("maximum depth of 250"), std::string::npos);
  std::string lists = std::string(5000, '[') + std::string(5000, ']') + " == []";
  EXPECT_NE(CompileError(lists).find("maximum depth of 250"), std::string::npos);
  std::string sum = "0";
  for (int k = 0; k < 1000; ++k) sum += "+1";
  EXPECT_NE(CompileError(sum + " == 1000").find("maximum depth of 250"), std::string::npos);
  std::string dots = std::string(5000, '.') + "device.driver == 'x'";
  EXPECT_EQ(CompileError(dots), "column 2: syntax error: unexpected '.'");
  EXPECT_EQ(Run(".device.driver == 'gpu.nvidia.com'", "gpu-0"), "true");
  std::string select = "device.attributes['d']";
  for (int k = 0; k < 300; ++k) select += ".x";
  EXPECT_NE(CompileError(select + " == 1").find("maximum depth of 250"), std::string::npos);
  // 100 levels of parentheses and a 1000-term && chain are fine (&& is balanced).
  EXPECT_EQ(CompileError(std::string(100, '(') + "true" + std::string(100, ')')), "compiled");
  std::string chain = "true";
  for (int k = 0; k < 1000; ++k) chain += "&&true";
  EXPECT_EQ(Run(chain, "gpu-0"), "true");
}

TEST_F(CelTest, StaticCostEstimateRejectsNestedComprehensions) {
  std::string list = "[";
  for (int k = 0; k < 100; ++k) list += (k ? "," : "") + std::to_string(k);
  list += "]";
  // 100 x 100 iterations: fine. 100 x 100 x 100: over 1,000,000.
  std::string two = list + ".all(a, " + list + ".all(b, a + b >= 0))";
  EXPECT_EQ(CompileError(two), "compiled");
  std::string three = list + ".all(a, " + list + ".all(b, " + list + ".all(c, a + b + c >= 0)))";
  std::string message = CompileError(three);
  EXPECT_NE(message.find("exceeds the limit of 1000000"), std::string::npos) << message;
  EXPECT_EQ(message.substr(0, message.find(':')), "column " + std::to_string(list.size() + 2));
  // Comprehensions over the device's maps are bounded by the API's 32-entry limit.
  EXPECT_EQ(CompileError("device.attributes.all(d, device.attributes[d].all(k, k.size() < 64))"),
            "compiled");
}

TEST_F(CelTest, RuntimeCostLimitStopsEvaluation) {
  std::string list = "[";
  for (int k = 0; k < 100; ++k) list += (k ? "," : "") + std::to_string(k);
  list += "]";
  std::string three = list + ".all(a, " + list + ".all(b, " + list + ".all(c, a + b + c >= 0)))";
  CompileOptions no_static_check{.max_estimated_cost = UINT64_MAX};
  Result<Program> p = Compile(three, snapshot_, no_static_check);
  ASSERT_TRUE(p.ok()) << p.error().message();
  Result<bool> r = Evaluate(*p, snapshot_, FixtureDevice(snapshot_, "gpu-0"), scratch_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "cost limit exceeded (limit 1000000)");
  // The same limit stops an error-absorbing && too: cost errors are not absorbed by false.
  Result<Program> q = Compile(three + " && false", snapshot_, no_static_check);
  ASSERT_TRUE(q.ok());
  Result<bool> r2 = Evaluate(*q, snapshot_, FixtureDevice(snapshot_, "gpu-0"), scratch_);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message().find("cost limit exceeded"), std::string::npos);
  // A small runtime limit trips on a short string loop.
  Result<Program> small = Compile("[1, 2, 3, 4, 5].all(x, x > 0)", snapshot_,
                                  {.runtime_cost_limit = 10});
  ASSERT_TRUE(small.ok());
  Result<bool> r3 = Evaluate(*small, snapshot_, FixtureDevice(snapshot_, "gpu-0"), scratch_);
  ASSERT_FALSE(r3.ok());
  // The scratch is fine afterwards.
  EXPECT_EQ(Run("device.driver == 'gpu.nvidia.com'", "gpu-0"), "true");
}

TEST_F(CelTest, AttributeUnknownToTheSnapshotIsStillAPerDeviceError) {
  Result<Program> p = Compile("device.attributes['gpu.nvidia.com'].neverPublished == 1", snapshot_);
  ASSERT_TRUE(p.ok());
  for (const char* d : {"gpu-0", "mig-0"}) {
    Result<bool> r = Evaluate(*p, snapshot_, FixtureDevice(snapshot_, d), scratch_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "no such key: neverPublished");
  }
}

}  // namespace
}  // namespace tessera::dra::cel
