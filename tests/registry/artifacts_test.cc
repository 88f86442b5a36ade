// Tests of src/registry/artifacts.cc: reads verified against the manifest, and the manifest against
// the index.
#include <gtest/gtest.h>

#include <string>

#include "freshet/artifacts.hpp"
#include "freshet/error.hpp"
#include "freshet/registry.hpp"
#include "io/test_util.h"
#include "registry/registry_test_util.h"

namespace freshet {
namespace {

using testing::MessageOf;
using testing::Publish;
using testing::ReadFile;
using testing::RegistryUnit;
using testing::WriteFile;

TEST_F(RegistryUnit, ReadsAreVerifiedAgainstTheManifestAndTheIndex) {
  Registry r = Open();
  const VersionInfo v = Publish(r);
  const auto ok = r.Artifacts(v);
  EXPECT_EQ(ok->Read("model.pt"), "weights of v000001");
  // A flipped byte: the message names the file and both checksums.
  WriteFile(v.path + "/model.pt", "weights of v000002");
  std::string m = MessageOf<IoError>([&] { r.Artifacts(v)->Read("model.pt"); });
  EXPECT_NE(
      m.find(v.path + "/model.pt: its SHA-256 (" + Sha256("weights of v000002") +
             ") differs from the one manifest.json records (" + Sha256("weights of v000001") + ")"),
      std::string::npos)
      << m;
  // Truncated: the size says so first.
  WriteFile(v.path + "/model.pt", "weights");
  m = MessageOf<IoError>([&] { r.Artifacts(v)->Read("model.pt"); });
  EXPECT_NE(m.find("7 bytes, manifest.json records 18 (truncated or changed)"), std::string::npos)
      << m;
  // The manifest itself is checked against the index.
  WriteFile(v.path + "/manifest.json", ReadFile(v.path + "/manifest.json") + " ");
  m = MessageOf<IoError>([&] { r.Manifest(v); });
  EXPECT_NE(m.find("differs from the one the registry index records"), std::string::npos) << m;
}

TEST_F(RegistryUnit, AManifestOfANewerFormatIsRefused) {
  Registry r = Open();
  ModelWriter w = r.Lock("churn");
  VersionDraft d = w.NewVersion();
  d.Write("model.pt", "x");
  const VersionInfo v = w.Publish(d, {{"format", "freshet.manifest/2"}}, {});
  const std::string m = MessageOf<IoError>([&] { r.Manifest(v); });
  EXPECT_NE(m.find("manifest format \"freshet.manifest/2\" is not freshet.manifest/1"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace freshet
