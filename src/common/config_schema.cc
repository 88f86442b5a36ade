// Parsing schema.yaml (include/freshet/schema.hpp) with the config's strict YAML reader.
#include "common/yaml_node.h"
#include "freshet/schema.hpp"

namespace freshet {

using config_detail::Node;

Schema ParseSchema(const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": invalid YAML: " + e.what());
  }
  Node top(root, "", &path);
  top.RequireMap();
  if (top.Get("format").String() != kSchemaFormat) {
    top.Child("format").Fail(std::string("expected ") + kSchemaFormat);
  }
  Schema s;
  s.model = top.Get("model").String();
  if (top.Has("inferred_from")) s.inferred_from = top.Get("inferred_from").String();
  s.label = top.Get("label").String();
  if (top.Has("other_columns")) {
    for (Node n : top.Get("other_columns").Items()) s.other_columns.push_back(n.String());
  }
  Node cols = top.Get("columns");
  for (const auto& name : cols.Keys()) {
    Node c = cols.Child(name);
    c.RequireMap();
    ColumnSchema cs;
    cs.name = name;
    cs.kind = c.Get("type").OneOf({"numeric", "categorical"}) == "numeric"
                  ? ColumnKind::kNumeric
                  : ColumnKind::kCategorical;
    if (c.Has("dtype")) cs.dtype = c.Get("dtype").OneOf({"f32", "f64", "i32", "i64", "string"});
    if (c.Has("required")) cs.required = c.Get("required").Bool();
    if (c.Has("max_missing_fraction")) {
      Node m = c.Get("max_missing_fraction");
      cs.max_missing_fraction = m.Number();
      if (cs.max_missing_fraction < 0 || cs.max_missing_fraction > 1) {
        m.Fail("expected a fraction in [0, 1]");
      }
    } else {
      cs.max_missing_fraction = 1;
    }
    if (c.Has("range")) {
      Node r = c.Get("range");
      const auto items = r.Items();
      if (items.size() != 2) r.Fail("expected [min, max]");
      cs.has_range = true;
      cs.min = items[0].Number();
      cs.max = items[1].Number();
      if (!(cs.min <= cs.max)) r.Fail("expected min <= max");
    }
    if (c.Has("allow_inf")) cs.allow_inf = c.Get("allow_inf").Bool();
    if (c.Has("domain")) {
      cs.has_domain = true;
      for (Node d : c.Get("domain").Items()) cs.domain.push_back(d.String());
    }
    c.Finish();
    s.columns.push_back(std::move(cs));
  }
  top.Finish();
  return s;
}

}  // namespace freshet
