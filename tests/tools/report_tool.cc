// Renders an eval.json as report.html: freshet_report_tool EVAL.json OUT.html. For looking at the
// report of a fixture (or of any version) without running the pipeline.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "freshet/eval_report.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: freshet_report_tool EVAL.json OUT.html\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "freshet_report_tool: cannot open " << argv[1] << "\n";
    return 1;
  }
  nlohmann::json eval;
  try {
    eval = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    std::cerr << "freshet_report_tool: " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary);
  out << freshet::RenderReportHtml(eval);
  out.close();
  if (!out) {
    std::cerr << "freshet_report_tool: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
